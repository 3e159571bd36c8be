//! The problems panel and the run sheet in a real browser, at a phone's width, and the run sheet
//! as it prints.

use fantoccini::Locator;
use fantoccini::wd::WebDriverCompatibleCommand;
use reqwest::{Method, Url};
use serde_json::json;

use super::{ANA, Chromium, NEIGHBOUR, PASSWORD};
use crate::dispatch::{neighbour_asks, volunteer};
use crate::helpers::*;
use crate::on_both_databases;

/// Has Chromium lay pages out as it does for paper, through the DevTools command its driver
/// passes on: a screenshot then shows what the print styles leave.
#[derive(Debug)]
struct PrintMedia;

impl WebDriverCompatibleCommand for PrintMedia {
    fn endpoint(
        &self,
        base: &Url,
        session: Option<&str>,
    ) -> Result<Url, <Url as std::str::FromStr>::Err> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &Url) -> (Method, Option<String>) {
        let body = json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": "print"}});
        (Method::POST, Some(body.to_string()))
    }
}

on_both_databases! {
    async fn a_dispatcher_sees_a_refused_text_marks_it_dealt_with_and_prints_a_volunteers_sheet(db) {
        let Some(browser) = Chromium::start().await else { return };
        let app = TestApp::spawn(db).await;
        aidline::accounts::add(&app.db, "rosa", "Rosa", "dispatcher", PASSWORD, app.clock.now_ms()).await.unwrap();
        let ana = volunteer(&app, ANA, "Ana", &["northside"]).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let refusal = json!({"code": 21211, "message": "The 'To' number is not a valid phone number."});
        app.refuse_next_send(MESSAGES_PATH, 400, None, refusal).await;
        app.send_due().await;
        let b = &browser.client;

        browser.sign_in(&app, "rosa").await;

        // The count in the navigation leads to the problem.
        b.find(Locator::LinkText("Problems (1)")).await.unwrap().click().await.unwrap();
        b.wait().for_element(Locator::Css("table.problems")).await.unwrap();
        assert_eq!(browser.path().await, "/problems");
        let page = b.source().await.unwrap();
        assert!(page.contains("Failed to send") && page.contains("21211"), "{page}");
        assert!(page.contains("+1******"), "the number, masked: {page}");
        assert!(!page.contains("5557658001") && !page.contains("5557658101"), "no full number");
        let screenshots = app.test_db.url.starts_with("sqlite");
        if screenshots {
            browser.screenshot("problems-phone", 390).await;
        }
        b.find(Locator::Css("table.problems button")).await.unwrap().click().await.unwrap();
        b.wait().for_element(Locator::Css("p.notice")).await.unwrap();
        let nav = b.find(Locator::Css("a[href='/problems']")).await.unwrap().text().await.unwrap();
        assert_eq!(nav, "Problems");

        // Ana takes the request; her sheet is one click and a choice away.
        let claim = format!("YES {code}");
        app.text(ANA, &claim).await;
        b.find(Locator::LinkText("Print and export")).await.unwrap().click().await.unwrap();
        b.wait().for_element(Locator::Id("volunteer")).await.unwrap();
        b.find(Locator::Css(&format!("#volunteer option[value='{ana}']"))).await.unwrap().click().await.unwrap();
        b.find(Locator::XPath("//button[normalize-space()='Show their jobs']")).await.unwrap().click().await.unwrap();
        // Today's sheet, shown before the choice, holds the request too: wait for her sheet itself.
        let hers = reqwest::Url::parse(&app.url(&format!("/runsheet?volunteer={ana}"))).unwrap();
        b.wait().for_url(&hers).await.unwrap();
        b.wait().for_element(Locator::Css(&format!("#sheet-{code}"))).await.unwrap();
        let title = b.find(Locator::Id("sheet-title")).await.unwrap().text().await.unwrap();
        assert_eq!(title, "Run sheet for Ana");
        if screenshots {
            browser.screenshot("runsheet-phone", 390).await;
        }

        // On paper: the sheet alone, no navigation and no forms.
        b.issue_cmd(PrintMedia).await.unwrap();
        let nav = b.find(Locator::Css("header.top")).await.unwrap();
        assert!(!nav.is_displayed().await.unwrap(), "the navigation is not printed");
        let forms = b.find(Locator::Css(".sheet-choice")).await.unwrap();
        assert!(!forms.is_displayed().await.unwrap(), "the forms are not printed");
        if screenshots {
            browser.screenshot("runsheet-print-phone", 390).await;
        }
        browser.close().await;
    }
}

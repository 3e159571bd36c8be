//! The queue page in the browser: rows, counts and filter choices arriving live, and the page on
//! a phone's screen.

use std::time::Duration;

use aidline::accounts;
use fantoccini::Locator;

use super::{Chromium, PASSWORD};
use crate::dispatch::{neighbour_asks, status_of};
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::filed;

on_both_databases! {
    async fn a_request_arriving_live_replaces_nothing_is_open_and_brings_its_zone_to_the_filter(db) {
        let Some(browser) = Chromium::start().await else { return };
        let app = TestApp::spawn(db).await;
        accounts::add(&app.db, "rosa", "Rosa", "dispatcher", PASSWORD, app.clock.now_ms()).await.unwrap();
        let b = &browser.client;
        browser.sign_in(&app, "rosa").await;
        let counts = b.find(Locator::Css("ul.counts")).await.unwrap().text().await.unwrap();
        assert_eq!(counts, "Nothing is open.");
        let zones = Locator::Css("#f-zone option");
        assert_eq!(b.find_all(zones).await.unwrap().len(), 1, "only \"Any zone\"");
        // On a phone's screen the filters fold behind one button, the search stays at hand.
        b.set_window_size(390, 900).await.unwrap();
        let zone = b.find(Locator::Id("f-zone")).await.unwrap();
        assert!(!zone.is_displayed().await.unwrap(), "folded");
        assert!(b.find(Locator::Id("f-q")).await.unwrap().is_displayed().await.unwrap());

        // The dispatcher starts a search, and a neighbour texts in before she sends it.
        let search = b.find(Locator::Id("f-q")).await.unwrap();
        search.send_keys("brea").await.unwrap();
        let code = neighbour_asks(&app, "+15557658301").await;
        let cell = format!("//*[@id='waiting']/..//*[@data-label='Code'][normalize-space()='{code}']");
        b.wait().at_most(Duration::from_secs(15)).for_element(Locator::XPath(&cell)).await.unwrap();

        let counts = b.find(Locator::Css("ul.counts")).await.unwrap().text().await.unwrap();
        assert_eq!(counts, format!("1 {}", status_of(&app, &code).await), "the count came with the row");
        let northside = Locator::Css("#f-zone option[value='northside']");
        b.wait().at_most(Duration::from_secs(5)).for_element(northside).await.unwrap();
        let typed = b.find(Locator::Id("f-q")).await.unwrap();
        assert_eq!(typed.prop("value").await.unwrap().as_deref(), Some("brea"), "what she typed stays");
        let focused = b.active_element().await.unwrap().attr("id").await.unwrap();
        assert_eq!(focused.as_deref(), Some("f-q"), "and so does her cursor");

        let screenshots = app.test_db.url.starts_with("sqlite");
        if screenshots {
            browser.screenshot("queue-lanes-phone", 390).await;
        }

        // She opens the filters and picks a zone; a request from another zone comes in meanwhile.
        // Her choice is left alone while she is on it, and the new zone is offered once she
        // leaves it.
        b.find(Locator::Css("form.filters summary")).await.unwrap().click().await.unwrap();
        b.find(Locator::Id("f-zone")).await.unwrap().click().await.unwrap();
        b.execute("document.getElementById('f-zone').value = 'northside'", vec![]).await.unwrap();
        let downtown = filed(&app, "+15557658302", "groceries", "downtown", 0).await;
        let cell = format!("//*[@id='waiting']/..//*[@data-label='Code'][normalize-space()='{downtown}']");
        b.wait().at_most(Duration::from_secs(15)).for_element(Locator::XPath(&cell)).await.unwrap();
        let zones = || b.find_all(Locator::Css("#f-zone option"));
        assert_eq!(zones().await.unwrap().len(), 2, "not while she is choosing");
        b.find(Locator::Id("f-q")).await.unwrap().click().await.unwrap();
        let offered = Locator::Css("#f-zone option[value='downtown']");
        b.wait().at_most(Duration::from_secs(5)).for_element(offered).await.unwrap();
        let chosen = b.find(Locator::Id("f-zone")).await.unwrap().prop("value").await.unwrap();
        assert_eq!(chosen.as_deref(), Some("northside"), "her choice stands");

        if screenshots {
            browser.screenshot("queue-filters-phone", 390).await;
            browser.screenshot("queue-lanes-laptop", 1280).await;
        }
        browser.close().await;
    }
}

//! The audit page in a real browser, at a phone's width: an admin narrows it to one dispatcher.

use fantoccini::Locator;

use super::{Chromium, NEIGHBOUR, PASSWORD};
use crate::dispatch::neighbour_asks;
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, account};

on_both_databases! {
    async fn an_admin_on_a_phone_reads_who_looked_at_a_request(db) {
        let Some(browser) = Chromium::start().await else { return };
        let app = TestApp::spawn(db).await;
        aidline::accounts::add(&app.db, "rosa", "Rosa", "admin", PASSWORD, app.clock.now_ms()).await.unwrap();
        account(&app, "dina", "dispatcher").await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let dina = Browser::new(&app);
        dina.sign_in("dina", PASSWORD).await;
        let page = dina.get(&format!("/requests/{code}")).await;
        app.clock.advance(std::time::Duration::from_secs(90));
        dina.post(&format!("/requests/{code}/reveal"), &[("csrf", &page.csrf())]).await;
        let b = &browser.client;

        b.set_window_size(390, 900).await.unwrap();
        browser.sign_in(&app, "rosa").await;
        b.find(Locator::LinkText("Who looked")).await.unwrap().click().await.unwrap();
        b.wait().for_element(Locator::Id("account")).await.unwrap();
        b.find(Locator::Css("#account option[value='dina']")).await.unwrap().click().await.unwrap();
        b.find(Locator::Css("form.filters button")).await.unwrap().click().await.unwrap();
        // The unfiltered page has the table too: wait for the filtered one to arrive.
        let filtered = reqwest::Url::parse(&app.url("/audit?account=dina&kind=")).unwrap();
        b.wait().for_url(&filtered).await.unwrap();
        b.wait().for_element(Locator::Css("table.audit")).await.unwrap();
        let shown = b.source().await.unwrap();
        assert!(shown.contains("revealed the number") && shown.contains("opened the request"), "{shown}");
        assert!(!shown.contains(&NEIGHBOUR[2..]), "never the number");
        let wide: i64 = b
            .execute("return document.documentElement.scrollWidth", vec![])
            .await
            .unwrap()
            .as_i64()
            .unwrap();
        assert!(wide <= 390, "nothing is wider than the phone: {wide} px");
        if app.test_db.url.starts_with("sqlite") {
            browser.screenshot("audit-phone", 390).await;
        }
        browser.close().await;
    }
}

//! A message left on a call, played on the request page in a real browser at a phone's width.

use aidline::accounts;
use fantoccini::Locator;
use serde_json::Value;

use super::{Chromium, PASSWORD};
use crate::calls::messages::{leave_a_message, twilio_holds_the_recording};
use crate::helpers::*;
use crate::on_both_databases;

on_both_databases! {
    async fn a_dispatcher_plays_a_message_left_on_a_call_from_the_request_page(db) {
        let Some(browser) = Chromium::start().await else { return };
        let app = TestApp::spawn(db).await;
        twilio_holds_the_recording(&app).await;
        let code = leave_a_message(&app).await;
        assert_eq!(app.copy_recordings().await, 1);
        accounts::add(&app.db, "rosa", "Rosa", "dispatcher", PASSWORD, app.clock.now_ms()).await.unwrap();
        browser.sign_in(&app, "rosa").await;
        let b = &browser.client;
        b.goto(&app.url(&format!("/requests/{code}"))).await.unwrap();
        b.wait().for_element(Locator::Id("left")).await.unwrap();

        // The page's player fetches the sound from the service, signed in, and the browser
        // decodes it. (Decoded with Web Audio: the headless Chromium this runs in refuses every
        // media element source, even a data: one, so the element itself cannot be made to load.)
        let duration = b
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const src = document.querySelector('section[aria-labelledby=left] audio').src;
                 fetch(src)
                   .then(r => r.ok ? r.arrayBuffer() : Promise.reject(r.status))
                   .then(bytes => new OfflineAudioContext(1, 8000, 8000).decodeAudioData(bytes))
                   .then(sound => done(sound.duration), e => done('failed: ' + e));",
                vec![],
            )
            .await
            .unwrap();
        let Value::Number(seconds) = duration else { panic!("{duration:?}") };
        let seconds = seconds.as_f64().unwrap();
        assert!((0.4..0.6).contains(&seconds), "half a second of sound: {seconds}");
        let source = b.source().await.unwrap();
        assert!(!source.contains("api.twilio.com"), "never the provider's address");
        let played = app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'played'").await;
        assert!(played >= 1, "the play is recorded");

        if app.test_db.url.starts_with("sqlite") {
            b.set_window_size(390, 900).await.unwrap();
            b.execute("document.getElementById('left').scrollIntoView()", vec![]).await.unwrap();
            browser.screenshot("request-message-phone", 390).await;
        }
        browser.close().await;
    }
}

//! Open pages are told when the queue or the texts change, by whichever copy of the service made
//! the change, and however many pages are open the database is watched once.

use std::time::Duration;

use aidline::app::App;
use aidline::clock::Clock;
use aidline::gateway::twilio;
use aidline::store::Backend;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, PASSWORD, account};

/// Reads a page's event stream until `event` arrives; false if it did not within `within`.
async fn hears(stream: &mut reqwest::Response, event: &str, within: Duration) -> bool {
    let wanted = format!("event: {event}");
    let mut heard = String::new();
    let reading = async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            heard.push_str(&String::from_utf8_lossy(&chunk));
            if heard.contains(&wanted) {
                return true;
            }
        }
        false
    };
    tokio::time::timeout(within, reading).await.unwrap_or(false)
}

/// A second copy of the service on the same database, serving until the token is cancelled;
/// returns its address.
async fn second_copy(app: &TestApp) -> (String, CancellationToken) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let copy = App::build(app.settings.clone(), Clock::manual())
        .await
        .unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(copy.serve(listener, stop.clone()));
    (base, stop)
}

/// A neighbour's text taken by the copy at `base`, signed as the provider signs it for the
/// line's public address (which both copies share).
async fn text_through(app: &TestApp, base: &str, from: &str, body: &str) {
    let params = app.inbound_params(from, body, &app.new_sid());
    let signature = twilio::signature(TOKEN, &app.url("/webhooks/twilio/sms"), &params);
    let response = app
        .http
        .post(format!("{base}/webhooks/twilio/sms"))
        .header("X-Twilio-Signature", signature)
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

async fn open_pages(app: &TestApp, count: usize) -> Vec<reqwest::Response> {
    account(app, "dana", "dispatcher").await;
    let browser = Browser::new(app);
    browser.sign_in("dana", PASSWORD).await;
    let mut pages = Vec::new();
    for _ in 0..count {
        let stream = browser.http.get(app.url("/events")).send().await.unwrap();
        assert_eq!(stream.status(), 200);
        pages.push(stream);
    }
    pages
}

on_both_databases! {
    async fn a_text_taken_by_another_copy_of_the_service_reaches_a_page_open_on_this_one_within_seconds(db) {
        let app = TestApp::spawn(db).await;
        let mut page = open_pages(&app, 1).await.remove(0);
        let (other, stop) = second_copy(&app).await;

        text_through(&app, &other, "+15557650001", "hi").await;
        assert!(hears(&mut page, "texts", Duration::from_secs(3)).await, "the page did not hear of the text");
        stop.cancel();
    }

    async fn twenty_open_pages_all_hear_of_a_change_from_one_watcher_of_the_database(db) {
        let app = TestApp::spawn(db).await;
        let mut pages = open_pages(&app, 20).await;
        if app.db.backend() == Backend::Postgres {
            // The watcher connects in the background once the first page opens.
            let listening = || async {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
                )
                .fetch_one(app.db.pool())
                .await
                .unwrap()
            };
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            while listening().await == 0 && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert_eq!(listening().await, 1, "one connection listens for all the pages");
        }

        app.text("+15557650002", "hi").await;
        for page in &mut pages {
            assert!(hears(page, "texts", Duration::from_secs(3)).await, "a page did not hear of the text");
        }
    }
}

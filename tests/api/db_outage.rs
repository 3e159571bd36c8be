//! The database out of reach while the service runs. Webhooks meanwhile are answered 503 with a
//! Retry-After, promptly and with nothing stored, so the provider tries them again; once the
//! database is back, with nothing restarted, the retries are taken once each and every worker
//! carries on by itself.
//!
//! On PostgreSQL the outage is a cut network link (real seconds: these tests are slow); on
//! SQLite, which has no network, it is another program holding the file locked.

use std::future::Future;
use std::time::{Duration, Instant};

use aidline::store::StoreError;
use futures::future::join_all;
use sqlx::{Connection, Executor};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::db_proxy::DbProxy;
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, PASSWORD, account};

/// A provider gives up on a webhook after this long (Twilio's limit).
const PROVIDER_PATIENCE: Duration = Duration::from_secs(15);

/// Waits, in real time, until `check` holds; fails with `what` after `limit`.
async fn eventually<F, Fut>(limit: Duration, what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "still not so after {limit:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A signed Twilio text webhook; its status and how long the answer took.
async fn webhook(
    app: &TestApp,
    from: &str,
    body: &str,
    sid: &str,
) -> (reqwest::Response, Duration) {
    let started = Instant::now();
    let response = app.text_with_sid(from, body, sid).await;
    (response, started.elapsed())
}

/// The answer a provider must get while the database is out of reach: 503 and when to retry,
/// before the provider stops waiting. A text may wait out one failed wait for a connection
/// behind another text before failing its own: two waits of five seconds at most.
fn assert_try_again_later(response: &reqwest::Response, took: Duration) {
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    assert!(
        took < PROVIDER_PATIENCE - Duration::from_secs(3),
        "answered after {took:?}"
    );
}

async fn stored_with_sid(app: &TestApp, sid: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM inbound_messages WHERE gateway_id = $1 AND handled_at IS NOT NULL",
    )
    .bind(sid)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

fn running_by_itself() -> Options {
    Options {
        background_worker: true,
        timed_passes: true,
        ..Options::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn texts_during_a_ten_second_database_outage_are_refused_for_retry_and_taken_once_after() {
    let Some(mut db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let proxy = DbProxy::start(&db.url).await;
    db.url = proxy.in_front_of(&db.url);
    let app = TestApp::spawn_with(db, running_by_itself()).await;
    let (ana, cal) = ("+15557681001", "+15557681003");
    app.text(ana, "hi").await;
    eventually(Duration::from_secs(10), "Ana's greeting sent", || async {
        app.sent_to(ana).await.len() == 1
    })
    .await;

    proxy.cut();
    let cut_at = Instant::now();
    // Ana answers her first question as seven neighbours text for the first time, all at once.
    let mut refused = vec![(ana.to_string(), "1", app.new_sid())];
    refused.extend((0..7).map(|i| (format!("+155576820{i:02}"), "hi", app.new_sid())));
    let texts = join_all(
        refused
            .iter()
            .map(|(from, body, sid)| webhook(&app, from, body, sid)),
    );
    let health = app.http.get(app.url("/healthz")).send();
    let (answers, health) = tokio::join!(texts, health);
    for (response, took) in &answers {
        assert_try_again_later(response, *took);
    }
    assert_eq!(health.unwrap().status(), 503);
    tokio::time::sleep(Duration::from_secs(10).saturating_sub(cut_at.elapsed())).await;
    proxy.restore();

    let stored = app.count("SELECT COUNT(*) FROM inbound_messages").await;
    assert_eq!(stored, 1, "nothing kept of a refused text");
    // The provider retries each (a retry of a retry changes nothing), and Cal texts anew.
    for (from, body, sid) in refused.iter().chain(&refused[..1]) {
        let (response, took) = webhook(&app, from, body, sid).await;
        assert_eq!(response.status(), 200, "after {took:?}");
    }
    app.text(cal, "hi").await;
    for (_, _, sid) in &refused {
        assert_eq!(stored_with_sid(&app, sid).await, 1);
    }
    eventually(Duration::from_secs(10), "every reply sent", || async {
        app.sent().await.len() == 10
    })
    .await;
    assert_eq!(app.sent_to(ana).await.len(), 2);
    for (from, _, _) in &refused[1..] {
        assert_eq!(app.sent_to(from).await.len(), 1);
    }
    assert_eq!(app.sent_to(cal).await.len(), 1);

    // The timer pass came back too: two quiet hours later, each conversation is reminded.
    app.clock.advance(Duration::from_secs(2 * 3600 + 1));
    eventually(Duration::from_secs(15), "nine reminders sent", || async {
        let sent = app.sent().await;
        sent.iter()
            .filter(|s| s.body.starts_with("Still there?"))
            .count()
            == 9
    })
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_sent_as_the_database_drops_is_recorded_once_it_is_back_not_sent_twice() {
    let Some(mut db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let proxy = DbProxy::start(&db.url).await;
    db.url = proxy.in_front_of(&db.url);
    let app = TestApp::spawn(db).await;
    let slow = ResponseTemplate::new(201)
        .set_body_json(serde_json::json!({"sid": "SMslow", "status": "queued"}))
        .set_delay(Duration::from_secs(2));
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(slow)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app.api)
        .await;
    app.text("+15557681005", "hi").await;

    let outbox = app.outbox.clone().unwrap();
    let sending = tokio::spawn(async move { outbox.drain().await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.cut();
    // Longer than a query waits for a connection: recording the send fails at least once.
    tokio::time::sleep(Duration::from_secs(8)).await;
    proxy.restore();
    let drained = sending
        .await
        .unwrap()
        .expect("the pass waited for the database");
    assert_eq!(drained.attempted, 1);

    let (state, gateway_id): (String, Option<String>) =
        sqlx::query_as("SELECT state, gateway_id FROM outbound_messages")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        (state.as_str(), gateway_id.as_deref()),
        ("sent", Some("SMslow"))
    );
    app.clock.advance(Duration::from_secs(3600));
    assert_eq!(app.send_due().await, 0);
    assert_eq!(app.api_requests(MESSAGES_PATH).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_while_another_program_holds_the_sqlite_file_locked_is_refused_for_retry() {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let app = TestApp::spawn(db).await;
    let mut other_program = sqlx::AnyConnection::connect(&app.test_db.url)
        .await
        .unwrap();
    other_program.execute("BEGIN EXCLUSIVE").await.unwrap();

    let neighbour = "+15557681004";
    let sid = app.new_sid();
    let (response, took) = webhook(&app, neighbour, "hi", &sid).await;
    assert_try_again_later(&response, took);

    other_program.execute("ROLLBACK").await.unwrap();
    let (response, _) = webhook(&app, neighbour, "hi", &sid).await;
    assert_eq!(response.status(), 200);
    assert_eq!(stored_with_sid(&app, &sid).await, 1);
    assert_eq!(app.send_due().await, 1);
    assert_eq!(app.sent_to(neighbour).await.len(), 1);
}

on_both_databases! {
    async fn a_broken_rule_is_not_mistaken_for_the_database_being_out_of_reach(db) {
        let app = TestApp::spawn(db).await;
        let mut conn = app.db.acquire().await.unwrap();
        conn.execute("CREATE TEMPORARY TABLE once (id INTEGER PRIMARY KEY)").await.unwrap();
        conn.execute("INSERT INTO once (id) VALUES (1)").await.unwrap();
        let twice = conn.execute("INSERT INTO once (id) VALUES (1)").await.unwrap_err();
        assert!(!StoreError::from(twice).is_unreachable());
        let nonsense = conn.execute("SELECT nothing FROM nowhere").await.unwrap_err();
        assert!(!StoreError::from(nonsense).is_unreachable());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_signing_in_while_the_database_cannot_be_written_is_told_to_try_again_soon() {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let app = TestApp::spawn(db).await;
    account(&app, "dana", "dispatcher").await;
    let browser = Browser::new(&app);
    let csrf = browser.get("/signin").await.csrf();
    let form = [
        ("username", "dana"),
        ("password", PASSWORD),
        ("csrf", &csrf),
    ];
    let mut other_program = sqlx::AnyConnection::connect(&app.test_db.url)
        .await
        .unwrap();
    other_program.execute("BEGIN EXCLUSIVE").await.unwrap();

    let page = browser
        .http
        .post(app.url("/signin"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 503);
    assert_eq!(page.headers()["retry-after"], "10");
    let body = page.text().await.unwrap();
    assert!(body.contains("Try again in a moment"), "{body}");

    other_program.execute("ROLLBACK").await.unwrap();
    let page = browser.post("/signin", &form).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.path, "/");
}

//! What the benchmarks share: reading their options, a database of each kind, and a local
//! stand-in for a provider's API.

use std::sync::atomic::{AtomicU64, Ordering};

use aidline::app::App;
use aidline::clock::Clock;
use aidline::config::Settings;
use axum::routing::post;
use tokio::net::TcpListener;

#[path = "../../tests/support/test_db.rs"]
pub mod test_db;

use test_db::{Backend, TestDb};

pub const LINE: &str = "+15550009999";
/// The line's auth token, which signs its webhooks.
pub const TOKEN: &str = "bench-token";

pub fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A stand-in for the Twilio Messages API that accepts everything; returns its base URL.
pub async fn mock_twilio() -> String {
    static SID: AtomicU64 = AtomicU64::new(0);
    let app = axum::Router::new().route(
        "/2010-04-01/Accounts/{account}/Messages.json",
        post(|| async {
            let sid = format!("SM{:032x}", SID.fetch_add(1, Ordering::Relaxed));
            (
                axum::http::StatusCode::CREATED,
                axum::Json(serde_json::json!({"sid": sid, "status": "queued"})),
            )
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// Settings for one Twilio line on `database_url`, sending to `api` as fast as it can.
pub fn settings(database_url: &str, public_url: &str, token: &str, api: &str) -> String {
    format!(
        r#"
        database_url = "{database_url}"
        public_url = "{public_url}"
        [[lines]]
        number = "{LINE}"
        gateway = "twilio"
        flow = "intake"
        segments_per_second = "unlimited"
        [lines.twilio]
        account_sid = "ACbench"
        auth_token = "{token}"
        api_base = "{api}"
        "#
    )
}

/// The service built on `database_url` with one Twilio line whose API is a local stand-in, the
/// listener it is to serve on, and its address (also its public URL).
pub async fn build(database_url: &str, clock: Clock) -> (App, TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let api = mock_twilio().await;
    let config = settings(database_url, &base, TOKEN, &api);
    let app = App::build(Settings::from_toml(&config).unwrap(), clock)
        .await
        .unwrap();
    (app, listener, base)
}

/// Runs `run(name, database_url)` on a fresh SQLite database, then on a fresh PostgreSQL one when
/// `AIDLINE_TEST_POSTGRES_URL` is set.
pub async fn on_each_database(run: impl AsyncFn(&str, &str)) {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        match TestDb::create(backend).await {
            Some(db) => run(&format!("{backend:?}").to_lowercase(), &db.url).await,
            None => println!("{backend:?}: skipped (set AIDLINE_TEST_POSTGRES_URL to run it)"),
        }
    }
}

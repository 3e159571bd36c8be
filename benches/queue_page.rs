//! Queue page benchmark: how long the dispatcher's queue takes to render with 200 open requests,
//! and how much it weighs.
//!
//! Run: `cargo bench --bench queue_page` (SQLite; PostgreSQL too when AIDLINE_TEST_POSTGRES_URL is
//! set). AIDLINE_BENCH_REQUESTS (default 200) open requests are made, a dispatcher signs in, and
//! the page is fetched AIDLINE_BENCH_ROUNDS (default 200) times over loopback: the times include
//! the round trip, so they are an upper bound on the server's rendering.

use std::collections::BTreeMap;
use std::time::Instant;

use aidline::accounts;
use aidline::app::App;
use aidline::clock::Clock;
use aidline::config::Settings;
use aidline::store::requests::{self, NewRequest};
use aidline::store::{Db, contacts};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

mod support;
use support::{LINE, env_or, mock_twilio, on_each_database};

const PASSWORD: &str = "a long enough password";
const QUEUES: [&str; 4] = ["groceries", "prescription", "delivery", "handoff"];
const ZONES: [&str; 3] = ["northside", "downtown", "southside"];

async fn open_requests(db: &Db, count: u64, now: i64) {
    let mut conn = db.acquire().await.unwrap();
    for i in 0..count {
        let phone = format!("+1555{i:07}");
        let contact = contacts::upsert_many(&mut conn, &[&phone], now)
            .await
            .unwrap()[0]
            .1;
        let fields: BTreeMap<String, String> = [
            ("need", QUEUES[i as usize % 3]),
            ("items", "bread, milk, rice, beans, apples"),
            ("household", "3"),
            ("zone", ZONES[i as usize % 3]),
            ("cross_streets", "Oak and 3rd"),
            ("when", "today after 5"),
            ("notes", "Side door; the bell is broken"),
            ("name_to_use", "Maria"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let new = NewRequest {
            contact_id: contact,
            line: LINE,
            queue: QUEUES[i as usize % QUEUES.len()],
            fields: &fields,
            priority: (i % 3) as i64,
            session_id: None,
            actor: "bench",
        };
        // Spread over the last two days, so every ageing colour shows.
        requests::create(&mut conn, &new, now - (i as i64) * 15 * 60 * 1000)
            .await
            .unwrap();
    }
}

/// The hidden CSRF token in a page's form.
fn csrf(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("a form") + 19;
    let end = page[start..].find('"').unwrap() + start;
    page[start..end].to_string()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn run(name: &str, database_url: &str) {
    let count = env_or("AIDLINE_BENCH_REQUESTS", 200);
    let rounds = env_or("AIDLINE_BENCH_ROUNDS", 200);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let api = mock_twilio().await;
    let config = support::settings(database_url, &base, "bench-token", &api);
    let clock = Clock::default();
    let app = App::build(Settings::from_toml(&config).unwrap(), clock.clone())
        .await
        .unwrap();
    let db = app.state.db.clone();
    accounts::add(&db, "rosa", "Rosa", "dispatcher", PASSWORD, clock.now_ms())
        .await
        .unwrap();
    open_requests(&db, count, clock.now_ms()).await;
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    tokio::spawn(async move { app.serve(listener, token).await.unwrap() });

    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let form = http.get(format!("{base}/signin")).send().await.unwrap();
    let token = csrf(&form.text().await.unwrap());
    let signed_in = http
        .post(format!("{base}/signin"))
        .form(&[
            ("username", "rosa"),
            ("password", PASSWORD),
            ("csrf", &token),
        ])
        .send()
        .await
        .unwrap();
    assert!(signed_in.status().is_success());

    let mut times = Vec::with_capacity(rounds as usize);
    let mut bytes = 0;
    for _ in 0..rounds {
        let started = Instant::now();
        let page = http.get(format!("{base}/")).send().await.unwrap();
        assert!(page.status().is_success());
        let body = page.bytes().await.unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        bytes = body.len();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{name}: the queue page with {count} open requests: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms; {:.1} KB",
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        percentile(&times, 1.0),
        bytes as f64 / 1024.0
    );
    shutdown.cancel();
}

#[tokio::main]
async fn main() {
    on_each_database(run).await;
}

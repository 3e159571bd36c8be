//! Queue page benchmark: how long the dispatcher's queue takes to make on a busy day, and how
//! much it weighs.
//!
//! Run: `cargo bench --bench queue_page` (SQLite; PostgreSQL too when AIDLINE_TEST_POSTGRES_URL is
//! set). AIDLINE_BENCH_REQUESTS (default 2,000) open requests are made, spread over every lane, and
//! a dispatcher signs in. The page is then made AIDLINE_BENCH_ROUNDS (default 100) times in
//! process, through the service's router without a socket: the server's own time, database
//! included. The same number of fetches over loopback adds the round trip, as a browser would see
//! it. A search and a lane opened on its own are timed too.

use std::collections::BTreeMap;
use std::time::Instant;

use aidline::accounts;
use aidline::clock::Clock;
use aidline::lifecycle::RequestStatus::{self, *};
use aidline::store::requests::{self, NewRequest};
use aidline::store::{Db, contacts};
use axum::body::Body;
use axum::http::{Request, header};
use reqwest::cookie::CookieStore;
use tokio_util::sync::CancellationToken;
use tower_service::Service;

mod support;
use support::{LINE, env_or, on_each_database};

const PASSWORD: &str = "a long enough password";
const QUEUES: [&str; 3] = ["groceries", "prescription", "delivery"];
const ZONES: [&str; 8] = [
    "northside",
    "downtown",
    "southside",
    "riverside",
    "old town",
    "hillcrest",
    "east end",
    "harbour",
];

/// Where the i-th request stands: its queue and the statuses it moves through, so that every
/// lane has its share, most of them waiting for a volunteer, as on a busy day.
fn story(i: usize) -> (&'static str, &'static [RequestStatus]) {
    let queue = QUEUES[i % QUEUES.len()];
    match i % 20 {
        0 => ("handoff", &[]),
        1 => (queue, &[Failed]),
        2..=5 => (queue, &[Offered]),
        6..=11 => (queue, &[]),
        12..=15 => (queue, &[Claimed]),
        16..=17 => (queue, &[Claimed, PickedUp]),
        18 => (queue, &[Claimed, Delivered]),
        _ => ("volunteers", &[]),
    }
}

async fn open_requests(db: &Db, count: u64, now: i64) {
    let mut conn = db.acquire().await.unwrap();
    for i in 0..count as usize {
        let phone = format!("+1555{i:07}");
        let contact = contacts::upsert_many(&mut conn, &[&phone], now)
            .await
            .unwrap()[0]
            .1;
        let (queue, moves) = story(i);
        let fields: BTreeMap<String, String> = [
            ("need", queue),
            ("items", "bread, milk, rice, beans, apples"),
            ("household", "3"),
            ("zone", ZONES[i % ZONES.len()]),
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
            queue,
            fields: &fields,
            priority: (i % 3) as i64,
            session_id: None,
            actor: "bench",
        };
        // Spread over the last two days, so every ageing colour shows.
        let at = now - (i as i64 % 192) * 15 * 60 * 1000;
        let (id, _) = requests::create(&mut conn, &new, at).await.unwrap();
        for status in moves {
            requests::set_status(&mut conn, id, *status, "bench", None, at)
                .await
                .unwrap();
        }
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

/// Median and 95th percentile of `times`, in milliseconds.
fn summary(mut times: Vec<f64>) -> String {
    times.sort_by(f64::total_cmp);
    format!(
        "p50 {:.1} ms, p95 {:.1} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.95)
    )
}

async fn run(name: &str, database_url: &str) {
    let count = env_or("AIDLINE_BENCH_REQUESTS", 2000);
    let rounds = env_or("AIDLINE_BENCH_ROUNDS", 100);
    let clock = Clock::default();
    let (app, listener, base) = support::build(database_url, clock.clone()).await;
    let db = app.state.db.clone();
    let router = aidline::web::router(app.state.clone());
    accounts::add(&db, "rosa", "Rosa", "dispatcher", PASSWORD, clock.now_ms())
        .await
        .unwrap();
    open_requests(&db, count, clock.now_ms()).await;
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    tokio::spawn(async move { app.serve(listener, token).await.unwrap() });

    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder()
        .cookie_provider(jar.clone())
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
    let cookie = jar.cookies(&base.parse().unwrap()).expect("signed in");

    println!("{name}: {count} open requests");
    for path in ["/", "/?q=milk+northside", "/?lane=waiting&page=3"] {
        let mut in_process = Vec::with_capacity(rounds as usize);
        let mut bytes = 0;
        for _ in 0..rounds {
            let request = Request::get(path)
                .header(header::COOKIE, cookie.clone())
                .body(Body::empty())
                .unwrap();
            let started = Instant::now();
            let page = router.clone().call(request).await.unwrap();
            assert!(page.status().is_success(), "{path}: {}", page.status());
            let body = axum::body::to_bytes(page.into_body(), usize::MAX)
                .await
                .unwrap();
            in_process.push(started.elapsed().as_secs_f64() * 1000.0);
            bytes = body.len();
        }
        let mut round_trip = Vec::with_capacity(rounds as usize);
        for _ in 0..rounds {
            let started = Instant::now();
            let page = http.get(format!("{base}{path}")).send().await.unwrap();
            assert!(page.status().is_success());
            page.bytes().await.unwrap();
            round_trip.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        println!(
            "  {path}: in process {}; over loopback {}; {:.1} KB",
            summary(in_process),
            summary(round_trip),
            bytes as f64 / 1024.0
        );
    }
    shutdown.cancel();
}

#[tokio::main]
async fn main() {
    on_each_database(run).await;
}

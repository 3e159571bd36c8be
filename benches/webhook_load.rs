//! Load benchmark: signed Twilio webhooks driven at a running aidline over loopback.
//!
//! Run: `cargo bench --bench webhook_load` (SQLite; PostgreSQL too when AIDLINE_TEST_POSTGRES_URL
//! is set). Options: AIDLINE_BENCH_MESSAGES (default 20000) for the throughput run,
//! AIDLINE_BENCH_CONCURRENCY (default 64), AIDLINE_BENCH_RATE (default 1000/s) and
//! AIDLINE_BENCH_SECONDS (default 5) for the fixed-rate latency run.
//!
//! Every message goes the whole way: signature check, stored, handled by the intake flow under the
//! contact's lock (a request is created every tenth text), its reply written to the outbox and
//! sent by the worker to a local stand-in for the Twilio API.
//!
//! It prints, in one run, the throughput with its p50 and p99 and the p99 at the fixed rate for:
//! a bare axum handler that answers every webhook 200 with an empty TwiML body (the ceiling the
//! client, loopback and this machine allow), SQLite, PostgreSQL, and two copies of the service on
//! one PostgreSQL database with the messages sent to each in turn. Each throughput is also shown
//! as a share of the bare handler's, and two copies' as a multiple of one copy's; a summary table
//! closes the run.
//!
//! With each throughput it prints how many of the machine's cores this process (the load and the
//! service together) and PostgreSQL's processes kept busy meanwhile, read from Linux's /proc.
//!
//! The two copies run in this process, on its one tokio runtime. Separate processes would add no
//! cores: the client, PostgreSQL and every copy share the machine's cores either way, so what the
//! comparison shows is whether the database lets two copies work side by side (lock waits, row
//! contention), not how far extra hardware would carry them. On a machine with spare cores for a
//! second copy, the multiple says more than on one without.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aidline::clock::Clock;
use aidline::gateway::twilio;
use tokio_util::sync::CancellationToken;

#[path = "support/drained.rs"]
mod drained;
mod support;
use support::test_db::{Backend, TestDb};
use support::{LINE, TOKEN, env_or, on_each_database};

const CONVERSATION: [&str; 10] = [
    "hi",
    "1",
    "1",
    "bread, milk",
    "2",
    "northside",
    "Oak and 3rd",
    "today",
    "none",
    "Sam",
];

/// Where the webhooks go: one or more copies of the service (or the bare handler), taken in turn.
struct Target {
    urls: Vec<String>,
    db: Option<aidline::store::Db>,
    shutdown: CancellationToken,
}

impl Target {
    /// Waits for the outbox worker to send every queued reply; returns how long that took.
    async fn outbox_drained(&self) -> Duration {
        match &self.db {
            Some(db) => drained::outbox_drained(db).await,
            None => Duration::ZERO,
        }
    }
}

/// `copies` copies of the service on one database.
async fn start(database_url: &str, copies: usize) -> Target {
    let shutdown = CancellationToken::new();
    let mut urls = Vec::new();
    let mut db = None;
    for _ in 0..copies {
        let (app, listener, base) = support::build(database_url, Clock::default()).await;
        let token = shutdown.clone();
        db = Some(app.state.db.clone());
        tokio::spawn(async move { app.serve(listener, token).await.unwrap() });
        urls.push(format!("{base}/webhooks/twilio/sms"));
    }
    Target { urls, db, shutdown }
}

/// A handler that reads nothing and answers what the service answers a text it has taken: the
/// most any service could do behind this client on this machine.
async fn start_bare() -> Target {
    let app = axum::Router::new().route(
        "/webhooks/twilio/sms",
        axum::routing::post(|| async {
            (
                [(axum::http::header::CONTENT_TYPE, "text/xml")],
                twilio::EMPTY_TWIML,
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/webhooks/twilio/sms",
        listener.local_addr().unwrap()
    );
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(token.cancelled_owned())
            .await
            .unwrap()
    });
    Target {
        urls: vec![url],
        db: None,
        shutdown,
    }
}

/// A message with where it goes: its URL, its signature for that URL, and its form body.
type Message = (String, String, String);

/// Signed form bodies, made before the clock starts, sent to `urls` in turn.
fn messages(urls: &[String], count: u64, phones: u64, run: &str) -> Vec<Message> {
    (0..count)
        .map(|i| {
            let url = &urls[i as usize % urls.len()];
            let phone = format!("+1555{:07}", i % phones);
            let body = CONVERSATION[((i / phones) % CONVERSATION.len() as u64) as usize];
            let sid = format!("SM{run}{i:030}");
            let params: Vec<(String, String)> = [
                ("MessageSid", sid.as_str()),
                ("AccountSid", "ACbench"),
                ("From", phone.as_str()),
                ("To", LINE),
                ("Body", body),
                ("NumMedia", "0"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            let signature = twilio::signature(TOKEN, url, &params);
            let form = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&params)
                .finish();
            (url.clone(), signature, form)
        })
        .collect()
}

async fn post_one(http: &reqwest::Client, (url, signature, form): &Message) -> Duration {
    let started = Instant::now();
    let response = http
        .post(url)
        .header("X-Twilio-Signature", signature)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form.clone())
        .send()
        .await
        .expect("the service answers");
    assert_eq!(response.status(), 200);
    started.elapsed()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

/// CPU time so far, in seconds, of this process (the load and the service) and of every process
/// named `postgres` on the machine (the database server, when it runs here), from Linux's /proc;
/// zeros elsewhere. Times there are in ticks of 1/100 s.
fn cpu_seconds() -> (f64, f64) {
    let ticks = |stat: &str| -> Option<(String, f64)> {
        let (name, rest) = stat.split_once(" (")?.1.rsplit_once(") ")?;
        let fields: Vec<&str> = rest.split(' ').collect();
        let user: f64 = fields.get(11)?.parse().ok()?;
        let system: f64 = fields.get(12)?.parse().ok()?;
        Some((name.to_string(), (user + system) / 100.0))
    };
    let own = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| ticks(&s))
        .map_or(0.0, |(_, t)| t);
    let database = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
        .filter_map(|stat| ticks(&stat))
        .filter(|(name, _)| name == "postgres")
        .map(|(_, t)| t)
        .sum();
    (own, database)
}

/// As fast as `concurrency` senders can go.
async fn throughput(target: &Target, count: u64, concurrency: u64) -> (f64, Vec<Duration>) {
    let http = reqwest::Client::new();
    let work = Arc::new(messages(&target.urls, count, 1000, "T"));
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (http, work, next) = (http.clone(), work.clone(), next.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(msg) = work.get(i) else { break };
                latencies.push(post_one(&http, msg).await);
            }
            latencies
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = tasks.join_next().await {
        latencies.extend(done.unwrap());
    }
    (count as f64 / started.elapsed().as_secs_f64(), latencies)
}

/// A steady `rate` per second for `seconds`, each message sent on schedule.
async fn fixed_rate(target: &Target, rate: u64, seconds: u64) -> Vec<Duration> {
    let http = reqwest::Client::new();
    let work = messages(&target.urls, rate * seconds, 2000, "R");
    let mut interval = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = tokio::task::JoinSet::new();
    for msg in work {
        interval.tick().await;
        let http = http.clone();
        tasks.spawn(async move { post_one(&http, &msg).await });
    }
    let mut latencies = Vec::new();
    while let Some(done) = tasks.join_next().await {
        latencies.push(done.unwrap());
    }
    latencies
}

/// What one target did.
struct Figures {
    name: String,
    per_second: f64,
    p50: f64,
    p99: f64,
    steady_p99: f64,
}

/// Drives `target` as fast as it goes, lets its replies go out, then at the steady rate.
async fn measure(name: &str, target: Target) -> Figures {
    let count = env_or("AIDLINE_BENCH_MESSAGES", 20_000);
    let concurrency = env_or("AIDLINE_BENCH_CONCURRENCY", 64);
    let rate = env_or("AIDLINE_BENCH_RATE", 1000);
    let seconds = env_or("AIDLINE_BENCH_SECONDS", 5);

    let (cpu_before, started) = (cpu_seconds(), Instant::now());
    let (per_second, mut latencies) = throughput(&target, count, concurrency).await;
    let (cpu_after, elapsed) = (cpu_seconds(), started.elapsed().as_secs_f64());
    latencies.sort();
    let (p50, p99) = (percentile(&latencies, 0.50), percentile(&latencies, 0.99));
    println!(
        "{name}: throughput {per_second:.0} messages/s ({count} messages, {concurrency} senders), p50 {p50:.2} ms, p99 {p99:.2} ms"
    );
    println!(
        "{name}: cores busy meanwhile: {:.2} in this process (the load and the service), {:.2} in PostgreSQL's processes, of {} on the machine",
        (cpu_after.0 - cpu_before.0) / elapsed,
        (cpu_after.1 - cpu_before.1) / elapsed,
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    if target.db.is_some() {
        // The replies are still going out; let them, so the steady run is not measuring this
        // one's tail.
        let drain = target.outbox_drained().await;
        println!(
            "{name}: the outbox finished sending {count} replies {:.2} s after the last webhook",
            drain.as_secs_f64()
        );
    }
    let mut latencies = fixed_rate(&target, rate, seconds).await;
    latencies.sort();
    let steady_p99 = percentile(&latencies, 0.99);
    println!(
        "{name}: at {rate} messages/s for {seconds} s, p50 {:.2} ms, p90 {:.2} ms, p99 {steady_p99:.2} ms, max {:.2} ms",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 1.0)
    );
    target.shutdown.cancel();
    Figures {
        name: name.to_string(),
        per_second,
        p50,
        p99,
        steady_p99,
    }
}

fn summary(bare: &Figures, runs: &[Figures]) {
    let rate = env_or("AIDLINE_BENCH_RATE", 1000);
    println!();
    println!(
        "{:<22} {:>10} {:>9} {:>9} {:>9} {:>15}",
        "",
        "messages/s",
        "of bare",
        "p50 ms",
        "p99 ms",
        format!("p99 at {rate}/s")
    );
    for f in std::iter::once(bare).chain(runs) {
        println!(
            "{:<22} {:>10.0} {:>8.1}% {:>9.2} {:>9.2} {:>12.2} ms",
            f.name,
            f.per_second,
            100.0 * f.per_second / bare.per_second,
            f.p50,
            f.p99,
            f.steady_p99
        );
    }
    let one = runs.iter().find(|f| f.name == "postgres");
    let two = runs.iter().find(|f| f.name == TWO_COPIES);
    if let (Some(one), Some(two)) = (one, two) {
        println!(
            "two copies on PostgreSQL handle {:.2} times what one copy does",
            two.per_second / one.per_second
        );
    }
}

const TWO_COPIES: &str = "postgres, two copies";

#[tokio::main]
async fn main() {
    let bare = measure("bare axum handler", start_bare().await).await;
    let runs = std::cell::RefCell::new(Vec::new());
    on_each_database(async |name: &str, database_url: &str| {
        let figures = measure(name, start(database_url, 1).await).await;
        runs.borrow_mut().push(figures);
        if name == "postgres" {
            // A database of its own, as fresh as the one copy's was.
            let db = TestDb::create(Backend::Postgres)
                .await
                .expect("PostgreSQL is set");
            let figures = measure(TWO_COPIES, start(&db.url, 2).await).await;
            runs.borrow_mut().push(figures);
        }
    })
    .await;
    summary(&bare, &runs.into_inner());
}

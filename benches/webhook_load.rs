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

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aidline::clock::Clock;
use aidline::gateway::twilio;
use tokio_util::sync::CancellationToken;

mod support;
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

struct Target {
    url: String,
    db: aidline::store::Db,
    shutdown: CancellationToken,
}

impl Target {
    /// Waits for the outbox worker to send every queued reply; returns how long that took.
    async fn outbox_drained(&self) -> Duration {
        let started = Instant::now();
        loop {
            let queued: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM outbound_messages WHERE state = 'queued'")
                    .fetch_one(self.db.pool())
                    .await
                    .unwrap();
            if queued == 0 {
                return started.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn start(database_url: &str) -> Target {
    let (app, listener, base) = support::build(database_url, Clock::default()).await;
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    let db = app.state.db.clone();
    tokio::spawn(async move { app.serve(listener, token).await.unwrap() });
    Target {
        url: format!("{base}/webhooks/twilio/sms"),
        db,
        shutdown,
    }
}

/// Signed form bodies, made before the clock starts.
fn messages(url: &str, count: u64, phones: u64, run: &str) -> Vec<(String, String)> {
    (0..count)
        .map(|i| {
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
            (signature, form)
        })
        .collect()
}

async fn post_one(
    http: &reqwest::Client,
    url: &str,
    (signature, form): &(String, String),
) -> Duration {
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

/// As fast as `concurrency` senders can go.
async fn throughput(target: &Target, count: u64, concurrency: u64) -> (f64, Vec<Duration>) {
    let http = reqwest::Client::new();
    let work = Arc::new(messages(&target.url, count, 1000, "T"));
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (http, work, next, url) =
            (http.clone(), work.clone(), next.clone(), target.url.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(msg) = work.get(i) else { break };
                latencies.push(post_one(&http, &url, msg).await);
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
    let work = messages(&target.url, rate * seconds, 2000, "R");
    let mut interval = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = tokio::task::JoinSet::new();
    for msg in work {
        interval.tick().await;
        let (http, url) = (http.clone(), target.url.clone());
        tasks.spawn(async move { post_one(&http, &url, &msg).await });
    }
    let mut latencies = Vec::new();
    while let Some(done) = tasks.join_next().await {
        latencies.push(done.unwrap());
    }
    latencies
}

async fn run(name: &str, database_url: &str) {
    let count = env_or("AIDLINE_BENCH_MESSAGES", 20_000);
    let concurrency = env_or("AIDLINE_BENCH_CONCURRENCY", 64);
    let rate = env_or("AIDLINE_BENCH_RATE", 1000);
    let seconds = env_or("AIDLINE_BENCH_SECONDS", 5);
    let target = start(database_url).await;

    let (per_second, mut latencies) = throughput(&target, count, concurrency).await;
    latencies.sort();
    println!(
        "{name}: throughput {per_second:.0} messages/s ({count} messages, {concurrency} senders), p50 {:.2} ms, p99 {:.2} ms",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99)
    );
    // The replies are still going out; let them, so the next run is not measuring this one's tail.
    let drain = target.outbox_drained().await;
    println!(
        "{name}: the outbox finished sending {count} replies {:.2} s after the last webhook",
        drain.as_secs_f64()
    );
    let mut latencies = fixed_rate(&target, rate, seconds).await;
    latencies.sort();
    println!(
        "{name}: at {rate} messages/s for {seconds} s, p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    target.shutdown.cancel();
}

#[tokio::main]
async fn main() {
    on_each_database(run).await;
}

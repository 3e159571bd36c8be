//! Call benchmark: callers walking the intake by keypad and speech, each turn a signed Twilio
//! voice webhook answered with the next TwiML document, over loopback.
//!
//! Run: `cargo bench --bench call_steps` (SQLite; PostgreSQL too when AIDLINE_TEST_POSTGRES_URL
//! is set). Options: AIDLINE_BENCH_CALLS (default 1000 calls of ten turns each) and
//! AIDLINE_BENCH_CONCURRENCY (default 200 calls at once).
//!
//! Every turn goes the whole way: signature check, stored, taken through the flow under the
//! caller's lock (the last one files a request), its replies kept as spoken, the caller's
//! conversation read back, and the document written.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aidline::clock::Clock;
use aidline::gateway::twilio;
use tokio_util::sync::CancellationToken;

mod support;
use support::{LINE, TOKEN, env_or, on_each_database};

/// What each caller gives, turn by turn: the call starting, English, groceries, a list said, a
/// household typed, a zip code typed, cross streets said, two questions skipped, a name said.
const TURNS: [(&str, &str); 10] = [
    ("CallStatus", "ringing"),
    ("Digits", "1"),
    ("Digits", "1"),
    ("SpeechResult", "milk, bread and rice"),
    ("Digits", "3#"),
    ("Digits", "02139#"),
    ("SpeechResult", "Oak and 3rd"),
    ("Digits", "*"),
    ("Digits", "*"),
    ("SpeechResult", "Sam"),
];

/// One turn, signed for the address it goes to.
struct Turn {
    url: String,
    signature: String,
    form: String,
}

/// Every turn of call `n`, made before the clock starts.
fn call(base: &str, n: u64) -> Vec<Turn> {
    let sid = format!("CA{n:032}");
    let phone = format!("+1555{:07}", n);
    TURNS
        .iter()
        .enumerate()
        .map(|(turn, (field, value))| {
            let url = match turn {
                0 => format!("{base}/webhooks/twilio/voice"),
                _ => format!("{base}/webhooks/twilio/voice?turn={turn}&quiet=0"),
            };
            let params: Vec<(String, String)> = [
                ("CallSid", sid.as_str()),
                ("AccountSid", "ACbench"),
                ("From", phone.as_str()),
                ("To", LINE),
                (field, value),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            let signature = twilio::signature(TOKEN, &url, &params);
            let form = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&params)
                .finish();
            Turn {
                url,
                signature,
                form,
            }
        })
        .collect()
}

async fn take(http: &reqwest::Client, turn: &Turn) -> Duration {
    let started = Instant::now();
    let response = http
        .post(&turn.url)
        .header("X-Twilio-Signature", &turn.signature)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(turn.form.clone())
        .send()
        .await
        .expect("the service answers");
    assert_eq!(response.status(), 200);
    let twiml = response.text().await.unwrap();
    assert!(twiml.contains("<Response>"), "{twiml}");
    started.elapsed()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

async fn run(name: &str, database_url: &str) {
    let calls = env_or("AIDLINE_BENCH_CALLS", 1000);
    let concurrency = env_or("AIDLINE_BENCH_CONCURRENCY", 200);
    let (app, listener, base) = support::build(database_url, Clock::default()).await;
    let db = app.state.db.clone();
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    tokio::spawn(async move { app.serve(listener, token).await.unwrap() });

    let work: Arc<Vec<Vec<Turn>>> = Arc::new((0..calls).map(|n| call(&base, n)).collect());
    let next = Arc::new(AtomicU64::new(0));
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (http, work, next) = (http.clone(), work.clone(), next.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            // Each task is one caller at a time, turn after turn, as a call is.
            while let Some(turns) = work.get(next.fetch_add(1, Ordering::Relaxed) as usize) {
                for turn in turns {
                    latencies.push(take(&http, turn).await);
                }
            }
            latencies
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = tasks.join_next().await {
        latencies.extend(done.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let filed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM requests")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(filed as u64, calls, "every call filed its request");
    println!(
        "{name}: {:.0} call turns/s ({calls} calls of {} turns, {concurrency} at once), p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len() as f64 / elapsed,
        TURNS.len(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    shutdown.cancel();
}

#[tokio::main]
async fn main() {
    on_each_database(run).await;
}

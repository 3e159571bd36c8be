//! Footprint benchmark: how long the service takes to start with twenty flows, and how much memory
//! it holds at rest, on an empty database and with 100,000 stored conversations.
//!
//! Run: `cargo bench --bench footprint` (SQLite; PostgreSQL too when AIDLINE_TEST_POSTGRES_URL is
//! set; Linux, as memory is read from /proc). Options: AIDLINE_BENCH_CONVERSATIONS (default
//! 100,000), AIDLINE_BENCH_STARTS (default 5), AIDLINE_BENCH_TOUCHED (default 2,000).
//!
//! The service runs as its own process, the release binary, as it does in production, so the
//! memory read is the service's alone: resident set size (VmRSS) after three seconds at rest, and
//! the peak (VmHWM). Start-up is timed from spawning the process to its first 200 from `/healthz`,
//! on a database already migrated, as a restart after an upgrade or a crash is; the flows folder
//! holds the shipped flows and copies of the intake flow, twenty flows in all. Stored
//! conversations are written straight into the database (a contact, a conversation halfway
//! through intake, three texts in and three out each); then AIDLINE_BENCH_TOUCHED of them carry
//! on through webhooks, to show what the service holds once it has worked on some of them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aidline::clock::Clock;
use aidline::gateway::twilio;
use aidline::store::Db;
use futures::StreamExt;

#[path = "support/drained.rs"]
mod drained;
mod support;
use support::{LINE, TOKEN, env_or, on_each_database};

const FLOWS: usize = 20;
const AT_REST: Duration = Duration::from_secs(3);

/// A running copy of the service, stopped when dropped.
struct Service {
    child: Child,
}

impl Service {
    /// Starts the service and waits for its first healthy answer; returns it with how long that
    /// took.
    async fn start(config: &Path, base: &str, log: &Path) -> (Service, Duration) {
        let log = std::fs::File::create(log).unwrap();
        let started = Instant::now();
        let child = Command::new(env!("CARGO_BIN_EXE_aidline"))
            .arg("--config")
            .arg(config)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the service starts");
        let service = Service { child };
        let http = reqwest::Client::new();
        let health = format!("{base}/healthz");
        loop {
            if let Ok(answer) = http.get(&health).send().await
                && answer.status() == 200
            {
                return (service, started.elapsed());
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the service did not become healthy"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Resident and peak memory in MiB, as the kernel counts them.
    fn memory(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("Linux's /proc");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kb| kb.parse::<f64>().ok())
                .expect("a memory figure")
                / 1024.0
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        // SIGTERM, so it shuts down as it would under systemd; then reap it.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// The shipped flows plus copies of the intake flow, `FLOWS` in all.
fn twenty_flows(dir: &Path) {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("flows");
    let mut count = 0;
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            count += usize::from(text.contains("\n[flow]"));
        }
    }
    let intake = std::fs::read_to_string(shipped.join("intake.toml")).unwrap();
    for n in count..FLOWS {
        let copy = intake.replace("id = \"intake\"", &format!("id = \"intake_{n:02}\""));
        std::fs::write(dir.join(format!("intake_{n:02}.toml")), copy).unwrap();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `conversations` neighbours, each halfway through intake with three texts each way.
async fn store_conversations(db: &Db, conversations: u64, now: i64) {
    let mut tx = db.pool().begin().await.unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         INSERT INTO contacts (phone, language, created_at, last_seen_at) \
         SELECT '+1555' || (2000000 + i), 'en', $2, $2 FROM n",
    )
    .bind(conversations as i64)
    .bind(now)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO sessions (contact_id, line, flow_id, state, language, answers, attempts, \
         started_at, updated_at) \
         SELECT id, $1, 'intake', 'items', 'en', '{\"language\":\"en\",\"need\":\"groceries\"}', 0, $2, $2 \
         FROM contacts",
    )
    .bind(LINE)
    .bind(now)
    .execute(&mut *tx)
    .await
    .unwrap();
    let three = "(SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3) AS three";
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO inbound_messages (gateway, gateway_id, line, contact_id, body, received_at, \
         handled_at, outcome, channel) \
         SELECT 'twilio', 'SMstored' || contacts.id || '_' || k, $1, contacts.id, \
         'a stored text from a neighbour', $2, $2, 'flow', 'sms' FROM contacts, {three}"
    )))
    .bind(LINE)
    .bind(now)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO outbound_messages (contact_id, line, to_phone, body, kind, state, attempts, \
         next_attempt_at, gateway_id, created_at, updated_at) \
         SELECT contacts.id, $1, contacts.phone, 'A stored reply from the line, one text long.', \
         'reply', 'sent', 1, $2, 'SMsent' || contacts.id || '_' || k, $2, $2 FROM contacts, {three}"
    )))
    .bind(LINE)
    .bind(now)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// The next text of `count` stored conversations, through signed webhooks, 32 at a time; waits
/// until every reply has gone out.
async fn carry_on(db: &Db, base: &str, count: u64) {
    let url = format!("{base}/webhooks/twilio/sms");
    let http = reqwest::Client::new();
    let mut posts = futures::stream::iter(0..count)
        .map(|i| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let params: Vec<(String, String)> = [
                    ("MessageSid", format!("SMtouch{i:028}")),
                    ("AccountSid", "ACbench".to_string()),
                    ("From", format!("+1555{}", 2_000_001 + i)),
                    ("To", LINE.to_string()),
                    ("Body", "bread, milk".to_string()),
                    ("NumMedia", "0".to_string()),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
                let signature = twilio::signature(TOKEN, &url, &params);
                let answer = http
                    .post(&url)
                    .header("X-Twilio-Signature", signature)
                    .form(&params)
                    .send()
                    .await
                    .expect("the service answers");
                assert_eq!(answer.status(), 200);
            }
        })
        .buffer_unordered(32);
    while posts.next().await.is_some() {}
    drained::outbox_drained(db).await;
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn run(name: &str, database_url: &str) {
    let conversations = env_or("AIDLINE_BENCH_CONVERSATIONS", 100_000);
    let starts = env_or("AIDLINE_BENCH_STARTS", 5).max(1);
    let touched = env_or("AIDLINE_BENCH_TOUCHED", 2_000).min(conversations);

    // Migrated by building the service in this process; it is never served from here.
    let (app, _, _) = support::build(database_url, Clock::default()).await;
    let db = app.state.db.clone();
    let dir = tempfile::tempdir().unwrap();
    let flows = dir.path().join("flows");
    std::fs::create_dir(&flows).unwrap();
    twenty_flows(&flows);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let api = support::mock_twilio().await;
    let config: PathBuf = dir.path().join("aidline.toml");
    std::fs::write(
        &config,
        format!(
            "bind = \"127.0.0.1:{port}\"\nflows_dir = \"{}\"\n{}",
            flows.display(),
            support::settings(database_url, &base, TOKEN, &api)
        ),
    )
    .unwrap();
    let log = dir.path().join("service.log");

    let mut times = Vec::new();
    for _ in 0..starts {
        let (service, took) = Service::start(&config, &base, &log).await;
        times.push(took);
        drop(service);
    }
    times.sort();
    println!(
        "{name}: start-up with {FLOWS} flows, {starts} starts: fastest {:.0} ms, median {:.0} ms, slowest {:.0} ms",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );

    let (service, _) = Service::start(&config, &base, &log).await;
    tokio::time::sleep(AT_REST).await;
    let (rest, _) = service.memory();
    drop(service);
    println!("{name}: at rest on an empty database: {rest:.1} MiB resident");

    let stored = Instant::now();
    store_conversations(&db, conversations, Clock::default().now_ms()).await;
    println!(
        "{name}: stored {conversations} conversations in {:.1} s",
        stored.elapsed().as_secs_f64()
    );
    let (service, took) = Service::start(&config, &base, &log).await;
    tokio::time::sleep(AT_REST).await;
    let (rest, _) = service.memory();
    println!(
        "{name}: with {conversations} stored conversations: started in {:.0} ms, {rest:.1} MiB resident at rest",
        ms(took)
    );
    carry_on(&db, &base, touched).await;
    tokio::time::sleep(AT_REST).await;
    let (after, peak) = service.memory();
    println!(
        "{name}: after {touched} of them carried on by text: {after:.1} MiB resident at rest, peak {peak:.1} MiB"
    );
}

#[tokio::main]
async fn main() {
    on_each_database(run).await;
}

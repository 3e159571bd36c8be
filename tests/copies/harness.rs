//! Copies of the real `aidline` binary, each its own OS process with its own settings file, on one
//! database, with a stand-in for the Twilio Messages API that records every send.

#[path = "../support/test_db.rs"]
mod test_db;
pub use test_db::{Backend, TestDb};
#[path = "../support/intake.rs"]
mod intake;
pub use intake::INTAKE;

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aidline::gateway::twilio;
use reqwest::StatusCode;
use sqlx::AnyPool;

use crate::stand_in::StandIn;

pub const LINE: &str = "+15550009999";
pub const ACCOUNT: &str = "ACtest0000000000000000000000000000";
pub const TOKEN: &str = "test-auth-token";
/// Every copy has the same public address, as behind a load balancer: a webhook signed for it is
/// good at any copy.
pub const PUBLIC_URL: &str = "http://aidline.test";
pub const PASSWORD: &str = "a long enough password";

/// How the copies are set up.
pub struct Setup {
    /// The flows folder, relative to the crate.
    pub flows: &'static str,
    pub flow: &'static str,
    /// More settings for the line, such as its pace (unlimited without one).
    pub line: &'static str,
    /// More settings tables, written after the line.
    pub tables: String,
    /// How long the stand-in takes to answer each send.
    pub send_delay: Duration,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            flows: "flows",
            flow: "intake",
            line: "",
            tables: String::new(),
            send_delay: Duration::ZERO,
        }
    }
}

/// One running copy; killed when dropped, so no test leaves a process behind, even one that
/// panicked.
struct Running {
    child: Child,
    base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The service: its copies, its database and the provider it sends through.
pub struct Service {
    pub api: StandIn,
    /// Connected on first use: a SQLite file exists only once the first copy has made it.
    db: tokio::sync::OnceCell<AnyPool>,
    url: String,
    copies: Mutex<Vec<Option<Running>>>,
    config: PathBuf,
    log: PathBuf,
    http: reqwest::Client,
    // Dropped last: the processes go first, then the database and the folder they used.
    _test_db: TestDb,
    dir: tempfile::TempDir,
}

impl Service {
    /// Starts `copies` copies, the first alone so that it alone applies the migrations.
    pub async fn start(test_db: TestDb, setup: Setup, copies: usize) -> Service {
        let api = StandIn::start(setup.send_delay).await;
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("aidline.toml");
        let settings = settings(&test_db.url, &api.uri, &setup);
        std::fs::write(&config, settings).unwrap();
        let service = Service {
            api,
            db: tokio::sync::OnceCell::new(),
            url: test_db.url.clone(),
            copies: Mutex::new(Vec::new()),
            config,
            log: dir.path().join("copies.log"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .unwrap(),
            _test_db: test_db,
            dir,
        };
        for n in 0..copies {
            service.copies.lock().unwrap().push(None);
            service.restart(n).await;
        }
        service
    }

    /// Starts copy `n` (again) on a port of its own, with its own settings file, and waits until
    /// it answers.
    pub async fn restart(&self, n: usize) {
        let port = free_port();
        let config = self.dir.path().join(format!("copy-{n}.toml"));
        std::fs::copy(&self.config, &config).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        writeln!(&log, "== copy {n} starts on port {port}").unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_aidline"))
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .env("AIDLINE_BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        self.copies.lock().unwrap()[n] = Some(Running {
            child,
            base: base.clone(),
        });
        let health = format!("{base}/healthz");
        eventually(&format!("copy {n} to answer"), || async {
            let answer = self.http.get(&health).send().await;
            answer.is_ok_and(|r| r.status() == StatusCode::OK)
        })
        .await;
    }

    /// Kills copy `n` the way a power cut would: SIGKILL, nothing tidied up.
    pub fn kill(&self, n: usize) {
        let copy = self.copies.lock().unwrap()[n].take();
        drop(copy);
    }

    /// Where copy `n` is reached, or `None` while it is down.
    pub fn base(&self, n: usize) -> Option<String> {
        let copies = self.copies.lock().unwrap();
        copies[n].as_ref().map(|c| c.base.clone())
    }

    pub fn copies(&self) -> usize {
        self.copies.lock().unwrap().len()
    }

    /// A neighbour texts the line through copy `n`; asserts the provider would see success.
    pub async fn text(&self, n: usize, from: &str, body: &str) {
        let status = self.post_text(n, from, body, &new_sid()).await;
        assert_eq!(status, Ok(StatusCode::OK), "a text to copy {n}");
    }

    /// Posts one signed webhook for a text to copy `n`; what the provider would see, or why the
    /// copy could not be reached.
    pub async fn post_text(
        &self,
        n: usize,
        from: &str,
        body: &str,
        sid: &str,
    ) -> Result<StatusCode, String> {
        let base = self.base(n).ok_or("the copy is down")?;
        let params = inbound_params(from, body, sid);
        let path = "/webhooks/twilio/sms";
        let signature = twilio::signature(TOKEN, &format!("{PUBLIC_URL}{path}"), &params);
        let answer = self
            .http
            .post(format!("{base}{path}"))
            .header("X-Twilio-Signature", signature)
            .form(&params)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        Ok(answer.status())
    }

    /// Runs `aidline ARGS` on the copies' settings, with `input` on standard input.
    pub fn command(&self, args: &[&str], input: &str) -> String {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aidline"))
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let done = child.wait_with_output().unwrap();
        let said = String::from_utf8_lossy(&done.stdout).into_owned();
        let err = String::from_utf8_lossy(&done.stderr);
        assert!(done.status.success(), "aidline {args:?}: {said}{err}");
        said
    }

    /// Puts volunteers on the roster, as a CSV file would: (phone, name) in the northside zone,
    /// able to hold many jobs at once.
    pub fn volunteers(&self, volunteers: &[(&str, &str)]) {
        let mut csv = String::from("phone,name,zones,languages,max_open_jobs\n");
        for (phone, name) in volunteers {
            csv.push_str(&format!("{phone},{name},northside,en,20\n"));
        }
        let file = self.dir.path().join("roster.csv");
        std::fs::write(&file, csv).unwrap();
        self.command(&["volunteers", "import", file.to_str().unwrap()], "");
    }

    /// Files a request as neighbour `from` would, alternating between the copies.
    pub async fn file_request(&self, from: &str) {
        for (i, text) in INTAKE.iter().enumerate() {
            self.text(i % self.copies(), from, text).await;
        }
    }

    /// The copies' database, to look at what they did.
    pub async fn db(&self) -> &AnyPool {
        self.db.get_or_init(|| connect(&self.url)).await
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(self.db().await)
            .await
            .unwrap()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!("---- what the copies logged ----\n{log}");
        }
    }
}

/// Waits until `check` holds, asking every 50 ms, for at most 20 seconds.
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    within(Duration::from_secs(20), what, check).await
}

/// Waits until `check` holds, asking every 50 ms, for at most `limit`.
pub async fn within<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "waited {limit:?} for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn new_sid() -> String {
    format!("SM{:032x}", rand::random::<u128>())
}

fn inbound_params(from: &str, body: &str, sid: &str) -> Vec<(String, String)> {
    [
        ("SmsMessageSid", sid),
        ("NumMedia", "0"),
        ("SmsSid", sid),
        ("SmsStatus", "received"),
        ("Body", body),
        ("To", LINE),
        ("NumSegments", "1"),
        ("MessageSid", sid),
        ("AccountSid", ACCOUNT),
        ("From", from),
        ("ApiVersion", "2010-04-01"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn settings(database_url: &str, api: &str, setup: &Setup) -> String {
    let flows = format!("{}/{}", env!("CARGO_MANIFEST_DIR"), setup.flows);
    let pace = if setup.line.contains("segments_per_second") {
        ""
    } else {
        "segments_per_second = \"unlimited\""
    };
    format!(
        r#"
        database_url = "{database_url}"
        public_url = "{PUBLIC_URL}"
        flows_dir = "{flows}"
        [outbox]
        poll_interval_ms = 200
        [[lines]]
        number = "{LINE}"
        gateway = "twilio"
        flow = "{flow}"
        {pace}
        {line}
        [lines.twilio]
        account_sid = "{ACCOUNT}"
        auth_token = "{TOKEN}"
        api_base = "{api}"
        {tables}
        "#,
        flow = setup.flow,
        line = setup.line,
        tables = setup.tables,
    )
}

async fn connect(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(4)
        .connect(url)
        .await
        .unwrap()
}

/// A port nobody listens on now, for a copy to bind.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

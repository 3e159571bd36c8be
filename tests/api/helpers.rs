//! A running aidline for tests: a real HTTP server on a loopback port, a real database (a fresh
//! SQLite file, or a fresh PostgreSQL database when AIDLINE_TEST_POSTGRES_URL is set) and a mock
//! Twilio API that records what we send.

#[path = "../support/test_db.rs"]
mod test_db;
pub use test_db::{Backend, TestDb};
#[path = "../support/intake.rs"]
mod intake;
pub use intake::INTAKE;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use aidline::app::App;
use aidline::clock::Clock;
use aidline::config::Settings;
use aidline::demo::Welcome;
use aidline::gateway::twilio;
use aidline::outbox::Outbox;
use aidline::privacy::at_providers::Deleter;
use aidline::store::{Db, requests};
use aidline::voice::recordings::Copier;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const LINE: &str = "+15550009999";
/// The built-in console line's number.
pub const CONSOLE_LINE: &str = "+15550100100";
pub const ACCOUNT: &str = "ACtest0000000000000000000000000000";
pub const TOKEN: &str = "test-auth-token";
pub const MESSAGES_PATH: &str =
    "/2010-04-01/Accounts/ACtest0000000000000000000000000000/Messages.json";

/// Writes one test per database for each scenario: `scenario::sqlite` and `scenario::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($(async fn $name:ident($db:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn scenario($db: $crate::helpers::TestDb) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                scenario($crate::helpers::TestDb::create($crate::helpers::Backend::Sqlite).await.unwrap()).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = $crate::helpers::TestDb::create($crate::helpers::Backend::Postgres).await else {
                    return;
                };
                scenario(db).await
            }
        }
    )*};
}

/// How a test wants its service set up.
pub struct Options {
    pub flows_dir: String,
    pub flow: &'static str,
    /// More settings for the Twilio line (without `segments_per_second` it is not rate-limited).
    pub extra_line_settings: String,
    /// More `[[lines]]`, for other providers; `{api}` in it stands for the mock API's address.
    pub extra_lines: String,
    /// More settings tables (`[dispatch]`...), written after the lines.
    pub extra_settings: String,
    /// More top-level settings (`reload_secret = "..."`), written before any table.
    pub top_settings: String,
    /// When false the test sends due texts itself with [`TestApp::send_due`], so nothing happens
    /// behind its back.
    pub background_worker: bool,
    /// When false the test fires due timers and recovers unhandled texts itself
    /// (`app.intake.fire_due_timers()`, `app.intake.recover()`), as it sends due texts.
    pub timed_passes: bool,
    /// Whether the service has the built-in console line besides the Twilio one, open to texts.
    pub console_line: bool,
    /// Runs as the demo does when started with no settings file.
    pub demo: bool,
    /// Requests come through a reverse proxy that names the client (`behind_proxy`).
    pub behind_proxy: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            flows_dir: "flows".into(),
            flow: "intake",
            extra_line_settings: String::new(),
            extra_lines: String::new(),
            extra_settings: String::new(),
            top_settings: String::new(),
            background_worker: false,
            timed_passes: false,
            console_line: true,
            demo: false,
            behind_proxy: false,
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    /// Stands in for every provider's API: each test line's `api_base` points here.
    pub api: MockServer,
    pub db: Db,
    pub clock: Clock,
    pub intake: aidline::intake::Intake,
    pub outbox: Option<Outbox>,
    /// The recording copier, driven by the test unless the app runs its own workers.
    pub recordings: Option<Copier>,
    /// Deletes forgotten people's texts at the providers, driven by the test likewise.
    pub provider_deletions: Option<Deleter>,
    pub settings: Settings,
    /// In demo mode: how to sign in to the demo.
    pub demo: Option<Welcome>,
    shutdown: CancellationToken,
    server: Option<JoinHandle<()>>,
    pub test_db: TestDb,
}

/// A text the mock Twilio API was asked to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub from: String,
    pub to: String,
    pub body: String,
}

impl TestApp {
    pub async fn spawn(db: TestDb) -> TestApp {
        Self::spawn_with(db, Options::default()).await
    }

    /// A service with more lines besides the Twilio and console ones (`Options::extra_lines`).
    pub async fn spawn_with_lines(db: TestDb, extra_lines: String) -> TestApp {
        let options = Options {
            extra_lines,
            ..Options::default()
        };
        Self::spawn_with(db, options).await
    }

    /// Has the mock provider API answer every POST to `path` with `answer`, behind any one-off
    /// answer a test mounts with a higher priority.
    pub async fn answer_sends(&self, path_: &str, answer: impl wiremock::Respond + 'static) {
        Mock::given(method("POST"))
            .and(path(path_))
            .respond_with(answer)
            .with_priority(10)
            .mount(&self.api)
            .await;
    }

    /// The provider refuses the next send to `path` with `status` (saying when to come back, if
    /// `retry_after` is given) and `body`.
    pub async fn refuse_next_send(
        &self,
        path_: &str,
        status: u16,
        retry_after: Option<u64>,
        body: serde_json::Value,
    ) {
        let mut refusal = ResponseTemplate::new(status).set_body_json(body);
        if let Some(seconds) = retry_after {
            refusal = refusal.insert_header("Retry-After", seconds.to_string());
        }
        Mock::given(method("POST"))
            .and(path(path_))
            .respond_with(refusal)
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&self.api)
            .await;
    }

    /// The newest text met a refusal worth retrying: it waits (as long as the provider asked, if
    /// it did) and goes out on the next try.
    pub async fn assert_sent_on_retry(&self, retry_after: Option<u64>) {
        let newest = || async {
            let row: (String, i64, Option<String>) = sqlx::query_as(
                "SELECT state, attempts, gateway_id FROM outbound_messages ORDER BY id DESC LIMIT 1",
            )
            .fetch_one(self.db.pool())
            .await
            .unwrap();
            row
        };
        assert_eq!(self.send_due().await, 1);
        assert_eq!(newest().await.0, "queued");
        assert_eq!(self.send_due().await, 0, "not straight away");
        if let Some(seconds) = retry_after {
            self.clock
                .advance(std::time::Duration::from_secs(seconds - 1));
            assert_eq!(
                self.send_due().await,
                0,
                "the provider asked for {seconds} seconds"
            );
        }
        self.clock.advance(std::time::Duration::from_secs(2));
        assert_eq!(self.send_due().await, 1);
        let (state, attempts, gateway_id) = newest().await;
        assert_eq!((state.as_str(), attempts), ("sent", 2));
        assert!(gateway_id.is_some());
    }

    pub async fn spawn_with(db: TestDb, options: Options) -> TestApp {
        let twilio = MockServer::start().await;
        Self::start(db, options, twilio).await
    }

    /// Starts the service over a database that may already hold data (a restart).
    pub async fn start(test_db: TestDb, options: Options, twilio: MockServer) -> TestApp {
        accept_sends(&twilio).await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let config = format!(
            r#"
            database_url = "{db}"
            public_url = "{base}"
            flows_dir = "{flows}"
            console_texts = {console_line}
            {top_settings}
            [outbox]
            poll_interval_ms = 20
            retry_base_ms = 1000
            max_delay_ms = 60000
            max_attempts = 3
            send_timeout_ms = 5000
            [[lines]]
            number = "{LINE}"
            gateway = "twilio"
            flow = "{flow}"
            {extra}
            [lines.twilio]
            account_sid = "{ACCOUNT}"
            auth_token = "{TOKEN}"
            api_base = "{api}"
            {console}
            {extra_lines}
            {extra_settings}
            "#,
            extra_settings = options.extra_settings,
            top_settings = options.top_settings,
            console_line = options.console_line,
            console = if options.console_line {
                format!(
                    "[[lines]]\nnumber = \"{CONSOLE_LINE}\"\ngateway = \"console\"\nflow = \"{}\"",
                    options.flow
                )
            } else {
                String::new()
            },
            extra_lines = options.extra_lines.replace("{api}", &twilio.uri()),
            db = test_db.url,
            flows = options.flows_dir,
            flow = options.flow,
            extra = if options.extra_line_settings.contains("segments_per_second") {
                options.extra_line_settings.clone()
            } else {
                format!(
                    "segments_per_second = \"unlimited\"\n{}",
                    options.extra_line_settings
                )
            },
            api = twilio.uri(),
        );
        let mut settings = Settings::from_toml(&config).unwrap();
        settings.demo = options.demo;
        settings.behind_proxy = options.behind_proxy;
        // Time moves only when the test moves it: nothing comes due because the machine was slow.
        let clock = Clock::manual();
        let mut app = App::build(settings.clone(), clock.clone()).await.unwrap();
        app.timed_passes = options.timed_passes;
        let (outbox, recordings, provider_deletions) = if options.background_worker {
            (None, None, None)
        } else {
            let deleter = app.provider_deletions.take();
            (app.outbox.take(), app.recordings.take(), deleter)
        };
        let db = app.state.db.clone();
        let intake = app.state.intake.clone();
        let demo = app.demo.clone();
        let shutdown = CancellationToken::new();
        let token = shutdown.clone();
        let server = tokio::spawn(async move { app.serve(listener, token).await.unwrap() });
        TestApp {
            base,
            http: reqwest::Client::new(),
            api: twilio,
            db,
            clock,
            intake,
            outbox,
            recordings,
            provider_deletions,
            settings,
            demo,
            shutdown,
            server: Some(server),
            test_db,
        }
    }

    /// Stops the service the way SIGTERM does, and waits for it to finish.
    pub async fn stop(mut self) -> (TestDb, MockServer) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
        (self.test_db, self.api)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Posts `params` to `path` signed the way Twilio signs.
    pub async fn post_signed(&self, path: &str, params: &[(String, String)]) -> reqwest::Response {
        let url = self.url(path);
        let signature = twilio::signature(TOKEN, &url, params);
        self.http
            .post(url)
            .header("X-Twilio-Signature", signature)
            .form(params)
            .send()
            .await
            .unwrap()
    }

    /// Posts a raw body to `path` with the given headers, as any provider's webhook would.
    pub async fn post_raw(
        &self,
        path: &str,
        headers: &[(&str, String)],
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(self.url(path))
            .header("Content-Type", content_type)
            .body(body.into());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send().await.unwrap()
    }

    /// What the mock provider API received at `path`, in order.
    pub async fn api_requests(&self, path: &str) -> Vec<Request> {
        self.api
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path() == path)
            .collect()
    }

    pub fn inbound_params(&self, from: &str, body: &str, sid: &str) -> Vec<(String, String)> {
        [
            ("ToCountry", "US"),
            ("SmsMessageSid", sid),
            ("NumMedia", "0"),
            ("ToCity", ""),
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

    pub fn new_sid(&self) -> String {
        format!("SM{:032x}", rand::random::<u128>())
    }

    /// A neighbour texts the line through Twilio; asserts Twilio would see success.
    pub async fn text(&self, from: &str, body: &str) {
        let sid = self.new_sid();
        let response = self.text_with_sid(from, body, &sid).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }

    pub async fn text_with_sid(&self, from: &str, body: &str, sid: &str) -> reqwest::Response {
        let params = self.inbound_params(from, body, sid);
        self.post_signed("/webhooks/twilio/sms", &params).await
    }

    /// Sends every due text now (tests that took the worker).
    pub async fn send_due(&self) -> usize {
        self.outbox
            .as_ref()
            .expect("this app runs its own worker")
            .drain()
            .await
            .unwrap()
            .attempted
    }

    /// Copies every recording that is due from the provider (tests that took the copier).
    pub async fn copy_recordings(&self) -> usize {
        self.recordings
            .as_ref()
            .expect("this app runs its own copier")
            .copy_due()
            .await
            .unwrap()
    }

    /// Tries every deletion at the providers that is due now (tests that took the deleter).
    pub async fn delete_at_providers(&self) -> usize {
        self.provider_deletions
            .as_ref()
            .expect("this app runs its own deleter")
            .delete_due()
            .await
            .unwrap()
    }

    /// Everything the mock Twilio API was asked to send, in order.
    pub async fn sent(&self) -> Vec<Sent> {
        self.api
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path() == MESSAGES_PATH)
            .map(|r| {
                let form: BTreeMap<String, String> =
                    form_urlencoded::parse(&r.body).into_owned().collect();
                Sent {
                    from: form["From"].clone(),
                    to: form["To"].clone(),
                    body: form["Body"].clone(),
                }
            })
            .collect()
    }

    pub async fn sent_to(&self, to: &str) -> Vec<String> {
        self.sent()
            .await
            .into_iter()
            .filter(|s| s.to == to)
            .map(|s| s.body)
            .collect()
    }

    pub async fn requests(&self) -> Vec<requests::RequestSummary> {
        let mut conn = self.db.acquire().await.unwrap();
        requests::list(&mut conn, &requests::Filter::default())
            .await
            .unwrap()
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }
}

/// The Messages API answering 201 with a fresh MessageSid, as Twilio does.
pub async fn accept_sends(twilio: &MockServer) {
    static SID: AtomicU64 = AtomicU64::new(1);
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(|_: &Request| {
            let sid = format!("SM{:032x}", SID.fetch_add(1, Ordering::Relaxed));
            ResponseTemplate::new(201).set_body_json(serde_json::json!({
                "sid": sid, "status": "queued", "num_segments": "1"
            }))
        })
        .with_priority(10)
        .mount(twilio)
        .await;
}

/// Returns once some PostgreSQL session waits on a lock that the session `pid` holds.
pub async fn someone_waits_on(app: &TestApp, pid: i32) {
    let sql =
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid)))";
    let waiting = || {
        sqlx::query_scalar::<_, bool>(sql)
            .bind(pid)
            .fetch_one(app.db.pool())
    };
    while !waiting().await.unwrap() {}
}

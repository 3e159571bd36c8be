//! A provider's API misbehaving: failing, asking us to slow down, answering too slowly, dropping
//! connections. Every text still goes out once the API recovers, within its tries and the line's
//! pace, or ends failed where a dispatcher sees it. Service time moves with the test's clock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aidline::clock::Clock;
use aidline::outbox::{Outbox, OutboxSettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::*;
use crate::on_both_databases;

/// A worker for the app's lines with its own number of tries and send timeout; the test drives
/// it pass by pass.
fn outbox(app: &TestApp, max_attempts: u32, send_timeout_ms: u64) -> Outbox {
    let settings = OutboxSettings {
        poll_interval_ms: 20,
        retry_base_ms: 1000,
        max_delay_ms: 60_000,
        max_attempts,
        send_timeout_ms,
    };
    let public_url = app.settings.public_url.clone();
    let wake = Arc::new(Notify::new());
    Outbox::new(
        app.db.clone(),
        app.clock.clone(),
        settings,
        &app.settings.lines,
        public_url,
        wake,
    )
}

/// How many texts one pass of `outbox` tried.
async fn pass(outbox: &Outbox) -> usize {
    outbox.drain().await.unwrap().attempted
}

/// The provider answers the next `times` sends with `answer`, ahead of its usual acceptance.
async fn answer_next(app: &TestApp, times: u64, answer: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(answer)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(&app.api)
        .await;
}

async fn newest_text(app: &TestApp) -> (String, i64, Option<String>) {
    sqlx::query_as(
        "SELECT state, attempts, error_detail FROM outbound_messages ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

fn server_error() -> ResponseTemplate {
    ResponseTemplate::new(500).set_body_json(serde_json::json!({"message": "Internal error"}))
}

/// Moves the clock on by `ms` milliseconds.
fn wait_ms(app: &TestApp, ms: u64) {
    app.clock.advance(Duration::from_millis(ms));
}

on_both_databases! {
    async fn a_reply_meeting_two_server_errors_waits_out_each_backoff_and_goes_on_the_third_try(db) {
        let app = TestApp::spawn(db).await;
        let worker = outbox(&app, 3, 5000);
        answer_next(&app, 2, server_error()).await;
        app.text("+15557671001", "hi").await;

        assert_eq!(pass(&worker).await, 1);
        // The first retry waits a second, give or take a fifth.
        wait_ms(&app, 799);
        assert_eq!(pass(&worker).await, 0, "tried again before the back-off");
        wait_ms(&app, 401);
        assert_eq!(pass(&worker).await, 1);
        assert_eq!(newest_text(&app).await.0, "queued", "the second error keeps it waiting");
        // The second waits twice as long.
        wait_ms(&app, 1599);
        assert_eq!(pass(&worker).await, 0, "tried again before the doubled back-off");
        wait_ms(&app, 801);
        assert_eq!(pass(&worker).await, 1);

        assert_eq!(newest_text(&app).await.0, "sent");
        assert_eq!(newest_text(&app).await.1, 3);
        assert_eq!(app.api_requests(MESSAGES_PATH).await.len(), 3, "three tries reached Twilio");
        wait_ms(&app, 3_600_000);
        assert_eq!(pass(&worker).await, 0, "a sent text is never sent again");
    }

    async fn a_reply_twilio_never_takes_ends_failed_after_its_last_try_and_is_counted(db) {
        let app = TestApp::spawn(db).await;
        let worker = outbox(&app, 3, 5000);
        answer_next(&app, 100, server_error()).await;
        app.text("+15557671002", "hi").await;

        for _ in 0..3 {
            assert_eq!(pass(&worker).await, 1);
            wait_ms(&app, 60_000);
        }
        let (state, attempts, detail) = newest_text(&app).await;
        assert_eq!((state.as_str(), attempts), ("failed", 3));
        assert_eq!(detail.as_deref(), Some("Twilio answered 500: Internal error"));
        wait_ms(&app, 3_600_000);
        assert_eq!(pass(&worker).await, 0, "no fourth try");
        assert_eq!(app.api_requests(MESSAGES_PATH).await.len(), 3);

        let metrics = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("aidline_outbound_messages{state=\"failed\"} 1"), "{metrics}");
    }

    async fn twilio_asking_for_a_minute_gets_no_try_before_the_minute_is_up(db) {
        let app = TestApp::spawn(db).await;
        let worker = outbox(&app, 3, 5000);
        let slow_down = ResponseTemplate::new(429)
            .insert_header("Retry-After", "60")
            .set_body_json(serde_json::json!({"code": 20429, "message": "Too Many Requests"}));
        answer_next(&app, 1, slow_down).await;
        app.text("+15557671003", "hi").await;

        assert_eq!(pass(&worker).await, 1);
        for _ in 0..59 {
            wait_ms(&app, 1000);
            assert_eq!(pass(&worker).await, 0, "Twilio asked for sixty seconds");
        }
        wait_ms(&app, 999);
        assert_eq!(pass(&worker).await, 0, "a millisecond early");
        wait_ms(&app, 1);
        assert_eq!(pass(&worker).await, 1);
        assert_eq!(newest_text(&app).await.0, "sent");
        assert_eq!(app.api_requests(MESSAGES_PATH).await.len(), 2);
    }

    async fn a_twilio_too_slow_to_answer_is_tried_again_and_the_reply_goes_once_it_is_quick(db) {
        let app = TestApp::spawn(db).await;
        let worker = outbox(&app, 3, 300);
        let stalling = ResponseTemplate::new(201)
            .set_body_json(serde_json::json!({"sid": "SMlate", "status": "queued"}))
            .set_delay(Duration::from_millis(1500));
        answer_next(&app, 2, stalling).await;
        app.text("+15557671004", "hi").await;

        let started = std::time::Instant::now();
        assert_eq!(pass(&worker).await, 1);
        assert!(started.elapsed() < Duration::from_millis(1200), "the send timeout cut the wait");
        let (state, attempts, detail) = newest_text(&app).await;
        assert_eq!((state.as_str(), attempts), ("queued", 1));
        assert!(detail.unwrap().starts_with("could not reach Twilio"));

        wait_ms(&app, 1200);
        assert_eq!(pass(&worker).await, 1);
        assert_eq!(newest_text(&app).await.0, "queued", "still too slow the second time");
        wait_ms(&app, 2400);
        assert_eq!(pass(&worker).await, 1);
        assert_eq!(newest_text(&app).await.0, "sent");
        assert_eq!(app.api_requests(MESSAGES_PATH).await.len(), 3);
    }

    async fn ten_replies_through_a_twilio_dropping_every_third_connection_each_go_once_at_the_lines_pace(db) {
        let twilio = DroppingTwilio::start(3).await;
        let options = Options {
            flows_dir: "tests/flows".into(),
            flow: "echo",
            extra_lines: twilio.line(),
            ..Options::default()
        };
        let app = TestApp::spawn_with(db, options).await;
        twilio.keep_time(app.clock.clone());
        let worker = outbox(&app, 5, 5000);
        let neighbours: Vec<String> = (0..10).map(|i| format!("+155576720{i:02}")).collect();
        for neighbour in &neighbours {
            let mut params = app.inbound_params(neighbour, "hi", &app.new_sid());
            params.iter_mut().filter(|(k, _)| k == "To").for_each(|(_, v)| *v = PACED_LINE.into());
            let response = app.post_signed("/webhooks/twilio/sms", &params).await;
            assert_eq!(response.status(), 200);
        }

        let mut passes = 0;
        while twilio.completed().len() < neighbours.len() {
            passes += 1;
            assert!(passes < 200, "texts still unsent after {passes} passes");
            pass(&worker).await;
            wait_ms(&app, 250);
        }

        let mut received = twilio.completed();
        received.sort();
        assert_eq!(received, neighbours, "each neighbour's reply reached Twilio exactly once");
        // Every third call dropped: of fourteen calls, four were lost and ten went through, the
        // last of them a success.
        let calls = twilio.calls();
        assert_eq!(calls.len(), 14);
        for pair in calls.windows(2) {
            assert!(pair[1] - pair[0] >= 1000, "two calls within a second: {calls:?}");
        }
        let tries: Vec<i64> = sqlx::query_scalar("SELECT attempts FROM outbound_messages WHERE state = 'sent'")
            .fetch_all(app.db.pool()).await.unwrap();
        assert_eq!(tries.len(), 10);
        assert!(tries.iter().all(|&t| t <= 5), "{tries:?}");
        assert_eq!(tries.iter().sum::<i64>(), 14);
    }
}

/// The second line, paced at one segment a second, whose Twilio is [`DroppingTwilio`].
const PACED_LINE: &str = "+15550008888";

/// A Twilio Messages API that, for every `nth` connection, reads the request and hangs up
/// without answering; the rest it answers as Twilio does, one connection per send.
struct DroppingTwilio {
    addr: std::net::SocketAddr,
    seen: Arc<Seen>,
}

#[derive(Default)]
struct Seen {
    /// When each call arrived, by the service's clock.
    calls: Mutex<Vec<i64>>,
    /// Whom each send answered as taken was to.
    completed: Mutex<Vec<String>>,
    clock: Mutex<Option<Clock>>,
}

impl Seen {
    fn now_ms(&self) -> i64 {
        self.clock.lock().unwrap().as_ref().map_or(0, Clock::now_ms)
    }
}

impl DroppingTwilio {
    async fn start(nth: u64) -> DroppingTwilio {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Seen::default());
        let serving = seen.clone();
        tokio::spawn(async move {
            let count = AtomicU64::new(0);
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                let seen = serving.clone();
                tokio::spawn(async move { answer(socket, n.is_multiple_of(nth), &seen).await });
            }
        });
        DroppingTwilio { addr, seen }
    }

    /// Calls are timed by `clock` from now on.
    fn keep_time(&self, clock: Clock) {
        *self.seen.clock.lock().unwrap() = Some(clock);
    }

    /// The settings of [`PACED_LINE`], sending through this API.
    fn line(&self) -> String {
        format!(
            "[[lines]]\nnumber = \"{PACED_LINE}\"\ngateway = \"twilio\"\nflow = \"echo\"\n\
             segments_per_second = 1\n[lines.twilio]\naccount_sid = \"{ACCOUNT}\"\n\
             auth_token = \"{TOKEN}\"\napi_base = \"http://{}\"",
            self.addr
        )
    }

    fn calls(&self) -> Vec<i64> {
        self.seen.calls.lock().unwrap().clone()
    }

    fn completed(&self) -> Vec<String> {
        self.seen.completed.lock().unwrap().clone()
    }
}

/// Reads one request; hangs up on it when `drop`, else answers it as Twilio does.
async fn answer(mut socket: TcpStream, drop: bool, seen: &Seen) {
    let Some(body) = read_request(&mut socket).await else {
        return;
    };
    seen.calls.lock().unwrap().push(seen.now_ms());
    if drop {
        return;
    }
    let form: std::collections::BTreeMap<String, String> =
        form_urlencoded::parse(&body).into_owned().collect();
    let sid = format!("SM{:032x}", rand::random::<u128>());
    let json = serde_json::json!({"sid": sid, "status": "queued"}).to_string();
    let response = format!(
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{json}",
        json.len()
    );
    if socket.write_all(response.as_bytes()).await.is_ok() {
        seen.completed.lock().unwrap().push(form["To"].clone());
    }
    let _ = socket.shutdown().await;
}

/// The body of one HTTP request with a `Content-Length`, or `None` if the caller hung up.
async fn read_request(socket: &mut TcpStream) -> Option<Vec<u8>> {
    let mut read = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = read.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&read[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if read.len() >= end + 4 + length {
                return Some(read[end + 4..end + 4 + length].to_vec());
            }
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        read.extend_from_slice(&chunk[..n]);
    }
}

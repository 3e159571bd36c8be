//! What the server does with clients that are slow, silent or too many. No database is involved,
//! so these run on SQLite only.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

/// A service with `[server]` settings changed as given.
async fn serving(server: &str) -> TestApp {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let options = Options {
        extra_settings: format!("[server]\n{server}"),
        ..Options::default()
    };
    TestApp::spawn_with(db, options).await
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection (an error counts: a reset closes it too), for at
/// most `bound`; whether it did.
async fn closed_within(stream: &mut TcpStream, bound: Duration) -> bool {
    let mut sink = [0u8; 1024];
    let until_closed = async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(bound, until_closed).await.is_ok()
}

/// Asks for `/healthz` on `stream` and reads the whole answer.
async fn health(stream: &mut TcpStream) -> String {
    stream.write_all(HEALTH).await.unwrap();
    answer(stream).await
}

/// The whole answer to a health check (its body is "ok\n"). The test fails if none comes in a
/// while: a guard against hanging, not a measurement.
async fn answer(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let whole = async {
        let mut buf = [0u8; 256];
        while !answer.ends_with(b"\r\n\r\nok\n") {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(
                n > 0,
                "closed mid-answer: {}",
                String::from_utf8_lossy(&answer)
            );
            answer.extend_from_slice(&buf[..n]);
        }
    };
    let finished = tokio::time::timeout(Duration::from_secs(20), whole).await;
    assert!(finished.is_ok(), "no answer");
    String::from_utf8(answer).unwrap()
}

/// How many connections to the service's port the kernel holds in its listen queue, not yet
/// accepted (Linux gives a listening socket's queue as its `rx_queue` in /proc/net/tcp).
fn waiting_to_be_accepted(app: &TestApp) -> usize {
    let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let listening = table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let ours = fields[1].ends_with(&format!(":{port:04X}")) && fields[3] == "0A";
        ours.then(|| fields[4].split(':').nth(1).unwrap().to_string())
    });
    usize::from_str_radix(&listening.expect("the service listens"), 16).unwrap()
}

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: aidline\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_head_is_dropped_after_the_header_timeout() {
    let app = serving("header_read_timeout_ms = 300").await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"POST /webhooks/twilio/sms HTTP/1.1\r\nHost: aidline\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    assert!(closed_within(&mut stream, Duration::from_secs(5)).await);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_nothing_is_dropped_after_the_header_timeout() {
    let app = serving("header_read_timeout_ms = 300").await;
    let mut stream = connect(&app).await;
    assert!(closed_within(&mut stream, Duration::from_secs(5)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_body_never_comes_is_dropped_after_the_idle_timeout() {
    let app = serving("idle_timeout_ms = 300").await;
    let mut stream = connect(&app).await;
    let head = "POST /webhooks/twilio/sms HTTP/1.1\r\nHost: aidline\r\n\
                Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    assert!(closed_within(&mut stream, Duration::from_secs(5)).await);
}

/// On one thread, so the server's every task has run by the time it answers again.
#[tokio::test]
async fn past_the_connection_cap_a_client_waits_until_another_leaves() {
    let app = serving("max_connections = 1").await;
    let mut first = connect(&app).await;
    assert!(health(&mut first).await.starts_with("HTTP/1.1 200"));

    let mut second = connect(&app).await;
    second.write_all(HEALTH).await.unwrap();
    // Answering again on the first connection, the server had its chance to take the second: the
    // kernel still holds it, and nothing has come back on it.
    assert!(health(&mut first).await.starts_with("HTTP/1.1 200"));
    assert_eq!(waiting_to_be_accepted(&app), 1);
    let unanswered = second.try_read(&mut [0u8; 64]);
    assert!(unanswered.is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock));

    drop(first);
    assert!(answer(&mut second).await.starts_with("HTTP/1.1 200"));
    assert_eq!(waiting_to_be_accepted(&app), 0);
}

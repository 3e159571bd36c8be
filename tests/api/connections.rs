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

/// The first bytes of an answer, if one comes within `bound`.
async fn answer_within(stream: &mut TcpStream, bound: Duration) -> Option<String> {
    let mut buf = [0u8; 64];
    match tokio::time::timeout(bound, stream.read(&mut buf)).await {
        Ok(Ok(n)) if n > 0 => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
        _ => None,
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_cap_a_client_waits_until_another_leaves() {
    let app = serving("max_connections = 1").await;
    let mut first = connect(&app).await;
    first.write_all(HEALTH).await.unwrap();
    let answer = answer_within(&mut first, Duration::from_secs(5)).await;
    assert!(answer.is_some_and(|a| a.starts_with("HTTP/1.1 200")));

    let mut second = connect(&app).await;
    second.write_all(HEALTH).await.unwrap();
    assert_eq!(
        answer_within(&mut second, Duration::from_millis(500)).await,
        None
    );
    drop(first);
    let answer = answer_within(&mut second, Duration::from_secs(5)).await;
    assert!(answer.is_some_and(|a| a.starts_with("HTTP/1.1 200")));
}

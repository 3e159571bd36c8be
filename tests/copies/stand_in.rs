//! A stand-in for the Twilio Messages API that every copy sends through: it records each send
//! with the moment it arrived, and answers as Twilio does.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::Value;
use tokio::net::TcpListener;

/// A text a copy asked the provider to send.
#[derive(Debug, Clone)]
pub struct Sent {
    pub to: String,
    pub body: String,
    pub at: Instant,
}

#[derive(Clone)]
pub struct StandIn {
    pub uri: String,
    sent: Arc<Mutex<Vec<Sent>>>,
}

#[derive(Clone)]
struct Record {
    sent: Arc<Mutex<Vec<Sent>>>,
    delay: Duration,
}

impl StandIn {
    /// Answers each send after `delay`, so that sends can be caught in flight.
    pub async fn start(delay: Duration) -> StandIn {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let record = Record {
            sent: sent.clone(),
            delay,
        };
        let app = axum::Router::new()
            .route("/2010-04-01/Accounts/{account}/Messages.json", post(send))
            .with_state(record);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        StandIn { uri, sent }
    }

    /// Every send so far, in the order they arrived.
    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    /// What `to` was sent, in the order it arrived.
    pub fn sent_to(&self, to: &str) -> Vec<String> {
        let sent = self.sent.lock().unwrap();
        sent.iter()
            .filter(|s| s.to == to)
            .map(|s| s.body.clone())
            .collect()
    }
}

/// Records the send the moment it arrives: a copy killed before the answer came back has still
/// handed the text over.
async fn send(State(record): State<Record>, body: axum::body::Bytes) -> (StatusCode, Json<Value>) {
    static SID: AtomicU64 = AtomicU64::new(1);
    let form: BTreeMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    record.sent.lock().unwrap().push(Sent {
        to: form["To"].clone(),
        body: form["Body"].clone(),
        at: Instant::now(),
    });
    tokio::time::sleep(record.delay).await;
    let sid = format!("SM{:032x}", SID.fetch_add(1, Ordering::Relaxed));
    let answer = serde_json::json!({"sid": sid, "status": "queued", "num_segments": "1"});
    (StatusCode::CREATED, Json(answer))
}

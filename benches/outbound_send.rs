//! Outbound benchmark: how many texts a second the outbox worker sends to a provider's API when the
//! line sets no rate limit.
//!
//! Run: `cargo bench --bench outbound_send` (SQLite; PostgreSQL too when AIDLINE_TEST_POSTGRES_URL
//! is set). AIDLINE_BENCH_TEXTS (default 20000) texts to AIDLINE_BENCH_CONTACTS (default 10000)
//! contacts are queued first; then the worker's passes are timed until every one is sent. Each
//! send is a real HTTP call to a local stand-in for Twilio's Messages API, and each batch's
//! results are written back to the database.

use std::time::Instant;

use aidline::clock::Clock;
use aidline::lifecycle::OutboundKind;
use aidline::store::outbound::{self, NewOutbound};
use aidline::store::{Db, contacts};

mod support;
use support::{LINE, env_or, on_each_database};

const BODY: &str = "Thanks, we have your request. A volunteer will text you when they take it.";

async fn queue(db: &Db, texts: u64, contacts_count: u64, now: i64) {
    let phones: Vec<String> = (0..contacts_count)
        .map(|i| format!("+1555{i:07}"))
        .collect();
    let mut conn = db.acquire().await.unwrap();
    let mut ids = Vec::with_capacity(phones.len());
    for chunk in phones.chunks(500) {
        let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
        ids.extend(contacts::upsert_many(&mut conn, &chunk, now).await.unwrap());
    }
    let rows: Vec<NewOutbound> = (0..texts as usize)
        .map(|i| {
            let (phone, id) = &ids[i % ids.len()];
            NewOutbound {
                contact_id: *id,
                line: LINE,
                to: phone,
                body: BODY,
                kind: OutboundKind::Reply,
                inbound_id: None,
                spoken: false,
                spoken_audio: None,
            }
        })
        .collect();
    for chunk in rows.chunks(1000) {
        outbound::enqueue_many(&mut conn, chunk, now).await.unwrap();
    }
}

async fn run(name: &str, database_url: &str) {
    let texts = env_or("AIDLINE_BENCH_TEXTS", 20_000);
    let contacts_count = env_or("AIDLINE_BENCH_CONTACTS", 10_000);
    let clock = Clock::default();
    // Nothing is served: the worker is driven directly.
    let (mut app, _, _) = support::build(database_url, clock.clone()).await;
    let outbox = app.outbox.take().expect("the worker is ours to drive");
    queue(&app.state.db, texts, contacts_count, clock.now_ms()).await;

    let started = Instant::now();
    let mut sent = 0;
    while sent < texts as usize {
        let pass = outbox.drain().await.unwrap().attempted;
        assert!(pass > 0, "the outbox stopped with texts still queued");
        sent += pass;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let failed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbound_messages WHERE state <> 'sent'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(failed, 0, "every text should have been sent");
    println!(
        "{name}: {:.0} sends/s ({texts} texts to {contacts_count} contacts in {elapsed:.2} s)",
        texts as f64 / elapsed
    );
}

#[tokio::main]
async fn main() {
    on_each_database(run).await;
}

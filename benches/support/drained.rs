//! Waiting for the outbox, for the benchmarks that drive texts through a running service.

use std::time::{Duration, Instant};

use aidline::store::Db;

/// Waits until the outbox has sent every queued reply; returns how long that took.
pub async fn outbox_drained(db: &Db) -> Duration {
    let started = Instant::now();
    loop {
        let queued: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM outbound_messages WHERE state = 'queued'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        if queued == 0 {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

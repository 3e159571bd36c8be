//! The outbox worker: claims texts that are due, sends each through its line's gateway, and
//! records what happened.
//!
//! A row is leased while it is being sent, so a crashed worker's rows come due again. Texts to one
//! contact go out one after another (so replies arrive in order); different contacts are sent side
//! by side. Failures are sorted by [`SendError`]: temporary ones are retried with doubling, jittered
//! delays (never sooner than a `Retry-After`), permanent ones end the row as `failed`, and "the
//! recipient opted out" also opts the contact out.

mod retry;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Connection;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::Settings;
use crate::gateway::{self, SendError};
use crate::store::contacts::{self, OptChange};
use crate::store::outbound::{self, Claimed, Kind};
use crate::store::{Conn, Db, StoreError};

/// How many due texts one pass claims.
const BATCH: i64 = 64;
/// How long a claimed text stays leased before another worker may take it over.
const LEASE_MS: i64 = 60_000;

#[derive(Clone)]
pub struct Outbox {
    db: Db,
    clock: Clock,
    settings: Arc<Settings>,
    http: reqwest::Client,
    wake: Arc<Notify>,
}

impl Outbox {
    pub fn new(db: Db, clock: Clock, settings: Arc<Settings>, wake: Arc<Notify>) -> Outbox {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.outbox.send_timeout_ms))
            .build()
            .expect("the HTTP client has no unusual settings");
        Outbox {
            db,
            clock,
            settings,
            http,
            wake,
        }
    }

    /// Runs until `shutdown`: sends whatever is due, then waits to be woken or for the next poll.
    pub async fn run(self, shutdown: CancellationToken) {
        let poll = Duration::from_millis(self.settings.outbox.poll_interval_ms);
        loop {
            if let Err(e) = self.drain().await {
                tracing::error!(error = %e, "outbox pass failed; will try again");
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
        tracing::info!("outbox worker stopped");
    }

    /// Sends everything due now; returns how many texts were attempted.
    pub async fn drain(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            // One statement, so it needs no transaction of its own.
            let claimed = {
                let mut conn = self.db.acquire().await?;
                let now = self.clock.now_ms();
                outbound::claim_due(&mut conn, self.db.backend(), now, LEASE_MS, BATCH).await?
            };
            if claimed.is_empty() {
                return Ok(total);
            }
            total += claimed.len();
            let mut by_contact: BTreeMap<i64, Vec<Claimed>> = BTreeMap::new();
            for msg in claimed {
                by_contact.entry(msg.contact_id).or_default().push(msg);
            }
            let mut tasks = JoinSet::new();
            for (_, texts) in by_contact {
                let worker = self.clone();
                tasks.spawn(async move {
                    let mut results = Vec::with_capacity(texts.len());
                    for msg in texts {
                        let result = worker.attempt(&msg).await;
                        results.push((msg, result));
                    }
                    results
                });
            }
            let mut sent = Vec::new();
            let mut unsent = Vec::new();
            while let Some(done) = tasks.join_next().await {
                for (msg, result) in done.expect("a send task panicked") {
                    match result {
                        Ok(gateway_id) => sent.push((msg.id, gateway_id)),
                        Err(why) => unsent.push((msg, why)),
                    }
                }
            }
            // The whole batch's sends are one statement; the rarer failures share a transaction.
            let now = self.clock.now_ms();
            let mut conn = self.db.acquire().await?;
            outbound::mark_sent_many(&mut conn, &sent, now).await?;
            if !unsent.is_empty() {
                let mut tx = conn.begin().await?;
                for (msg, why) in unsent {
                    self.record_unsent(&mut tx, &msg, why, now).await?;
                }
                tx.commit().await?;
            }
            if !sent.is_empty() {
                tracing::info!(sent = sent.len(), "texts sent");
            }
        }
    }

    /// Tries one text; touches no database, so a whole batch can be recorded at once.
    async fn attempt(&self, msg: &Claimed) -> Result<Option<String>, Unsent> {
        // The last line of defence for opted-out numbers, whatever queued the text.
        if msg.opted_out && msg.kind != Kind::OptOutConfirmation {
            return Err(Unsent::Suppressed);
        }
        let line_number = crate::phone::Phone::from_stored(msg.line.clone());
        let Some(line) = self.settings.line_by_number(&line_number) else {
            return Err(Unsent::NoLine);
        };
        let callback = format!(
            "{}/webhooks/{}/status",
            self.settings.public_url.as_str().trim_end_matches('/'),
            line.gateway.name()
        );
        gateway::send(&self.http, line, &msg.to, &msg.body, &callback)
            .await
            .map_err(Unsent::Failed)
    }

    async fn record_unsent(
        &self,
        tx: &mut Conn,
        msg: &Claimed,
        unsent: Unsent,
        now: i64,
    ) -> Result<(), StoreError> {
        let id = msg.id;
        match unsent {
            Unsent::Suppressed => {
                outbound::finish_unsent(tx, id, "suppressed", None, "recipient opted out", now)
                    .await?;
            }
            Unsent::NoLine => {
                outbound::finish_unsent(tx, id, "failed", None, "line no longer configured", now)
                    .await?;
            }
            Unsent::Failed(SendError::Retryable {
                detail,
                retry_after,
            }) => {
                if msg.attempts >= self.settings.outbox.max_attempts {
                    outbound::finish_unsent(tx, id, "failed", None, &detail, now).await?;
                    tracing::warn!(
                        outbound_id = id,
                        attempts = msg.attempts,
                        "text failed: out of attempts"
                    );
                } else {
                    let delay = retry::delay(&self.settings.outbox, msg.attempts, retry_after);
                    let retry_at = now + delay.as_millis() as i64;
                    outbound::reschedule(tx, id, retry_at, &detail, now).await?;
                    tracing::warn!(outbound_id = id, retry_in_ms = delay.as_millis() as u64, error = %detail, "send failed; will retry");
                }
            }
            Unsent::Failed(SendError::Permanent { code, detail }) => {
                outbound::finish_unsent(tx, id, "failed", code.as_deref(), &detail, now).await?;
                tracing::warn!(outbound_id = id, code = ?code, "text failed permanently");
            }
            Unsent::Failed(SendError::RecipientOptedOut { code }) => {
                let detail = "recipient opted out at the gateway";
                outbound::finish_unsent(tx, id, "failed", Some(&code), detail, now).await?;
                let source = format!("gateway:{code}");
                contacts::record_opt_change(
                    tx,
                    msg.contact_id,
                    OptChange::OptOut,
                    &source,
                    &msg.line,
                    now,
                )
                .await?;
                tracing::info!(outbound_id = id, "gateway says the recipient opted out");
            }
        }
        Ok(())
    }
}

/// Why a text was not sent this time.
enum Unsent {
    Suppressed,
    NoLine,
    Failed(SendError),
}

//! The outbox worker: claims texts that are due, sends each through its line's gateway, and
//! records what happened.
//!
//! Each line is claimed from separately, so each keeps its own pace: a rate-limited line takes
//! only as many texts as its next free slots allow (counted in SMS segments, shared through the
//! database by every copy of the service), replies to someone who just texted before anything
//! else, and during its quiet hours nothing but those replies.
//!
//! A row is leased while it is being sent, so a crashed worker's rows come due again; a database
//! that drops while texts are with the provider is waited for, for as long as the lease, so that
//! what was sent is recorded rather than sent again. Texts to one contact go out one after
//! another (so replies arrive in order); different contacts are sent side by side. Failures are
//! sorted by [`SendError`]: temporary ones are retried with doubling, jittered delays (never
//! sooner than a `Retry-After`), permanent ones end the row as `failed`, and "the recipient opted
//! out" also opts the contact out.

mod retry;
mod settings;

pub use settings::OutboxSettings;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use sqlx::Connection;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::flow::segments;
use crate::gateway::{Outgoing, SendError};
use crate::lifecycle::OutboundKind;
use crate::line::Line;
use crate::phone::redact_numbers;
use crate::store::contacts::{self, OptChange};
use crate::store::outbound::{self, Claim, Claimed};
use crate::store::{Conn, Db, StoreError, erasure, pacing, provider_copies};

/// How many due texts one pass claims.
const BATCH: i64 = 64;
/// How long a claimed text stays leased before another worker may take it over.
const LEASE_MS: i64 = 60_000;
/// The lease as a time to wait: results still unrecorded after it may be sent again anyway.
const LEASE: Duration = Duration::from_millis(LEASE_MS as u64);
/// How often the results of texts already sent are offered again to a database out of reach.
const RECORD_RETRY: Duration = Duration::from_secs(1);
/// A rate-limited line may send up to this much of a burst after a pause, then keeps its pace.
const BURST_US: i64 = 1_000_000;

#[derive(Clone)]
pub struct Outbox {
    db: Db,
    clock: Clock,
    settings: OutboxSettings,
    lines: Arc<[Line]>,
    /// Our address, which delivery reports are posted back to.
    public_url: Url,
    http: reqwest::Client,
    wake: Arc<Notify>,
}

impl Outbox {
    /// A worker for `lines`, woken by `wake`.
    pub fn new(
        db: Db,
        clock: Clock,
        settings: OutboxSettings,
        lines: &[Line],
        public_url: Url,
        wake: Arc<Notify>,
    ) -> Outbox {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.send_timeout_ms))
            .build()
            .expect("the HTTP client has no unusual settings");
        Outbox {
            db: db.for_repeatable_work(),
            clock,
            settings,
            lines: lines.into(),
            public_url,
            http,
            wake,
        }
    }

    /// Runs until `shutdown`: sends whatever is due, then waits to be woken, for a rate-limited
    /// line's next slot, or for the next poll.
    pub async fn run(self, shutdown: CancellationToken) {
        let poll = Duration::from_millis(self.settings.poll_interval_ms);
        // Lines change only with the settings, so once a start is enough.
        let mut orphans_ended = false;
        loop {
            if !orphans_ended {
                orphans_ended = self.end_orphans().await.is_ok();
            }
            let wait = match self.drain().await {
                Ok(drained) => drained
                    .next_slot_ms
                    .map(|at| Duration::from_millis((at - self.clock.now_ms()).max(1) as u64))
                    .map_or(poll, |d| d.min(poll)),
                Err(e) => {
                    tracing::error!(error = %e, "outbox pass failed; will try again");
                    poll
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!("outbox worker stopped");
    }

    /// Ends the queued texts of lines that are no longer configured: nothing here could send them.
    pub async fn end_orphans(&self) -> Result<u64, StoreError> {
        let mut conn = self.db.acquire().await?;
        let lines: Vec<&str> = self.lines.iter().map(|l| l.number.as_str()).collect();
        let orphans = outbound::fail_orphaned(&mut conn, &lines, self.clock.now_ms()).await;
        if let Err(e) = &orphans {
            tracing::error!(error = %e, "could not end the texts of lines no longer configured; will try again");
        }
        if let Ok(n @ 1..) = orphans {
            tracing::warn!(
                texts = n,
                "texts for lines no longer configured marked failed"
            );
        }
        orphans
    }

    /// Sends everything each line may send now.
    pub async fn drain(&self) -> Result<Drained, StoreError> {
        let mut drained = Drained::default();
        for line in self.lines.iter() {
            loop {
                let (claimed, next_slot) = self.claim(line).await?;
                if let Some(at) = next_slot {
                    drained.next_slot_ms = Some(drained.next_slot_ms.map_or(at, |t| t.min(at)));
                }
                if claimed.is_empty() {
                    break;
                }
                drained.attempted += claimed.len();
                // Fewer than a batch: nothing more was due when it was claimed.
                let more = claimed.len() as i64 == BATCH;
                self.send_batch(line, claimed).await?;
                if next_slot.is_some() || !more {
                    break;
                }
            }
        }
        Ok(drained)
    }

    /// Claims what `line` may send now; with it, when the line is rate-limited, the time its next
    /// slot opens.
    async fn claim(&self, line: &Line) -> Result<(Vec<Claimed>, Option<i64>), StoreError> {
        let now = self.clock.now_ms();
        let mut claim = Claim {
            line: line.number.as_str(),
            now,
            lease_ms: LEASE_MS,
            limit: BATCH,
            urgent_only: line.quiet_hours.as_ref().is_some_and(|q| q.is_quiet(now)),
        };
        let backend = self.db.backend();
        let Some(rate) = line.segments_per_second else {
            let mut conn = self.db.acquire().await?;
            let claimed = outbound::claim_due(&mut conn, backend, claim).await?;
            return Ok((as_line_sends(line, claimed), None));
        };
        // Generic cell rate: each segment takes one slot of `interval`; a line may run ahead of
        // its slots by up to a burst's worth.
        let interval = (1_000_000.0 / rate).max(1.0) as i64;
        let tolerance = (BURST_US - interval).max(0);
        let now_us = now * 1000;
        let mut tx = self.db.begin().await?;
        let next_free = pacing::lock(&mut tx, backend, claim.line).await?;
        if next_free - tolerance > now_us {
            tx.commit().await?;
            return Ok((Vec::new(), Some((next_free - tolerance).div_euclid(1000))));
        }
        let start = next_free.max(now_us);
        claim.limit = ((now_us + tolerance - start) / interval + 1).min(BATCH);
        let claimed = as_line_sends(line, outbound::claim_due(&mut tx, backend, claim).await?);
        if claimed.is_empty() {
            tx.commit().await?;
            return Ok((claimed, None));
        }
        let segments: i64 = claimed.iter().map(|c| i64::from(c.segments)).sum();
        let next_free = start + segments * interval;
        pacing::set(&mut tx, claim.line, next_free).await?;
        tx.commit().await?;
        let next_slot = (next_free - tolerance).div_euclid(1000).max(now + 1);
        Ok((claimed, Some(next_slot)))
    }

    /// Sends a line's claimed texts and records the results.
    async fn send_batch(&self, line: &Line, claimed: Vec<Claimed>) -> Result<(), StoreError> {
        let farewells: Vec<i64> = claimed
            .iter()
            .filter(|m| m.kind == OutboundKind::Farewell)
            .map(|m| m.id)
            .collect();
        let mut by_contact: BTreeMap<i64, Vec<Claimed>> = BTreeMap::new();
        for msg in claimed {
            by_contact.entry(msg.contact_id).or_default().push(msg);
        }
        let mut tasks = JoinSet::new();
        for (_, texts) in by_contact {
            let worker = self.clone();
            let line = line.clone();
            tasks.spawn(async move {
                let mut results = Vec::with_capacity(texts.len());
                for msg in texts {
                    let result = worker.attempt(&line, &msg).await;
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
        let now = self.clock.now_ms();
        // Texts that went are sent whatever the database says: until that is written down, their
        // lease would run out and they would go again. So a database out of reach is waited
        // for, as long as the lease holds (after that another worker may take them anyway).
        let started = tokio::time::Instant::now();
        while let Err(e) = self.record(&sent, &unsent, now).await {
            if !e.is_unreachable() || started.elapsed() >= LEASE {
                return Err(e);
            }
            tracing::warn!(error = %e, "cannot record what was sent yet; trying again");
            tokio::time::sleep(RECORD_RETRY).await;
        }
        // The last text to someone forgotten goes with them once it is sent or has failed;
        // the provider's copy of it is left for the deleter.
        if !farewells.is_empty() {
            let mut conn = self.db.acquire().await?;
            let gateway = line.gateway.name();
            let sent_farewells = sent.iter().filter(|(id, _)| farewells.contains(id));
            for (_, provider_id) in sent_farewells {
                if let Some(provider_id) = provider_id {
                    let number = line.number.as_str();
                    provider_copies::note(&mut conn, gateway, number, provider_id, now).await?;
                }
            }
            if erasure::let_go_of_farewells(&mut conn).await? > 0 {
                drop(conn);
                self.db.flush_erased().await?;
            }
        }
        if !sent.is_empty() {
            tracing::info!(sent = sent.len(), line = %line.number.redacted(), "texts sent");
        }
        Ok(())
    }

    /// Writes down a batch's results: its sends in one statement, the rarer failures in one
    /// transaction. Safe to repeat after a failure part-way.
    async fn record(
        &self,
        sent: &[(i64, Option<String>)],
        unsent: &[(Claimed, Unsent)],
        now: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.db.acquire().await?;
        outbound::mark_sent_many(&mut conn, sent, now).await?;
        if !unsent.is_empty() {
            let mut tx = conn.begin().await?;
            for (msg, why) in unsent {
                self.record_unsent(&mut tx, msg, why, now).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// Tries one text; touches no database, so a whole batch can be recorded at once.
    async fn attempt(&self, line: &Line, msg: &Claimed) -> Result<Option<String>, Unsent> {
        // The last line of defence for opted-out numbers, whatever queued the text.
        if msg.opted_out && msg.kind != OutboundKind::OptOutConfirmation {
            return Err(Unsent::Suppressed);
        }
        let callback = format!(
            "{}/webhooks/{}/status",
            self.public_url.as_str().trim_end_matches('/'),
            line.gateway.name()
        );
        let outgoing = Outgoing {
            from: line.number.as_str(),
            to: &msg.to,
            body: &msg.body,
            status_callback: &callback,
            reference: msg.id,
        };
        line.gateway
            .send(&self.http, outgoing)
            .await
            .map_err(Unsent::Failed)
    }

    async fn record_unsent(
        &self,
        tx: &mut Conn,
        msg: &Claimed,
        unsent: &Unsent,
        now: i64,
    ) -> Result<(), StoreError> {
        let id = msg.id;
        match unsent {
            Unsent::Suppressed => {
                outbound::suppress(tx, id, now).await?;
            }
            Unsent::Failed(SendError::Retryable {
                status,
                code,
                detail,
                retry_after,
            }) => {
                let detail = redact_numbers(detail);
                if msg.attempts >= self.settings.max_attempts {
                    outbound::fail(tx, id, code.as_deref(), &detail, now).await?;
                    tracing::warn!(
                        outbound_id = id,
                        attempts = msg.attempts,
                        status,
                        code,
                        "text failed: out of attempts"
                    );
                } else {
                    let delay = retry::delay(&self.settings, msg.attempts, *retry_after);
                    let retry_at = now + delay.as_millis() as i64;
                    outbound::reschedule(tx, id, retry_at, &detail, now).await?;
                    tracing::warn!(
                        outbound_id = id,
                        retry_in_ms = delay.as_millis() as u64,
                        status,
                        code,
                        "send failed; will retry"
                    );
                }
            }
            Unsent::Failed(SendError::Permanent {
                status,
                code,
                detail,
            }) => {
                let detail = redact_numbers(detail);
                outbound::fail(tx, id, code.as_deref(), &detail, now).await?;
                tracing::warn!(outbound_id = id, status, code, "text failed permanently");
            }
            Unsent::Failed(SendError::RecipientOptedOut { code }) => {
                let detail = "recipient opted out at the gateway";
                outbound::fail(tx, id, Some(code), detail, now).await?;
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

/// What one pass of the worker did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    /// Texts claimed and tried (sent, failed or suppressed).
    pub attempted: usize,
    /// When a rate-limited line can next send, in milliseconds since the epoch.
    pub next_slot_ms: Option<i64>,
}

/// Why a text was not sent this time.
enum Unsent {
    Suppressed,
    Failed(SendError),
}

/// Claimed texts as `line` sends them, each costing the segments it is sent as: the pace is kept
/// by what reaches the provider. The stored text keeps the words as written.
fn as_line_sends(line: &Line, mut claimed: Vec<Claimed>) -> Vec<Claimed> {
    for msg in &mut claimed {
        if let Cow::Owned(sent) = line.as_sent(&msg.body) {
            msg.segments = segments::count(&sent).count.max(1) as u32;
            msg.body = sent;
        }
    }
    claimed
}

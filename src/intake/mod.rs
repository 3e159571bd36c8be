//! Intake: from a stored inbound text to its effects.
//!
//! [`Intake::receive`] stores the text (a retried webhook is recognised by the gateway's id and
//! changes nothing) and then handles every unhandled text of that contact, oldest first, each in
//! its own transaction that begins by locking the contact. Two texts from one phone therefore never
//! race, in one process or across several sharing PostgreSQL. A text stored but not handled (a
//! crash, a database hiccup) is picked up by [`Intake::recover`] at start-up and periodically.

mod route;

use std::sync::Arc;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::Settings;
use crate::flow::Flows;
use crate::gateway::Inbound;
use crate::store::{Db, StoreError, contacts, inbound, outbound};

/// Everything intake needs, cheap to clone.
#[derive(Clone)]
pub struct Intake {
    pub(crate) db: Db,
    pub(crate) clock: Clock,
    pub(crate) settings: Arc<Settings>,
    pub(crate) flows: Arc<Flows>,
    /// Woken after a commit that queued texts, so the outbox sends them at once.
    pub(crate) outbox_wake: Arc<Notify>,
}

/// What became of a received text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Stored and handled; any replies it caused are queued in the outbox.
    Handled { inbound_id: i64 },
    /// The gateway sent this one before; nothing changed.
    Duplicate,
}

impl Intake {
    pub fn new(
        db: Db,
        clock: Clock,
        settings: Arc<Settings>,
        flows: Arc<Flows>,
        outbox_wake: Arc<Notify>,
    ) -> Intake {
        Intake {
            db,
            clock,
            settings,
            flows,
            outbox_wake,
        }
    }

    /// Stores `msg`, then handles it (and any earlier text of the same contact still waiting).
    pub async fn receive(&self, msg: &Inbound) -> Result<Received, StoreError> {
        let Some((contact_id, inbound_id)) = self.store(msg).await? else {
            return Ok(Received::Duplicate);
        };
        tracing::info!(
            inbound_id,
            gateway = msg.gateway,
            from = %msg.from.redacted(),
            "text received"
        );
        self.handle_through(contact_id, inbound_id).await?;
        Ok(Received::Handled { inbound_id })
    }

    /// The texts written in answer to one inbound text, in order (the console line shows them).
    pub async fn replies_to(&self, inbound_id: i64) -> Result<Vec<String>, StoreError> {
        let mut conn = self.db.acquire().await?;
        outbound::replies_to(&mut conn, inbound_id).await
    }

    /// The durable part: once the insert commits, the text cannot be lost. The two statements need
    /// no transaction: a contact row without a text is harmless.
    async fn store(&self, msg: &Inbound) -> Result<Option<(i64, i64)>, StoreError> {
        let now = self.clock.now_ms();
        let mut conn = self.db.acquire().await?;
        let contact = contacts::upsert(&mut conn, &msg.from, now).await?;
        let id = inbound::insert(
            &mut conn,
            &inbound::NewInbound {
                gateway: msg.gateway,
                gateway_id: &msg.gateway_id,
                line: msg.line.as_str(),
                contact_id: contact.id,
                body: &msg.body,
                num_media: i64::from(msg.num_media),
                received_at: now,
            },
        )
        .await?;
        Ok(id.map(|id| (contact.id, id)))
    }

    /// Handles the contact's unhandled texts up to and including `up_to`, one transaction each.
    async fn handle_through(&self, contact_id: i64, up_to: i64) -> Result<(), StoreError> {
        loop {
            let now = self.clock.now_ms();
            let mut tx = self.db.begin().await?;
            let contact = contacts::lock(&mut tx, contact_id, now).await?;
            let Some(msg) = inbound::next_unhandled(&mut tx, contact_id, up_to).await? else {
                tx.commit().await?;
                return Ok(());
            };
            let outcome = route::handle(self, &mut tx, &contact, &msg, now).await?;
            inbound::mark_handled(&mut tx, msg.id, outcome.label, now).await?;
            tx.commit().await?;
            tracing::debug!(inbound_id = msg.id, outcome = outcome.label, "text handled");
            if outcome.queued_texts {
                self.outbox_wake.notify_one();
            }
            if msg.id == up_to {
                return Ok(());
            }
        }
    }

    /// Handles every text that was stored but never handled. Safe to run at any time: each
    /// contact is handled under its lock, and a text handled meanwhile is skipped.
    pub async fn recover(&self) -> Result<usize, StoreError> {
        let waiting = {
            let mut conn = self.db.acquire().await?;
            inbound::unhandled_by_contact(&mut conn).await?
        };
        for &(contact_id, up_to) in &waiting {
            self.handle_through(contact_id, up_to).await?;
        }
        if !waiting.is_empty() {
            tracing::info!(
                contacts = waiting.len(),
                "handled texts left over from before"
            );
        }
        Ok(waiting.len())
    }
}

impl Intake {
    /// "Now" on the service's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}

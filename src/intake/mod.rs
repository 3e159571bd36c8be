//! Intake: from an inbound text to its effects.
//!
//! [`Intake::receive`] hands the text to the intake worker (see `batch`), which stores it (a retried
//! webhook is recognised by the gateway's id and changes nothing) and then handles every unhandled
//! text of that contact, oldest first, in a transaction that begins by locking the contact. Two
//! texts from one phone therefore never race, in one process or across several sharing
//! PostgreSQL. A text stored but not handled (a crash, a database hiccup) is picked up by
//! [`Intake::recover`] at start-up and periodically.

mod batch;
mod plan;
mod route;

use std::sync::Arc;

use tokio::sync::{Notify, mpsc, oneshot};

use crate::clock::Clock;
use crate::config::Settings;
use crate::flow::Flows;
use crate::gateway::Inbound;
use crate::store::{Db, StoreError, inbound, outbound};

/// Everything intake needs, cheap to clone.
#[derive(Clone)]
pub struct Intake {
    db: Db,
    clock: Clock,
    settings: Arc<Settings>,
    flows: Arc<Flows>,
    /// Woken after a commit that queued texts, so the outbox sends them at once.
    outbox_wake: Arc<Notify>,
    jobs: mpsc::Sender<batch::Job>,
}

/// What became of a received text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Stored and handled; any replies it caused are queued in the outbox.
    Handled { inbound_id: i64 },
    /// The gateway sent this one before; nothing changed.
    Duplicate,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum IntakeError {
    #[error(transparent)]
    Store(Arc<StoreError>),
    #[error("the intake worker has stopped")]
    Stopped,
}

impl From<StoreError> for IntakeError {
    fn from(e: StoreError) -> Self {
        IntakeError::Store(Arc::new(e))
    }
}

impl Intake {
    /// Starts the intake worker; it runs until every handle to this intake is dropped.
    pub fn start(
        db: Db,
        clock: Clock,
        settings: Arc<Settings>,
        flows: Arc<Flows>,
        outbox_wake: Arc<Notify>,
    ) -> Intake {
        let (jobs, queue) = mpsc::channel(4096);
        let intake = Intake {
            db,
            clock,
            settings,
            flows,
            outbox_wake,
            jobs,
        };
        tokio::spawn(batch::run(intake.clone_without_sender(), queue));
        intake
    }

    /// The worker's own handle must not keep its queue open, or it would never stop.
    fn clone_without_sender(&self) -> Intake {
        let (closed, _) = mpsc::channel(1);
        Intake {
            jobs: closed,
            ..self.clone()
        }
    }

    /// Stores `text`, then handles it (and any earlier text of the same contact still waiting).
    pub async fn receive(&self, text: Inbound) -> Result<Received, IntakeError> {
        let (done, result) = oneshot::channel();
        self.jobs
            .send(batch::Job::Receive { text, done })
            .await
            .map_err(|_| IntakeError::Stopped)?;
        result.await.map_err(|_| IntakeError::Stopped)?
    }

    /// Handles every text that was stored but never handled. Safe to run at any time: each
    /// contact is handled under its lock, and a text handled meanwhile is skipped.
    pub async fn recover(&self) -> Result<usize, IntakeError> {
        let waiting = {
            let mut conn = self.db.acquire().await?;
            inbound::contacts_with_unhandled(&mut conn).await?
        };
        for &contact_id in &waiting {
            let (done, result) = oneshot::channel();
            self.jobs
                .send(batch::Job::Handle { contact_id, done })
                .await
                .map_err(|_| IntakeError::Stopped)?;
            result.await.map_err(|_| IntakeError::Stopped)??;
        }
        if !waiting.is_empty() {
            tracing::info!(
                contacts = waiting.len(),
                "handled texts left over from before"
            );
        }
        Ok(waiting.len())
    }

    /// The texts written in answer to one inbound text, in order (the console line shows them).
    pub async fn replies_to(&self, inbound_id: i64) -> Result<Vec<String>, IntakeError> {
        let mut conn = self.db.acquire().await?;
        Ok(outbound::replies_to(&mut conn, inbound_id).await?)
    }

    /// "Now" on the service's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}

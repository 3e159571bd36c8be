//! Intake: from an inbound text to its effects.
//!
//! [`Intake::receive`] hands the text to the intake worker (see `batch`), which stores it (a retried
//! webhook is recognised by the gateway's id and changes nothing) and then handles every unhandled
//! text of that contact, oldest first, in a transaction that begins by locking the contact. Two
//! texts from one phone therefore never race, in one process or across several sharing
//! PostgreSQL. A text stored but not handled (a crash, a database hiccup) is picked up by
//! [`Intake::recover`] at start-up and periodically.

mod batch;
mod call_backs;
mod call_turn;
mod forget_me;
mod limits;
mod plan;
mod route;
mod timers;

use std::sync::Arc;

use tokio::sync::{Notify, mpsc, oneshot};

use crate::clock::Clock;
use crate::config::Settings;
use crate::flow::Library;
use crate::flow::Session;
use crate::flow::audio::Prompt;
use crate::gateway::Inbound;
use crate::phone::Phone;
use crate::safety::blocks;
use crate::store::{Backend, Db, StoreError, contacts, inbound, outbound, parts, sessions};

/// Intake workers on PostgreSQL: enough to overlap round trips on a small machine.
const POSTGRES_WORKERS: usize = 4;

/// How long the same words from the same phone count as a repeated webhook, for a provider that
/// gives its texts no ids. Long enough for a provider's retries, short enough that a neighbour
/// repeating themselves a while later is heard.
const REPEAT_WINDOW_MS: i64 = 120_000;

/// A key for a text without a provider id: a hash of who sent what to which line.
fn content_key(text: &Inbound) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for part in [text.line.as_str(), text.from.as_str(), text.body.as_str()] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    format!("content:{}", hex::encode(&hash.finalize()[..16]))
}

/// How long the parts of a long text are waited for before what came is taken in.
const PARTS_WAIT_MS: i64 = 10 * 60 * 1000;

/// The front of intake: hands texts to the intake workers. Cheap to clone.
#[derive(Clone)]
pub struct Intake {
    core: Arc<Core>,
    jobs: mpsc::Sender<batch::Request>,
}

/// What the intake workers work with.
struct Core {
    db: Db,
    clock: Clock,
    settings: Arc<Settings>,
    flows: Arc<Library>,
    /// Woken after a commit that queued texts, so the outbox sends them at once.
    outbox_wake: Arc<Notify>,
}

/// What became of a received text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Stored and handled; any replies it caused are queued in the outbox.
    Handled { inbound_id: i64 },
    /// The gateway sent this one before; nothing changed.
    Duplicate,
    /// From a blocked number: dropped unstored, answered with nothing.
    Blocked,
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
    /// Starts the intake workers; they run until every handle to this intake is dropped.
    ///
    /// SQLite has one writer, so one worker. PostgreSQL runs several transactions side by side;
    /// the contact locks keep each contact's texts in order whichever worker takes them.
    pub fn start(
        db: Db,
        clock: Clock,
        settings: Arc<Settings>,
        flows: Arc<Library>,
        outbox_wake: Arc<Notify>,
    ) -> Intake {
        let workers = match db.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => POSTGRES_WORKERS,
        };
        let core = Arc::new(Core {
            db,
            clock,
            settings,
            flows,
            outbox_wake,
        });
        let (jobs, queue) = mpsc::channel(4096);
        let queue = Arc::new(tokio::sync::Mutex::new(queue));
        for _ in 0..workers {
            tokio::spawn(batch::run(core.clone(), queue.clone()));
        }
        Intake { core, jobs }
    }

    /// Stores `text`, then handles it (and any earlier text of the same contact still waiting).
    pub async fn receive(&self, text: Inbound) -> Result<Received, IntakeError> {
        // Checked before anything is stored, so a blocked number leaves no trace: not even a
        // contact row bringing back a number that was forgotten.
        if blocks::is_blocked(&self.core.db, &self.core.settings.safety, &text.from).await? {
            tracing::info!(from = %text.from.redacted(), gateway = text.gateway, "dropped a message from a blocked number");
            return Ok(Received::Blocked);
        }
        let key = match &text.gateway_id {
            Some(id) => id.clone(),
            None => {
                let prefix = content_key(&text);
                let now = self.core.clock.now_ms();
                let mut conn = self.core.db.acquire().await?;
                let since = now - REPEAT_WINDOW_MS;
                if inbound::repeated_recently(&mut conn, text.gateway, &prefix, since).await? {
                    return Ok(Received::Duplicate);
                }
                format!("{prefix}:{now}:{:016x}", rand::random::<u64>())
            }
        };
        let (done, result) = oneshot::channel();
        self.jobs
            .send(batch::Request::Receive { text, key, done })
            .await
            .map_err(|_| IntakeError::Stopped)?;
        result.await.map_err(|_| IntakeError::Stopped)?
    }

    /// Handles every text that was stored but never handled. Safe to run at any time: each
    /// contact is handled under its lock, and a text handled meanwhile is skipped.
    pub async fn recover(&self) -> Result<usize, IntakeError> {
        let now = self.core.clock.now_ms();
        for text in parts::take_stale(&self.core.db, now - PARTS_WAIT_MS, now).await? {
            tracing::warn!(
                gateway = text.gateway,
                "a long text is missing parts; taking in what came"
            );
            self.receive(text).await?;
        }
        let waiting = {
            let mut conn = self.core.db.acquire().await?;
            inbound::contacts_with_unhandled(&mut conn).await?
        };
        for &contact_id in &waiting {
            let (done, result) = oneshot::channel();
            self.jobs
                .send(batch::Request::Handle { contact_id, done })
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
        let replies = self.spoken_replies_to(inbound_id).await?;
        Ok(replies.into_iter().map(|(body, _)| body).collect())
    }

    /// The replies to one turn of a call, in order, each with the organiser's recording of it
    /// where the flow has one.
    pub async fn spoken_replies_to(
        &self,
        inbound_id: i64,
    ) -> Result<Vec<(String, Option<Prompt>)>, IntakeError> {
        let mut conn = self.core.db.acquire().await?;
        let replies = outbound::replies_to(&mut conn, inbound_id).await?;
        Ok(replies
            .into_iter()
            .map(|(body, audio)| (body, audio.and_then(|a| a.parse().ok())))
            .collect())
    }

    /// Whether the per-number limit held this message back (a call then ends after what was
    /// said, if anything).
    pub async fn held(&self, inbound_id: i64) -> Result<bool, IntakeError> {
        let mut conn = self.core.db.acquire().await?;
        let outcome = inbound::outcome_of(&mut conn, inbound_id).await?;
        Ok(outcome.as_deref() == Some(limits::LIMITED))
    }

    /// The id intake stored a message under, by its gateway and key (a retried call webhook
    /// is answered with what the first one got).
    pub async fn stored_id(&self, gateway: &str, key: &str) -> Result<Option<i64>, IntakeError> {
        let mut conn = self.core.db.acquire().await?;
        Ok(inbound::id_by_key(&mut conn, gateway, key).await?)
    }

    /// Where the person at `phone` stands: the conversation they are in, if one goes on, and the
    /// language the line knows them to speak.
    pub async fn standing(
        &self,
        phone: &Phone,
    ) -> Result<(Option<Session>, Option<String>), IntakeError> {
        let mut conn = self.core.db.acquire().await?;
        let Some((id, language)) = contacts::with_language(&mut conn, phone.as_str()).await? else {
            return Ok((None, None));
        };
        let session = sessions::active_for(&mut conn, &[id]).await?.pop();
        Ok((session.map(|a| a.session), language))
    }

    /// The flows conversations run on (and reload them through).
    pub fn flows(&self) -> &Library {
        &self.core.flows
    }

    /// Has the outbox send at once what a change outside intake (a dispatcher's) just queued.
    pub fn texts_queued(&self) {
        self.core.outbox_wake.notify_one();
    }
}

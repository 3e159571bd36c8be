//! The intake workers: texts arriving together are stored together and handled together.
//!
//! Webhooks queue their text for a worker and wait for the answer. A worker takes whatever has
//! queued up since its last pass (one text when the line is quiet, dozens under load), stores it
//! in two statements, then handles every waiting text of those contacts in one transaction.
//! Committing many texts at once is what lets SQLite, with its single writer, keep up with a
//! busy line. If a batch fails, its texts are retried one contact at a time, so one bad text
//! cannot hold up the others.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use sqlx::Connection;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::limits::{self, Admission, Gate};
use super::plan::Plan;
use super::{Core, IntakeError, Received, route};
use crate::flow::text::fold;
use crate::flow::{Flows, Keyword};
use crate::gateway::{Inbound, Media};
use crate::privacy::{self, Farewell, Forgetting, Person};
use crate::store::erasure::Reason;
use crate::store::inbound::InboundRow;
use crate::store::waiting::{self, Standing};
use crate::store::{Conn, StoreError, contacts, inbound, requests, volunteers};
use crate::wind_down::REFERRAL_EVERY_MS;

/// The most jobs one pass takes; enough to amortise a commit, small enough to keep latency low.
const MAX_BATCH: usize = 128;

pub(super) enum Request {
    Receive {
        text: Inbound,
        /// The provider's id, or the content-derived one `Intake::receive` gave a text without.
        key: String,
        done: oneshot::Sender<Result<Received, IntakeError>>,
    },
    /// Handle what a contact has waiting (recovery after a crash).
    Handle {
        contact_id: i64,
        done: oneshot::Sender<Result<(), IntakeError>>,
    },
}

/// One worker: takes what is queued (waiting for the queue only while no other worker is) and
/// processes it, until the queue closes.
pub(super) async fn run(core: Arc<Core>, queue: Arc<Mutex<mpsc::Receiver<Request>>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let taken = queue.lock().await.recv_many(&mut batch, MAX_BATCH).await;
        if taken == 0 {
            return;
        }
        process(&core, std::mem::take(&mut batch)).await;
    }
}

async fn process(core: &Core, jobs: Vec<Request>) {
    // One connection for the whole pass: the pool asks each connection given back to it whether
    // it still works, a round trip apiece.
    let mut conn = match core.db.acquire().await {
        Ok(conn) => conn,
        Err(e) => {
            let e = IntakeError::from(e);
            for job in jobs {
                job.fail(e.clone());
            }
            return;
        }
    };
    let texts: Vec<Keyed> = jobs
        .iter()
        .filter_map(|j| match j {
            Request::Receive { text, key, .. } => Some((text, key.as_str())),
            Request::Handle { .. } => None,
        })
        .collect();
    let stored = store_with_fallback(core, &mut conn, &texts).await;

    let mut contact_ids = BTreeSet::new();
    for (contact_id, _) in stored.iter().flatten().flatten() {
        contact_ids.insert(*contact_id);
    }
    for job in &jobs {
        if let Request::Handle { contact_id, .. } = job {
            contact_ids.insert(*contact_id);
        }
    }
    let (handled, written) =
        handle_with_fallback(core, &mut conn, contact_ids.into_iter().collect()).await;
    // Back to the pool before what follows needs it (SQLite's pool is this one connection).
    drop(conn);
    written.follow_up(core).await;

    let mut stored = stored.into_iter();
    for job in jobs {
        match job {
            Request::Receive { done, .. } => {
                let result = match stored.next().expect("one result per text") {
                    Err(e) => Err(e),
                    Ok(None) => Ok(Received::Duplicate),
                    Ok(Some((contact_id, inbound_id))) => handled[&contact_id]
                        .clone()
                        .map(|()| Received::Handled { inbound_id }),
                };
                let _ = done.send(result);
            }
            Request::Handle { contact_id, done } => {
                let _ = done.send(handled[&contact_id].clone());
            }
        }
    }
}

impl Request {
    /// Answers the job with `e`: nothing of it was done.
    fn fail(self, e: IntakeError) {
        match self {
            Request::Receive { done, .. } => {
                let _ = done.send(Err(e));
            }
            Request::Handle { done, .. } => {
                let _ = done.send(Err(e));
            }
        }
    }
}

type Stored = Result<Option<(i64, i64)>, IntakeError>;
/// A text with the key it is told apart from retries by.
type Keyed<'a> = (&'a Inbound, &'a str);

/// Stores the texts; for each, (contact, inbound id), or `None` for a retried webhook.
async fn store_with_fallback(core: &Core, conn: &mut Conn, texts: &[Keyed<'_>]) -> Vec<Stored> {
    if texts.is_empty() {
        return Vec::new();
    }
    match store(core, conn, texts).await {
        Ok(stored) => stored.into_iter().map(Ok).collect(),
        // One by one would only wait out the same outage again for each text.
        Err(e) if texts.len() == 1 || e.is_unreachable() => vec![Err(e.into()); texts.len()],
        Err(e) => {
            tracing::warn!(error = %e, texts = texts.len(), "storing a batch failed; storing one by one");
            let mut each = Vec::with_capacity(texts.len());
            for text in texts {
                each.push(
                    store(core, conn, &[*text])
                        .await
                        .map(|mut s| s.remove(0))
                        .map_err(Into::into),
                );
            }
            each
        }
    }
}

/// No transaction: once the insert is done the texts cannot be lost, and a contact row without a
/// text is harmless.
async fn store(
    core: &Core,
    conn: &mut Conn,
    texts: &[Keyed<'_>],
) -> Result<Vec<Option<(i64, i64)>>, StoreError> {
    let now = core.clock.now_ms();
    let rows: Vec<inbound::NewInbound> = texts
        .iter()
        .map(|(t, key)| inbound::NewInbound {
            gateway: t.gateway,
            gateway_id: key,
            line: t.line.as_str(),
            from: t.from.as_str(),
            body: &t.body,
            num_media: t.media.len() as i64,
            channel: t.channel,
        })
        .collect();
    let mut inserted: HashMap<(String, String), (i64, i64)> =
        inbound::insert_many(conn, &rows, now)
            .await?
            .into_iter()
            .map(|s| ((s.gateway, s.gateway_id), (s.contact_id, s.id)))
            .collect();
    // A gateway id twice in one batch is stored once; the later copy is the duplicate.
    let stored: Vec<Option<(i64, i64)>> = texts
        .iter()
        .map(|(text, key)| {
            let (contact_id, id) = inserted.remove(&(text.gateway.to_string(), key.to_string()))?;
            tracing::info!(inbound_id = id, gateway = text.gateway, from = %text.from.redacted(), "text received");
            Some((contact_id, id))
        })
        .collect();
    let media: Vec<(i64, usize, &Media)> = texts
        .iter()
        .zip(&stored)
        .filter_map(|((text, _), s)| Some((s.as_ref()?.1, &text.media)))
        .flat_map(|(id, media)| media.iter().enumerate().map(move |(i, m)| (id, i, m)))
        .collect();
    inbound::add_media(conn, &media).await?;
    Ok(stored)
}

/// What committed handling leaves to do once the pass is over.
#[derive(Debug, Default, Clone, Copy)]
struct Written {
    /// Texts were queued: the outbox is to send them now.
    queued: bool,
    /// Someone was forgotten: their rows' old versions are to be flushed away.
    forgot: bool,
}

impl Written {
    fn and(self, other: Written) -> Written {
        Written {
            queued: self.queued || other.queued,
            forgot: self.forgot || other.forgot,
        }
    }

    async fn follow_up(self, core: &Core) {
        if self.forgot
            && let Err(e) = core.db.flush_erased().await
        {
            tracing::warn!(error = %e, "flushing forgotten rows failed; the next forgetting will");
        }
        if self.queued || self.forgot {
            core.outbox_wake.notify_one();
        }
    }
}

type Handled = HashMap<i64, Result<(), IntakeError>>;

/// Handles every waiting text of the contacts; one result per contact.
async fn handle_with_fallback(
    core: &Core,
    conn: &mut Conn,
    contact_ids: Vec<i64>,
) -> (Handled, Written) {
    if contact_ids.is_empty() {
        return (HashMap::new(), Written::default());
    }
    match handle(core, conn, &contact_ids).await {
        Ok(written) => {
            let handled = contact_ids.into_iter().map(|id| (id, Ok(()))).collect();
            (handled, written)
        }
        Err(e) if contact_ids.len() == 1 || e.is_unreachable() => {
            let e = IntakeError::from(e);
            let handled = contact_ids
                .into_iter()
                .map(|id| (id, Err(e.clone())))
                .collect();
            (handled, Written::default())
        }
        Err(e) => {
            tracing::warn!(error = %e, contacts = contact_ids.len(), "a batch failed; handling one contact at a time");
            let mut each = HashMap::with_capacity(contact_ids.len());
            let mut written = Written::default();
            for id in contact_ids {
                let result = handle(core, conn, &[id]).await;
                if let Ok(w) = result {
                    written = written.and(w);
                }
                each.insert(id, result.map(|_| ()).map_err(Into::into));
            }
            (each, written)
        }
    }
}

/// One transaction: lock the contacts, load their waiting texts and conversations, route each
/// text in arrival order, write the plan.
async fn handle(core: &Core, conn: &mut Conn, contact_ids: &[i64]) -> Result<Written, StoreError> {
    let now = core.clock.now_ms();
    let mut tx = conn.begin().await?;
    let flows = core.flows.current();
    let Some(Loaded {
        texts,
        mut gate,
        mut plan,
    }) = load(core, &mut tx, &flows, contact_ids, now).await?
    else {
        tx.commit().await?;
        return Ok(Written::default());
    };
    for text in &texts {
        let outcome = match gate.admit(text) {
            Admission::Open => route::route(&core.settings, &flows, &mut plan, text, now),
            held => limits::held(&core.settings, &mut plan, text, held, now),
        };
        plan.handled(text, outcome, now);
        tracing::debug!(inbound_id = text.id, outcome, "text handled");
    }
    gate.write(&mut tx).await?;
    let forgets = plan.take_forgets();
    let queued = plan
        .apply(&mut tx, &core.settings.dispatch, &flows, now)
        .await?;
    for forget in &forgets {
        let by = Forgetting {
            actor: forget.actor,
            reason: Reason::AskedByText,
            now,
        };
        let last = Farewell {
            line: &forget.line,
            body: &forget.body,
        };
        let person = Person::Contact(forget.contact_id);
        let settings = &core.settings.dispatch;
        privacy::forget_in(&mut tx, core.db.backend(), settings, person, by, Some(last)).await?;
    }
    tx.commit().await?;
    Ok(Written {
        queued,
        forgot: !forgets.is_empty(),
    })
}

/// What a pass works from once its contacts are locked.
struct Loaded<'a> {
    texts: Vec<InboundRow>,
    gate: Gate<'a>,
    plan: Plan,
}

/// Locks the contacts and reads what handling their waiting texts needs; `None` when none waits
/// (another worker or copy handled them first).
async fn load<'a>(
    core: &'a Core,
    tx: &mut Conn,
    flows: &Flows,
    contact_ids: &[i64],
    now: i64,
) -> Result<Option<Loaded<'a>>, StoreError> {
    let locked = contacts::lock_many(&mut *tx, core.db.backend(), contact_ids).await?;
    let (texts_since, calls_since) = Gate::window(&core.settings.safety, now);
    let waiting = waiting::read(&mut *tx, contact_ids, texts_since, calls_since).await?;
    let (texts, standing) = (waiting.texts, waiting.standing);
    if texts.is_empty() {
        return Ok(None);
    }
    let gate = Gate::new(&core.settings.safety, &standing, waiting.counted, now);
    let volunteer_ids = ids_where(&standing, |s| s.volunteer);
    let volunteers = if volunteer_ids.is_empty() {
        Vec::new()
    } else {
        volunteers::active_among(&mut *tx, &volunteer_ids).await?
    };
    // Requests in hand (the neighbour's texts go to their volunteer) and open ones (STATUS,
    // cancelling, a hand-off) are read only for contacts that have any.
    let with_requests = ids_where(&standing, |s| s.open_request);
    let in_hand = if with_requests.is_empty() {
        Vec::new()
    } else {
        requests::in_hand_for(&mut *tx, &with_requests).await?
    };
    let active: Vec<_> = standing
        .into_iter()
        .filter_map(|s| s.conversation)
        .collect();
    // The open requests are needed for STATUS and cancelling, and for a neighbour in no
    // conversation, who may be waiting on a hand-off: fetch them only then. A volunteer's texts
    // (YES A7, DONE A7) never need them.
    // Asking to be forgotten needs to know what the line holds and what the last text asked.
    let forget_words = texts
        .iter()
        .any(|t| flows.keywords().forget_word(&fold(&t.body)).is_some());
    let needs_open_requests = !with_requests.is_empty()
        && (forget_words
            || texts.iter().any(|t| {
                let keyword = flows.keywords().classify(&fold(&t.body));
                let in_conversation = active.iter().any(|a| a.contact_id == t.contact_id);
                let volunteer = volunteers.iter().any(|v| v.contact_id == t.contact_id);
                matches!(keyword, Some(Keyword::Status | Keyword::Cancel))
                    || (!in_conversation && !volunteer)
            }));
    let mut plan = Plan::new(locked, active).with_dispatch(volunteers, in_hand);
    if needs_open_requests {
        plan = plan.with_open_requests(requests::open_for(&mut *tx, &with_requests).await?);
    }
    let wind_down = &core.settings.wind_down;
    if wind_down.is_on() {
        let since = now - REFERRAL_EVERY_MS;
        plan = plan.with_referred(
            wind_down
                .referred_since(&mut *tx, contact_ids, since)
                .await?,
        );
    }
    if forget_words {
        plan = plan.with_last_texts(inbound::last_handled_for(&mut *tx, contact_ids).await?);
    }
    Ok(Some(Loaded { texts, gate, plan }))
}

/// The contacts whose standing passes `test`.
fn ids_where(standing: &[Standing], test: impl Fn(&Standing) -> bool) -> Vec<i64> {
    standing
        .iter()
        .filter(|s| test(s))
        .map(|s| s.contact_id)
        .collect()
}

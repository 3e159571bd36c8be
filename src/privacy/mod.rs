//! Forgetting a person, and letting personal data age out.
//!
//! [`forget`] is the one way anyone is forgotten: the command line, the request page and the
//! retention of quiet numbers call it, and the intake calls [`forget_in`] inside the transaction
//! that handles a person's confirmed DELETE by text. It cancels
//! what they had open the way a neighbour's CANCEL does, so volunteers on it are told, hands a
//! forgotten volunteer's jobs back to the queue, removes every row about them
//! ([`store::erasure`]) and records that it happened without saying whose, noting the copies of
//! their texts at the providers for [`at_providers`] to delete there. [`purge`] ages out the
//! rest by kind.

pub mod at_providers;
pub mod purge;

pub use purge::{Purged, purge};

use crate::dispatch::{self, DispatchSettings};
use crate::lifecycle::OutboundKind::{self, Notice};
use crate::lifecycle::{RequestStatus, VolunteerStatus};
use crate::phone::Phone;
use crate::store::contacts::Contact;
use crate::store::erasure::{self, Erased, Reason};
use crate::store::outbound::{self, NewOutbound};
use crate::store::{
    Backend, Conn, Db, StoreError, contacts, provider_copies, requests, volunteers,
};

/// Who is to be forgotten.
#[derive(Debug, Clone, Copy)]
pub enum Person<'a> {
    Contact(i64),
    Number(&'a Phone),
}

/// Who is forgetting, why, and when.
#[derive(Debug, Clone, Copy)]
pub struct Forgetting<'a> {
    /// As request events name people: `user:NAME`, `cli`, `retention`, `neighbour`.
    pub actor: &'a str,
    pub reason: Reason,
    pub now: i64,
}

/// The last text to someone who asked, by text, to be forgotten: it tells them it is done.
#[derive(Debug, Clone, Copy)]
pub struct Farewell<'a> {
    pub line: &'a str,
    pub body: &'a str,
}

/// Forgets `person` in one transaction, then clears the database files of what was removed.
/// Nothing when the line does not know them.
pub async fn forget(
    db: &Db,
    settings: &DispatchSettings,
    person: Person<'_>,
    by: Forgetting<'_>,
) -> Result<Option<Erased>, StoreError> {
    let mut tx = db.begin().await?;
    let erased = forget_in(&mut tx, db.backend(), settings, person, by, None).await?;
    tx.commit().await?;
    if erased.is_some() {
        db.flush_erased().await?;
    }
    Ok(erased)
}

/// Forgets `person` inside the caller's transaction; the caller clears the database files
/// ([`Db::flush_erased`]) once it commits. With a `farewell`, that one text is queued to them
/// and their contact is kept, emptied and without their number, until the outbox is done with
/// it and lets both go ([`erasure::let_go_of_farewells`]).
pub async fn forget_in(
    conn: &mut Conn,
    backend: Backend,
    settings: &DispatchSettings,
    person: Person<'_>,
    by: Forgetting<'_>,
    farewell: Option<Farewell<'_>>,
) -> Result<Option<Erased>, StoreError> {
    let id = match person {
        Person::Contact(id) => Some(id),
        Person::Number(phone) => contacts::id_of(conn, phone.as_str()).await?,
    };
    let Some(id) = id else {
        return Ok(None);
    };
    // Locked first, as handling a text does, so a text from them waits for this to finish.
    let Some(contact) = contacts::lock_many(conn, backend, &[id]).await?.pop() else {
        return Ok(None);
    };
    // What the providers hold of their texts is noted before the rows that name it go.
    provider_copies::note_texts_of(conn, id, by.now).await?;
    provider_copies::note_recordings_of(conn, id, by.now).await?;
    let up_to_outbound = erasure::newest_outbound(conn).await?;
    let cancelled = cancel_open(conn, settings, id, by).await?;
    hand_back_jobs(conn, settings, &contact, by).await?;
    let mut erased = erasure::erase_contact(conn, &contact, up_to_outbound).await?;
    erased.requests_cancelled = cancelled;
    match farewell {
        None => erasure::remove_contact(conn, id).await?,
        Some(last) => {
            let text = NewOutbound {
                contact_id: id,
                line: last.line,
                to: &contact.phone,
                body: last.body,
                kind: OutboundKind::Farewell,
                inbound_id: None,
                spoken: false,
                spoken_audio: None,
            };
            outbound::enqueue_many(conn, &[text], by.now).await?;
            erasure::hollow_contact(conn, id).await?;
        }
    }
    erasure::record(conn, by.actor, by.reason, &erased, by.now).await?;
    tracing::info!(contact_id = id, actor = by.actor, "a person was forgotten");
    Ok(Some(erased))
}

/// Cancels the person's open requests as their own CANCEL would: no more offers, and a
/// volunteer on one is told. The person is not texted: they asked to be forgotten.
async fn cancel_open(
    conn: &mut Conn,
    settings: &DispatchSettings,
    contact_id: i64,
    by: Forgetting<'_>,
) -> Result<u64, StoreError> {
    let open = requests::open_for(conn, &[contact_id]).await?;
    for request in &open {
        requests::cancel(conn, request.id, by.actor, by.now).await?;
        dispatch::on_cancelled(conn, settings, request.id, by.now).await?;
    }
    Ok(open.len() as u64)
}

/// A volunteer being forgotten leaves the roster, and the jobs they held go back to the queue
/// and out to others, with their neighbours told, as when a volunteer drops one.
async fn hand_back_jobs(
    conn: &mut Conn,
    settings: &DispatchSettings,
    contact: &Contact,
    by: Forgetting<'_>,
) -> Result<(), StoreError> {
    let Some(volunteer) = volunteers::by_contact(conn, contact.id).await? else {
        return Ok(());
    };
    volunteers::set_status(conn, &contact.phone, VolunteerStatus::Removed, by.now).await?;
    for job in requests::held_by(conn, volunteer.id).await? {
        let detail = Some("their volunteer was forgotten");
        requests::set_status(conn, job.id, RequestStatus::New, by.actor, detail, by.now).await?;
        let dropped: fn(&dispatch::Texts) -> &String = |t| &t.neighbour_dropped;
        dispatch::tell_neighbour(conn, settings, &job, dropped, Notice, &[], by.now).await?;
        dispatch::offers::start(conn, settings, &job, by.now).await?;
    }
    Ok(())
}

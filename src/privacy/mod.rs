//! Forgetting a person, and letting personal data age out.
//!
//! [`forget`] is the one way anyone is forgotten: the command line, the request page and the
//! retention of quiet numbers call it, and a neighbour's own request by text is to call it too. It cancels
//! what they had open the way a neighbour's CANCEL does, so volunteers on it are told, hands a
//! forgotten volunteer's jobs back to the queue, removes every row about them
//! ([`store::erasure`]) and records that it happened without saying whose. [`purge`] ages out the
//! rest by kind.

pub mod purge;

pub use purge::{Purged, purge};

use crate::dispatch::{self, DispatchSettings};
use crate::lifecycle::OutboundKind::Notice;
use crate::lifecycle::{RequestStatus, VolunteerStatus};
use crate::phone::Phone;
use crate::store::contacts::Contact;
use crate::store::erasure::{self, Erased, Reason};
use crate::store::{Conn, Db, StoreError, contacts, requests, volunteers};

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

/// Forgets `person` in one transaction, then clears the database files of what was removed.
/// Nothing when the line does not know them.
pub async fn forget(
    db: &Db,
    settings: &DispatchSettings,
    person: Person<'_>,
    by: Forgetting<'_>,
) -> Result<Option<Erased>, StoreError> {
    let mut tx = db.begin().await?;
    let id = match person {
        Person::Contact(id) => Some(id),
        Person::Number(phone) => contacts::id_of(&mut tx, phone.as_str()).await?,
    };
    let Some(id) = id else {
        return Ok(None);
    };
    // Locked first, as handling a text does, so a text from them waits for this to finish.
    let Some(contact) = contacts::lock_many(&mut tx, db.backend(), &[id])
        .await?
        .pop()
    else {
        return Ok(None);
    };
    let up_to_outbound = erasure::newest_outbound(&mut tx).await?;
    let cancelled = cancel_open(&mut tx, settings, id, by).await?;
    hand_back_jobs(&mut tx, settings, &contact, by).await?;
    let mut erased = erasure::erase_contact(&mut tx, &contact, up_to_outbound).await?;
    erased.requests_cancelled = cancelled;
    erasure::record(&mut tx, by.actor, by.reason, &erased, by.now).await?;
    tx.commit().await?;
    db.flush_erased().await?;
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

//! The rule every dispatcher's change keeps, from the pages and the API alike: it takes its turn
//! with the texts of the people on the request, and acts on the request as it is then.

use super::{Desk, DeskError};
use crate::dispatch::DispatchSettings;
use crate::store::requests::Request;
use crate::store::{Db, StoreError, contacts, outbound, volunteers};

/// Does `change` to the open request `code` in one transaction on behalf of `actor` and commits
/// it. Returns the request's code as stored, and what `change` gave. The caller then wakes the
/// outbox for any texts it queued.
///
/// Like a text being handled, the change first holds the people on the request (the neighbour
/// and the volunteer), so it and their texts take turns rather than interleave; then it reads
/// the request again, since a text handled while it waited may have moved it on. SQLite has one
/// writer, so there the turn-taking is the database's own.
pub async fn work_on<T>(
    db: &Db,
    settings: &DispatchSettings,
    actor: &str,
    now: i64,
    code: &str,
    change: impl AsyncFnOnce(&mut Desk<'_>, &Request) -> Result<T, DeskError>,
) -> Result<(String, T), DeskError> {
    let turn = Turn {
        db,
        settings,
        actor,
        now,
    };
    let (request, result) = turn.take(code, Finish::Commit, change).await?;
    Ok((request.code, result))
}

/// What `change` would text, and to whom (contact, body), without doing it: the change runs as
/// [`work_on`] runs it, then the transaction is rolled back. The texts shown are the very ones the
/// change would queue, so a confirmation never says something the change would not do.
pub async fn preview<T>(
    db: &Db,
    settings: &DispatchSettings,
    actor: &str,
    now: i64,
    code: &str,
    change: impl AsyncFnOnce(&mut Desk<'_>, &Request) -> Result<T, DeskError>,
) -> Result<(Request, Vec<(i64, String)>), DeskError> {
    let turn = Turn {
        db,
        settings,
        actor,
        now,
    };
    turn.take(code, Finish::RollBack, async |desk, request| {
        let before = outbound::last_id(desk.conn).await?;
        change(desk, request).await?;
        Ok(outbound::queued_here_after(desk.conn, db.backend(), before).await?)
    })
    .await
}

/// Whether a turn's changes are kept.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Finish {
    Commit,
    RollBack,
}

/// One dispatcher's turn at the desk.
struct Turn<'a> {
    db: &'a Db,
    settings: &'a DispatchSettings,
    actor: &'a str,
    now: i64,
}

impl Turn<'_> {
    /// Runs `change` on the open request `code` in one transaction, once its people are held,
    /// and keeps or undoes what it did.
    async fn take<T>(
        &self,
        code: &str,
        finish: Finish,
        change: impl AsyncFnOnce(&mut Desk<'_>, &Request) -> Result<T, DeskError>,
    ) -> Result<(Request, T), DeskError> {
        let mut tx = self.db.begin().await?;
        let mut desk = Desk {
            conn: &mut tx,
            settings: self.settings,
            actor: self.actor,
            now: self.now,
        };
        let request = take_turn(&mut desk, self.db, code).await?;
        let result = change(&mut desk, &request).await?;
        match finish {
            Finish::Commit => tx.commit().await,
            Finish::RollBack => tx.rollback().await,
        }
        .map_err(StoreError::from)?;
        Ok((request, result))
    }
}

/// Holds the people on the open request `code` and reads it again once they are held.
async fn take_turn(desk: &mut Desk<'_>, db: &Db, code: &str) -> Result<Request, DeskError> {
    let found = desk.open(code).await?;
    let mut people = vec![found.contact_id];
    if let Some(id) = found.volunteer_id {
        people.extend(
            volunteers::by_id(desk.conn, id)
                .await?
                .map(|v| v.contact_id),
        );
    }
    contacts::lock_many(desk.conn, db.backend(), &people).await?;
    desk.open(code).await
}

//! Every change to a request row: filing it, the claim, and its moves. Each move is checked
//! against [`RequestStatus::can_move_to`] in the UPDATE itself, so a request that ended cannot be
//! reopened by a text or a click that raced with its end.

use super::{Conn, EventKind, RequestStatus, StoreError, add_event, codes};
use crate::lifecycle::OfferAnswer;
use crate::store::{Backend, backend_of};
use crate::store::{offers, value_list};

pub struct NewRequest<'a> {
    pub contact_id: i64,
    pub line: &'a str,
    pub queue: &'a str,
    pub fields: &'a std::collections::BTreeMap<String, String>,
    pub priority: i64,
    pub session_id: Option<i64>,
    pub actor: &'a str,
}

/// The first key of PostgreSQL's advisory locks on request codes being filed (the second is
/// `hashtext(code)`); nothing else takes advisory locks under it.
pub const CODE_LOCKS: i32 = 0x6169_646c; // "aidl"

/// Creates an open request with a fresh code and its `created` event; returns (id, code).
pub async fn create(
    conn: &mut Conn,
    new: &NewRequest<'_>,
    now: i64,
) -> Result<(i64, String), StoreError> {
    let fields = serde_json::to_string(new.fields).expect("a string map always serialises");
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM requests WHERE closed_at IS NULL")
        .fetch_one(&mut *conn)
        .await?;
    let backend = backend_of(conn);
    if backend == Backend::Sqlite {
        sqlx::query("INSERT INTO queues (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(new.queue)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    // A code an open request holds already inserts nothing, and another is drawn: no error, so
    // the caller's transaction goes on without a savepoint.
    let insert = |only_if: &str| {
        format!(
            "INSERT INTO requests \
             (code, contact_id, line, queue, status, fields, priority, session_id, created_at, updated_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $9{only_if} \
             ON CONFLICT (code) WHERE closed_at IS NULL DO NOTHING RETURNING id"
        )
    };
    // PostgreSQL also adds the queue and the event in the same statement: one round trip. A
    // code that another transaction is filing a request under right now is passed over too, as
    // if taken, rather than waited for: two transactions each waiting for the other's new code
    // would deadlock. The code's lock is tried, never waited for, and held to the commit.
    let sql = match backend {
        // SQLite reads an upsert's SELECT unambiguously only with a WHERE.
        Backend::Sqlite => insert(" WHERE TRUE"),
        Backend::Postgres => format!(
            "WITH q AS (INSERT INTO queues (name, created_at) VALUES ($4, $9) ON CONFLICT DO NOTHING), \
             r AS ({}), \
             e AS (INSERT INTO request_events (request_id, at, actor, kind, detail) \
                   SELECT id, $9, $10, $11, NULL FROM r) \
             SELECT id FROM r",
            insert(&format!(
                " WHERE pg_try_advisory_xact_lock({CODE_LOCKS}, hashtext($1))"
            ))
        ),
    };
    let mut attempt = 0u32;
    loop {
        // After a few collisions in a row, a longer code.
        let code = codes::random_code(codes::code_digits(open) + attempt / 4);
        let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&code)
            .bind(new.contact_id)
            .bind(new.line)
            .bind(new.queue)
            .bind(RequestStatus::New)
            .bind(&fields)
            .bind(new.priority)
            .bind(new.session_id)
            .bind(now);
        if backend == Backend::Postgres {
            query = query.bind(new.actor).bind(EventKind::Created);
        }
        let inserted: Option<i64> = query.fetch_optional(&mut *conn).await?;
        if let Some(id) = inserted {
            if backend == Backend::Sqlite {
                add_event(conn, id, new.actor, EventKind::Created, None, now).await?;
            }
            return Ok((id, code));
        }
        attempt += 1;
    }
}

/// Who may take a request in a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimRule {
    /// A volunteer's own claim by text: only with an offer of it open to them.
    OfferHeld,
    /// A dispatcher's choice: anyone.
    Assigned,
}

/// Gives the request to the volunteer if nobody holds it (and, by text, if it was offered to
/// them); false when someone was first or the rule did not allow it. The caller records how it
/// came to them.
///
/// It is one conditional UPDATE, so exactly one of any number of simultaneous claims wins:
/// SQLite runs one writer at a time, and PostgreSQL makes a second UPDATE of the row wait for the
/// first and then re-check its condition.
pub async fn claim(
    conn: &mut Conn,
    id: i64,
    volunteer_id: i64,
    rule: ClaimRule,
    now: i64,
) -> Result<bool, StoreError> {
    // The offer check sits in the same UPDATE as the status check, so no path that forgets to
    // ask first can hand a request to a volunteer it was never offered to.
    let offered = match rule {
        ClaimRule::OfferHeld => format!(" AND EXISTS ({})", offers::open_offer("$3", "$1", "$7")),
        ClaimRule::Assigned => String::new(),
    };
    let sql = format!(
        "UPDATE requests SET status = $4, volunteer_id = $1, claimed_at = $2, updated_at = $2 \
         WHERE id = $3 AND closed_at IS NULL AND status IN ($5, $6){offered}"
    );
    let [from_new, from_offered] = RequestStatus::CLAIMABLE;
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(volunteer_id)
        .bind(now)
        .bind(id)
        .bind(RequestStatus::Claimed)
        .bind(from_new)
        .bind(from_offered)
        .bind(OfferAnswer::Late)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a request to `status`, recording who did it and why. A move the rules do not allow
/// (from an ended request, say) is an error and changes nothing.
pub async fn set_status(
    conn: &mut Conn,
    id: i64,
    status: RequestStatus,
    actor: &str,
    detail: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    let from = status.moves_from();
    let sql = format!(
        "UPDATE requests SET status = $1, updated_at = $2, \
         closed_at = CASE WHEN $3 THEN $2 ELSE closed_at END, \
         volunteer_id = CASE WHEN $4 THEN NULL ELSE volunteer_id END, \
         failure_reason = CASE WHEN $5 THEN $6 ELSE failure_reason END \
         WHERE id = $7 AND status IN ({})",
        value_list(8, from.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(status)
        .bind(now)
        .bind(!status.is_open())
        .bind(status.releases_volunteer())
        .bind(status == RequestStatus::Failed)
        .bind(detail)
        .bind(id);
    for s in from {
        query = query.bind(s);
    }
    if query.execute(&mut *conn).await?.rows_affected() == 0 {
        return Err(StoreError::NotAllowed(format!(
            "request {id} cannot move to {status} from where it is"
        )));
    }
    add_event(conn, id, actor, status.into(), detail, now).await
}

/// Cancels an open request, recording who did it.
pub async fn cancel(conn: &mut Conn, id: i64, actor: &str, now: i64) -> Result<(), StoreError> {
    set_status(conn, id, RequestStatus::Cancelled, actor, None, now).await
}

/// Records that the neighbour added to an open request (`detail` says what), and marks the request
/// changed so that open queue pages show it.
pub async fn attach(
    conn: &mut Conn,
    id: i64,
    actor: &str,
    detail: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE requests SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    add_event(conn, id, actor, EventKind::Attached, Some(detail), now).await
}

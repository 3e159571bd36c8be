//! `timers`: things to do later (remind someone who went quiet, end the conversation), kept as
//! rows so they survive restarts and fire once across every copy of the service.

use sqlx::Arguments as _;
use sqlx::any::AnyArguments;

use super::together::{self, Together};
use super::{Conn, StoreError, add, backend_of, in_list, pow2_chunks, value_rows};

pub use crate::flow::TimerKind;

fn kind_name(kind: TimerKind) -> &'static str {
    match kind {
        TimerKind::Remind => "remind",
        TimerKind::Expire => "expire",
    }
}

/// A timer whose time has come, with the contact whose conversation it belongs to.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: i64,
    pub kind: TimerKind,
    /// When it was meant to fire (it may be handled a little later).
    pub fire_at: i64,
    pub session_id: i64,
    pub contact_id: i64,
}

/// Sets each session's pending timer: (session, kind, fire_at). One row per session. A pending
/// timer of the same kind that fires no later is left as it is: a busy conversation would
/// otherwise write its timer, and the timer's indexes, with every text. Such a timer may come due
/// before the quiet time is over, so firing one checks when the conversation last moved on
/// ([`put_off`]).
pub async fn set(conn: &mut Conn, timers: &[(i64, TimerKind, i64)]) -> Result<(), StoreError> {
    let mut together = Together::new(backend_of(conn));
    for chunk in pow2_chunks(timers) {
        together.add(|args| set_some(args, chunk))?;
    }
    together.run(conn).await
}

/// [`set`] for one chunk of [`pow2_chunks`], to be made with other writes.
pub(crate) fn set_some(
    args: &mut AnyArguments,
    timers: &[(i64, TimerKind, i64)],
) -> Result<Option<String>, StoreError> {
    if timers.is_empty() {
        return Ok(None);
    }
    let sql = format!(
        "INSERT INTO timers (session_id, kind, fire_at) VALUES {} \
         ON CONFLICT (session_id) WHERE done_at IS NULL \
         DO UPDATE SET kind = excluded.kind, fire_at = excluded.fire_at \
         WHERE timers.kind <> excluded.kind OR timers.fire_at > excluded.fire_at",
        value_rows(args.len() + 1, timers.len(), 3)
    );
    for (session, kind, fire_at) in timers {
        add(args, *session)?;
        add(args, kind_name(*kind))?;
        add(args, *fire_at)?;
    }
    Ok(Some(sql))
}

/// Drops the pending timers of conversations that are over.
pub async fn clear(conn: &mut Conn, sessions: &[i64]) -> Result<(), StoreError> {
    together::write(conn, |args| clear_some(args, sessions)).await
}

/// [`clear`], to be made with other writes.
pub(crate) fn clear_some(
    args: &mut AnyArguments,
    sessions: &[i64],
) -> Result<Option<String>, StoreError> {
    if sessions.is_empty() {
        return Ok(None);
    }
    Ok(Some(format!(
        "DELETE FROM timers WHERE done_at IS NULL AND session_id IN ({})",
        in_list(args, sessions)?
    )))
}

/// Timers due by `now`, oldest first.
pub async fn due(conn: &mut Conn, now: i64, limit: i64) -> Result<Vec<Due>, StoreError> {
    let rows: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT t.id, t.kind, t.fire_at, t.session_id, s.contact_id FROM timers t \
         JOIN sessions s ON s.id = t.session_id \
         WHERE t.done_at IS NULL AND t.fire_at <= $1 ORDER BY t.fire_at, t.id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, fire_at, session_id, contact_id)| Due {
            id,
            fire_at,
            kind: if kind == "expire" {
                TimerKind::Expire
            } else {
                TimerKind::Remind
            },
            session_id,
            contact_id,
        })
        .collect())
}

/// Marks a timer done; false when it already was, or went with its conversation.
pub async fn take(conn: &mut Conn, id: i64, now: i64) -> Result<bool, StoreError> {
    set_pending(conn, id, "done_at", now).await
}

/// Moves a pending timer to `at`; false when it was done meanwhile.
pub async fn put_off(conn: &mut Conn, id: i64, at: i64) -> Result<bool, StoreError> {
    set_pending(conn, id, "fire_at", at).await
}

/// Sets one column of a timer that is still pending; false when it is not.
async fn set_pending(
    conn: &mut Conn,
    id: i64,
    column: &'static str,
    value: i64,
) -> Result<bool, StoreError> {
    let sql = format!("UPDATE timers SET {column} = $1 WHERE id = $2 AND done_at IS NULL");
    let changed = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(changed.rows_affected() == 1)
}

/// What a request's timer does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestTimer {
    /// Nobody took it: offer it to a wider wave.
    Escalate,
    /// Still nobody: tell the dispatchers.
    Alert,
}

/// Sets a request's one pending timer, replacing any it had.
pub async fn set_for_request(
    conn: &mut Conn,
    request_id: i64,
    kind: RequestTimer,
    at: i64,
) -> Result<(), StoreError> {
    clear_for_request(conn, request_id).await?;
    let kind = match kind {
        RequestTimer::Escalate => "escalate",
        RequestTimer::Alert => "alert",
    };
    sqlx::query("INSERT INTO timers (request_id, kind, fire_at) VALUES ($1, $2, $3)")
        .bind(request_id)
        .bind(kind)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Drops a request's pending timer (it was claimed, cancelled or finished).
pub async fn clear_for_request(conn: &mut Conn, request_id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM timers WHERE done_at IS NULL AND request_id = $1")
        .bind(request_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Request timers due by `now`, oldest first: (timer id, request id, kind).
pub async fn due_for_requests(
    conn: &mut Conn,
    now: i64,
    limit: i64,
) -> Result<Vec<(i64, i64, RequestTimer)>, StoreError> {
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT id, request_id, kind FROM timers \
         WHERE done_at IS NULL AND request_id IS NOT NULL AND fire_at <= $1 \
         ORDER BY fire_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, request_id, kind)| {
            let kind = if kind == "alert" {
                RequestTimer::Alert
            } else {
                RequestTimer::Escalate
            };
            (id, request_id, kind)
        })
        .collect())
}

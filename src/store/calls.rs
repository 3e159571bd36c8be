//! `calls`: each call to a line, so that callbacks naming only the provider's call id (a
//! recording, the call's end) find who called.

use super::{Conn, StoreError};

/// A call as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Call {
    pub id: i64,
    pub line: String,
    pub contact_id: i64,
    /// The caller's number, E.164.
    pub phone: String,
    /// The caller began leaving a message.
    pub message_at: Option<i64>,
}

/// Records the call `call_id` of `gateway` from the contact with `phone`, once however often the
/// provider asks; returns its id.
pub async fn record(
    conn: &mut Conn,
    gateway: &str,
    call_id: &str,
    line: &str,
    phone: &str,
    now: i64,
) -> Result<i64, StoreError> {
    sqlx::query(
        "INSERT INTO calls (gateway, call_id, line, contact_id, started_at) \
         SELECT $1, $2, $3, id, $5 FROM contacts WHERE phone = $4 \
         ON CONFLICT (gateway, call_id) DO NOTHING",
    )
    .bind(gateway)
    .bind(call_id)
    .bind(line)
    .bind(phone)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let found = find(conn, gateway, call_id).await?;
    found
        .map(|c| c.id)
        .ok_or_else(|| StoreError::Corrupt(format!("call {call_id} has no caller")))
}

/// The call `gateway` names `call_id`, if it reached us.
pub async fn find(
    conn: &mut Conn,
    gateway: &str,
    call_id: &str,
) -> Result<Option<Call>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT c.id, c.line, c.contact_id, p.phone, c.message_at FROM calls c \
         JOIN contacts p ON p.id = c.contact_id WHERE c.gateway = $1 AND c.call_id = $2",
    )
    .bind(gateway)
    .bind(call_id)
    .fetch_optional(conn)
    .await?)
}

/// The caller of call `id` began leaving a message.
pub async fn message_started(conn: &mut Conn, id: i64, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE calls SET message_at = COALESCE(message_at, $1) WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Call `id` is over; `false` when it was already.
pub async fn end(conn: &mut Conn, id: i64, now: i64) -> Result<bool, StoreError> {
    let ended = sqlx::query("UPDATE calls SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(ended.rows_affected() == 1)
}

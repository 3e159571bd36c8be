//! `inbound_messages`: every text that reached us, stored before the webhook is answered.

use super::{Conn, StoreError};

pub struct NewInbound<'a> {
    pub gateway: &'a str,
    pub gateway_id: &'a str,
    pub line: &'a str,
    pub contact_id: i64,
    pub body: &'a str,
    pub num_media: i64,
    pub received_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InboundRow {
    pub id: i64,
    pub line: String,
    pub body: String,
}

/// Stores a text; `None` when the gateway already delivered this one (a retried webhook).
pub async fn insert(conn: &mut Conn, msg: &NewInbound<'_>) -> Result<Option<i64>, StoreError> {
    let id = sqlx::query_scalar(
        "INSERT INTO inbound_messages \
         (gateway, gateway_id, line, contact_id, body, num_media, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (gateway, gateway_id) DO NOTHING RETURNING id",
    )
    .bind(msg.gateway)
    .bind(msg.gateway_id)
    .bind(msg.line)
    .bind(msg.contact_id)
    .bind(msg.body)
    .bind(msg.num_media)
    .bind(msg.received_at)
    .fetch_optional(conn)
    .await?;
    Ok(id)
}

/// The contact's oldest text not yet handled, up to and including `up_to`.
pub async fn next_unhandled(
    conn: &mut Conn,
    contact_id: i64,
    up_to: i64,
) -> Result<Option<InboundRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, line, body FROM inbound_messages \
         WHERE contact_id = $1 AND handled_at IS NULL AND id <= $2 ORDER BY id LIMIT 1",
    )
    .bind(contact_id)
    .bind(up_to)
    .fetch_optional(conn)
    .await?)
}

pub async fn mark_handled(
    conn: &mut Conn,
    id: i64,
    outcome: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE inbound_messages SET handled_at = $1, outcome = $2 WHERE id = $3")
        .bind(now)
        .bind(outcome)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Contacts with stored but unhandled texts, and the newest such text of each.
pub async fn unhandled_by_contact(conn: &mut Conn) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT contact_id, MAX(id) FROM inbound_messages WHERE handled_at IS NULL \
         GROUP BY contact_id ORDER BY MIN(id)",
    )
    .fetch_all(conn)
    .await?)
}

pub async fn count(conn: &mut Conn) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT gateway, COUNT(*) FROM inbound_messages GROUP BY gateway ORDER BY gateway",
    )
    .fetch_all(conn)
    .await?)
}

//! One open request as a dispatcher reads it: its fields, who holds it, the neighbour's whole
//! conversation with the line, and what happened to the request.

use std::collections::BTreeMap;

use super::{Conn, StoreError};

#[derive(Debug, Clone)]
pub struct RequestDetail {
    pub id: i64,
    pub code: String,
    pub queue: String,
    pub status: String,
    pub fields: BTreeMap<String, String>,
    pub created_at: i64,
    pub contact_id: i64,
    /// Stored in full; the page masks it.
    pub phone: String,
    /// The name to use of the volunteer who holds the request, if one does.
    pub holder: Option<String>,
}

type DetailRow = (
    i64,
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
    Option<String>,
);

/// The open request with this code; closed requests give their codes back, so only an open one
/// is meant.
pub async fn open_request(
    conn: &mut Conn,
    code: &str,
) -> Result<Option<RequestDetail>, StoreError> {
    let row: Option<DetailRow> = sqlx::query_as(
        "SELECT r.id, r.code, r.queue, r.status, r.fields, r.created_at, r.contact_id, c.phone, \
         v.name_to_use FROM requests r JOIN contacts c ON c.id = r.contact_id \
         LEFT JOIN volunteers v ON v.id = r.volunteer_id \
         WHERE r.code = $1 AND r.closed_at IS NULL",
    )
    .bind(code)
    .fetch_optional(conn)
    .await?;
    row.map(
        |(id, code, queue, status, fields, created_at, contact_id, phone, holder)| {
            let fields = serde_json::from_str(&fields)
                .map_err(|e| StoreError::Corrupt(format!("request {code} fields: {e}")))?;
            Ok(RequestDetail {
                id,
                code,
                queue,
                status,
                fields,
                created_at,
                contact_id,
                phone,
                holder,
            })
        },
    )
    .transpose()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Direction {
    In,
    Out {
        kind: String,
        state: String,
        error_code: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub at: i64,
    pub body: String,
    pub direction: Direction,
    /// Orders texts written in the same millisecond: each text in comes before the replies to it.
    order: (i64, u8, i64),
}

/// Every text between the line and this contact, in the order they were written.
pub async fn conversation(conn: &mut Conn, contact_id: i64) -> Result<Vec<Message>, StoreError> {
    let inbound: Vec<(i64, i64, String)> =
        sqlx::query_as("SELECT id, received_at, body FROM inbound_messages WHERE contact_id = $1")
            .bind(contact_id)
            .fetch_all(&mut *conn)
            .await?;
    type OutRow = (
        i64,
        i64,
        String,
        String,
        String,
        Option<String>,
        Option<i64>,
    );
    let outbound: Vec<OutRow> = sqlx::query_as(
        "SELECT id, created_at, body, kind, state, error_code, inbound_id \
         FROM outbound_messages WHERE contact_id = $1",
    )
    .bind(contact_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut messages: Vec<Message> =
        inbound
            .into_iter()
            .map(|(id, at, body)| Message {
                at,
                body,
                direction: Direction::In,
                order: (id, 0, 0),
            })
            .chain(outbound.into_iter().map(
                |(id, at, body, kind, state, error_code, inbound_id)| Message {
                    at,
                    body,
                    direction: Direction::Out {
                        kind,
                        state,
                        error_code,
                    },
                    // A text that answers none (a reminder, an offer) follows the texts in of its
                    // millisecond.
                    order: (inbound_id.unwrap_or(i64::MAX), 1, id),
                },
            ))
            .collect();
    messages.sort_by_key(|m| (m.at, m.order));
    Ok(messages)
}

/// Changes whenever a text comes in or is queued to go out, for pages that show conversations
/// to notice.
pub async fn texts_fingerprint(conn: &mut Conn) -> Result<(i64, i64), StoreError> {
    Ok(sqlx::query_as(
        "SELECT (SELECT COALESCE(MAX(id), 0) FROM inbound_messages), \
             (SELECT COALESCE(MAX(id), 0) FROM outbound_messages)",
    )
    .fetch_one(conn)
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub at: i64,
    pub actor: String,
    pub kind: String,
    pub detail: Option<String>,
}

/// What happened to the request, oldest first.
pub async fn events(conn: &mut Conn, request_id: i64) -> Result<Vec<Event>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT at, actor, kind, detail FROM request_events WHERE request_id = $1 ORDER BY at, id",
    )
    .bind(request_id)
    .fetch_all(conn)
    .await?)
}

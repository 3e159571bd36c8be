//! `queues`, `requests` and `request_events`: what neighbours asked for, and everything that
//! happened to it. This module is the only one that writes to `requests` ([`writes`]).

mod codes;
mod writes;

pub use writes::{CODE_LOCKS, ClaimRule, NewRequest, attach, cancel, claim, create, set_status};

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::any::AnyArguments;

use super::{Conn, StoreError, in_list, value_list};
use crate::lifecycle::{EventKind, RequestStatus};

/// A request as dispatch works with it: who asked, who holds it, and where it stands.
#[derive(Debug, Clone)]
pub struct Request {
    pub id: i64,
    pub code: String,
    pub queue: String,
    pub status: RequestStatus,
    pub line: String,
    pub fields: BTreeMap<String, String>,
    pub volunteer_id: Option<i64>,
    /// The neighbour who asked.
    pub contact_id: i64,
    pub phone: String,
    pub language: Option<String>,
}

impl Request {
    /// The volunteer working on it now, if one is.
    pub fn holder(&self) -> Option<i64> {
        self.volunteer_id.filter(|_| self.status.is_held())
    }
}

const SELECT: &str = "SELECT r.id, r.code, r.queue, r.status, r.line, r.fields, r.volunteer_id, \
     r.contact_id, c.phone, c.language FROM requests r JOIN contacts c ON c.id = r.contact_id";

type Row = (
    i64,
    String,
    String,
    RequestStatus,
    String,
    String,
    Option<i64>,
    i64,
    String,
    Option<String>,
);

/// A request's answers, stored as a JSON object of strings.
fn read_fields(code: &str, fields: &str) -> Result<BTreeMap<String, String>, StoreError> {
    serde_json::from_str(fields)
        .map_err(|e| StoreError::Corrupt(format!("request {code} fields: {e}")))
}

fn from_row(row: Row) -> Result<Request, StoreError> {
    let (id, code, queue, status, line, fields, volunteer_id, contact_id, phone, language) = row;
    Ok(Request {
        fields: read_fields(&code, &fields)?,
        id,
        code,
        queue,
        status,
        line,
        volunteer_id,
        contact_id,
        phone,
        language,
    })
}

async fn fetch(
    conn: &mut Conn,
    condition: &str,
    args: AnyArguments,
) -> Result<Vec<Request>, StoreError> {
    let sql = format!("{SELECT} WHERE {condition} ORDER BY r.id");
    let rows: Vec<Row> = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args)
        .fetch_all(conn)
        .await?;
    rows.into_iter().map(from_row).collect()
}

fn args(
    values: impl IntoIterator<
        Item = impl for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + 'static,
    >,
) -> AnyArguments {
    let mut args = AnyArguments::default();
    for value in values {
        sqlx::Arguments::add(&mut args, value).expect("a plain value encodes");
    }
    args
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<Request>, StoreError> {
    Ok(fetch(conn, "r.id = $1", args([id])).await?.pop())
}

/// The open request with this code (codes are unique among open requests).
pub async fn open_by_code(conn: &mut Conn, code: &str) -> Result<Option<Request>, StoreError> {
    let code = args([code.to_string()]);
    Ok(fetch(conn, "r.closed_at IS NULL AND r.code = $1", code)
        .await?
        .pop())
}

/// What a volunteer holds now, oldest first.
pub async fn held_by(conn: &mut Conn, volunteer_id: i64) -> Result<Vec<Request>, StoreError> {
    let mut args = args([volunteer_id]);
    let held = RequestStatus::HELD;
    let condition = format!(
        "r.closed_at IS NULL AND r.volunteer_id = $1 AND r.status IN ({})",
        value_list(2, held.len())
    );
    for status in held {
        sqlx::Arguments::add(&mut args, status).expect("a plain value encodes");
    }
    fetch(conn, &condition, args).await
}

/// Each of these neighbours' request that a volunteer holds or has just delivered (the
/// neighbour's texts are then for the volunteer, or an answer to "did you get it?").
pub async fn in_hand_for(conn: &mut Conn, contact_ids: &[i64]) -> Result<Vec<Request>, StoreError> {
    let in_hand = [
        RequestStatus::HELD[0],
        RequestStatus::HELD[1],
        RequestStatus::Delivered,
    ];
    let mut args = args(in_hand);
    let condition = format!(
        "r.closed_at IS NULL AND r.status IN ({}) AND r.contact_id IN ({})",
        value_list(1, in_hand.len()),
        in_list(&mut args, contact_ids)?
    );
    fetch(conn, &condition, args).await
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestSummary {
    pub code: String,
    pub queue: String,
    pub status: RequestStatus,
    pub phone: String,
    pub fields: BTreeMap<String, String>,
    pub created_at: i64,
}

pub async fn add_event(
    conn: &mut Conn,
    request_id: i64,
    actor: &str,
    kind: EventKind,
    detail: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO request_events (request_id, at, actor, kind, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(request_id)
    .bind(now)
    .bind(actor)
    .bind(kind)
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Default)]
pub struct Filter {
    pub queue: Option<String>,
    pub status: Option<RequestStatus>,
}

pub async fn list(conn: &mut Conn, filter: &Filter) -> Result<Vec<RequestSummary>, StoreError> {
    let rows: Vec<(String, String, RequestStatus, String, String, i64)> = sqlx::query_as(
        "SELECT r.code, r.queue, r.status, c.phone, r.fields, r.created_at \
         FROM requests r JOIN contacts c ON c.id = r.contact_id \
         WHERE ($1 IS NULL OR r.queue = $1) AND ($2 IS NULL OR r.status = $2) \
         ORDER BY r.id",
    )
    .bind(filter.queue.as_deref())
    .bind(filter.status)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(code, queue, status, phone, fields, created_at)| {
            let fields = read_fields(&code, &fields)?;
            Ok(RequestSummary {
                code,
                queue,
                status,
                phone,
                fields,
                created_at,
            })
        })
        .collect()
}

/// A contact's open request, as a neighbour asking about it needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenRequest {
    pub id: i64,
    pub contact_id: i64,
    pub code: String,
    pub status: RequestStatus,
    pub queue: String,
}

/// The newest open request of each of these contacts.
pub async fn open_for(
    conn: &mut Conn,
    contact_ids: &[i64],
) -> Result<Vec<OpenRequest>, StoreError> {
    let mut args = AnyArguments::default();
    let sql = format!(
        "SELECT id, contact_id, code, status, queue FROM requests \
         WHERE closed_at IS NULL AND contact_id IN ({}) ORDER BY id",
        in_list(&mut args, contact_ids)?
    );
    let query = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args);
    Ok(query.fetch_all(conn).await?)
}

/// Open requests per queue, for metrics.
pub async fn open_by_queue(conn: &mut Conn) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT queue, COUNT(*) FROM requests WHERE closed_at IS NULL GROUP BY queue ORDER BY queue",
    )
    .fetch_all(conn)
    .await?)
}

//! Requests as dispatch sees them: who asked, who holds it, and its state. The claim is one
//! conditional UPDATE, so exactly one of any number of simultaneous claims wins: SQLite runs one
//! writer at a time, and PostgreSQL makes a second UPDATE of the row wait for the first and then
//! re-check its condition.

use std::collections::BTreeMap;

use sqlx::any::AnyArguments;

use super::{Conn, StoreError, in_list, offers, requests};

/// States in which a volunteer holds the request.
pub const HELD: &str = "'claimed', 'picked_up'";

#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub code: String,
    pub queue: String,
    pub status: String,
    pub line: String,
    pub fields: BTreeMap<String, String>,
    pub volunteer_id: Option<i64>,
    /// The neighbour who asked.
    pub contact_id: i64,
    pub phone: String,
    pub language: Option<String>,
}

const SELECT: &str = "SELECT r.id, r.code, r.queue, r.status, r.line, r.fields, r.volunteer_id, \
     r.contact_id, c.phone, c.language FROM requests r JOIN contacts c ON c.id = r.contact_id";

type Row = (
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    i64,
    String,
    Option<String>,
);

fn from_row(row: Row) -> Job {
    let (id, code, queue, status, line, fields, volunteer_id, contact_id, phone, language) = row;
    Job {
        id,
        code,
        queue,
        status,
        line,
        fields: serde_json::from_str(&fields).unwrap_or_default(),
        volunteer_id,
        contact_id,
        phone,
        language,
    }
}

async fn fetch(
    conn: &mut Conn,
    condition: &str,
    args: AnyArguments,
) -> Result<Vec<Job>, StoreError> {
    let sql = format!("{SELECT} WHERE {condition} ORDER BY r.id");
    let rows: Vec<Row> = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

fn one(
    value: impl for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + 'static,
) -> AnyArguments {
    let mut args = AnyArguments::default();
    sqlx::Arguments::add(&mut args, value).expect("a plain value encodes");
    args
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<Job>, StoreError> {
    Ok(fetch(conn, "r.id = $1", one(id)).await?.pop())
}

/// The open request with this code (codes are unique among open requests).
pub async fn open_by_code(conn: &mut Conn, code: &str) -> Result<Option<Job>, StoreError> {
    Ok(fetch(
        conn,
        "r.closed_at IS NULL AND r.code = $1",
        one(code.to_string()),
    )
    .await?
    .pop())
}

/// What a volunteer holds now, oldest first.
pub async fn held_by(conn: &mut Conn, volunteer_id: i64) -> Result<Vec<Job>, StoreError> {
    let condition = format!("r.closed_at IS NULL AND r.volunteer_id = $1 AND r.status IN ({HELD})");
    fetch(conn, &condition, one(volunteer_id)).await
}

/// Each of these neighbours' request that a volunteer holds or has just delivered (the
/// neighbour's texts are then for the volunteer, or an answer to "did you get it?").
pub async fn in_hand_for(conn: &mut Conn, contact_ids: &[i64]) -> Result<Vec<Job>, StoreError> {
    let mut args = AnyArguments::default();
    let condition = format!(
        "r.closed_at IS NULL AND r.status IN ({HELD}, 'delivered') AND r.contact_id IN ({})",
        in_list(&mut args, contact_ids)?
    );
    fetch(conn, &condition, args).await
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
        ClaimRule::OfferHeld => format!(" AND EXISTS ({})", offers::open_offer("$3", "$1")),
        ClaimRule::Assigned => String::new(),
    };
    let sql = format!(
        "UPDATE requests SET status = 'claimed', volunteer_id = $1, claimed_at = $2, updated_at = $2 \
         WHERE id = $3 AND closed_at IS NULL AND status IN ('new', 'offered'){offered}"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(volunteer_id)
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a request to `status`, recording who did it and why. `closes` ends it for good.
pub async fn set_status(
    conn: &mut Conn,
    id: i64,
    status: &str,
    actor: &str,
    detail: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    let closes = matches!(status, "confirmed" | "cancelled" | "closed");
    // A request back in the queue is nobody's; a failed one keeps who tried, for the record.
    let released = matches!(status, "new");
    sqlx::query(
        "UPDATE requests SET status = $1, updated_at = $2, \
         closed_at = CASE WHEN $3 THEN $2 ELSE closed_at END, \
         volunteer_id = CASE WHEN $4 THEN NULL ELSE volunteer_id END, \
         failure_reason = CASE WHEN $1 = 'failed' THEN $5 ELSE failure_reason END \
         WHERE id = $6",
    )
    .bind(status)
    .bind(now)
    .bind(closes)
    .bind(released)
    .bind(detail)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    requests::add_event(conn, id, actor, status, detail, now).await
}

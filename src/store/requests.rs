//! `queues`, `requests` and `request_events`: what neighbours asked for, and everything that
//! happened to it.

use std::collections::BTreeMap;

use rand::Rng;
use serde::Serialize;
use sqlx::Connection;

use sqlx::any::AnyArguments;

use super::{Conn, StoreError, in_list};

/// Letters and digits that are hard to misread or mistype on a small phone (no I/O/0/1).
const CODE_LETTERS: &[u8] = b"ACDEFGHJKLMNPQRTUVWXY";
const CODE_DIGITS: &[u8] = b"23456789";

pub struct NewRequest<'a> {
    pub contact_id: i64,
    pub line: &'a str,
    pub queue: &'a str,
    pub fields: &'a BTreeMap<String, String>,
    pub priority: i64,
    pub session_id: Option<i64>,
    pub actor: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestSummary {
    pub code: String,
    pub queue: String,
    pub status: String,
    pub phone: String,
    pub fields: BTreeMap<String, String>,
    pub created_at: i64,
}

/// A code for an open request: a letter and `digits` digits (`A7`, `K42`).
fn random_code(digits: u32) -> String {
    let mut rng = rand::rng();
    let mut code = String::new();
    code.push(CODE_LETTERS[rng.random_range(0..CODE_LETTERS.len())] as char);
    for _ in 0..digits {
        code.push(CODE_DIGITS[rng.random_range(0..CODE_DIGITS.len())] as char);
    }
    code
}

/// The fewest digits that leave at least three of every four codes free, so a random pick
/// rarely collides: one digit (168 codes) while few requests are open, more as the queue grows.
fn code_digits(open_requests: i64) -> u32 {
    let mut digits = 1;
    while (CODE_LETTERS.len() as i64) * (CODE_DIGITS.len() as i64).pow(digits) < open_requests * 4 {
        digits += 1;
    }
    digits
}

/// Creates an open request with a fresh code and its `created` event; returns (id, code).
pub async fn create(
    conn: &mut Conn,
    new: &NewRequest<'_>,
    now: i64,
) -> Result<(i64, String), StoreError> {
    sqlx::query("INSERT INTO queues (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(new.queue)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let fields = serde_json::to_string(new.fields).expect("a string map always serialises");
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM requests WHERE closed_at IS NULL")
        .fetch_one(&mut *conn)
        .await?;
    let mut attempt = 0u32;
    let (id, code) = loop {
        // After a few collisions in a row, a longer code.
        let code = random_code(code_digits(open) + attempt / 4);
        // A savepoint, so a taken code does not abort the caller's transaction on PostgreSQL.
        let mut savepoint = conn.begin().await?;
        let inserted: Result<i64, sqlx::Error> = sqlx::query_scalar(
            "INSERT INTO requests \
             (code, contact_id, line, queue, status, fields, priority, session_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'new', $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(&code)
        .bind(new.contact_id)
        .bind(new.line)
        .bind(new.queue)
        .bind(&fields)
        .bind(new.priority)
        .bind(new.session_id)
        .bind(now)
        .fetch_one(&mut *savepoint)
        .await;
        match inserted {
            Ok(id) => {
                savepoint.commit().await?;
                break (id, code);
            }
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                savepoint.rollback().await?;
                attempt += 1;
            }
            Err(e) => return Err(e.into()),
        }
    };
    add_event(conn, id, new.actor, "created", None, now).await?;
    Ok((id, code))
}

pub async fn add_event(
    conn: &mut Conn,
    request_id: i64,
    actor: &str,
    kind: &str,
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
    pub status: Option<String>,
}

pub async fn list(conn: &mut Conn, filter: &Filter) -> Result<Vec<RequestSummary>, StoreError> {
    let rows: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT r.code, r.queue, r.status, c.phone, r.fields, r.created_at \
         FROM requests r JOIN contacts c ON c.id = r.contact_id \
         WHERE ($1 IS NULL OR r.queue = $1) AND ($2 IS NULL OR r.status = $2) \
         ORDER BY r.id",
    )
    .bind(filter.queue.as_deref())
    .bind(filter.status.as_deref())
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(code, queue, status, phone, fields, created_at)| {
            let fields = serde_json::from_str(&fields)
                .map_err(|e| StoreError::Corrupt(format!("request {code} fields: {e}")))?;
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
    pub status: String,
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

/// Cancels an open request, recording who did it.
pub async fn cancel(conn: &mut Conn, id: i64, actor: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE requests SET status = 'cancelled', closed_at = $1, updated_at = $1 \
         WHERE id = $2 AND closed_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    add_event(conn, id, actor, "cancelled", None, now).await
}

/// Open requests per queue, for metrics.
pub async fn open_by_queue(conn: &mut Conn) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT queue, COUNT(*) FROM requests WHERE closed_at IS NULL GROUP BY queue ORDER BY queue",
    )
    .fetch_all(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_stay_two_characters_until_the_queue_is_long() {
        assert_eq!(code_digits(0), 1);
        assert_eq!(code_digits(42), 1);
        assert_eq!(code_digits(43), 2);
        assert_eq!(code_digits(3000), 4);
        let code = random_code(1);
        assert_eq!(code.len(), 2);
        assert!(CODE_LETTERS.contains(&code.as_bytes()[0]));
        assert!(CODE_DIGITS.contains(&code.as_bytes()[1]));
    }
}

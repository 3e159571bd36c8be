//! `contacts` and `opt_events`: everyone who texts a line, and their opt-out history.

use super::{Conn, StoreError};
use crate::phone::Phone;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Contact {
    pub id: i64,
    pub phone: String,
    pub language: Option<String>,
    pub opted_out_at: Option<i64>,
}

impl Contact {
    pub fn phone(&self) -> Phone {
        Phone::from_stored(self.phone.clone())
    }

    pub fn is_opted_out(&self) -> bool {
        self.opted_out_at.is_some()
    }
}

/// Finds or creates the contact for `phone`.
pub async fn upsert(conn: &mut Conn, phone: &Phone, now: i64) -> Result<Contact, StoreError> {
    Ok(sqlx::query_as(
        "INSERT INTO contacts (phone, created_at, last_seen_at) VALUES ($1, $2, $2) \
         ON CONFLICT (phone) DO UPDATE SET last_seen_at = excluded.last_seen_at \
         RETURNING id, phone, language, opted_out_at",
    )
    .bind(phone.as_str())
    .bind(now)
    .fetch_one(conn)
    .await?)
}

/// Takes the contact's lock for the rest of the transaction and returns the contact as it is now.
///
/// The first statement of the transaction is a write, so on PostgreSQL it holds the row lock until
/// commit (across every copy of the service) and on SQLite it takes the write lock before any read.
pub async fn lock(conn: &mut Conn, id: i64, now: i64) -> Result<Contact, StoreError> {
    Ok(sqlx::query_as(
        "UPDATE contacts SET last_seen_at = $1 WHERE id = $2 \
         RETURNING id, phone, language, opted_out_at",
    )
    .bind(now)
    .bind(id)
    .fetch_one(conn)
    .await?)
}

pub async fn set_language(conn: &mut Conn, id: i64, language: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE contacts SET language = $1 WHERE id = $2")
        .bind(language)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptChange {
    OptOut,
    OptIn,
}

/// Records an opt-out or opt-in and its source (`keyword:STOP`, `gateway:21610`, …).
pub async fn record_opt_change(
    conn: &mut Conn,
    contact_id: i64,
    change: OptChange,
    source: &str,
    line: &str,
    now: i64,
) -> Result<(), StoreError> {
    let (kind, opted_out_at) = match change {
        OptChange::OptOut => ("opt_out", Some(now)),
        OptChange::OptIn => ("opt_in", None),
    };
    sqlx::query("UPDATE contacts SET opted_out_at = $1 WHERE id = $2")
        .bind(opted_out_at)
        .bind(contact_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO opt_events (contact_id, kind, source, line, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(contact_id)
    .bind(kind)
    .bind(source)
    .bind(line)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

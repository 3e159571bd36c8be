//! `contacts` and `opt_events`: everyone who texts a line, and their opt-out history.

use sqlx::any::AnyArguments;

use super::{Backend, Conn, StoreError, in_list, padded, pow2_chunks, value_rows};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Contact {
    pub id: i64,
    pub phone: String,
    pub language: Option<String>,
    pub name_to_use: Option<String>,
    pub opted_out_at: Option<i64>,
}

impl Contact {
    pub fn is_opted_out(&self) -> bool {
        self.opted_out_at.is_some()
    }
}

/// How stale a contact's `last_seen_at` may get before a text from them moves it: an hour.
/// Quiet numbers are purged after days, so the hour changes nothing anyone counts, and most texts
/// then leave the row as it was, which on PostgreSQL spares a new version of it and its indexes.
pub(super) const SEEN_STEP_MS: i64 = 3_600_000;

/// What an upsert of a contact who texts again sets, by the rule of [`SEEN_STEP_MS`].
fn seen_again() -> String {
    format!(
        "last_seen_at = CASE WHEN contacts.last_seen_at < excluded.last_seen_at - {SEEN_STEP_MS} \
         THEN excluded.last_seen_at ELSE contacts.last_seen_at END"
    )
}

/// Finds or creates the contacts for `phones` (each listed once); returns (phone, id) pairs.
pub async fn upsert_many(
    conn: &mut Conn,
    phones: &[&str],
    now: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut ids = Vec::with_capacity(phones.len());
    for chunk in pow2_chunks(phones) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, $1, $1)", i + 2))
            .collect();
        let sql = format!(
            "INSERT INTO contacts (phone, created_at, last_seen_at) VALUES {} \
             ON CONFLICT (phone) DO UPDATE SET {} RETURNING phone, id",
            rows.join(", "),
            seen_again()
        );
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now);
        for phone in chunk {
            query = query.bind(*phone);
        }
        ids.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(ids)
}

/// The contact with this number (E.164), if it ever texted or was texted.
pub async fn id_of(conn: &mut Conn, phone: &str) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM contacts WHERE phone = $1")
            .bind(phone)
            .fetch_optional(conn)
            .await?,
    )
}

/// The contact with this number, with the language the line knows them to speak, if any.
pub async fn with_language(
    conn: &mut Conn,
    phone: &str,
) -> Result<Option<(i64, Option<String>)>, StoreError> {
    Ok(
        sqlx::query_as("SELECT id, language FROM contacts WHERE phone = $1")
            .bind(phone)
            .fetch_optional(conn)
            .await?,
    )
}

/// Locks the contacts for the rest of the transaction and returns them as they are now.
/// Only the contacts' own columns are read here: on PostgreSQL a row of another table joined to
/// a locked one is as it was when the statement began, before it waited for the lock, so it could
/// miss what the lock's last holder wrote. On PostgreSQL the rows are locked in id order, so
/// copies of the service sharing the database queue behind each other instead of deadlocking. On
/// SQLite the transaction already has the one writer connection to itself.
pub async fn lock_many(
    conn: &mut Conn,
    backend: Backend,
    ids: &[i64],
) -> Result<Vec<Contact>, StoreError> {
    let for_update = match backend {
        Backend::Postgres => "FOR UPDATE",
        Backend::Sqlite => "",
    };
    let mut args = AnyArguments::default();
    let sql = format!(
        "SELECT id, phone, language, name_to_use, opted_out_at FROM contacts \
         WHERE id IN ({}) ORDER BY id {for_update}",
        in_list(&mut args, ids)?
    );
    let query = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args);
    Ok(query.fetch_all(conn).await?)
}

pub async fn set_language(conn: &mut Conn, id: i64, language: &str) -> Result<(), StoreError> {
    set_many(conn, &[(id, Some(language), None)]).await
}

/// Sets contacts' languages and names in one statement: (id, language, name), `None` leaving
/// that one as it is.
pub async fn set_many(
    conn: &mut Conn,
    changes: &[(i64, Option<&str>, Option<&str>)],
) -> Result<(), StoreError> {
    if changes.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE contacts SET language = COALESCE(v.column2, contacts.language), \
         name_to_use = COALESCE(v.column3, contacts.name_to_use) \
         FROM (VALUES {}) AS v WHERE contacts.id = v.column1",
        value_rows(1, changes.len().next_power_of_two(), 3)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    // A repeated row sets the same contact to the same values: harmless padding.
    for (id, language, name) in padded(changes) {
        query = query.bind(id).bind(language).bind(name);
    }
    query.execute(conn).await?;
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

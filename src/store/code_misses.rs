//! `code_misses`: codes a volunteer texted that named no offer open to them. Counted per number so
//! a phone that keeps guessing stops getting answers and shows up on the dispatchers' queue page.

use super::{Conn, StoreError};
use crate::phone::redact;

/// Records one miss by `contact_id`, forgetting misses from before `forget_before`; returns how
/// many that number has made since `since`, this one included.
pub async fn record(
    conn: &mut Conn,
    contact_id: i64,
    now: i64,
    since: i64,
    forget_before: i64,
) -> Result<i64, StoreError> {
    sqlx::query("DELETE FROM code_misses WHERE at < $1")
        .bind(forget_before)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO code_misses (contact_id, at) VALUES ($1, $2)")
        .bind(contact_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM code_misses WHERE contact_id = $1 AND at >= $2")
            .bind(contact_id)
            .bind(since)
            .fetch_one(conn)
            .await?,
    )
}

/// A number that texted at least the limit of codes not offered to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guesser {
    /// The volunteer's name to use, if the number is still a volunteer's.
    pub name: Option<String>,
    /// Masked, as everywhere on the pages.
    pub phone: String,
    pub misses: i64,
    pub last_at: i64,
}

/// Numbers with at least `limit` misses since `since`, the latest first.
pub async fn guessers(conn: &mut Conn, since: i64, limit: i64) -> Result<Vec<Guesser>, StoreError> {
    let rows: Vec<(Option<String>, String, i64, i64)> = sqlx::query_as(
        "SELECT v.name_to_use, c.phone, COUNT(*), MAX(m.at) FROM code_misses m \
         JOIN contacts c ON c.id = m.contact_id \
         LEFT JOIN volunteers v ON v.contact_id = m.contact_id \
         WHERE m.at >= $1 GROUP BY m.contact_id, v.name_to_use, c.phone \
         HAVING COUNT(*) >= $2 ORDER BY MAX(m.at) DESC",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, phone, misses, last_at)| Guesser {
            name,
            phone: redact(&phone),
            misses,
            last_at,
        })
        .collect())
}

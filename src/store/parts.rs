//! `inbound_part_sets` and `inbound_parts`: long texts that arrive in pieces, kept until the last
//! piece is in and the whole text can go to intake.
//!
//! A completed set keeps its parts' ids, with their words wiped, for a day: a provider may deliver
//! a part again after we took the text in, and that part must be known for a repeat. Otherwise it
//! would open a new set under the same short reference, and the sender's next long text reusing
//! that reference would be joined with it.

use crate::gateway::{Inbound, InboundPart};
use crate::phone::Phone;

use super::{Conn, Db, StoreError};

/// How long a completed set's part ids are kept to recognise repeats: providers stop retrying
/// within a day.
const KEEP_COMPLETED_MS: i64 = 24 * 60 * 60 * 1000;

/// Keeps one part; returns the whole text once every part is in.
///
/// The open set's row is written first with an upsert, which locks it: two last parts arriving
/// at once on PostgreSQL take turns, so exactly one of them sees the set complete.
pub async fn add(db: &Db, part: &InboundPart, now: i64) -> Result<Option<Inbound>, StoreError> {
    let text = &part.text;
    let gateway_id = text.gateway_id.as_deref().unwrap_or_default();
    let mut tx = db.begin().await?;
    if !gateway_id.is_empty() && already_taken_in(&mut tx, text.gateway, gateway_id).await? {
        tx.commit().await?;
        return Ok(None);
    }
    let set_id: i64 = sqlx::query_scalar(
        "INSERT INTO inbound_part_sets (gateway, from_phone, reference, total, created_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (gateway, from_phone, reference) WHERE completed_at IS NULL \
         DO UPDATE SET total = excluded.total RETURNING id",
    )
    .bind(text.gateway)
    .bind(text.from.as_str())
    .bind(part.reference.as_str())
    .bind(i64::from(part.total))
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO inbound_parts (set_id, part, gateway_id, line, body) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (set_id, part) DO NOTHING",
    )
    .bind(set_id)
    .bind(i64::from(part.part))
    .bind(gateway_id)
    .bind(text.line.as_str())
    .bind(text.body.as_str())
    .execute(&mut *tx)
    .await?;
    let pieces = pieces_of(&mut tx, set_id).await?;
    if pieces.len() < part.total as usize {
        tx.commit().await?;
        return Ok(None);
    }
    complete(&mut tx, set_id, now).await?;
    tx.commit().await?;
    Ok(Some(join(text.gateway, text.from.clone(), pieces)))
}

/// Texts whose missing parts never came (a carrier can lose one): sets opened before `since` go to
/// intake with what arrived, so the neighbour is not left unanswered. Completed sets past their
/// day are forgotten.
pub async fn take_stale(db: &Db, since: i64, now: i64) -> Result<Vec<Inbound>, StoreError> {
    let mut tx = db.begin().await?;
    let sets: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, gateway, from_phone FROM inbound_part_sets \
         WHERE completed_at IS NULL AND created_at < $1 ORDER BY id",
    )
    .bind(since)
    .fetch_all(&mut *tx)
    .await?;
    let mut texts = Vec::with_capacity(sets.len());
    for (set_id, gateway, from) in sets {
        let pieces = pieces_of(&mut tx, set_id).await?;
        complete(&mut tx, set_id, now).await?;
        if let (Some(provider), false) = (crate::gateway::provider(&gateway), pieces.is_empty()) {
            texts.push(join(provider.name, Phone::from_stored(from), pieces));
        }
    }
    let forget = "inbound_part_sets WHERE completed_at < $1";
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM inbound_parts WHERE set_id IN (SELECT id FROM {forget})"
    )))
    .bind(now - KEEP_COMPLETED_MS)
    .execute(&mut *tx)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {forget}")))
        .bind(now - KEEP_COMPLETED_MS)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(texts)
}

async fn already_taken_in(
    conn: &mut Conn,
    gateway: &str,
    gateway_id: &str,
) -> Result<bool, StoreError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT s.id FROM inbound_parts p JOIN inbound_part_sets s ON s.id = p.set_id \
         WHERE p.gateway_id = $1 AND s.gateway = $2 AND s.completed_at IS NOT NULL LIMIT 1",
    )
    .bind(gateway_id)
    .bind(gateway)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// A set's parts in order: (gateway id, line, words).
async fn pieces_of(
    conn: &mut Conn,
    set_id: i64,
) -> Result<Vec<(String, String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT gateway_id, line, body FROM inbound_parts WHERE set_id = $1 ORDER BY part",
    )
    .bind(set_id)
    .fetch_all(conn)
    .await?)
}

/// Closes a set: its words now live in the text taken in, so only the parts' ids stay.
async fn complete(conn: &mut Conn, set_id: i64, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE inbound_part_sets SET completed_at = $1 WHERE id = $2")
        .bind(now)
        .bind(set_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE inbound_parts SET body = '' WHERE set_id = $1")
        .bind(set_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The whole text from its parts. The first part's id names it, so intake recognises the same
/// text taken in twice.
fn join(gateway: &'static str, from: Phone, pieces: Vec<(String, String, String)>) -> Inbound {
    let (first_id, line) = pieces
        .first()
        .map(|(id, line, _)| (id.clone(), line.clone()))
        .unwrap_or_default();
    Inbound {
        channel: crate::lifecycle::Channel::Sms,
        gateway,
        gateway_id: Some(first_id).filter(|id| !id.is_empty()),
        line: Phone::from_stored(line),
        from,
        body: pieces.into_iter().map(|(_, _, body)| body).collect(),
        media: Vec::new(),
    }
}

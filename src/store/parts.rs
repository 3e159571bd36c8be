//! `inbound_part_sets` and `inbound_parts`: long texts that arrive in pieces, kept until the last
//! piece is in and the whole text can go to intake.

use crate::gateway::{Inbound, InboundPart};

use super::{Db, StoreError};

/// Keeps one part; returns the whole text once every part is in (and forgets the parts).
///
/// The set row is written first with an upsert, which locks it: two last parts arriving at once
/// on PostgreSQL take turns, so exactly one of them sees the set complete.
pub async fn add(db: &Db, part: &InboundPart, now: i64) -> Result<Option<Inbound>, StoreError> {
    let text = &part.text;
    let mut tx = db.begin().await?;
    let set_id: i64 = sqlx::query_scalar(
        "INSERT INTO inbound_part_sets (gateway, from_phone, reference, total, created_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (gateway, from_phone, reference) DO UPDATE SET total = excluded.total \
         RETURNING id",
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
    .bind(text.gateway_id.as_deref().unwrap_or_default())
    .bind(text.line.as_str())
    .bind(text.body.as_str())
    .execute(&mut *tx)
    .await?;
    let pieces: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT part, gateway_id, body FROM inbound_parts WHERE set_id = $1 ORDER BY part",
    )
    .bind(set_id)
    .fetch_all(&mut *tx)
    .await?;
    if pieces.len() < part.total as usize {
        tx.commit().await?;
        return Ok(None);
    }
    sqlx::query("DELETE FROM inbound_parts WHERE set_id = $1")
        .bind(set_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM inbound_part_sets WHERE id = $1")
        .bind(set_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    // The first part's id names the whole text, so a whole retried set is recognised by intake
    // as a repeat.
    let first_id = pieces[0].1.clone();
    Ok(Some(Inbound {
        gateway: text.gateway,
        gateway_id: Some(first_id).filter(|id| !id.is_empty()),
        line: text.line.clone(),
        from: text.from.clone(),
        body: pieces.into_iter().map(|(_, _, body)| body).collect(),
        media: Vec::new(),
    }))
}

//! `inbound_part_sets` and `inbound_parts`: long texts that arrive in pieces, kept until the last
//! piece is in and the whole text can go to intake.

use crate::gateway::{Inbound, InboundPart};
use crate::phone::Phone;

use super::{Conn, Db, StoreError};

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
    forget(&mut tx, set_id).await?;
    tx.commit().await?;
    Ok(Some(join(
        text.gateway,
        text.from.clone(),
        text.line.clone(),
        pieces,
    )))
}

/// Texts whose missing parts never came (a carrier can lose one): after `since` they go to
/// intake with what arrived, so the neighbour is not left unanswered.
pub async fn take_stale(db: &Db, since: i64) -> Result<Vec<Inbound>, StoreError> {
    let mut tx = db.begin().await?;
    let sets: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, gateway, from_phone FROM inbound_part_sets WHERE created_at < $1 ORDER BY id",
    )
    .bind(since)
    .fetch_all(&mut *tx)
    .await?;
    let mut texts = Vec::with_capacity(sets.len());
    for (set_id, gateway, from) in sets {
        let pieces: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT part, gateway_id, body, line FROM inbound_parts WHERE set_id = $1 ORDER BY part",
        )
        .bind(set_id)
        .fetch_all(&mut *tx)
        .await?;
        forget(&mut tx, set_id).await?;
        let (Some(gateway), Some((_, _, _, line))) =
            (crate::gateway::provider(&gateway), pieces.first())
        else {
            continue;
        };
        let line = Phone::from_stored(line.clone());
        let pieces = pieces
            .into_iter()
            .map(|(n, id, body, _)| (n, id, body))
            .collect();
        texts.push(join(gateway.name, Phone::from_stored(from), line, pieces));
    }
    tx.commit().await?;
    Ok(texts)
}

async fn forget(conn: &mut Conn, set_id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM inbound_parts WHERE set_id = $1")
        .bind(set_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM inbound_part_sets WHERE id = $1")
        .bind(set_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The whole text from its parts, in order. The first part's id names it, so a set the provider
/// delivers again is recognised by intake as a repeat.
fn join(
    gateway: &'static str,
    from: Phone,
    line: Phone,
    pieces: Vec<(i64, String, String)>,
) -> Inbound {
    let first_id = pieces.first().map(|(_, id, _)| id.clone());
    Inbound {
        gateway,
        gateway_id: first_id.filter(|id| !id.is_empty()),
        line,
        from,
        body: pieces.into_iter().map(|(_, _, body)| body).collect(),
        media: Vec::new(),
    }
}

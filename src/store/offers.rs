//! `offers`: every request offered to every volunteer, and what they answered, so nobody is
//! offered the same request twice or one they turned down.

use super::{Conn, StoreError};
use crate::lifecycle::OfferAnswer;

/// A query that finds the offer of request `request` open to volunteer `volunteer`, where `late`
/// is bound to [`OfferAnswer::Late`] (all three placeholders): texted in a wave, and not
/// declined, dropped or already taken up. A volunteer who answered YES too late keeps theirs, so
/// they can try again if the request comes back. Wave 0 rows only record an answer from someone
/// never offered the request.
pub(super) fn open_offer(request: &str, volunteer: &str, late: &str) -> String {
    format!(
        "SELECT 1 FROM offers o WHERE o.request_id = {request} AND o.volunteer_id = {volunteer} \
         AND o.wave > 0 AND (o.answer IS NULL OR o.answer = {late})"
    )
}

/// Whether `volunteer_id` holds an open offer of `request_id` (see [`open_offer`]).
pub async fn is_open(
    conn: &mut Conn,
    request_id: i64,
    volunteer_id: i64,
) -> Result<bool, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM ({}) AS open_offer",
        open_offer("$1", "$2", "$3")
    );
    let found: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(request_id)
        .bind(volunteer_id)
        .bind(OfferAnswer::Late)
        .fetch_one(conn)
        .await?;
    Ok(found > 0)
}

pub async fn record(
    conn: &mut Conn,
    request_id: i64,
    volunteer_ids: &[i64],
    wave: i64,
    now: i64,
) -> Result<(), StoreError> {
    for volunteer_id in volunteer_ids {
        sqlx::query(
            "INSERT INTO offers (request_id, volunteer_id, wave, sent_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (request_id, volunteer_id) DO NOTHING",
        )
        .bind(request_id)
        .bind(*volunteer_id)
        .bind(wave)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The volunteers a request has already gone to, whatever they answered.
pub async fn offered_to(conn: &mut Conn, request_id: i64) -> Result<Vec<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT volunteer_id FROM offers WHERE request_id = $1")
            .bind(request_id)
            .fetch_all(conn)
            .await?,
    )
}

/// The highest wave sent for a request (0 before any).
pub async fn waves(conn: &mut Conn, request_id: i64) -> Result<i64, StoreError> {
    let wave: Option<i64> =
        sqlx::query_scalar("SELECT MAX(wave) FROM offers WHERE request_id = $1")
            .bind(request_id)
            .fetch_one(conn)
            .await?;
    Ok(wave.unwrap_or(0))
}

/// Records a volunteer's answer, offered or not.
pub async fn answer(
    conn: &mut Conn,
    request_id: i64,
    volunteer_id: i64,
    answer: OfferAnswer,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO offers (request_id, volunteer_id, wave, sent_at, answer, answered_at) \
         VALUES ($1, $2, 0, $3, $4, $3) \
         ON CONFLICT (request_id, volunteer_id) DO UPDATE SET answer = excluded.answer, \
             answered_at = excluded.answered_at",
    )
    .bind(request_id)
    .bind(volunteer_id)
    .bind(now)
    .bind(answer)
    .execute(conn)
    .await?;
    Ok(())
}

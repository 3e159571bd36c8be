//! `sessions`: a contact's conversation with a flow, one active at a time.

use std::collections::BTreeMap;

use super::{Conn, StoreError};
use crate::flow::Session;

#[derive(Debug, sqlx::FromRow)]
struct SessionRow {
    id: i64,
    flow_id: String,
    state: String,
    language: String,
    answers: String,
    attempts: i64,
}

/// The active session and its id, if the contact is mid-conversation.
pub async fn active(
    conn: &mut Conn,
    contact_id: i64,
) -> Result<Option<(i64, Session)>, StoreError> {
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT id, flow_id, state, language, answers, attempts FROM sessions \
         WHERE contact_id = $1 AND ended_at IS NULL",
    )
    .bind(contact_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        let answers: BTreeMap<String, String> = serde_json::from_str(&r.answers)
            .map_err(|e| StoreError::Corrupt(format!("session {} answers: {e}", r.id)))?;
        Ok((
            r.id,
            Session {
                flow: r.flow_id,
                state: r.state,
                language: r.language,
                answers,
                attempts: r.attempts as u32,
            },
        ))
    })
    .transpose()
}

fn answers_json(session: &Session) -> String {
    serde_json::to_string(&session.answers).expect("a string map always serialises")
}

pub async fn insert(
    conn: &mut Conn,
    contact_id: i64,
    line: &str,
    session: &Session,
    now: i64,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO sessions \
         (contact_id, line, flow_id, state, language, answers, attempts, started_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(contact_id)
    .bind(line)
    .bind(&session.flow)
    .bind(&session.state)
    .bind(&session.language)
    .bind(answers_json(session))
    .bind(i64::from(session.attempts))
    .bind(now)
    .fetch_one(conn)
    .await?)
}

pub async fn update(
    conn: &mut Conn,
    id: i64,
    session: &Session,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sessions SET state = $1, language = $2, answers = $3, attempts = $4, \
         updated_at = $5 WHERE id = $6",
    )
    .bind(&session.state)
    .bind(&session.language)
    .bind(answers_json(session))
    .bind(i64::from(session.attempts))
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn end(conn: &mut Conn, id: i64, reason: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE id = $3")
        .bind(now)
        .bind(reason)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

//! `sessions`: a contact's conversation with a flow, one active at a time.

use std::collections::BTreeMap;

use sqlx::Arguments as _;
use sqlx::any::AnyArguments;

use super::{Conn, StoreError, add, in_list, padded, together, value_rows};
use crate::flow::Session;
use crate::lifecycle::SessionEnd;

#[derive(Debug, sqlx::FromRow)]
pub(super) struct SessionRow {
    pub id: i64,
    pub contact_id: i64,
    pub line: String,
    pub flow_id: String,
    pub state: String,
    pub language: String,
    pub answers: String,
    pub attempts: i64,
}

impl SessionRow {
    pub(super) fn into_active(self) -> Result<Active, StoreError> {
        let answers: BTreeMap<String, String> = serde_json::from_str(&self.answers)
            .map_err(|e| StoreError::Corrupt(format!("session {} answers: {e}", self.id)))?;
        Ok(Active {
            id: self.id,
            contact_id: self.contact_id,
            line: self.line,
            session: Session {
                flow: self.flow_id,
                state: self.state,
                language: self.language,
                answers,
                attempts: self.attempts as u32,
            },
        })
    }
}

/// An active session as loaded: its id, its contact, and where it stands.
#[derive(Debug, Clone)]
pub struct Active {
    pub id: i64,
    pub contact_id: i64,
    /// The line the conversation is on, in E.164.
    pub line: String,
    pub session: Session,
}

/// The active sessions of these contacts.
pub async fn active_for(conn: &mut Conn, contact_ids: &[i64]) -> Result<Vec<Active>, StoreError> {
    let mut args = AnyArguments::default();
    let sql = format!(
        "SELECT id, contact_id, line, flow_id, state, language, answers, attempts FROM sessions \
         WHERE ended_at IS NULL AND contact_id IN ({})",
        in_list(&mut args, contact_ids)?
    );
    let query = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args);
    let rows: Vec<SessionRow> = query.fetch_all(conn).await?;
    rows.into_iter().map(SessionRow::into_active).collect()
}

/// When the conversation last moved on (a text, a call's turn), which is when its quiet time
/// began; `None` when there is no such session.
pub async fn moved_on_at(conn: &mut Conn, session_id: i64) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT updated_at FROM sessions WHERE id = $1")
            .bind(session_id)
            .fetch_optional(conn)
            .await?,
    )
}

fn answers_json(session: &Session) -> String {
    serde_json::to_string(&session.answers).expect("a string map always serialises")
}

/// Saves a new session; `ended` when it is already over (it began and finished in one go).
pub async fn insert(
    conn: &mut Conn,
    contact_id: i64,
    line: &str,
    session: &Session,
    ended: Option<SessionEnd>,
    now: i64,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO sessions (contact_id, line, flow_id, state, language, answers, attempts, \
         started_at, updated_at, ended_at, end_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, CASE WHEN $9 IS NULL THEN NULL ELSE $8 END, $9) \
         RETURNING id",
    )
    .bind(contact_id)
    .bind(line)
    .bind(&session.flow)
    .bind(&session.state)
    .bind(&session.language)
    .bind(answers_json(session))
    .bind(i64::from(session.attempts))
    .bind(now)
    .bind(ended)
    .fetch_one(conn)
    .await?)
}

/// Saves where existing sessions stand, ending those with an end reason, in one statement.
pub async fn save_many(
    conn: &mut Conn,
    sessions: &[(i64, &Session, Option<SessionEnd>)],
    now: i64,
) -> Result<(), StoreError> {
    together::write(conn, |args| save(args, sessions, now)).await
}

/// [`save_many`], to be made with other writes.
pub(crate) fn save(
    args: &mut AnyArguments,
    sessions: &[(i64, &Session, Option<SessionEnd>)],
    now: i64,
) -> Result<Option<String>, StoreError> {
    if sessions.is_empty() {
        return Ok(None);
    }
    let at = args.len() + 1;
    add(args, now)?;
    let sql = format!(
        "UPDATE sessions SET state = v.column2, language = v.column3, answers = v.column4, \
         attempts = v.column5, updated_at = ${at}, \
         ended_at = CASE WHEN v.column6 IS NULL THEN NULL ELSE ${at} END, end_reason = v.column6 \
         FROM (VALUES {}) AS v WHERE sessions.id = v.column1",
        value_rows(at + 1, sessions.len().next_power_of_two(), 6)
    );
    // A repeated row updates the same session to the same values: harmless padding.
    for (id, session, ended) in padded(sessions) {
        add(args, id)?;
        add(args, &session.state)?;
        add(args, &session.language)?;
        add(args, answers_json(session))?;
        add(args, i64::from(session.attempts))?;
        add(args, ended)?;
    }
    Ok(Some(sql))
}

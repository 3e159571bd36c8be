//! Everything the line holds about one person, as they would be given it when they ask: their
//! contact, conversations and answers, texts both ways, requests, calls, what is known of their
//! recordings (never the audio), and their volunteer record.

use serde::Serialize;

use super::volunteers::{self, Volunteer};
use super::{Conn, StoreError};

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct ContactRecord {
    pub phone: String,
    pub language: Option<String>,
    pub name_to_use: Option<String>,
    pub opted_out_at: Option<i64>,
    pub created_at: i64,
    pub last_seen_at: i64,
}

#[derive(Debug, Serialize)]
pub struct Conversation {
    pub flow: String,
    pub language: String,
    pub answers: serde_json::Value,
    pub started_at: i64,
    pub ended_at: Option<i64>,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct TextIn {
    pub received_at: i64,
    pub channel: String,
    pub body: String,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct TextOut {
    pub created_at: i64,
    pub kind: String,
    pub state: String,
    pub body: String,
}

#[derive(Debug, Serialize)]
pub struct RequestRecord {
    pub code: String,
    pub queue: String,
    pub status: String,
    pub answers: serde_json::Value,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    /// What happened to it, dispatchers' notes included.
    pub history: Vec<EventRecord>,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct EventRecord {
    pub at: i64,
    pub actor: String,
    pub kind: String,
    pub detail: Option<String>,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct CallRecord {
    pub started_at: i64,
    pub ended_at: Option<i64>,
}

/// A message left on a call: what is known of it, not the sound.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct RecordingRecord {
    pub created_at: i64,
    pub duration_seconds: Option<i64>,
    pub content_type: Option<String>,
    pub transcript: Option<String>,
    pub state: String,
}

#[derive(Debug, Serialize)]
pub struct PersonalData {
    pub contact: ContactRecord,
    pub conversations: Vec<Conversation>,
    pub texts_in: Vec<TextIn>,
    pub texts_out: Vec<TextOut>,
    pub requests: Vec<RequestRecord>,
    pub calls: Vec<CallRecord>,
    pub recordings: Vec<RecordingRecord>,
    pub volunteer: Option<Volunteer>,
}

/// A request as stored: id, code, queue, status, answers, made, closed.
type RequestRow = (i64, String, String, String, String, i64, Option<i64>);

/// Answers are kept as a JSON object; read back, they go out as one.
fn answers(what: &str, text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Everything held about the contact with this number, or nothing if the line does not know it.
pub async fn export(conn: &mut Conn, phone: &str) -> Result<Option<PersonalData>, StoreError> {
    let Some(id) = super::contacts::id_of(conn, phone).await? else {
        return Ok(None);
    };
    let contact: ContactRecord = sqlx::query_as(
        "SELECT phone, language, name_to_use, opted_out_at, created_at, last_seen_at \
         FROM contacts WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let sessions: Vec<(String, String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT flow_id, language, answers, started_at, ended_at FROM sessions \
         WHERE contact_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let conversations = sessions
        .into_iter()
        .map(|(flow, language, text, started_at, ended_at)| {
            Ok(Conversation {
                answers: answers("a conversation's answers", &text)?,
                flow,
                language,
                started_at,
                ended_at,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    let texts_in = sqlx::query_as(
        "SELECT received_at, channel, body FROM inbound_messages WHERE contact_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let texts_out = sqlx::query_as(
        "SELECT created_at, kind, state, body FROM outbound_messages \
         WHERE contact_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let rows: Vec<RequestRow> = sqlx::query_as(
        "SELECT id, code, queue, status, fields, created_at, closed_at FROM requests \
         WHERE contact_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut requests = Vec::with_capacity(rows.len());
    for (request_id, code, queue, status, fields, created_at, closed_at) in rows {
        let history = sqlx::query_as(
            "SELECT at, actor, kind, detail FROM request_events WHERE request_id = $1 ORDER BY id",
        )
        .bind(request_id)
        .fetch_all(&mut *conn)
        .await?;
        requests.push(RequestRecord {
            answers: answers(&format!("request {code}"), &fields)?,
            code,
            queue,
            status,
            created_at,
            closed_at,
            history,
        });
    }
    let calls =
        sqlx::query_as("SELECT started_at, ended_at FROM calls WHERE contact_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    let recordings = sqlx::query_as(
        "SELECT r.created_at, r.duration_seconds, r.content_type, r.transcript, r.state \
         FROM recordings r JOIN calls c ON c.id = r.call_id WHERE c.contact_id = $1 ORDER BY r.id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let volunteer = volunteers::by_contact(conn, id).await?;
    Ok(Some(PersonalData {
        contact,
        conversations,
        texts_in,
        texts_out,
        requests,
        calls,
        recordings,
        volunteer,
    }))
}

//! One open request as a dispatcher reads it: its fields, who holds it, the neighbour's whole
//! conversation with the line, and what happened to the request. The request page and the JSON
//! API both read and annotate requests through here, so both keep the same record.

use std::collections::BTreeMap;

use super::{Conn, StoreError, requests};
use crate::lifecycle::{Channel, EventKind, RequestStatus};

#[derive(Debug, Clone)]
pub struct RequestDetail {
    pub id: i64,
    pub code: String,
    pub queue: String,
    pub status: RequestStatus,
    pub fields: BTreeMap<String, String>,
    pub created_at: i64,
    pub contact_id: i64,
    /// Stored in full; the page masks it.
    pub phone: String,
    /// The name to use of the volunteer who holds the request, if one does.
    pub holder: Option<String>,
    pub closed: bool,
}

type DetailRow = (
    i64,
    String,
    String,
    RequestStatus,
    String,
    i64,
    i64,
    String,
    Option<String>,
    Option<i64>,
);

/// The open request with this code; closed requests give their codes back, so only an open one
/// is meant. Codes are shown in capitals; one typed in small letters names the same request.
pub async fn open_request(
    conn: &mut Conn,
    code: &str,
) -> Result<Option<RequestDetail>, StoreError> {
    detail(conn, code, "AND r.closed_at IS NULL").await
}

/// The open request with this code, else the last one closed with it (a dispatcher who just
/// closed a request sees what became of it).
pub async fn open_or_last(
    conn: &mut Conn,
    code: &str,
) -> Result<Option<RequestDetail>, StoreError> {
    detail(conn, code, "").await
}

async fn detail(
    conn: &mut Conn,
    code: &str,
    condition: &'static str,
) -> Result<Option<RequestDetail>, StoreError> {
    let code = code.to_ascii_uppercase();
    let sql = format!(
        "SELECT r.id, r.code, r.queue, r.status, r.fields, r.created_at, r.contact_id, c.phone, \
         v.name_to_use, r.closed_at FROM requests r JOIN contacts c ON c.id = r.contact_id \
         LEFT JOIN volunteers v ON v.id = r.volunteer_id \
         WHERE r.code = $1 {condition} \
         ORDER BY CASE WHEN r.closed_at IS NULL THEN 0 ELSE 1 END, r.id DESC LIMIT 1"
    );
    let row: Option<DetailRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&code)
        .fetch_optional(conn)
        .await?;
    row.map(
        |(id, code, queue, status, fields, created_at, contact_id, phone, holder, closed_at)| {
            let fields = serde_json::from_str(&fields)
                .map_err(|e| StoreError::Corrupt(format!("request {code} fields: {e}")))?;
            Ok(RequestDetail {
                id,
                code,
                queue,
                status,
                fields,
                created_at,
                contact_id,
                phone,
                holder,
                closed: closed_at.is_some(),
            })
        },
    )
    .transpose()
}

/// [`open_or_last`] on behalf of `actor` (`user:NAME`, `token:NAME`), recorded as a `viewed`
/// event: the group can tell afterwards who read a neighbour's details.
pub async fn view(
    conn: &mut Conn,
    code: &str,
    actor: &str,
    now: i64,
) -> Result<Option<RequestDetail>, StoreError> {
    let request = open_or_last(conn, code).await?;
    if let Some(request) = &request {
        requests::add_event(conn, request.id, actor, EventKind::Viewed, None, now).await?;
    }
    Ok(request)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Direction {
    In,
    Out {
        kind: String,
        state: String,
        error_code: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub at: i64,
    pub body: String,
    pub direction: Direction,
    /// Orders texts written in the same millisecond: each text in comes before the replies to it.
    order: (i64, u8, i64),
}

/// Every text between the line and this contact, in the order they were written.
pub async fn conversation(conn: &mut Conn, contact_id: i64) -> Result<Vec<Message>, StoreError> {
    let inbound: Vec<(i64, i64, String, Channel)> = sqlx::query_as(
        "SELECT id, received_at, body, channel FROM inbound_messages WHERE contact_id = $1",
    )
    .bind(contact_id)
    .fetch_all(&mut *conn)
    .await?;
    type OutRow = (
        i64,
        i64,
        String,
        String,
        String,
        Option<String>,
        Option<i64>,
    );
    let outbound: Vec<OutRow> = sqlx::query_as(
        "SELECT id, created_at, body, kind, state, error_code, inbound_id \
         FROM outbound_messages WHERE contact_id = $1",
    )
    .bind(contact_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut messages: Vec<Message> =
        inbound
            .into_iter()
            .map(|(id, at, body, channel)| Message {
                at,
                body: as_read(body, channel),
                direction: Direction::In,
                order: (id, 0, 0),
            })
            .chain(outbound.into_iter().map(
                |(id, at, body, kind, state, error_code, inbound_id)| Message {
                    at,
                    body,
                    direction: Direction::Out {
                        kind,
                        state,
                        error_code,
                    },
                    // A text that answers none (a reminder, an offer) follows the texts in of its
                    // millisecond.
                    order: (inbound_id.unwrap_or(i64::MAX), 1, id),
                },
            ))
            .collect();
    messages.sort_by_key(|m| (m.at, m.order));
    Ok(messages)
}

/// A message in as a dispatcher reads it: a turn of a call says it was one.
fn as_read(body: String, channel: Channel) -> String {
    match channel {
        Channel::Sms => body,
        Channel::Voice if body.is_empty() => "(on a call: said nothing)".into(),
        Channel::Voice => format!("(on a call) {body}"),
        Channel::Voicemail => "(left a message on a call: play it above)".into(),
        Channel::MissedCall => "(called; the line does not answer calls, so it texted back)".into(),
        Channel::CallEnded => "(hung up)".into(),
    }
}

/// Changes whenever a text comes in or is queued to go out, for pages that show conversations
/// to notice.
pub async fn texts_fingerprint(conn: &mut Conn) -> Result<(i64, i64), StoreError> {
    Ok(sqlx::query_as(
        "SELECT (SELECT COALESCE(MAX(id), 0) FROM inbound_messages), \
             (SELECT COALESCE(MAX(id), 0) FROM outbound_messages)",
    )
    .fetch_one(conn)
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub at: i64,
    pub actor: String,
    pub kind: EventKind,
    pub detail: Option<String>,
}

/// What happened to the request, oldest first: dispatchers' notes, and everything else.
pub async fn notes_and_events(
    conn: &mut Conn,
    request_id: i64,
) -> Result<(Vec<Event>, Vec<Event>), StoreError> {
    let events: Vec<Event> = sqlx::query_as(
        "SELECT at, actor, kind, detail FROM request_events WHERE request_id = $1 ORDER BY at, id",
    )
    .bind(request_id)
    .fetch_all(conn)
    .await?;
    Ok(events.into_iter().partition(|e| e.kind == EventKind::Note))
}

/// A note longer than this is more likely a paste gone wrong than a note.
pub const MAX_NOTE_CHARS: usize = 2000;

/// A dispatcher's note on a request, as it will be kept: trimmed, not empty, not too long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the note is empty; write something first")]
    Empty,
    #[error("a note can be at most {MAX_NOTE_CHARS} characters")]
    TooLong,
}

impl Note {
    pub fn parse(text: &str) -> Result<Note, NoteError> {
        let text = text.trim();
        if text.is_empty() {
            Err(NoteError::Empty)
        } else if text.chars().count() > MAX_NOTE_CHARS {
            Err(NoteError::TooLong)
        } else {
            Ok(Note(text.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub async fn add_note(
    conn: &mut Conn,
    request_id: i64,
    actor: &str,
    note: &Note,
    now: i64,
) -> Result<(), StoreError> {
    requests::add_event(
        conn,
        request_id,
        actor,
        EventKind::Note,
        Some(note.as_str()),
        now,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_trimmed_and_must_say_something_in_at_most_2000_characters() {
        assert_eq!(Note::parse("  ring twice\n"), Ok(Note("ring twice".into())));
        assert_eq!(Note::parse(" \n "), Err(NoteError::Empty));
        assert!(Note::parse(&"é".repeat(MAX_NOTE_CHARS)).is_ok());
        assert_eq!(
            Note::parse(&"a".repeat(MAX_NOTE_CHARS + 1)),
            Err(NoteError::TooLong)
        );
    }
}

//! `GET /requests/{code}`: one open request, with the neighbour's whole conversation and what
//! happened to it; `POST /requests/{code}/notes` adds a dispatcher's note.
//!
//! The neighbour's number is only ever shown masked. Every opening is recorded on the request,
//! so the group can tell afterwards who read a neighbour's texts.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::queue::age;
use super::{Who, page};
use crate::phone;
use crate::store::history::{self, Direction, Event, Message, RequestDetail};
use crate::store::{Conn, requests};
use crate::web::session::SignedIn;
use crate::web::{AppState, WebError};

/// A note longer than this is more likely a paste gone wrong than a note.
const MAX_NOTE_CHARS: usize = 2000;

/// The fields the intake asks for, in the order it asks, as the page names them.
const FIELDS: &[(&str, &str)] = &[
    ("need", "Need"),
    ("items", "Items"),
    ("pharmacy", "Pharmacy"),
    ("household", "Household"),
    ("zone", "Zone"),
    ("cross_streets", "Cross streets"),
    ("when", "When"),
    ("notes", "Notes from the neighbour"),
    ("name_to_use", "Name to use"),
];

/// Times read the same for every dispatcher, wherever their browser is.
fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

pub(super) struct MessageRow {
    pub time: String,
    /// `In` or `Out`.
    pub direction: &'static str,
    pub body: String,
    /// For a text out: its kind and how far it got.
    pub status: String,
    pub failed: bool,
}

impl From<Message> for MessageRow {
    fn from(m: Message) -> Self {
        let (direction, status, failed) = match m.direction {
            Direction::In => ("In", String::new(), false),
            Direction::Out {
                kind,
                state,
                error_code,
            } => {
                let status = match &error_code {
                    Some(code) => format!("{kind}, {state} (error {code})"),
                    None => format!("{kind}, {state}"),
                };
                ("Out", status, state == "failed")
            }
        };
        MessageRow {
            time: time(m.at),
            direction,
            body: m.body,
            status,
            failed,
        }
    }
}

struct EventRow {
    time: String,
    actor: String,
    kind: String,
    detail: String,
}

impl From<Event> for EventRow {
    fn from(e: Event) -> Self {
        EventRow {
            time: time(e.at),
            actor: e.actor,
            kind: e.kind,
            detail: e.detail.unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "request.html")]
struct RequestPage {
    who: Option<Who>,
    csrf: String,
    code: String,
    queue: String,
    status: String,
    age: String,
    age_class: &'static str,
    holder: Option<String>,
    phone: String,
    fields: Vec<(String, String)>,
    messages: Vec<MessageRow>,
    events: Vec<EventRow>,
    notes: Vec<EventRow>,
}

/// The page's list of fields: the intake's in its order, then any others a flow saved.
fn field_rows(mut fields: BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = FIELDS
        .iter()
        .filter_map(|(key, label)| fields.remove(*key).map(|v| (label.to_string(), v)))
        .collect();
    rows.extend(fields);
    rows
}

/// Codes are shown in capitals; one typed in small letters names the same request.
async fn open_request(conn: &mut Conn, code: &str) -> Result<RequestDetail, WebError> {
    history::open_request(conn, &code.to_ascii_uppercase())
        .await?
        .ok_or_else(|| WebError::NotFound(format!("no open request has the code {code}")))
}

fn actor(signed_in: &SignedIn) -> String {
    format!("user:{}", signed_in.user.username)
}

/// `GET /requests/{code}`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
) -> Result<Response, WebError> {
    let now = state.intake.now_ms();
    let mut conn = state.db.acquire().await?;
    let request = open_request(&mut conn, &code).await?;
    requests::add_event(
        &mut conn,
        request.id,
        &actor(&signed_in),
        "viewed",
        None,
        now,
    )
    .await?;
    let messages = history::conversation(&mut conn, request.contact_id).await?;
    let (notes, events): (Vec<Event>, Vec<Event>) = history::events(&mut conn, request.id)
        .await?
        .into_iter()
        .partition(|e| e.kind == "note");
    let (age, age_class) = age(now - request.created_at);
    page(&RequestPage {
        who: Some(Who::from(&signed_in)),
        csrf: signed_in.csrf.clone(),
        code: request.code,
        queue: request.queue,
        status: request.status,
        age,
        age_class,
        holder: request.holder,
        phone: phone::redact(&request.phone),
        fields: field_rows(request.fields),
        messages: messages.into_iter().map(MessageRow::from).collect(),
        events: events.into_iter().map(EventRow::from).collect(),
        notes: notes.into_iter().map(EventRow::from).collect(),
    })
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// `POST /requests/{code}/notes`.
pub async fn add_note(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
    Form(form): Form<NoteForm>,
) -> Result<Response, WebError> {
    signed_in.check_csrf(&form.csrf)?;
    let note = form.note.trim();
    if note.is_empty() {
        return Err(WebError::Invalid(
            "the note is empty; write something first".into(),
        ));
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(WebError::Invalid(format!(
            "a note can be at most {MAX_NOTE_CHARS} characters"
        )));
    }
    let now = state.intake.now_ms();
    let mut conn = state.db.acquire().await?;
    let request = open_request(&mut conn, &code).await?;
    requests::add_event(
        &mut conn,
        request.id,
        &actor(&signed_in),
        "note",
        Some(note),
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/requests/{}", request.code)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_intakes_fields_come_first_in_its_order_and_others_follow() {
        let fields = [
            ("zone", "northside"),
            ("need", "groceries"),
            ("pets", "a dog"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into();
        let rows = field_rows(fields);
        let labels: Vec<&str> = rows.iter().map(|(label, _)| label.as_str()).collect();
        assert_eq!(labels, ["Need", "Zone", "pets"]);
    }
}

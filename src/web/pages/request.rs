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
use crate::store::Conn;
use crate::store::history::{self, Direction, Event, Message, Note, RequestDetail};
use crate::web::session::SignedIn;
use crate::web::{AppState, WebError};

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
pub(super) fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

struct MessageRow {
    time: String,
    /// `In` or `Out`.
    direction: &'static str,
    body: String,
    /// For a text out: its kind and how far it got.
    status: String,
    failed: bool,
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

fn not_found(code: &str) -> WebError {
    WebError::NotFound(format!("no open request has the code {code}"))
}

async fn open_request(conn: &mut Conn, code: &str) -> Result<RequestDetail, WebError> {
    history::open_request(conn, code)
        .await?
        .ok_or_else(|| not_found(code))
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
    let request = history::view(&mut conn, &code, &actor(&signed_in), now)
        .await?
        .ok_or_else(|| not_found(&code))?;
    let messages = history::conversation(&mut conn, request.contact_id).await?;
    let (notes, events) = history::notes_and_events(&mut conn, request.id).await?;
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
    let note = Note::parse(&form.note).map_err(|e| WebError::Invalid(e.to_string()))?;
    let now = state.intake.now_ms();
    let mut conn = state.db.acquire().await?;
    let request = open_request(&mut conn, &code).await?;
    history::add_note(&mut conn, request.id, &actor(&signed_in), &note, now).await?;
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

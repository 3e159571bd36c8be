//! `GET /requests/{code}`: one request, with the neighbour's whole conversation, what happened
//! to it, and the forms to act on it (`pages::actions`); `POST /requests/{code}/notes` adds a
//! dispatcher's note.
//!
//! The neighbour's number is shown masked unless the page answers a recorded reveal. Every
//! opening is recorded on the request, so the group can tell afterwards who read a neighbour's
//! texts.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::{Refill, again};
use super::queue::{StoppedRelay, age};
use super::recordings::{self, RecordingRow};
use super::{Who, page};
use crate::dispatch::desk::MAX_MESSAGE_CHARS;
use crate::dispatch::offers::candidates;
use crate::dispatch::relay;
use crate::lifecycle::{DispatcherStatus, EventKind, RequestStatus, VolunteerStatus};
use crate::local_time::LocalTime;
use crate::phone;
use crate::store::history::{self, Direction, Event, Message, Note, RequestDetail};
use crate::store::volunteers::{self, Volunteer};
use crate::store::{Conn, requests};
use crate::web::session::{Posted, SignedIn};
use crate::web::{AppState, WebError};

/// The fields the intake asks for, in the order it asks, as the page names them.
const FIELDS: &[(&str, &str)] = &[
    (crate::flow::off_menu::SAID, "In their own words"),
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

pub(super) struct MessageRow {
    pub time: String,
    /// `In` or `Out`.
    pub direction: &'static str,
    pub body: String,
    /// For a text out: its kind and how far it got.
    pub status: String,
    pub failed: bool,
}

impl MessageRow {
    /// Times read the same for every dispatcher, in the group's zone, wherever their browser is.
    pub(super) fn new(m: Message, zone: &LocalTime) -> Self {
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
            time: zone.minute(m.at),
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
    kind: EventKind,
    detail: String,
}

impl EventRow {
    fn new(e: Event, zone: &LocalTime) -> Self {
        EventRow {
            time: zone.minute(e.at),
            actor: e.actor,
            kind: e.kind,
            detail: e.detail.unwrap_or_default(),
        }
    }
}

/// A volunteer the request could go to, as the assign form lists them.
struct Choice {
    id: i64,
    name: String,
    zones: String,
    open_jobs: i64,
}

impl From<Volunteer> for Choice {
    fn from(v: Volunteer) -> Self {
        Choice {
            id: v.id,
            name: v.name_to_use,
            zones: if v.zones.is_empty() {
                "any area".into()
            } else {
                v.zones.join(", ")
            },
            open_jobs: v.open_jobs,
        }
    }
}

/// What a form just did, for the line at the top of the page it returns to.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Done {
    Assigned,
    Reoffered,
    Status,
    /// The status form was sent as it was shown, or with the status the request already had.
    Unchanged,
    Merged,
    Cancelled,
    Texted,
    Resumed,
    Blocked,
}

impl Done {
    pub fn as_str(&self) -> &'static str {
        match self {
            Done::Assigned => "assigned",
            Done::Reoffered => "reoffered",
            Done::Status => "status",
            Done::Unchanged => "unchanged",
            Done::Merged => "merged",
            Done::Cancelled => "cancelled",
            Done::Texted => "texted",
            Done::Resumed => "resumed",
            Done::Blocked => "blocked",
        }
    }

    fn say(&self) -> &'static str {
        match self {
            Done::Assigned => {
                "Assigned: the volunteer has the details and the neighbour knows who is coming."
            }
            Done::Reoffered => "Offered again.",
            Done::Status => "Status changed.",
            Done::Unchanged => "Nothing changed: the status is as it was, and nobody was texted.",
            Done::Merged => "Closed as a duplicate.",
            Done::Cancelled => "Cancelled: the neighbour and any volunteer on it were told.",
            Done::Texted => "Text queued; it shows below once sent.",
            Done::Resumed => "Messages pass again; both sides were told.",
            Done::Blocked => {
                "Blocked: the line will neither keep nor answer what this number sends."
            }
        }
    }
}

#[derive(Deserialize)]
pub struct Shown {
    done: Option<Done>,
}

#[derive(Template)]
#[template(path = "request.html")]
struct RequestPage {
    who: Option<Who>,
    csrf: String,
    code: String,
    queue: String,
    status: RequestStatus,
    age: String,
    age_class: &'static str,
    holder: Option<String>,
    closed: bool,
    /// Whether a volunteer is working on it now.
    held: bool,
    /// Whether the page may be assigned from (nobody holds it yet).
    assignable: bool,
    suggested: Vec<Choice>,
    others: Vec<Choice>,
    statuses: [DispatcherStatus; 7],
    max_message: usize,
    notice: Option<&'static str>,
    /// Set while its relay is reported or left.
    relay: Option<StoppedRelay>,
    phone: String,
    revealed: bool,
    fields: Vec<(String, String)>,
    /// Messages the neighbour left on calls.
    left: Vec<RecordingRow>,
    messages: Vec<MessageRow>,
    events: Vec<EventRow>,
    notes: Vec<EventRow>,
    /// A form on the page sent back with a mistake, as it was filled in.
    refill: Refill,
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

async fn open_request(conn: &mut Conn, code: &str) -> Result<RequestDetail, WebError> {
    history::open_request(conn, code)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("no open request has the code {code}")))
}

pub(super) fn actor(signed_in: &SignedIn) -> String {
    format!("user:{}", signed_in.user.username)
}

/// `GET /requests/{code}`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
    Query(shown): Query<Shown>,
) -> Result<Response, WebError> {
    let notice = shown.done.as_ref().map(Done::say);
    render(&state, &signed_in, &code, None, notice, Refill::default()).await
}

/// Suggested volunteers for an open request, fewest jobs first, and every other active one.
async fn choices(
    conn: &mut Conn,
    state: &AppState,
    request_id: i64,
) -> Result<(Vec<Choice>, Vec<Choice>), WebError> {
    let Some(job) = requests::by_id(conn, request_id).await? else {
        return Ok((Vec::new(), Vec::new()));
    };
    let suggested = candidates(conn, &state.settings.dispatch, &job).await?;
    let others = volunteers::all(conn)
        .await?
        .into_iter()
        .filter(|v| v.status == VolunteerStatus::Active && v.contact_id != job.contact_id)
        .filter(|v| suggested.iter().all(|s| s.id != v.id))
        .map(Choice::from)
        .collect();
    Ok((suggested.into_iter().map(Choice::from).collect(), others))
}

/// The page for the request with `code`, with the neighbour's number in full only when
/// `revealed` carries it (its reveal is already recorded).
pub async fn render(
    state: &AppState,
    signed_in: &SignedIn,
    code: &str,
    revealed: Option<String>,
    notice: Option<&'static str>,
    refill: Refill,
) -> Result<Response, WebError> {
    let now = state.clock.now_ms();
    let zone = &state.settings.time_zone;
    let mut conn = state.db.acquire().await?;
    let request = history::view(&mut conn, code, &actor(signed_in), now)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("no request has the code {code}")))?;
    let messages = history::conversation(&mut conn, request.contact_id).await?;
    let (notes, events) = history::notes_and_events(&mut conn, request.id).await?;
    let left = recordings::rows(&mut conn, request.id, zone).await?;
    let assignable = !request.closed && request.status.is_claimable();
    let held = !request.closed && request.status.is_held();
    let (suggested, others) = if assignable {
        choices(&mut conn, state, request.id).await?
    } else {
        (Vec::new(), Vec::new())
    };
    let relay = stopped_relay(&mut conn, &request, zone).await?;
    let (age, age_class) = age(now - request.created_at);
    page(&RequestPage {
        who: Some(Who::from(signed_in)),
        csrf: signed_in.csrf.clone(),
        code: request.code,
        queue: request.queue,
        status: request.status,
        age,
        age_class,
        holder: request.holder,
        closed: request.closed,
        held,
        assignable,
        suggested,
        others,
        statuses: DispatcherStatus::ALL,
        max_message: MAX_MESSAGE_CHARS,
        notice,
        relay,
        revealed: revealed.is_some(),
        phone: revealed.unwrap_or_else(|| phone::redact(&request.phone)),
        fields: field_rows(request.fields),
        left,
        messages: messages
            .into_iter()
            .map(|m| MessageRow::new(m, zone))
            .collect(),
        events: events.into_iter().map(|e| EventRow::new(e, zone)).collect(),
        notes: notes.into_iter().map(|e| EventRow::new(e, zone)).collect(),
        refill,
    })
}

/// How the relay of an open request was stopped, if it is.
async fn stopped_relay(
    conn: &mut Conn,
    request: &RequestDetail,
    zone: &LocalTime,
) -> Result<Option<StoppedRelay>, WebError> {
    if request.closed {
        return Ok(None);
    }
    let Some(job) = requests::by_id(conn, request.id).await? else {
        return Ok(None);
    };
    let volunteer = request.holder.as_deref().unwrap_or("the volunteer");
    Ok(relay::stopped(conn, &job)
        .await?
        .map(|stop| StoppedRelay::new(job.code, volunteer, stop, zone)))
}

/// The page again, with one of its forms as it was sent and what is wrong with it.
pub(super) async fn shown_again(
    state: &AppState,
    signed_in: &SignedIn,
    code: &str,
    refill: Refill,
) -> Result<Response, WebError> {
    again(render(state, signed_in, code, None, None, refill).await)
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    note: String,
}

/// `POST /requests/{code}/notes`.
pub async fn add_note(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Posted {
        by: signed_in,
        form,
    }: Posted<NoteForm>,
) -> Result<Response, WebError> {
    let note = match Note::parse(&form.note) {
        Ok(note) => note,
        Err(e) => {
            let refill = Refill::typed([("note", form.note)]).wrong("note", e);
            return shown_again(&state, &signed_in, &code, refill).await;
        }
    };
    let now = state.clock.now_ms();
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

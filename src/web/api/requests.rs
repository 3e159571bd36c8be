//! `/api/v1/requests`: open requests for other programs, read and annotated through the same code
//! as the dispatcher pages, so the history records the same things whichever way they came.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Serialize;

use super::{ApiError, Bearer, JsonObject};
use crate::dispatch::desk::parse_status;
use crate::lifecycle::{EventKind, RequestStatus};
use crate::phone;
use crate::store::history::{self, Event, Note};
use crate::store::queue::{self, HANDOFF, Lane, OpenItem, Urgency};
use crate::web::AppState;
use crate::web::pages::queue::Params;

/// Times as RFC 3339, in UTC.
fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn not_found(code: &str) -> ApiError {
    ApiError::NotFound(format!("no open request has the code {code}"))
}

#[derive(Serialize)]
pub struct Item {
    code: String,
    queue: String,
    status: RequestStatus,
    zone: Option<String>,
    name_to_use: Option<String>,
    priority: i64,
    created_at: String,
    waiting_minutes: i64,
    /// The queue page's lane: what a dispatcher must do about it.
    lane: Lane,
    /// The priority and the wait, together, in the queue page's words.
    urgency: Urgency,
}

impl Item {
    fn new(lane: Lane, item: OpenItem, now: i64) -> Item {
        Item {
            lane,
            urgency: item.urgency(now),
            waiting_minutes: ((now - item.created_at) / 60_000).max(0),
            created_at: time(item.created_at),
            code: item.code,
            queue: item.queue,
            status: item.status,
            zone: item.zone,
            name_to_use: item.name_to_use,
            priority: item.priority,
        }
    }
}

/// The open requests, hand-offs apart as they always were, and counts.
#[derive(Serialize)]
pub struct List {
    requests: Vec<Item>,
    handoff: Vec<Item>,
    counts: BTreeMap<String, usize>,
}

/// `GET /api/v1/requests`, with the queue page's filters.
pub async fn list(
    State(state): State<AppState>,
    _caller: Bearer,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Json<List>, ApiError> {
    let Query(params) = params.map_err(|_| {
        ApiError::Invalid(
            "the query could not be read; give each of q, queue, status, zone, max_age and sort at most once"
                .into(),
        )
    })?;
    let now = state.clock.now_ms();
    let mut conn = state.db.acquire().await?;
    let items = queue::open(&mut conn).await?;
    let view = queue::arrange(items, &params.filter(), params.sort(), now);
    let (handoff, requests) = view
        .items
        .into_iter()
        .map(|(lane, item)| Item::new(lane, item, now))
        .partition(|item| item.queue == HANDOFF);
    Ok(Json(List {
        requests,
        handoff,
        counts: view
            .counts
            .into_iter()
            .map(|(status, n)| (status.to_string(), n))
            .collect(),
    }))
}

#[derive(Serialize)]
pub struct NoteOut {
    at: String,
    by: String,
    text: String,
}

impl From<Event> for NoteOut {
    fn from(e: Event) -> Self {
        NoteOut {
            at: time(e.at),
            by: e.actor,
            text: e.detail.unwrap_or_default(),
        }
    }
}

#[derive(Serialize)]
pub struct EventOut {
    at: String,
    actor: String,
    kind: EventKind,
    detail: Option<String>,
}

impl From<Event> for EventOut {
    fn from(e: Event) -> Self {
        EventOut {
            at: time(e.at),
            actor: e.actor,
            kind: e.kind,
            detail: e.detail,
        }
    }
}

#[derive(Serialize)]
pub struct Detail {
    code: String,
    queue: String,
    status: RequestStatus,
    created_at: String,
    /// Masked, as on the request page.
    phone: String,
    /// The name to use of the volunteer holding it.
    holder: Option<String>,
    closed: bool,
    fields: BTreeMap<String, String>,
    notes: Vec<NoteOut>,
    events: Vec<EventOut>,
}

/// `GET /api/v1/requests/{code}`: the open request with this code, else the last one closed with
/// it; recorded as viewed by the token, like an opening of the page.
pub async fn get(
    State(state): State<AppState>,
    caller: Bearer,
    Path(code): Path<String>,
) -> Result<Json<Detail>, ApiError> {
    let now = state.clock.now_ms();
    let mut conn = state.db.acquire().await?;
    let request = history::view(&mut conn, &code, &caller.actor(), now)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no request has the code {code}")))?;
    let (notes, events) = history::notes_and_events(&mut conn, request.id).await?;
    Ok(Json(Detail {
        code: request.code,
        queue: request.queue,
        status: request.status,
        created_at: time(request.created_at),
        phone: phone::redact(&request.phone),
        holder: request.holder,
        closed: request.closed,
        fields: request.fields,
        notes: notes.into_iter().map(NoteOut::from).collect(),
        events: events.into_iter().map(EventOut::from).collect(),
    }))
}

/// `POST /api/v1/requests/{code}/notes` with `{"note": "..."}`.
pub async fn add_note(
    State(state): State<AppState>,
    caller: Bearer,
    Path(code): Path<String>,
    body: JsonObject,
) -> Result<(StatusCode, Json<NoteOut>), ApiError> {
    let note = Note::parse(body.text("note")?).map_err(|e| ApiError::Invalid(e.to_string()))?;
    let now = state.clock.now_ms();
    let mut conn = state.db.acquire().await?;
    let request = history::open_request(&mut conn, &code)
        .await?
        .ok_or_else(|| not_found(&code))?;
    let actor = caller.actor();
    history::add_note(&mut conn, request.id, &actor, &note, now).await?;
    let note = NoteOut {
        at: time(now),
        by: actor,
        text: note.as_str().to_string(),
    };
    Ok((StatusCode::CREATED, Json(note)))
}

/// What became of a request after a change.
#[derive(Serialize)]
pub struct Changed {
    code: String,
    status: RequestStatus,
    closed: bool,
}

/// `POST /api/v1/requests/{code}/status` with `{"status": "...", "reason": "..."}`: the same
/// change, with the same texts to the people on it, as the request page's status form.
pub async fn set_status(
    State(state): State<AppState>,
    caller: Bearer,
    Path(code): Path<String>,
    body: JsonObject,
) -> Result<Json<Changed>, ApiError> {
    let to = parse_status(body.text("status")?)
        .map_err(|e| ApiError::Invalid(format!("status: {e}")))?;
    let reason = body.optional_text("reason")?;
    let (code, ()) = state
        .work_on(&caller.actor(), &code, async |desk, job| {
            desk.set_status(job, to, reason).await.map(drop)
        })
        .await?;
    let mut conn = state.db.acquire().await?;
    let request = history::open_or_last(&mut conn, &code)
        .await?
        .ok_or_else(|| not_found(&code))?;
    Ok(Json(Changed {
        code: request.code,
        status: request.status,
        closed: request.closed,
    }))
}

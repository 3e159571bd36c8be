//! Messages left on calls, on a request's page: a player per message, served by the service (never
//! from the provider's address), and `GET /requests/{code}/recordings/{id}`, the audio itself,
//! for dispatchers who are signed in. Every play is recorded on the request, as a reveal is.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::request::actor;
use crate::lifecycle::{EventKind, RecordingState};
use crate::local_time::LocalTime;
use crate::store::recordings::{self, Listed};
use crate::store::{Conn, StoreError, history, requests};
use crate::web::session::SignedIn;
use crate::web::{AppState, WebError};

/// One message as the page lists it.
pub(super) struct RecordingRow {
    pub id: i64,
    pub time: String,
    /// `1:05`; empty when the provider gave no length.
    pub length: String,
    pub transcript: Option<String>,
    /// Why there is no player yet, or ever.
    pub missing: Option<&'static str>,
    /// The provider still holds its own copy: it offers no way to delete it, or would not.
    pub held_at_provider: bool,
}

impl RecordingRow {
    fn new(r: Listed, zone: &LocalTime) -> RecordingRow {
        let missing = match r.state {
            RecordingState::ToFetch => Some("Still being copied from the provider."),
            RecordingState::Lost => Some("The provider could not give us this message."),
            RecordingState::ToDelete | RecordingState::Kept | RecordingState::KeptAtProvider => {
                None
            }
        };
        RecordingRow {
            id: r.id,
            time: zone.minute(r.created_at),
            length: r
                .duration_seconds
                .map(|s| format!("{}:{:02}", s / 60, s % 60))
                .unwrap_or_default(),
            transcript: r.transcript,
            missing,
            held_at_provider: r.state == RecordingState::KeptAtProvider,
        }
    }
}

/// The messages left with the request `request_id`.
pub(super) async fn rows(
    conn: &mut Conn,
    request_id: i64,
    zone: &LocalTime,
) -> Result<Vec<RecordingRow>, StoreError> {
    let listed = recordings::of_request(conn, request_id).await?;
    Ok(listed
        .into_iter()
        .map(|r| RecordingRow::new(r, zone))
        .collect())
}

/// `GET /requests/{code}/recordings/{id}`: the audio, to a dispatcher signed in, for a
/// recording of that request only; the play is recorded.
pub async fn play(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((code, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let not_here = || WebError::NotFound(format!("request {code} has no such message"));
    let mut conn = state.db.acquire().await?;
    let request = history::open_or_last(&mut conn, &code)
        .await?
        .ok_or_else(not_here)?
        .id;
    let audio = recordings::audio(&mut conn, id).await?;
    let audio = audio
        .filter(|a| a.request_id == Some(request))
        .ok_or_else(not_here)?;
    let now = state.clock.now_ms();
    let who = actor(&signed_in);
    requests::add_event(&mut conn, request, &who, EventKind::Played, None, now).await?;
    Ok((
        [
            (header::CONTENT_TYPE, audio.content_type),
            // Personal data: not to be kept by the browser or anything between.
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        audio.bytes,
    )
        .into_response())
}

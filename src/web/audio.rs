//! The organisers' recordings of their flows' questions, served for providers to play on calls.
//! Providers fetch them without our credentials: they are the group's own prompts, never anyone's
//! personal data. Only a recording the flows in force name is served, from the copy loaded with
//! them, at an address that names its version, so a provider's cache never plays an old one.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use reqwest::Url;

use super::AppState;
use crate::flow::Flows;
use crate::flow::audio::{Prompt, Recording};
use crate::voice::turn::Said;

/// `GET /audio/{flow}/{state}/{language}/{version}.{extension}`: the recording, or 404 for
/// anything the flows in force do not name (an old version included).
pub async fn serve(
    State(state): State<AppState>,
    Path((flow, name, language, file)): Path<(String, String, String, String)>,
) -> Response {
    let prompt = Prompt {
        flow,
        state: name,
        language,
    };
    let flows = state.intake.flows().current();
    let Some(recording) = flows.recording(&prompt).filter(|r| r.file_name() == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let headers = [
        (header::CONTENT_TYPE, recording.format.content_type()),
        // The address changes with the recording, so what is fetched once is good for good.
        (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
    ];
    let bytes = Bytes::from_owner(recording.bytes.clone());
    (headers, Body::from(bytes)).into_response()
}

/// How a reply is heard on a call: the organiser's recording of it where the flows in force hold
/// one, else its words.
pub fn said(public_url: &Url, flows: &Flows, (text, prompt): (String, Option<Prompt>)) -> Said {
    let recording = prompt.and_then(|p| Some(address(public_url, &p, flows.recording(&p)?)));
    Said { text, recording }
}

/// Where providers fetch `recording`, the recording of `prompt`.
fn address(public_url: &Url, prompt: &Prompt, recording: &Recording) -> String {
    let mut url = public_url.clone();
    url.path_segments_mut()
        .expect("the public address is an http(s) URL")
        .pop_if_empty()
        .extend([
            "audio",
            &prompt.flow,
            &prompt.state,
            &prompt.language,
            &recording.file_name(),
        ]);
    url.into()
}

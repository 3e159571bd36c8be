//! Messages left on calls: the offer to leave one, the recording step, and the provider's
//! callbacks once a recording and its transcription are ready. A message becomes a message of
//! the call in intake (so it joins the caller's conversation, in order, and goes to a person),
//! and its audio is queued for the copier.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::super::WebError;
use super::{CallHook, signed_for};
use crate::gateway::{Calls, Gateway, Inbound, Recordings};
use crate::lifecycle::{Channel, EventKind};
use crate::store::recordings::{self, NewRecording, Transcript};
use crate::store::{calls, requests};
use crate::voice::turn::{self, MessageAddresses, Said};
use crate::voice::{Script, VoiceSettings};

/// The provider's recordings; a provider whose lines take no messages has no such callbacks.
fn recordings_of<'a>(
    gateway: &dyn Gateway,
    calls: &'a dyn Calls,
) -> Result<&'a dyn Recordings, WebError> {
    calls.recordings().ok_or_else(|| {
        WebError::NotFound(format!(
            "aidline takes no messages on {} calls",
            gateway.name()
        ))
    })
}

/// How to leave a message, in the caller's language, or in every language the line speaks when
/// it does not know theirs yet (the first question asks it).
pub(super) fn offers(voice: &VoiceSettings, language: Option<&str>) -> Vec<String> {
    match language.and_then(|l| voice.texts.get(l)) {
        Some(texts) => vec![texts.message_offer.clone()],
        None => voice
            .texts_main_first()
            .map(|(_, t)| t.message_offer.clone())
            .collect(),
    }
}

/// The step that records a message on call `call_id` after `prompt`, with the addresses the
/// provider posts to about it: the recording's names the call, for a provider whose callback does
/// not (Vonage). A transcription is asked for only of a provider whose transcriptions the line
/// reads.
pub(super) fn take_message(
    hook: &CallHook<'_>,
    call_id: &str,
    language: &str,
    turn: u32,
    prompt: &[Said],
) -> Script {
    let CallHook {
        state,
        gateway,
        calls,
        ..
    } = *hook;
    let base = format!(
        "{}/webhooks/{}",
        state.settings.public_url.as_str().trim_end_matches('/'),
        gateway.name()
    );
    let voice = &state.settings.voice;
    let transcribes = calls
        .recordings()
        .is_some_and(|r| r.transcriptions().is_some());
    let call = form_urlencoded::Serializer::new(String::new())
        .append_pair("call", call_id)
        .finish();
    let to = MessageAddresses {
        done: format!("{base}/voice?turn={turn}&message=1"),
        recording: format!("{base}/recording?{call}"),
        transcription: (voice.transcribe && transcribes).then(|| format!("{base}/transcription")),
    };
    turn::message(voice, language, prompt, to)
}

/// The provider says a message is ready to copy.
pub(super) async fn recording(hook: &CallHook<'_>) -> Result<Response, WebError> {
    let CallHook {
        state,
        gateway,
        calls,
        vouching,
        webhook,
    } = *hook;
    let Some(ready) = recordings_of(gateway, calls)?.parse_recording(webhook)? else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let call = {
        let mut conn = state.db.acquire().await?;
        calls::find(&mut conn, gateway.name(), &ready.call_id).await?
    };
    let Some(call) = call.filter(|c| signed_for(vouching, &c.line)) else {
        return Err(WebError::NotFound("no such call reached this line".into()));
    };
    let message = Inbound {
        gateway: gateway.name(),
        gateway_id: Some(format!("{}:message:{}", ready.call_id, ready.recording_id)),
        line: crate::phone::Phone::from_stored(call.line.clone()),
        from: crate::phone::Phone::from_stored(call.phone.clone()),
        body: String::new(),
        media: Vec::new(),
        channel: Channel::Voicemail,
    };
    state.intake.receive(message).await?;
    let new = NewRecording {
        call_id: call.id,
        contact_id: call.contact_id,
        provider_id: &ready.recording_id,
        duration_seconds: ready.duration_seconds,
    };
    let mut conn = state.db.acquire().await?;
    if let Some(id) = recordings::add(&mut conn, &new, state.clock.now_ms()).await? {
        tracing::info!(
            recording = id,
            gateway = gateway.name(),
            "a message was left on a call"
        );
        state.recordings_wake.notify_one();
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The provider's words for a message: kept beside the recording, and noted on its request.
pub(super) async fn transcription(hook: &CallHook<'_>) -> Result<Response, WebError> {
    let CallHook {
        state,
        gateway,
        calls,
        vouching,
        webhook,
    } = *hook;
    let transcriptions = recordings_of(gateway, calls)?
        .transcriptions()
        .ok_or_else(|| {
            WebError::NotFound(format!(
                "aidline asks for no transcriptions on {} calls",
                gateway.name()
            ))
        })?;
    let heard = transcriptions.parse_transcription(webhook)?;
    let Some(text) = heard.text else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let now = state.clock.now_ms();
    let mut tx = state.db.begin().await?;
    let call = calls::find(&mut tx, gateway.name(), &heard.call_id).await?;
    let Some(call) = call.filter(|c| signed_for(vouching, &c.line)) else {
        return Err(WebError::NotFound("no such call reached this line".into()));
    };
    let transcript = Transcript {
        call_id: call.id,
        provider_id: &heard.recording_id,
        text: &text,
        transcription_id: heard.transcription_id.as_deref(),
    };
    let request = recordings::set_transcript(&mut tx, &transcript, now).await?;
    if let Some(request_id) = request {
        requests::add_event(
            &mut tx,
            request_id,
            "line",
            EventKind::Transcribed,
            None,
            now,
        )
        .await?;
    }
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    if transcript.transcription_id.is_some() {
        // The provider's copy of the words goes next.
        state.recordings_wake.notify_one();
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

//! Calls to a line. Each webhook of a call is one turn: what the caller pressed or said goes
//! through intake as a message of the call, so a call and texts from one number share one
//! conversation and are taken in order, and the line's replies come back in the provider's
//! document: said aloud, then the question the caller is at, or goodbye.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{AppState, WebError, audio};
use crate::flow::{Input, MESSAGE_KEY};
use crate::gateway::{CallEvent, Calls, Gateway, Heard, Hook, Inbound, PayloadError, Webhook};
use crate::intake::Received;
use crate::lifecycle::Channel;
use crate::line::Line;
use crate::phone::Phone;
use crate::store::calls;
use crate::voice::documents::Dialect;
use crate::voice::turn::{self, Said, Turn};
use crate::voice::{Script, Step};

mod messages;

/// Where in its call a webhook is: the turn (0 for the call's first webhook) and how many
/// questions in a row went unanswered. Both ride in the address we give the provider for the
/// next answer, so a retried webhook is the same turn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Position {
    turn: u32,
    quiet: u32,
    /// The caller has just left a message (the provider posts here when recording ends).
    message: bool,
}

impl Position {
    fn of(url: &str) -> Position {
        let query = url.split_once('?').map_or("", |(_, q)| q);
        let mut position = Position::default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.parse().unwrap_or(0);
            match key.as_ref() {
                "turn" => position.turn = value,
                "quiet" => position.quiet = value,
                "message" => position.message = value == 1,
                _ => {}
            }
        }
        position
    }
}

/// A verified call webhook, and what answers it: the service, the provider's gateway and its
/// calls, and the lines whose credentials signed it.
#[derive(Clone, Copy)]
pub(super) struct CallHook<'a> {
    pub state: &'a AppState,
    pub gateway: &'a dyn Gateway,
    pub calls: &'a dyn Calls,
    pub vouching: &'a [&'a Line],
    pub webhook: &'a Webhook<'a>,
}

impl CallHook<'_> {
    /// Answers the webhook as the address it came to asks.
    pub(super) async fn answer(&self) -> Result<Response, WebError> {
        match self.webhook.hook {
            Hook::Recording => messages::recording(self).await,
            Hook::Transcription => messages::transcription(self).await,
            Hook::CallEnded => ended(self).await,
            _ => turn(self).await,
        }
    }
}

/// Answers one webhook of a call on `line`, whose credentials vouched for it.
async fn turn(hook: &CallHook<'_>) -> Result<Response, WebError> {
    let CallHook {
        state,
        gateway,
        calls,
        vouching,
        webhook,
    } = *hook;
    let event = match calls.parse_call(webhook, state.settings.default_region) {
        Err(PayloadError::HiddenCaller(_)) => return Ok(hidden_caller(state, calls.dialect())),
        read => read?,
    };
    let Some(line) = vouching.iter().find(|l| l.number == event.line) else {
        tracing::warn!(gateway = gateway.name(), line = %event.line.redacted(), "refused a call to a number whose credentials did not sign it");
        return Err(WebError::Forbidden(
            "the webhook could not be verified".into(),
        ));
    };
    let position = Position::of(webhook.url);
    let voice = &state.settings.voice;
    let dialect = calls.dialect();
    if !line.answer_calls {
        return not_answered(state, gateway, dialect, event).await;
    }
    let (before, known_language) = state.intake.standing(&event.from).await?;
    let spoken_in = before
        .as_ref()
        .map(|s| s.language.clone())
        .or(known_language.clone());
    let wind_down = &state.settings.wind_down;
    if wind_down.is_on() {
        // The group takes no more requests: the caller hears where to turn, each language in
        // its own voice when theirs is not known, and the call ends.
        let said = wind_down.referrals(spoken_in.as_deref());
        return Ok(document(dialect.write(&turn::say_each(voice, &said))));
    }
    let takes_messages = calls.recordings().is_some();
    if position.message {
        let language = spoken_in.as_deref().unwrap_or_default();
        let thanks = voice
            .texts(language)
            .map_or("", |t| t.message_thanks.as_str());
        return Ok(document(
            dialect.write(&turn::farewell(voice, language, thanks)),
        ));
    }
    if takes_messages
        && matches!(&event.heard, Heard::Keys(k) if k.trim_end_matches('#') == MESSAGE_KEY)
    {
        let language = spoken_in.as_deref().unwrap_or_default();
        let prompt: Vec<Said> = voice
            .texts(language)
            .map(|t| Said::from(t.message_prompt.clone()))
            .into_iter()
            .collect();
        return record_message(hook, &event, language, position.turn + 1, &prompt).await;
    }
    let flows = state.intake.flows().current();
    let asked = before.as_ref().and_then(|s| {
        let flow = flows.get(&s.flow)?;
        Some((flow, flow.states.get(&s.state)?))
    });
    let said = turn::heard_as_text(&event.heard, asked);
    let quiet = match event.heard {
        Heard::Nothing if position.turn > 0 => position.quiet + 1,
        _ => 0,
    };
    if quiet > voice.silences {
        let language = before.as_ref().map_or("", |s| s.language.as_str());
        let goodbye = voice.texts(language).map_or("", |t| t.goodbye.as_str());
        return Ok(document(
            dialect.write(&turn::farewell(voice, language, goodbye)),
        ));
    }
    let key = format!("{}:{}", event.call_id, position.turn);
    let message = Inbound {
        gateway: gateway.name(),
        gateway_id: Some(key.clone()),
        line: event.line.clone(),
        from: event.from.clone(),
        body: said,
        media: Vec::new(),
        channel: Channel::Voice,
    };
    let inbound_id = match state.intake.receive(message).await? {
        Received::Handled { inbound_id } => inbound_id,
        Received::Blocked => return Ok(refused(dialect)),
        // The provider asked again for a turn already taken: it gets the same answer.
        Received::Duplicate => state
            .intake
            .stored_id(gateway.name(), &key)
            .await?
            .ok_or_else(|| WebError::Conflict("that turn of the call is not stored".into()))?,
    };
    if state.intake.held(inbound_id).await? {
        let answered = position.turn > 0;
        return held(
            state,
            dialect,
            inbound_id,
            known_language.as_deref(),
            answered,
        )
        .await;
    }
    let replies = state.intake.spoken_replies_to(inbound_id).await?;
    let public_url = &state.settings.public_url;
    let said = |reply| audio::said(public_url, &flows, reply);
    let mut replies: Vec<Said> = replies.into_iter().map(said).collect();
    let doubt = asked.and_then(|(_, asked)| {
        let language = spoken_in.as_deref().unwrap_or_default();
        turn::read_back(voice, &event.heard, Some(asked), language)
    });
    replies.splice(0..0, doubt.map(Said::from));
    if position.turn == 0 {
        remember(state, gateway, &event).await?;
        if takes_messages {
            let offers = messages::offers(voice, spoken_in.as_deref());
            replies.extend(offers.into_iter().map(Said::from));
        }
    }
    let (after, known_language) = state.intake.standing(&event.from).await?;
    let waiting = after.as_ref().and_then(|s| {
        let flow = flows.get(&s.flow)?;
        Some((s, flow.states.get(&s.state)?))
    });
    let language = waiting
        .map(|(s, _)| s.language.clone())
        .or(known_language)
        .unwrap_or_default();
    // A question that takes a message in the caller's own words records it, where the line
    // can take messages; elsewhere it is heard as a free answer.
    if takes_messages && waiting.is_some_and(|(_, s)| matches!(s.input, Input::Message { .. })) {
        return record_message(hook, &event, &language, position.turn + 1, &replies).await;
    }
    let action = format!(
        "{}/webhooks/{}/voice?turn={}&quiet={quiet}",
        state.settings.public_url.as_str().trim_end_matches('/'),
        gateway.name(),
        position.turn + 1,
    );
    let next = Turn {
        replies: &replies,
        waiting: waiting.map(|(_, state)| state),
        language: &language,
        action,
    };
    Ok(document(dialect.write(&turn::compose(
        &next,
        voice,
        dialect.hears_speech(),
    ))))
}

/// Records a message after `prompt`. The call is marked as taking one first, so that hanging up
/// now is not taken for a caller who left mid-way.
async fn record_message(
    hook: &CallHook<'_>,
    event: &CallEvent,
    language: &str,
    turn: u32,
    prompt: &[Said],
) -> Result<Response, WebError> {
    let CallHook {
        state,
        gateway,
        calls,
        ..
    } = *hook;
    let call = remember(state, gateway, event).await?;
    let mut conn = state.db.acquire().await?;
    calls::message_started(&mut conn, call, state.clock.now_ms()).await?;
    let script = messages::take_message(hook, &event.call_id, language, turn, prompt);
    Ok(document(calls.dialect().write(&script)))
}

/// A call is over. A caller who hung up mid-way, and did not leave a message, is texted the
/// question they were at; intake decides, under the caller's lock, whether anything was left.
async fn ended(hook: &CallHook<'_>) -> Result<Response, WebError> {
    let CallHook {
        state,
        gateway,
        calls,
        vouching,
        webhook,
    } = *hook;
    let Some(call_id) = calls.parse_call_end(webhook)? else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let mut conn = state.db.acquire().await?;
    let call = calls::find(&mut conn, gateway.name(), &call_id).await?;
    // A call that never reached a question (refused, or not ours) has nothing to carry on.
    let Some(call) = call.filter(|c| signed_for(vouching, &c.line)) else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let first_end = calls::end(&mut conn, call.id, state.clock.now_ms()).await?;
    drop(conn);
    if first_end && call.message_at.is_none() {
        let over = Inbound {
            gateway: gateway.name(),
            gateway_id: Some(format!("{call_id}:ended")),
            line: Phone::from_stored(call.line),
            from: Phone::from_stored(call.phone),
            body: String::new(),
            media: Vec::new(),
            channel: Channel::CallEnded,
        };
        state.intake.receive(over).await?;
        state.intake.texts_queued();
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A call the line does not answer: refused unanswered where the provider allows (so it costs
/// the caller nothing), and the caller texted the line's flow as if they had texted it.
async fn not_answered(
    state: &AppState,
    gateway: &dyn Gateway,
    dialect: Dialect,
    event: CallEvent,
) -> Result<Response, WebError> {
    let missed = Inbound {
        gateway: gateway.name(),
        gateway_id: Some(format!("{}:missed", event.call_id)),
        line: event.line,
        from: event.from,
        body: String::new(),
        media: Vec::new(),
        channel: Channel::MissedCall,
    };
    state.intake.receive(missed).await?;
    state.intake.texts_queued();
    Ok(refused(dialect))
}

/// Refuses a call unanswered where the provider allows (so it costs the caller nothing), else
/// hangs up on it at once.
fn refused(dialect: Dialect) -> Response {
    let refusal = match dialect.can_reject() {
        true => Step::Reject,
        false => Step::Hangup,
    };
    let script = Script {
        steps: vec![refusal],
    };
    document(dialect.write(&script))
}

/// A call the per-number limit held back. The one that went past the limit hears the notice
/// (in the language the line knows the caller by, else in every language, each in its own
/// voice: the words intake chose for it) and is ended. A call while the number cools off is
/// refused, or hung up on once `answered` (the limit was reached during it).
async fn held(
    state: &AppState,
    dialect: Dialect,
    inbound_id: i64,
    language: Option<&str>,
    answered: bool,
) -> Result<Response, WebError> {
    let said: Vec<(&str, &str)> = match state.intake.spoken_replies_to(inbound_id).await? {
        replies if replies.is_empty() && !answered => return Ok(refused(dialect)),
        replies if replies.is_empty() => Vec::new(),
        _ => state.settings.safety.notices(language),
    };
    Ok(document(
        dialect.write(&turn::say_each(&state.settings.voice, &said)),
    ))
}

/// A caller who hid their number is told, in every language the line speaks, that nobody could
/// reach them with an answer, and how to get one. Nothing is kept: there is nobody to keep it for.
fn hidden_caller(state: &AppState, dialect: Dialect) -> Response {
    let voice = &state.settings.voice;
    let said = turn::in_every_language(voice, |texts| &texts.hidden_number);
    tracing::info!("a caller with a hidden number was told to call again showing it");
    document(dialect.write(&said))
}

/// Whether the credentials that signed a callback are those of the line the call was to: a
/// group's other account at the same provider cannot reach this line's calls.
fn signed_for(vouching: &[&Line], line: &str) -> bool {
    vouching.iter().any(|l| l.number.as_str() == line)
}

/// Keeps the call, so that callbacks naming only its id (a recording) find the caller.
async fn remember(
    state: &AppState,
    gateway: &dyn Gateway,
    event: &CallEvent,
) -> Result<i64, WebError> {
    let mut conn = state.db.acquire().await?;
    let (line, from) = (event.line.as_str(), event.from.as_str());
    let now = state.clock.now_ms();
    Ok(calls::record(&mut conn, gateway.name(), &event.call_id, line, from, now).await?)
}

pub(super) fn document(doc: crate::voice::documents::Document) -> Response {
    ([(header::CONTENT_TYPE, doc.content_type)], doc.body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_turn_and_its_quiet_count_are_read_from_the_address_the_provider_was_given() {
        let at = Position::of("https://aid.example/webhooks/twilio/voice?turn=3&quiet=1");
        assert_eq!(
            at,
            Position {
                turn: 3,
                quiet: 1,
                message: false
            }
        );
        assert_eq!(
            Position::of("https://aid.example/webhooks/twilio/voice"),
            Position::default()
        );
    }
}

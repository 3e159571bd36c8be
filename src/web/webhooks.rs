//! Gateway webhooks. Every provider's arrive at `/webhooks/PROVIDER[/sms|/status|/voice]` and go through
//! one handler: authenticity first (403 and nothing stored when it fails), then the payload (400
//! naming the field), then a check that each text is to a line whose credentials signed it (403
//! otherwise), then intake or the delivery log.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::{IntoResponse, Response};

use super::local::FromThisMachine;
use super::{AppState, WebError};

use crate::gateway::{
    self, Acknowledgement, DeliveryReport, Event, Gateway, Hook, Inbound, Params, Webhook,
};
use crate::intake::Received;
use crate::line::Line;
use crate::store::contacts::{self, OptChange};
use crate::store::{outbound, parts};

/// `/webhooks/PROVIDER` or `/webhooks/PROVIDER/sms|status`.
#[derive(serde::Deserialize)]
pub struct HookPath {
    provider: String,
    #[serde(default)]
    hook: Option<String>,
}

/// Every provider's webhooks: authenticity, then the payload, then intake or the delivery log.
pub async fn receive(
    State(state): State<AppState>,
    Path(HookPath { provider, hook }): Path<HookPath>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let hook = match hook.as_deref() {
        None => Hook::Events,
        Some("sms") => Hook::Inbound,
        Some("status") => Hook::Status,
        Some("voice") => Hook::Call,
        Some("recording") => Hook::Recording,
        Some("transcription") => Hook::Transcription,
        Some("ended") => Hook::CallEnded,
        Some(other) => {
            return Err(WebError::NotFound(format!(
                "no webhook `{other}`; use /sms, /status, /voice, /recording, /transcription or /ended"
            )));
        }
    };
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!(
        "{}{path}",
        state.settings.public_url.as_str().trim_end_matches('/')
    );
    let webhook = Webhook {
        method: method.as_str(),
        url: &url,
        headers: &headers,
        body: &body,
        hook,
        now_s: state.clock.now_ms().div_euclid(1000),
    };
    let vouching = authenticate(&state, &provider, &webhook)?;
    let gateway = vouching[0].gateway.as_ref();
    if hook.is_call() {
        let Some(calls) = gateway.calls() else {
            return Err(WebError::NotFound(format!(
                "aidline takes no calls from {provider}"
            )));
        };
        let call = super::calls::CallHook {
            state: &state,
            gateway,
            calls,
            vouching: &vouching,
            webhook: &webhook,
        };
        return call.answer().await;
    }
    let events = gateway::read_events(gateway, &webhook, state.settings.default_region)?;
    // Every text is checked before any is stored, so a refused batch leaves nothing behind.
    for event in &events {
        let line = match event {
            Event::Text(text) => &text.line,
            Event::Part(part) => &part.text.line,
            Event::Delivery(_) | Event::Ignored => continue,
        };
        if !vouching.iter().any(|l| &l.number == line) {
            tracing::warn!(
                gateway = gateway.name(),
                line = %line.redacted(),
                "refused a text to a number whose credentials did not sign it"
            );
            return Err(refusal());
        }
    }
    for event in events {
        match event {
            Event::Text(text) => take_in(&state, gateway, text).await?,
            Event::Part(part) => {
                let now = state.clock.now_ms();
                if let Some(text) = parts::add(&state.db, &part, now).await? {
                    take_in(&state, gateway, text).await?;
                }
            }
            Event::Delivery(report) => record_delivery(&state, &report).await?,
            Event::Ignored => {}
        }
    }
    Ok(match gateway.acknowledgement() {
        Acknowledgement::Empty => ().into_response(),
        Acknowledgement::Xml(xml) => ([(header::CONTENT_TYPE, "text/xml")], xml).into_response(),
    })
}

/// The one answer to a webhook that is not taken as the provider's, whatever the reason (a bad
/// signature, a provider no line uses, a number the signer does not own): alike, so that a
/// stranger cannot learn from it which providers and numbers the service has. The reason goes to
/// the log.
fn refusal() -> WebError {
    WebError::Forbidden("the webhook could not be verified".into())
}

/// The lines using `provider` whose credentials vouch for the webhook. A group may hold numbers
/// under several accounts of one provider, so each line's credentials are tried; the texts the
/// webhook carries must then be to one of these lines.
fn authenticate<'a>(
    state: &'a AppState,
    provider: &'a str,
    webhook: &Webhook,
) -> Result<Vec<&'a Line>, WebError> {
    let mut vouching = Vec::new();
    let mut why = None;
    for line in state.settings.lines_using(provider) {
        match line.gateway.verify(webhook) {
            Ok(()) => vouching.push(line),
            Err(e) => why = why.or(Some(e)),
        }
    }
    if !vouching.is_empty() {
        return Ok(vouching);
    }
    match why {
        None => tracing::warn!("refused a webhook for a provider no line uses"),
        Some(why) => tracing::warn!(gateway = provider, reason = %why, "rejected a webhook"),
    }
    Err(refusal())
}

/// Hands a text to intake; its line was checked against the webhook's signer already.
async fn take_in(state: &AppState, gateway: &dyn Gateway, text: Inbound) -> Result<(), WebError> {
    if let Received::Duplicate = state.intake.receive(text).await? {
        tracing::info!(
            gateway = gateway.name(),
            "duplicate webhook acknowledged and ignored"
        );
    }
    Ok(())
}

/// Moves a sent text forward to the reported state. Duplicate, late or out-of-order reports change
/// nothing; a report that the recipient opted out opts the contact out.
async fn record_delivery(state: &AppState, report: &DeliveryReport) -> Result<(), WebError> {
    let Some(new_state) = report.state else {
        return Ok(());
    };
    let now = state.clock.now_ms();
    let mut tx = state.db.begin().await?;
    let contact_id = outbound::apply_delivery(
        &mut tx,
        &report.gateway_id,
        new_state,
        report.error_code.as_deref(),
        now,
    )
    .await?;
    if let (Some(contact_id), true) = (contact_id, report.recipient_opted_out) {
        let source = format!(
            "gateway:{}",
            report.error_code.as_deref().unwrap_or("opt-out")
        );
        contacts::record_opt_change(&mut tx, contact_id, OptChange::OptOut, &source, "", now)
            .await?;
    }
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    Ok(())
}

/// The console line: only this machine may post to it, only when the settings open it, and it
/// answers with the replies as text.
pub async fn console_sms(
    State(state): State<AppState>,
    _: FromThisMachine,
    body: Bytes,
) -> Result<Response, WebError> {
    let replies = text_console_line(&state, &Params::from_form(&body)).await?;
    let mut text = replies.join("\n");
    text.push('\n');
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// A text to the console line (`from`, `body`), from the terminal or the phone simulator page:
/// through intake like any provider's, and answered with the replies it got straight away.
pub async fn text_console_line(state: &AppState, params: &Params) -> Result<Vec<String>, WebError> {
    let Some(line) = state.settings.open_console_line() else {
        return Err(match state.settings.console_line() {
            Some(_) => WebError::Forbidden(
                "the console line takes texts only with console_texts = true in the settings"
                    .into(),
            ),
            None => WebError::NotFound("no console line is configured".into()),
        });
    };
    let msg = gateway::console::parse(&line.number, params, state.settings.default_region)?;
    Ok(match state.intake.receive(msg).await? {
        Received::Handled { inbound_id } => state.intake.replies_to(inbound_id).await?,
        Received::Duplicate | Received::Blocked => Vec::new(),
    })
}

//! Gateway webhooks. Each checks authenticity first (403 and nothing stored when it fails), then
//! parses the payload (400 naming the field), then hands over to intake or the delivery log.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::local::FromThisMachine;
use super::{AppState, WebError};
use secrecy::ExposeSecret;

use crate::config::LineGateway;
use crate::gateway::{self, DeliveryReport, twilio};
use crate::intake::Received;
use crate::store::contacts::{self, OptChange};
use crate::store::outbound;

/// Twilio's "nothing to say": replies go through the outbox, which handles retries and opt-outs.
const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// A Twilio form post whose `X-Twilio-Signature` checked out, as name/value pairs.
///
/// The signature is tried against every Twilio line's token (a group may hold numbers under more
/// than one account), over the URL Twilio was given: our public URL plus the path and query.
pub struct TwilioForm(Vec<(String, String)>);

impl FromRequest<AppState> for TwilioForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let path = req
            .uri()
            .path_and_query()
            .map_or("/".to_string(), |p| p.as_str().to_string());
        let signature = req
            .headers()
            .get("x-twilio-signature")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        // Too large a body is refused here with 413, before any work.
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Some(signature) = signature else {
            return Err(WebError::Forbidden("missing X-Twilio-Signature").into_response());
        };
        let params = form_pairs(&body);
        let url = format!(
            "{}{path}",
            state.settings.public_url.as_str().trim_end_matches('/')
        );
        let signed_by_us = state.settings.lines.iter().any(|line| match &line.gateway {
            LineGateway::Twilio(creds) => {
                twilio::verify(creds.auth_token.expose_secret(), &url, &params, &signature)
            }
            LineGateway::Console => false,
        });
        if !signed_by_us {
            tracing::warn!("rejected a Twilio webhook with a bad signature");
            return Err(WebError::Forbidden("signature check failed").into_response());
        }
        Ok(TwilioForm(params))
    }
}

pub async fn twilio_sms(
    State(state): State<AppState>,
    TwilioForm(params): TwilioForm,
) -> Result<Response, WebError> {
    let msg = twilio::parse_inbound(&params, state.settings.default_region)?;
    if state.settings.line_by_number(&msg.line).is_none() {
        return Err(WebError::NotFound(format!(
            "field `To`: {} is not a line of this service",
            msg.line.redacted()
        )));
    }
    if let Received::Duplicate = state.intake.receive(msg).await? {
        tracing::info!(
            gateway = "twilio",
            "duplicate webhook acknowledged and ignored"
        );
    }
    Ok(empty_twiml())
}

pub async fn twilio_status(
    State(state): State<AppState>,
    TwilioForm(params): TwilioForm,
) -> Result<Response, WebError> {
    let report = twilio::parse_status(&params)?;
    record_delivery(&state, &report).await?;
    Ok(empty_twiml())
}

fn empty_twiml() -> Response {
    ([(header::CONTENT_TYPE, "text/xml")], EMPTY_TWIML).into_response()
}

/// Moves a sent text forward to the reported state. Duplicate, late or out-of-order reports change
/// nothing; a report that the recipient opted out opts the contact out.
async fn record_delivery(state: &AppState, report: &DeliveryReport) -> Result<(), WebError> {
    let Some(new_state) = report.state else {
        return Ok(());
    };
    let now = state.intake.now_ms();
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

/// The demo line: only this machine may post to it, and it answers with the replies as text.
pub async fn console_sms(
    State(state): State<AppState>,
    _: FromThisMachine,
    body: Bytes,
) -> Result<Response, WebError> {
    let Some(line) = state.settings.console_line() else {
        return Err(WebError::NotFound("no console line is configured".into()));
    };
    let id = format!(
        "console-{}-{}",
        state.intake.now_ms(),
        rand::random::<u64>()
    );
    let msg = gateway::console::parse(line, &form_pairs(&body), state.settings.default_region, id)?;
    let replies = match state.intake.receive(msg).await? {
        Received::Handled { inbound_id } => state.intake.replies_to(inbound_id).await?,
        Received::Duplicate => Vec::new(),
    };
    let mut text = replies.join("\n");
    text.push('\n');
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

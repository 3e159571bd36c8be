//! Twilio Programmable Voice: a call to the line, and each answer a `<Gather>` collects, come as
//! signed form posts to `/webhooks/twilio/voice` (`CallSid`, `From`, `To`, then `Digits` or
//! `SpeechResult` with `Confidence`), signed the same way as texts. A message left with
//! `<Record>` is announced at `/webhooks/twilio/recording` (`RecordingSid`, `RecordingStatus`),
//! its transcription at `/webhooks/twilio/transcription`; the audio is fetched from, and then
//! deleted at, the Recordings API.

use super::Twilio;
use crate::gateway::{
    CallEvent, Calls, DeleteFuture, FetchFuture, Heard, Params, PayloadError, RecordingEvent,
    Recordings, TranscriptionEvent, Webhook, call, caller, error_from_status, fetch_bytes, over,
    phone_field,
};
use crate::phone::Region;
use crate::voice::documents::Dialect;

impl Calls for Twilio {
    fn dialect(&self) -> Dialect {
        Dialect::Twilio
    }

    fn parse_call(&self, hook: &Webhook, region: Region) -> Result<CallEvent, PayloadError> {
        read_call(&hook.params(), region)
    }

    fn parse_call_end(&self, hook: &Webhook) -> Result<Option<String>, PayloadError> {
        read_call_end(&hook.params())
    }

    fn recordings(&self) -> Option<&dyn Recordings> {
        Some(self)
    }
}

/// Reads a TwiML-dialect call-status callback (`CallSid`, `CallStatus`).
pub(in crate::gateway) fn read_call_end(params: &Params) -> Result<Option<String>, PayloadError> {
    let id = params.required("CallSid")?;
    Ok(over(id, params.required("CallStatus")?))
}

/// Reads a TwiML-dialect call webhook: Twilio's, SignalWire's cXML and Telnyx's TeXML, which all
/// post the same fields.
pub(in crate::gateway) fn read_call(
    params: &Params,
    region: Region,
) -> Result<CallEvent, PayloadError> {
    let heard = Heard::from_form(params, "Digits", "SpeechResult", "Confidence")?;
    Ok(CallEvent {
        call_id: params.required("CallSid")?.to_string(),
        line: params.phone("To", region)?,
        from: caller("From", params.get("From"), |v| {
            phone_field("From", v, region)
        })?,
        heard,
    })
}

impl Recordings for Twilio {
    fn parse_recording(&self, hook: &Webhook) -> Result<Option<RecordingEvent>, PayloadError> {
        read_recording(&hook.params())
    }

    fn parse_transcription(&self, hook: &Webhook) -> Result<TranscriptionEvent, PayloadError> {
        read_transcription(&hook.params())
    }

    fn fetch<'a>(&'a self, http: &'a reqwest::Client, id: &'a str) -> FetchFuture<'a> {
        let url = self.recording_url(id, "mp3");
        fetch_recording(
            http,
            url,
            &self.account_sid,
            self.auth_token.expose(),
            "Twilio",
        )
    }

    fn delete<'a>(&'a self, http: &'a reqwest::Client, id: &'a str) -> DeleteFuture<'a> {
        let url = self.recording_url(id, "json");
        delete_recording(
            http,
            url,
            &self.account_sid,
            self.auth_token.expose(),
            "Twilio",
        )
    }
}

impl Twilio {
    /// The API address of recording `id` in `format`. Built from our own settings, never from the
    /// address a webhook names, so a recording is only ever fetched with our credentials from
    /// Twilio's API.
    fn recording_url(&self, id: &str, format: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/Recordings/{id}.{format}",
            self.api_base.as_str().trim_end_matches('/'),
            self.account_sid
        )
    }
}

/// Reads a TwiML-dialect recording status callback (Twilio's and SignalWire's).
pub(in crate::gateway) fn read_recording(
    params: &Params,
) -> Result<Option<RecordingEvent>, PayloadError> {
    // `absent` is a recording with no sound in it, `failed` one the provider could not make.
    if params.required("RecordingStatus")? != "completed" {
        return Ok(None);
    }
    let duration_seconds = params
        .non_empty("RecordingDuration")
        .map(|d| {
            d.parse::<i64>()
                .map_err(|_| PayloadError::invalid("RecordingDuration", "is not a number"))
        })
        .transpose()?;
    Ok(Some(RecordingEvent {
        call_id: params.required("CallSid")?.to_string(),
        recording_id: recording_id(params, "RecordingSid")?,
        duration_seconds,
    }))
}

/// Reads a TwiML-dialect transcription callback.
pub(in crate::gateway) fn read_transcription(
    params: &Params,
) -> Result<TranscriptionEvent, PayloadError> {
    let done = params.required("TranscriptionStatus")? == "completed";
    Ok(TranscriptionEvent {
        call_id: params.required("CallSid")?.to_string(),
        recording_id: recording_id(params, "RecordingSid")?,
        text: params
            .non_empty("TranscriptionText")
            .filter(|_| done)
            .map(str::to_string),
    })
}

/// Downloads a recording from a Twilio-style Recordings API, under Basic auth.
pub(in crate::gateway) fn fetch_recording<'a>(
    http: &'a reqwest::Client,
    url: String,
    user: &'a str,
    password: &'a str,
    provider: &'static str,
) -> FetchFuture<'a> {
    let request = http.get(url).basic_auth(user, Some(password));
    Box::pin(fetch_bytes(request, provider))
}

/// Deletes a recording at a Twilio-style Recordings API; one already gone counts as deleted.
pub(in crate::gateway) fn delete_recording<'a>(
    http: &'a reqwest::Client,
    url: String,
    user: &'a str,
    password: &'a str,
    provider: &'static str,
) -> DeleteFuture<'a> {
    let request = http.delete(url).basic_auth(user, Some(password));
    Box::pin(async move {
        let answer = call(request, provider).await?;
        // 404: gone already, which is what we wanted.
        if answer.is_success() || answer.status == 404 {
            return Ok(());
        }
        let detail = format!(
            "{provider} answered {} to deleting a recording",
            answer.status
        );
        Err(error_from_status(&answer, None, detail))
    })
}

/// A recording id: Twilio's are `RE` and 32 hex digits, SignalWire's a UUID. Anything else (a
/// slash, a dot) would put other words in the API address we build from it.
fn recording_id(params: &Params, field: &'static str) -> Result<String, PayloadError> {
    let id = params.required(field)?;
    let well_formed =
        (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if well_formed {
        Ok(id.to_string())
    } else {
        Err(PayloadError::invalid(field, "is not a recording id"))
    }
}

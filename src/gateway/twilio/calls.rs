//! Twilio Programmable Voice: a call to the line, and each answer a `<Gather>` collects, come as
//! signed form posts to `/webhooks/twilio/voice` (`CallSid`, `From`, `To`, then `Digits` or
//! `SpeechResult` with `Confidence`), signed the same way as texts. A message left with
//! `<Record>` is announced at `/webhooks/twilio/recording` (`RecordingSid`, `RecordingStatus`),
//! its transcription at `/webhooks/twilio/transcription`; the audio is fetched from, and then
//! deleted at, the Recordings API, and the transcription, which Twilio keeps apart from the
//! recording, is deleted at the Transcriptions API once its words are stored.

use super::Twilio;
use crate::gateway::{
    CallEvent, Calls, DeleteFuture, FetchFuture, Heard, Held, Params, PayloadError, RecordingEvent,
    Recordings, TranscriptionEvent, Transcriptions, Webhook, api_id, caller, delete_held,
    fetch_bytes, over, phone_field,
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

    fn fetch<'a>(&'a self, http: &'a reqwest::Client, held: Held<'a>) -> FetchFuture<'a> {
        let url = self.resource_url("Recordings", held.recording_id, "mp3");
        fetch_recording(
            http,
            url,
            &self.account_sid,
            self.auth_token.expose(),
            "Twilio",
        )
    }

    fn delete<'a>(&'a self, http: &'a reqwest::Client, held: Held<'a>) -> DeleteFuture<'a> {
        self.delete_at(http, "Recordings", held.recording_id, "recording")
    }

    fn transcriptions(&self) -> Option<&dyn Transcriptions> {
        Some(self)
    }
}

/// A transcription outlives its recording at Twilio: it is deleted on its own.
impl Transcriptions for Twilio {
    fn parse_transcription(&self, hook: &Webhook) -> Result<TranscriptionEvent, PayloadError> {
        read_transcription(&hook.params())
    }

    fn delete_transcription<'a>(
        &'a self,
        http: &'a reqwest::Client,
        id: &'a str,
    ) -> DeleteFuture<'a> {
        self.delete_at(http, "Transcriptions", id, "transcription")
    }
}

impl Twilio {
    /// The API address of `resource` (`Recordings`, `Transcriptions`) `id` in `format`. Built
    /// from our own settings, never from the address a webhook names, so a recording is only
    /// ever fetched with our credentials from Twilio's API.
    fn resource_url(&self, resource: &str, id: &str, format: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/{resource}/{id}.{format}",
            self.api_base.as_str().trim_end_matches('/'),
            self.account_sid
        )
    }

    /// Deletes `resource` `id` (a recording, a transcription): what the line no longer needs
    /// Twilio to keep.
    fn delete_at<'a>(
        &'a self,
        http: &'a reqwest::Client,
        resource: &str,
        id: &str,
        what: &'static str,
    ) -> DeleteFuture<'a> {
        let url = self.resource_url(resource, id, "json");
        let password = self.auth_token.expose();
        delete_resource(http, url, &self.account_sid, password, "Twilio", what)
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
        recording_id: api_id("RecordingSid", params.required("RecordingSid")?)?,
        duration_seconds,
    }))
}

/// Reads a TwiML-dialect transcription callback.
pub(in crate::gateway) fn read_transcription(
    params: &Params,
) -> Result<TranscriptionEvent, PayloadError> {
    let done = params.required("TranscriptionStatus")? == "completed";
    let transcription_id = params
        .non_empty("TranscriptionSid")
        .map(|id| api_id("TranscriptionSid", id))
        .transpose()?;
    Ok(TranscriptionEvent {
        call_id: params.required("CallSid")?.to_string(),
        recording_id: api_id("RecordingSid", params.required("RecordingSid")?)?,
        transcription_id,
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

/// Deletes a recording or a transcription at a Twilio-style API, under Basic auth.
pub(in crate::gateway) fn delete_resource<'a>(
    http: &'a reqwest::Client,
    url: String,
    user: &'a str,
    password: &'a str,
    provider: &'static str,
    what: &'static str,
) -> DeleteFuture<'a> {
    let request = http.delete(url).basic_auth(user, Some(password));
    Box::pin(delete_held(request, provider, what))
}

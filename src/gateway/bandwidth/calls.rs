//! Bandwidth Programmable Voice: a call to the line posts an `initiate` event to the Voice
//! application's call-initiated address, and each `<Gather>` posts a `gather` event to its
//! `gatherUrl`; both are JSON objects (`eventType`, `callId`, `from`, `to`, and for a gather
//! `digits` and `terminatingDigit`) behind the application's Basic callback credentials, the same
//! check as texts. Bandwidth recognises no speech: a caller answers with keys only.
//!
//! A message left with `<Record>` is announced by a `recordingAvailable` event (`callId`,
//! `recordingId`, `status`, `duration`) at `/webhooks/bandwidth/recording`: not by
//! `recordComplete`, which a caller who hangs up never sends. Its audio is at the Voice API's
//! `…/calls/{callId}/recordings/{recordingId}/media`, and deleting the recording there deletes its
//! media and any transcription with it. Transcriptions are not asked for: reading one takes
//! another API call per message that the line does not make yet.

use serde::Deserialize;

use super::Bandwidth;
use crate::gateway::{
    CallEvent, Calls, DeleteFuture, FetchFuture, Heard, Held, PayloadError, RecordingEvent,
    Recordings, Webhook, api_id, caller, delete_held, fetch_bytes, json, phone_field,
};
use crate::phone::Region;
use crate::voice::documents::Dialect;

impl Calls for Bandwidth {
    fn dialect(&self) -> Dialect {
        Dialect::Bandwidth
    }

    fn parse_call(&self, hook: &Webhook, region: Region) -> Result<CallEvent, PayloadError> {
        json::body::<CallCallback>(hook.body)?.read(region)
    }

    /// The application's call status address gets `disconnect` once a call is over.
    fn parse_call_end(&self, hook: &Webhook) -> Result<Option<String>, PayloadError> {
        let callback = json::body::<CallCallback>(hook.body)?;
        let id = json::required("callId", callback.call_id.as_deref())?;
        Ok(
            (json::required("eventType", callback.event_type.as_deref())? == "disconnect")
                .then(|| id.to_owned()),
        )
    }

    fn recordings(&self) -> Option<&dyn Recordings> {
        Some(self)
    }
}

impl Recordings for Bandwidth {
    fn parse_recording(&self, hook: &Webhook) -> Result<Option<RecordingEvent>, PayloadError> {
        json::body::<RecordingCallback>(hook.body)?.read()
    }

    fn fetch<'a>(&'a self, http: &'a reqwest::Client, held: Held<'a>) -> FetchFuture<'a> {
        let url = format!("{}/media", self.recording_url(held));
        let request = http
            .get(url)
            .basic_auth(&self.username, Some(self.password.expose()));
        Box::pin(fetch_bytes(request, "Bandwidth"))
    }

    fn delete<'a>(&'a self, http: &'a reqwest::Client, held: Held<'a>) -> DeleteFuture<'a> {
        let request = http
            .delete(self.recording_url(held))
            .basic_auth(&self.username, Some(self.password.expose()));
        Box::pin(delete_held(request, "Bandwidth", "recording"))
    }
}

impl Bandwidth {
    /// The Voice API's address of a recording, from our settings and the ids the callback gave,
    /// both checked when it was read.
    fn recording_url(&self, held: Held<'_>) -> String {
        format!(
            "{}/api/v2/accounts/{}/calls/{}/recordings/{}",
            self.voice_api_base.as_str().trim_end_matches('/'),
            self.account_id,
            held.call_id,
            held.recording_id
        )
    }
}

/// A `recordingAvailable` event.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecordingCallback {
    event_type: Option<String>,
    call_id: Option<String>,
    recording_id: Option<String>,
    /// `complete`, `partial` (cut short, but what there is can be played) or `error`.
    status: Option<String>,
    /// ISO 8601, as `PT13.67S`.
    duration: Option<String>,
}

impl RecordingCallback {
    fn read(self) -> Result<Option<RecordingEvent>, PayloadError> {
        if json::required("eventType", self.event_type.as_deref())? != "recordingAvailable" {
            return Err(PayloadError::invalid(
                "eventType",
                "is not a recording being available",
            ));
        }
        let status = json::required("status", self.status.as_deref())?;
        if !matches!(status, "complete" | "partial") {
            return Ok(None);
        }
        Ok(Some(RecordingEvent {
            call_id: api_id("callId", json::required("callId", self.call_id.as_deref())?)?,
            recording_id: api_id(
                "recordingId",
                json::required("recordingId", self.recording_id.as_deref())?,
            )?,
            duration_seconds: self.duration.as_deref().and_then(seconds),
        }))
    }
}

/// Whole seconds in an ISO 8601 duration of hours, minutes and seconds (`PT1M5.2S` is 65).
fn seconds(duration: &str) -> Option<i64> {
    let mut rest = duration.strip_prefix("PT")?;
    let mut total = 0.0;
    for (unit, scale) in [('H', 3600.0), ('M', 60.0), ('S', 1.0)] {
        if let Some((number, after)) = rest.split_once(unit) {
            total += number.parse::<f64>().ok()? * scale;
            rest = after;
        }
    }
    rest.is_empty().then_some(total.round() as i64)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallCallback {
    event_type: Option<String>,
    call_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// Empty when the caller pressed nothing before the timeout.
    digits: Option<String>,
    /// The key that ended the gather, which `digits` leaves out.
    terminating_digit: Option<String>,
}

impl CallCallback {
    fn read(self, region: Region) -> Result<CallEvent, PayloadError> {
        let heard = match json::required("eventType", self.event_type.as_deref())? {
            // `redirect` is what a `<Redirect>` posts: the call carries on with nothing new heard.
            "initiate" | "redirect" => Heard::Nothing,
            "gather" => match self.digits.filter(|d| !d.is_empty()) {
                None => Heard::Nothing,
                Some(digits) => {
                    Heard::Keys(digits + self.terminating_digit.as_deref().unwrap_or(""))
                }
            },
            // Status events (`disconnect`, `answer`…) belong at the status address, and answering
            // one with a turn would restart the question.
            _ => {
                return Err(PayloadError::invalid(
                    "eventType",
                    "is not a call starting or an answer gathered",
                ));
            }
        };
        Ok(CallEvent {
            call_id: json::required("callId", self.call_id.as_deref())?.to_owned(),
            line: phone_field("to", self.to.as_deref().unwrap_or(""), region)?,
            from: caller("from", self.from.as_deref(), |v| {
                phone_field("from", v, region)
            })?,
            heard,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str) -> Result<CallEvent, PayloadError> {
        json::body::<CallCallback>(body.as_bytes())?.read("US".parse().unwrap())
    }

    const CALL: &str = r#""eventTime":"2019-06-20T15:54:22.234Z","accountId":"9900000","applicationId":"04e88489-df02-4e34-a0ee-27a91849555f","from":"+15551112222","to":"+15553334444","direction":"inbound","callId":"c-95ac8d6e-1a31aaf1-8c8e-4b0d-9a5e-4cd5c4b1d2f9","callUrl":"https://voice.bandwidth.com/api/v2/accounts/9900000/calls/c-95ac8d6e","startTime":"2019-06-20T15:54:22.234Z""#;

    #[test]
    fn an_initiate_event_starts_a_call() {
        let event = read(&format!(r#"{{"eventType":"initiate",{CALL}}}"#)).unwrap();
        assert_eq!(
            event.call_id,
            "c-95ac8d6e-1a31aaf1-8c8e-4b0d-9a5e-4cd5c4b1d2f9"
        );
        assert_eq!(event.line.as_str(), "+15553334444");
        assert_eq!(event.from.as_str(), "+15551112222");
        assert_eq!(event.heard, Heard::Nothing);
    }

    #[test]
    fn a_gather_carries_the_keys_with_the_one_that_ended_them() {
        let gather = |digits: &str, end: &str| {
            read(&format!(
                r#"{{"eventType":"gather",{CALL},"digits":"{digits}","terminatingDigit":"{end}"}}"#
            ))
            .unwrap()
            .heard
        };
        assert_eq!(gather("02139", "#"), Heard::Keys("02139#".into()));
        assert_eq!(gather("2", ""), Heard::Keys("2".into()));
        assert_eq!(gather("", ""), Heard::Nothing);
        let without = read(&format!(r#"{{"eventType":"gather",{CALL}}}"#)).unwrap();
        assert_eq!(without.heard, Heard::Nothing);
    }

    #[test]
    fn a_malformed_or_foreign_event_names_the_field() {
        assert_eq!(
            read(r#"{"callId":"c-1","from":"+15551112222","to":"+15553334444"}"#).unwrap_err(),
            PayloadError::Missing("eventType")
        );
        assert_eq!(
            read(r#"{"eventType":"initiate","from":"+15551112222","to":"+15553334444"}"#)
                .unwrap_err(),
            PayloadError::Missing("callId")
        );
        assert_eq!(
            read(r#"{"eventType":"initiate","callId":"c-1","to":"+15553334444"}"#).unwrap_err(),
            PayloadError::HiddenCaller("from"),
            "a call that names no caller is from a hidden number"
        );
        assert!(matches!(
            read(&format!(r#"{{"eventType":"disconnect",{CALL}}}"#)).unwrap_err(),
            PayloadError::Invalid {
                field: "eventType",
                ..
            }
        ));
        assert!(matches!(
            read(&format!(r#"[{{"eventType":"initiate",{CALL}}}]"#)).unwrap_err(),
            PayloadError::Invalid { field: "body", .. }
        ));
    }

    fn recording(body: &str) -> Result<Option<RecordingEvent>, PayloadError> {
        json::body::<RecordingCallback>(body.as_bytes())?.read()
    }

    #[test]
    fn a_recording_available_names_the_call_and_recording_whose_address_we_build() {
        let ready = recording(
            r#"{"eventType":"recordingAvailable","callId":"c-95ac8d6e","recordingId":"r-fbe05094","status":"complete","duration":"PT1M5.4S","fileFormat":"mp3"}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(ready.call_id, "c-95ac8d6e");
        assert_eq!(ready.recording_id, "r-fbe05094");
        assert_eq!(ready.duration_seconds, Some(65));
        let failed = recording(
            r#"{"eventType":"recordingAvailable","callId":"c-1","recordingId":"r-1","status":"error"}"#,
        );
        assert_eq!(failed, Ok(None), "nothing to copy");
        let smuggled = recording(
            r#"{"eventType":"recordingAvailable","callId":"c-1/../../other","recordingId":"r-1","status":"complete"}"#,
        );
        assert!(matches!(
            smuggled,
            Err(PayloadError::Invalid {
                field: "callId",
                ..
            })
        ));
        assert_eq!(seconds("PT13.67S"), Some(14));
        assert_eq!(seconds("13 seconds"), None);
    }
}

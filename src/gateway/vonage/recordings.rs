//! Messages left on Vonage calls. The NCCO's `record` action posts its `eventUrl` once the
//! recording is ready: `recording_url` (`https://api.nexmo.com/v1/files/{id}`), `recording_uuid`,
//! `start_time`, `end_time`, `size` and `conversation_uuid`, but not the call's own `uuid`, so
//! the address we give names the call (`…/recording?call=UUID`). The token on the post vouches
//! for its body; the address is ours, and a call it names is only taken if it reached this line.
//!
//! The audio is downloaded from the file's address on our own API base, under a token the
//! application's private key signs. Vonage offers no way to delete a recording: it keeps its copy
//! until its own expiry, and the copier records that rather than trying. Transcriptions are not
//! asked for: Vonage posts only an address to fetch the words from, which the line does not read.

use serde::Deserialize;

use super::messages::VonageMessages;
use crate::gateway::{
    DeleteFuture, Deletion, FetchFuture, Held, PayloadError, RecordingEvent, Recordings, SendError,
    Webhook, api_id, fetch_bytes, json,
};

impl Recordings for VonageMessages {
    fn parse_recording(&self, hook: &Webhook) -> Result<Option<RecordingEvent>, PayloadError> {
        let call_id = address_call(hook.url).ok_or(PayloadError::Missing("call"))?;
        let payload = json::body::<Recorded>(hook.body)?;
        let url = json::required("recording_url", payload.recording_url.as_deref())?;
        Ok(Some(RecordingEvent {
            call_id,
            recording_id: file_id(url)?,
            duration_seconds: duration(payload.start_time, payload.end_time),
        }))
    }

    fn fetch<'a>(&'a self, http: &'a reqwest::Client, held: Held<'a>) -> FetchFuture<'a> {
        let url = self.api_url(&format!("/v1/files/{}", held.recording_id));
        Box::pin(async move {
            let token = self.application_token().unwrap_or_else(|| {
                Err(SendError::Permanent {
                    status: None,
                    code: None,
                    detail: "Vonage recordings need an application's private key".into(),
                })
            })?;
            fetch_bytes(http.get(url).bearer_auth(token), "Vonage").await
        })
    }

    fn delete<'a>(&'a self, _: &'a reqwest::Client, _: Held<'a>) -> DeleteFuture<'a> {
        Box::pin(async { Ok(Deletion::NotOffered) })
    }
}

#[derive(Debug, Deserialize)]
struct Recorded {
    recording_url: Option<String>,
    start_time: Option<String>,
    end_time: Option<String>,
}

/// The call our recording address names.
fn address_call(url: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == "call")
        .map(|(_, value)| value.into_owned())
        .filter(|call| !call.is_empty())
}

/// The file's id, the last part of its address: only the id is taken, and the address to
/// download it is built from our settings.
fn file_id(url: &str) -> Result<String, PayloadError> {
    let last = reqwest::Url::parse(url)
        .ok()
        .and_then(|url| url.path_segments()?.next_back().map(str::to_owned))
        .unwrap_or_default();
    api_id("recording_url", &last)
}

/// Whole seconds between the recording's start and end, when both are readable.
fn duration(start: Option<String>, end: Option<String>) -> Option<i64> {
    let start: jiff::Timestamp = start?.parse().ok()?;
    let end: jiff::Timestamp = end?.parse().ok()?;
    let seconds = end.duration_since(start).as_secs();
    (seconds >= 0).then_some(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recording_is_named_by_its_file_and_the_call_by_our_address() {
        let url = "https://api.nexmo.com/v1/files/aaaaaaaa-bbbb-cccc-dddd-0123456789ab";
        assert_eq!(
            file_id(url).unwrap(),
            "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"
        );
        assert!(file_id("https://api.nexmo.com/v1/files/..%2Fsecrets").is_err());
        assert!(file_id("not an address").is_err());
        let ours = "https://aid.example.org/webhooks/vonage_messages/recording?call=63f61863";
        assert_eq!(address_call(ours).as_deref(), Some("63f61863"));
        assert_eq!(address_call("https://aid.example.org/recording"), None);
    }

    #[test]
    fn the_length_comes_from_the_start_and_end() {
        let at = |t: &str| Some(t.to_string());
        assert_eq!(
            duration(
                at("2020-01-01T12:00:00.000Z"),
                at("2020-01-01T12:01:05.400Z")
            ),
            Some(65)
        );
        assert_eq!(duration(at("then"), at("2020-01-01T12:01:05Z")), None);
    }
}

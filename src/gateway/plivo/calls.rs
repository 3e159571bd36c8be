//! Plivo Voice: the application's answer URL gets `CallUUID`, `From` and `To` when a call comes
//! in, and each `<GetInput action>` gets them again with `Digits` or `Speech` (and
//! `SpeechConfidenceScore`). Numbers are written as in texts, without their `+`.
//!
//! The V3 signature covers the address with its query, so the `turn` and `quiet` we put in each
//! action address are vouched for with the posted fields.
//!
//! A message left with `<Record>` is announced at its `callbackUrl`, `/webhooks/plivo/recording`
//! (`call_uuid`, `recording_id`, `recording_duration`, `record_url`), and its transcription at
//! `/webhooks/plivo/transcription` (`call_uuid`, `recording_id`, `transcription`, `error`). The
//! audio's address is read from the Recording API (`GET /v1/Account/{auth_id}/Recording/{id}/`),
//! never from the callback, and the recording deleted there. Plivo names no transcription apart
//! from its recording, so there is none to delete on its own.

use super::{Plivo, phone};
use crate::gateway::{
    Answer, CallEvent, Calls, DeleteFuture, Deletion, FetchFuture, Heard, Held, Params,
    PayloadError, RecordingEvent, Recordings, SendError, TranscriptionEvent, Transcriptions,
    Webhook, api_id, caller, delete_held, fetch_listed, over,
};
use crate::phone::Region;
use crate::voice::documents::Dialect;

impl Calls for Plivo {
    fn dialect(&self) -> Dialect {
        Dialect::Plivo
    }

    fn parse_call(&self, hook: &Webhook, region: Region) -> Result<CallEvent, PayloadError> {
        read_call(&hook.params(), region)
    }

    /// The application's hangup URL gets `CallUUID` and the final `CallStatus`.
    fn parse_call_end(&self, hook: &Webhook) -> Result<Option<String>, PayloadError> {
        let params = hook.params();
        let id = params.required("CallUUID")?;
        Ok(over(id, params.required("CallStatus")?))
    }

    fn recordings(&self) -> Option<&dyn Recordings> {
        Some(self)
    }
}

impl Recordings for Plivo {
    fn parse_recording(&self, hook: &Webhook) -> Result<Option<RecordingEvent>, PayloadError> {
        let params = hook.params();
        let duration_seconds = params
            .non_empty("recording_duration")
            .map(|d| {
                d.parse::<i64>()
                    .map_err(|_| PayloadError::invalid("recording_duration", "is not a number"))
            })
            .transpose()?;
        Ok(Some(RecordingEvent {
            call_id: params.required("call_uuid")?.to_string(),
            recording_id: api_id("recording_id", params.required("recording_id")?)?,
            duration_seconds,
        }))
    }

    fn fetch<'a>(&'a self, http: &'a reqwest::Client, held: Held<'a>) -> FetchFuture<'a> {
        let lookup = http
            .get(self.recording_url(held.recording_id))
            .basic_auth(&self.auth_id, Some(self.auth_token.expose()));
        Box::pin(fetch_listed(lookup, "Plivo", recording_url, move |url| {
            // An account may require its credentials on recording addresses; they go to
            // Plivo's own hosts only.
            if self.is_ours(&url) {
                http.get(url)
                    .basic_auth(&self.auth_id, Some(self.auth_token.expose()))
            } else {
                http.get(url)
            }
        }))
    }

    fn delete<'a>(&'a self, http: &'a reqwest::Client, held: Held<'a>) -> DeleteFuture<'a> {
        let request = http
            .delete(self.recording_url(held.recording_id))
            .basic_auth(&self.auth_id, Some(self.auth_token.expose()));
        Box::pin(delete_held(request, "Plivo", "recording"))
    }

    fn transcriptions(&self) -> Option<&dyn Transcriptions> {
        Some(self)
    }
}

impl Transcriptions for Plivo {
    fn parse_transcription(&self, hook: &Webhook) -> Result<TranscriptionEvent, PayloadError> {
        let params = hook.params();
        let failed = params.non_empty("error").is_some();
        Ok(TranscriptionEvent {
            call_id: params.required("call_uuid")?.to_string(),
            recording_id: api_id("recording_id", params.required("recording_id")?)?,
            transcription_id: None,
            text: params
                .non_empty("transcription")
                .filter(|_| !failed)
                .map(str::to_string),
        })
    }

    /// Plivo's transcription callback names no transcription apart from its recording, so
    /// none is ever kept to delete; what Plivo itself keeps is said in docs/voice.md.
    fn delete_transcription<'a>(&'a self, _: &'a reqwest::Client, _: &'a str) -> DeleteFuture<'a> {
        Box::pin(async { Ok(Deletion::NotOffered) })
    }
}

impl Plivo {
    /// The Recording API's address of recording `id`, built from our settings and a checked id.
    fn recording_url(&self, id: &str) -> String {
        format!(
            "{}/v1/Account/{}/Recording/{id}/",
            self.api_base.as_str().trim_end_matches('/'),
            self.auth_id
        )
    }

    /// Whether `url` is on Plivo's hosts (or the API address the settings give).
    fn is_ours(&self, url: &str) -> bool {
        let Ok(url) = reqwest::Url::parse(url) else {
            return false;
        };
        let host = url.host_str().unwrap_or_default();
        host == self.api_base.host_str().unwrap_or_default()
            || host == "plivo.com"
            || host.ends_with(".plivo.com")
    }
}

/// The audio's address in a recording's details (`recording_url`).
fn recording_url(answer: &Answer) -> Result<String, SendError> {
    #[derive(serde::Deserialize)]
    struct Found {
        recording_url: Option<String>,
    }
    let found: Found = answer.json("Plivo")?;
    found.recording_url.ok_or_else(|| SendError::Permanent {
        status: Some(answer.status),
        code: None,
        detail: "Plivo gave no address for a recording".into(),
    })
}

fn read_call(params: &Params, region: Region) -> Result<CallEvent, PayloadError> {
    // `InputType` says which one came, but only one of the two is ever filled in, so the field
    // that is present is enough.
    let heard = Heard::from_form(params, "Digits", "Speech", "SpeechConfidenceScore")?;
    Ok(CallEvent {
        call_id: params.required("CallUUID")?.to_string(),
        line: phone(params, "To", region)?,
        from: caller("From", params.get("From"), |_| {
            phone(params, "From", region)
        })?,
        heard,
    })
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::*;
    use crate::gateway::settings::first_line;
    use crate::gateway::{AuthError, Hook};
    use crate::phone::Phone;

    fn read(form: &str) -> Result<CallEvent, PayloadError> {
        read_call(
            &Params::from_form(form.as_bytes()),
            "US".parse::<Region>().unwrap(),
        )
    }

    const CALL: &str = "CallUUID=1d5e6a7b-0000-4000-8000-000000000001&From=15557650101&To=15550007002&CallStatus=in-progress&Direction=inbound";

    #[test]
    fn a_call_start_reads_the_numbers_without_their_plus() {
        let call = read(CALL).unwrap();
        assert_eq!(call.call_id, "1d5e6a7b-0000-4000-8000-000000000001");
        assert_eq!(
            call.from,
            Phone::parse("+15557650101", "US".parse::<Region>().unwrap()).unwrap()
        );
        assert_eq!(
            call.line,
            Phone::parse("+15550007002", "US".parse::<Region>().unwrap()).unwrap()
        );
        assert_eq!(call.heard, Heard::Nothing);
    }

    #[test]
    fn keys_and_speech_are_read_from_get_inputs_fields() {
        let keys = read(&format!("{CALL}&InputType=dtmf&Digits=42%23&Speech=")).unwrap();
        assert_eq!(keys.heard, Heard::Keys("42#".into()));
        let speech = read(&format!(
            "{CALL}&InputType=speech&Digits=&Speech=milk+and+rice&SpeechConfidenceScore=0.87"
        ))
        .unwrap();
        assert_eq!(
            speech.heard,
            Heard::Speech {
                text: "milk and rice".into(),
                confidence: Some(0.87)
            }
        );
    }

    #[test]
    fn a_malformed_call_names_the_field() {
        let without_uuid = CALL.replace("CallUUID=1d5e6a7b-0000-4000-8000-000000000001&", "");
        assert_eq!(read(&without_uuid), Err(PayloadError::Missing("CallUUID")));
        let confidence = read(&format!("{CALL}&Speech=hi&SpeechConfidenceScore=87"));
        assert!(
            matches!(
                confidence,
                Err(PayloadError::Invalid {
                    field: "SpeechConfidenceScore",
                    ..
                })
            ),
            "{confidence:?}"
        );
    }

    #[test]
    fn an_answer_is_vouched_for_with_the_turn_in_its_address() {
        // Worked out with Plivo's published V3 algorithm (plivo-python `signature_v3.py`), apart
        // from this code: the query sorted after `?`, a `.`, the posted fields, `.` and the nonce.
        const SIGNED: &str = "QC/4xz9drJkETb3AL0i8jBjfKWrx8DhFyTbdz9FrKoM=";
        let gateway = first_line(
            "plivo",
            "+15550007002",
            "auth_id = \"MAXXXXXXXXXXXXXXXXXX\"\nauth_token = \"plivo-voice-token\"",
        )
        .unwrap();
        let body = format!("{CALL}&InputType=dtmf&Digits=2");
        let mut headers = HeaderMap::new();
        headers.insert("x-plivo-signature-v3", HeaderValue::from_static(SIGNED));
        headers.insert(
            "x-plivo-signature-v3-nonce",
            HeaderValue::from_static("12345678901234567890"),
        );
        let hook = |url| Webhook {
            method: "POST",
            url,
            headers: &headers,
            body: body.as_bytes(),
            hook: Hook::Call,
            now_s: 0,
        };
        let signed = "https://aid.example.org/webhooks/plivo/voice?turn=1&quiet=0";
        assert_eq!(gateway.verify(&hook(signed)), Ok(()));
        let replayed = "https://aid.example.org/webhooks/plivo/voice?turn=2&quiet=0";
        assert_eq!(
            gateway.verify(&hook(replayed)),
            Err(AuthError::BadSignature),
            "an answer replayed as another turn"
        );
    }
}

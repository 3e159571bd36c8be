//! Telnyx TeXML: a call to a number on the TeXML application, and each answer a `<Gather>`
//! collects, come to `/webhooks/telnyx/voice` as forms in Twilio's words (`CallSid`, `From`, `To`,
//! then `Digits` or `SpeechResult` with `Confidence`).
//!
//! They are signed as messaging events are, Ed25519 over `telnyx-timestamp|raw body`, so the
//! gateway's `verify` holds for them as it stands: it signs bytes, whatever their format, and
//! refuses a timestamp outside the window before anything is parsed.
//!
//! A message left with `<Record>` is announced at `/webhooks/telnyx/recording` in Twilio's words
//! (`CallSid`, `RecordingSid`, `RecordingStatus`, `RecordingDuration`), its transcription at
//! `/webhooks/telnyx/transcription`. The recording's own links expire ten minutes after the call,
//! so the audio is found through the API instead (`GET /v2/recordings/{id}` gives fresh,
//! pre-signed `download_urls`), then deleted there (`DELETE /v2/recordings/{id}`), and a
//! transcription with an id is deleted at `DELETE /v2/recording_transcriptions/{id}`.

use super::Telnyx;
use crate::gateway::twilio::calls::{read_call, read_call_end, read_recording, read_transcription};
use crate::gateway::{
    Answer, CallEvent, Calls, DeleteFuture, FetchFuture, Held, PayloadError, RecordingEvent,
    Recordings, SendError, TranscriptionEvent, Transcriptions, Webhook, delete_held, fetch_listed,
};
use crate::phone::Region;
use crate::voice::documents::Dialect;

impl Calls for Telnyx {
    fn dialect(&self) -> Dialect {
        Dialect::Telnyx
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

impl Recordings for Telnyx {
    fn parse_recording(&self, hook: &Webhook) -> Result<Option<RecordingEvent>, PayloadError> {
        read_recording(&hook.params())
    }

    fn fetch<'a>(&'a self, http: &'a reqwest::Client, held: Held<'a>) -> FetchFuture<'a> {
        let lookup = http
            .get(self.api_url("recordings", held.recording_id))
            .bearer_auth(self.api_key.expose());
        // The download address is pre-signed: it needs, and gets, none of our credentials.
        Box::pin(fetch_listed(lookup, "Telnyx", download_url, |url| {
            http.get(url)
        }))
    }

    fn delete<'a>(&'a self, http: &'a reqwest::Client, held: Held<'a>) -> DeleteFuture<'a> {
        let request = http
            .delete(self.api_url("recordings", held.recording_id))
            .bearer_auth(self.api_key.expose());
        Box::pin(delete_held(request, "Telnyx", "recording"))
    }

    fn transcriptions(&self) -> Option<&dyn Transcriptions> {
        Some(self)
    }
}

/// TeXML posts a transcription in Twilio's words; one that names its own id is deleted at the
/// Call Recordings API.
impl Transcriptions for Telnyx {
    fn parse_transcription(&self, hook: &Webhook) -> Result<TranscriptionEvent, PayloadError> {
        read_transcription(&hook.params())
    }

    fn delete_transcription<'a>(
        &'a self,
        http: &'a reqwest::Client,
        id: &'a str,
    ) -> DeleteFuture<'a> {
        let request = http
            .delete(self.api_url("recording_transcriptions", id))
            .bearer_auth(self.api_key.expose());
        Box::pin(delete_held(request, "Telnyx", "transcription"))
    }
}

impl Telnyx {
    /// The API address of `resource` `id`, built from our settings and a checked id only.
    fn api_url(&self, resource: &str, id: &str) -> String {
        format!(
            "{}/v2/{resource}/{id}",
            self.api_base.as_str().trim_end_matches('/')
        )
    }
}

/// The MP3 download address in a recording's details (`data.download_urls.mp3`).
fn download_url(answer: &Answer) -> Result<String, SendError> {
    #[derive(serde::Deserialize)]
    struct Found {
        data: Recording,
    }
    #[derive(serde::Deserialize)]
    struct Recording {
        download_urls: Urls,
    }
    #[derive(serde::Deserialize)]
    struct Urls {
        mp3: Option<String>,
        wav: Option<String>,
    }
    let urls = answer.json::<Found>("Telnyx")?.data.download_urls;
    urls.mp3.or(urls.wav).ok_or_else(|| SendError::Permanent {
        status: Some(answer.status),
        code: None,
        detail: "Telnyx gave no download address for a recording".into(),
    })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderMap;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use ed25519_dalek::{Signer, SigningKey};

    use super::*;
    use crate::gateway::{AuthError, Gateway, Heard, Hook};
    use crate::phone::Phone;

    const GATHERED: &str = "AccountSid=0f512bda-ae1e-4597-8e11-e5f5686b97d3&CallSid=v3:Ocr4wG2Mv1w&CallSidLegacy=v3:Ocr4wG2Mv1w&From=%2B15557650101&To=%2B15550007101&CallStatus=in-progress&ConnectionId=1684641123236054244&Digits=2";
    const AT: i64 = 1_700_000_000;

    /// The RFC 8032 test key, whose public half the messaging tests configure as well.
    fn telnyx() -> (Telnyx, SigningKey) {
        let seed = hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let key = SigningKey::from_bytes(&seed.unwrap().try_into().unwrap());
        let public = BASE64.encode(key.verifying_key().to_bytes());
        let telnyx = Telnyx {
            api_key: serde_json::from_value(serde_json::json!("KEY0123")).unwrap(),
            public_key: super::super::public_key("telnyx.public_key", &public).unwrap(),
            messaging_profile_id: None,
            api_base: reqwest::Url::parse("https://api.telnyx.com").unwrap(),
        };
        (telnyx, key)
    }

    fn hook<'a>(headers: &'a HeaderMap, body: &'a str, now_s: i64) -> Webhook<'a> {
        Webhook {
            method: "POST",
            url: "https://aid.example.org/webhooks/telnyx/voice?turn=1&quiet=0",
            headers,
            body: body.as_bytes(),
            hook: Hook::Call,
            now_s,
        }
    }

    fn signed(key: &SigningKey, at: i64, body: &str) -> HeaderMap {
        let signature = key.sign(format!("{at}|{body}").as_bytes());
        let mut headers = HeaderMap::new();
        headers.insert("telnyx-timestamp", at.to_string().parse().unwrap());
        let signature = BASE64.encode(signature.to_bytes());
        headers.insert("telnyx-signature-ed25519", signature.parse().unwrap());
        headers
    }

    #[test]
    fn a_signed_gather_form_is_verified_and_read() {
        let (telnyx, key) = telnyx();
        let headers = signed(&key, AT, GATHERED);
        let hook = hook(&headers, GATHERED, AT + 2);
        assert_eq!(telnyx.verify(&hook), Ok(()));
        let call = telnyx.parse_call(&hook, "US".parse().unwrap()).unwrap();
        assert_eq!(call.call_id, "v3:Ocr4wG2Mv1w");
        let us = "US".parse().unwrap();
        assert_eq!(call.from, Phone::parse("+15557650101", us).unwrap());
        assert_eq!(call.heard, Heard::Keys("2".into()));
    }

    #[test]
    fn a_changed_or_stale_call_webhook_is_refused() {
        let (telnyx, key) = telnyx();
        let headers = signed(&key, AT, GATHERED);
        let changed = GATHERED.replace("Digits=2", "Digits=1");
        assert_eq!(
            telnyx.verify(&hook(&headers, &changed, AT)),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            telnyx.verify(&hook(&headers, GATHERED, AT + 301)),
            Err(AuthError::Stale(300))
        );
    }

    #[test]
    fn a_call_without_its_sid_names_the_field() {
        let (telnyx, _) = telnyx();
        let headers = HeaderMap::new();
        let body = GATHERED.replace("CallSid=v3:Ocr4wG2Mv1w&", "");
        let hook = hook(&headers, &body, AT);
        assert_eq!(
            telnyx.parse_call(&hook, "US".parse().unwrap()),
            Err(PayloadError::Missing("CallSid"))
        );
    }
}

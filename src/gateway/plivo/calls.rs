//! Plivo Voice: the application's answer URL gets `CallUUID`, `From` and `To` when a call comes
//! in, and each `<GetInput action>` gets them again with `Digits` or `Speech` (and
//! `SpeechConfidenceScore`). Numbers are written as in texts, without their `+`.
//!
//! The V3 signature covers the address with its query, so the `turn` and `quiet` we put in each
//! action address are vouched for with the posted fields.

use super::{Plivo, phone};
use crate::gateway::{CallEvent, Calls, Heard, Params, PayloadError, Webhook, caller, over};
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

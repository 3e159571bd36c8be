//! Vonage Voice API, through the same Vonage application as the Messages API (`vonage_messages`):
//! an application carries both capabilities and signs both kinds of webhook with the account's
//! signature secret.
//!
//! A call to the line fetches the application's answer URL, by default as a GET whose query holds
//! `to`, `from`, `uuid` and `conversation_uuid` (a POST with the same fields as JSON when the
//! application's `answer_method` says so). Each answer an `input` action collects is posted as
//! JSON to its `eventUrl`: the same fields, with `dtmf: {digits, timed_out}` or
//! `speech: {results: [{text, confidence}], timeout_reason}`. Numbers come without the `+`.

use serde::Deserialize;

use super::messages::VonageMessages;
use super::number;
use crate::gateway::{
    CallEvent, Calls, Heard, Params, PayloadError, Recordings, Webhook, caller, json, over,
};
use crate::phone::Region;
use crate::voice::documents::Dialect;

impl Calls for VonageMessages {
    fn dialect(&self) -> Dialect {
        Dialect::Vonage
    }

    fn parse_call(&self, hook: &Webhook, region: Region) -> Result<CallEvent, PayloadError> {
        let payload = if hook.method.eq_ignore_ascii_case("GET") {
            Payload::from_query(&hook.params())
        } else {
            json::body::<Payload>(hook.body)?
        };
        payload.read(region)
    }

    /// The application's event address gets every status of the call (`started`, `ringing`,
    /// `answered`, `completed`…).
    fn parse_call_end(&self, hook: &Webhook) -> Result<Option<String>, PayloadError> {
        let payload = json::body::<Payload>(hook.body)?;
        let id = json::required("uuid", payload.uuid.as_deref())?;
        let status = json::required("status", payload.status.as_deref())?;
        Ok(over(id, status))
    }

    /// Only an application, whose private key signs the token a download needs, can copy
    /// messages; a line set up with an API key and secret takes none.
    fn recordings(&self) -> Option<&dyn Recordings> {
        self.application_token()
            .is_some()
            .then_some(self as &dyn Recordings)
    }
}

/// The fields of an answer webhook or an input event that we read; every one optional, so that
/// a missing one is named rather than failing the whole shape.
#[derive(Debug, Default, Deserialize)]
struct Payload {
    uuid: Option<String>,
    /// Only on the event address: how the call stands.
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    dtmf: Option<Dtmf>,
    speech: Option<Speech>,
}

#[derive(Debug, Deserialize)]
struct Dtmf {
    digits: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Speech {
    results: Option<Vec<Recognised>>,
}

#[derive(Debug, Deserialize)]
struct Recognised {
    text: Option<String>,
    confidence: Option<Confidence>,
}

/// Vonage's examples write the confidence as a string (`"0.9405097"`), its reference as a number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Confidence {
    Number(f64),
    Text(String),
}

impl Payload {
    /// A GET answer webhook: the call's start, so nothing was heard yet.
    fn from_query(params: &Params) -> Payload {
        let field = |name| params.non_empty(name).map(str::to_owned);
        Payload {
            uuid: field("uuid"),
            from: field("from"),
            to: field("to"),
            ..Payload::default()
        }
    }

    fn read(self, region: Region) -> Result<CallEvent, PayloadError> {
        let heard = heard(self.dtmf, self.speech)?;
        Ok(CallEvent {
            call_id: json::required("uuid", self.uuid.as_deref())?.to_owned(),
            line: number("to", json::required("to", self.to.as_deref())?, region)?,
            from: caller("from", self.from.as_deref(), |v| number("from", v, region))?,
            heard,
        })
    }
}

/// Keys when any were pressed, else the recogniser's best guess, else nothing: an input that
/// timed out carries empty digits and no results. Digits typed before a timeout still count, as
/// Twilio sends them too; `#` that submitted them is not among them.
fn heard(dtmf: Option<Dtmf>, speech: Option<Speech>) -> Result<Heard, PayloadError> {
    if let Some(keys) = dtmf.and_then(|d| d.digits).filter(|d| !d.is_empty()) {
        return Ok(Heard::Keys(keys));
    }
    let Some(best) = speech
        .and_then(|s| s.results)
        .and_then(|results| results.into_iter().next())
    else {
        return Ok(Heard::Nothing);
    };
    let Some(text) = best.text.filter(|t| !t.trim().is_empty()) else {
        return Ok(Heard::Nothing);
    };
    let confidence = best.confidence.map(read_confidence).transpose()?;
    Ok(Heard::Speech { text, confidence })
}

fn read_confidence(confidence: Confidence) -> Result<f32, PayloadError> {
    let value = match confidence {
        Confidence::Number(n) => Some(n),
        Confidence::Text(t) => t.trim().parse().ok(),
    };
    value
        .filter(|c| (0.0..=1.0).contains(c))
        .map(|c| c as f32)
        .ok_or_else(|| {
            PayloadError::invalid("speech.results.confidence", "is not a number from 0 to 1")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us() -> Region {
        "US".parse().unwrap()
    }

    fn read(json: &str) -> Result<CallEvent, PayloadError> {
        serde_json::from_str::<Payload>(json).unwrap().read(us())
    }

    const CALL: &str = r#""uuid":"63f61863-4a51-4f6b-86e1-46edebcf9356","conversation_uuid":"CON-f972836a-550f-45fa-956c-12a2ab5b7d22","from":"447700900001","to":"447700900000""#;

    #[test]
    fn an_answer_webhook_by_get_is_the_start_of_a_call() {
        let params = Params::from_form(
            b"to=447700900000&from=447700900001&uuid=63f61863&conversation_uuid=CON-1&turn=0",
        );
        let event = Payload::from_query(&params).read(us()).unwrap();
        assert_eq!(event.call_id, "63f61863");
        assert_eq!(event.line.as_str(), "+447700900000");
        assert_eq!(event.from.as_str(), "+447700900001");
        assert_eq!(event.heard, Heard::Nothing);
    }

    #[test]
    fn an_input_event_carries_keys_or_speech_or_nothing() {
        let keys = read(&format!(
            r#"{{{CALL},"dtmf":{{"digits":"42","timed_out":false}},"speech":{{}}}}"#
        ));
        assert_eq!(keys.unwrap().heard, Heard::Keys("42".into()));
        let said = read(&format!(
            r#"{{{CALL},"dtmf":{{"digits":"","timed_out":false}},"speech":{{"results":[{{"confidence":"0.9405097","text":"Milk and bread"}},{{"confidence":"0.70","text":"Milk in bed"}}]}}}}"#
        ));
        assert_eq!(
            said.unwrap().heard,
            Heard::Speech {
                text: "Milk and bread".into(),
                confidence: Some(0.9405097)
            }
        );
        let as_number = read(&format!(
            r#"{{{CALL},"speech":{{"results":[{{"confidence":0.5,"text":"Rosa"}}]}}}}"#
        ));
        assert!(matches!(
            as_number.unwrap().heard,
            Heard::Speech { confidence: Some(c), .. } if c == 0.5
        ));
        let silence = read(&format!(
            r#"{{{CALL},"dtmf":{{"digits":"","timed_out":true}},"speech":{{"timeout_reason":"start_timeout"}}}}"#
        ));
        assert_eq!(silence.unwrap().heard, Heard::Nothing);
        let no_results = read(&format!(r#"{{{CALL},"speech":{{"results":[]}}}}"#));
        assert_eq!(no_results.unwrap().heard, Heard::Nothing);
    }

    #[test]
    fn a_malformed_event_names_the_field() {
        assert_eq!(
            read(r#"{"from":"447700900001","to":"447700900000"}"#).unwrap_err(),
            PayloadError::Missing("uuid")
        );
        assert_eq!(
            read(r#"{"uuid":"u","to":"447700900000"}"#).unwrap_err(),
            PayloadError::HiddenCaller("from"),
            "a call that names no caller is from a hidden number"
        );
        let confidence = read(&format!(
            r#"{{{CALL},"speech":{{"results":[{{"confidence":"high","text":"Rosa"}}]}}}}"#
        ));
        assert!(matches!(
            confidence.unwrap_err(),
            PayloadError::Invalid {
                field: "speech.results.confidence",
                ..
            }
        ));
        assert!(matches!(
            json::body::<Payload>(br#"{"uuid": 7}"#).unwrap_err(),
            PayloadError::Invalid { field: "body", .. }
        ));
    }
}

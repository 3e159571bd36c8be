//! Twilio Programmable Voice: a call to the line, and each answer a `<Gather>` collects, come as
//! signed form posts to `/webhooks/twilio/voice` (`CallSid`, `From`, `To`, then `Digits` or
//! `SpeechResult` with `Confidence`), signed the same way as texts.

use super::Twilio;
use crate::gateway::{CallEvent, Calls, Heard, Params, PayloadError, Webhook};
use crate::phone::Region;
use crate::voice::documents::Dialect;

impl Calls for Twilio {
    fn dialect(&self) -> Dialect {
        Dialect::Twilio
    }

    fn parse_call(&self, hook: &Webhook, region: Region) -> Result<CallEvent, PayloadError> {
        read_call(&hook.params(), region)
    }
}

/// Reads a TwiML-dialect call webhook: Twilio's, SignalWire's cXML and Telnyx's TeXML, which all
/// post the same fields.
pub(in crate::gateway) fn read_call(
    params: &Params,
    region: Region,
) -> Result<CallEvent, PayloadError> {
    let heard = if let Some(keys) = params.non_empty("Digits") {
        Heard::Keys(keys.to_string())
    } else if let Some(text) = params.non_empty("SpeechResult") {
        let confidence = params
            .non_empty("Confidence")
            .map(|c| {
                c.parse::<f32>()
                    .ok()
                    .filter(|c| (0.0..=1.0).contains(c))
                    .ok_or_else(|| {
                        PayloadError::invalid("Confidence", "is not a number from 0 to 1")
                    })
            })
            .transpose()?;
        Heard::Speech {
            text: text.to_string(),
            confidence,
        }
    } else {
        Heard::Nothing
    };
    Ok(CallEvent {
        call_id: params.required("CallSid")?.to_string(),
        line: params.phone("To", region)?,
        from: params.phone("From", region)?,
        heard,
    })
}

//! Calls to the Twilio line, as a caller makes them through the call harness
//! ([`crate::call_harness`]): every webhook signed as Twilio signs it, each answer posted to the
//! address the last document's `<Gather>` gave, and every document read back as TwiML. `intake`
//! walks the shipped flow by keypad and speech; `messages` leaves a message; `recorded_prompts`
//! plays the organiser's own recordings of the questions.

mod asked_for_a_message;
mod intake;
pub mod messages;
pub mod recorded_prompts;

use aidline::gateway::twilio::signature;

use crate::call_harness::{self, Dialled, Fields, Webhooks};
use crate::helpers::*;
use crate::providers::{Signed, Signer, form_pairs};

pub use crate::call_harness::CALLER;

/// The test service's own Twilio line.
pub struct Twilio;

/// One call to the Twilio line.
pub type Call<'a> = call_harness::Call<'a, Twilio>;

impl Webhooks for Twilio {
    const CONTENT_TYPE: &'static str = "application/x-www-form-urlencoded";

    fn voice() -> String {
        "/webhooks/twilio/voice".into()
    }

    fn signed(app: &TestApp, path: &str, body: &str, signer: Signer) -> Signed {
        let key = match signer {
            Signer::Line => TOKEN,
            Signer::Stranger => "someone-elses-key",
        };
        let signature = signature(key, &app.url(path), &form_pairs(body));
        Signed {
            headers: vec![("X-Twilio-Signature", signature)],
            body: body.to_string(),
        }
    }
}

impl Dialled for Twilio {
    const LISTENS: &'static str = "Gather";

    fn call_id() -> String {
        format!("CA{:032x}", rand::random::<u128>())
    }

    fn call(id: &str, from: &str) -> Fields {
        vec![
            ("CallSid", id.into()),
            ("AccountSid", ACCOUNT.into()),
            ("From", from.into()),
            ("To", LINE.into()),
            ("Direction", "inbound".into()),
            ("ApiVersion", "2010-04-01".into()),
        ]
    }

    fn ringing() -> Fields {
        vec![("CallStatus", "ringing".into())]
    }

    fn pressed(keys: &str) -> Fields {
        vec![("Digits", keys.into())]
    }

    fn said(words: &str) -> Fields {
        vec![
            ("SpeechResult", words.into()),
            ("Confidence", "0.91".into()),
        ]
    }
}

//! Vonage (formerly Nexmo) has two messaging APIs, and an account chooses which one delivers its
//! inbound texts: the older SMS API (`vonage`) and the Messages API (`vonage_messages`).
//!
//! Both write numbers in international form without the `+` (`447700900001`), and both can send
//! every webhook to one address, where a `status` field marks a delivery report; the readers for
//! those two habits are here.

mod calls;
pub mod messages;
mod recordings;
mod redact;
pub mod sms;

use crate::phone::{Phone, Region};

use super::{Hook, PayloadError, phone_field};

/// Reads a number Vonage wrote without its `+`, naming the field when it is not a number.
fn number(field: &'static str, value: &str, region: Region) -> Result<Phone, PayloadError> {
    let value = value.trim();
    if value.starts_with(|c: char| c.is_ascii_digit()) {
        // Without the `+` a number would be read as a national one of `region`.
        phone_field(field, &format!("+{value}"), region)
    } else {
        phone_field(field, value, region)
    }
}

/// One of our E.164 numbers the way Vonage's send APIs take it.
fn digits(e164: &str) -> &str {
    e164.trim_start_matches('+')
}

/// Whether a webhook is a delivery report: by its address, or at the single address by its
/// `status` field, which inbound texts never carry.
fn is_status(hook: Hook, has_status: bool) -> bool {
    match hook {
        Hook::Status => true,
        // Call hooks go to the call handlers and never reach a text parser.
        Hook::Inbound | Hook::Call | Hook::Recording | Hook::Transcription | Hook::CallEnded => {
            false
        }
        Hook::Events => has_status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_without_a_plus_are_read_as_international() {
        let us: Region = "US".parse().unwrap();
        assert_eq!(
            number("msisdn", "447700900001", us).unwrap().as_str(),
            "+447700900001"
        );
        assert_eq!(
            number("to", "+14155550100", us).unwrap().as_str(),
            "+14155550100"
        );
        assert_eq!(
            number("msisdn", "", us).unwrap_err(),
            PayloadError::Missing("msisdn")
        );
        assert!(matches!(
            number("msisdn", "VONAGE", us).unwrap_err(),
            PayloadError::Invalid {
                field: "msisdn",
                ..
            }
        ));
        assert_eq!(digits("+447700900001"), "447700900001");
    }
}

//! Each provider's call document, written from a [`Script`] with an XML writer or serde, never by
//! pasting strings: TwiML for Twilio and its kin (SignalWire's cXML, Telnyx's TeXML), Plivo XML,
//! Vonage's NCCO (JSON) and Bandwidth's BXML.

mod bxml;
mod ncco;
mod plivo;
#[cfg(test)]
mod testing;
mod twiml;
mod xml;

use super::Script;

/// The document format a provider's calls are driven with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Twilio,
    SignalWire,
    Telnyx,
    Plivo,
    Vonage,
    Bandwidth,
}

/// A document to answer a provider's call webhook with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub content_type: &'static str,
    pub body: String,
}

impl Dialect {
    /// Writes `script` in this provider's format.
    pub fn write(self, script: &Script) -> Document {
        match self {
            Dialect::Twilio | Dialect::SignalWire | Dialect::Telnyx => twiml::write(self, script),
            Dialect::Plivo => plivo::write(script),
            Dialect::Vonage => ncco::write(script),
            Dialect::Bandwidth => bxml::write(script),
        }
    }

    /// Whether the provider recognises speech while listening (Bandwidth takes keys only).
    pub fn hears_speech(self) -> bool {
        self != Dialect::Bandwidth
    }

    /// Whether a call can be refused before it is answered, so it costs the caller nothing
    /// (Vonage asks for a document only once it has answered).
    pub fn can_reject(self) -> bool {
        self != Dialect::Vonage
    }
}

//! The phone line: calls walk the same flows as texts, by keypad and voice.
//!
//! [`script`] says what one turn of a call does in no provider's words; [`documents`] writes it
//! in each provider's format; [`turn`] makes a turn of the flow into a script; [`recordings`]
//! copies messages left on calls from the provider, then deletes the provider's copy.

pub mod documents;
pub mod recordings;
pub mod script;
mod settings;
pub mod turn;

pub use script::{Listen, Record, Script, Speech, Step};
pub use settings::{CallTexts, Spoken, VoiceSettings};

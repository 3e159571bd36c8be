//! Flows: conversations that organisers write in TOML under `flows/`.
//!
//! [`load`] reads and checks the files (errors carry file:line:column); [`engine`] runs a checked
//! flow one input at a time. The engine is pure: state and input in, new state and effects out,
//! with no I/O, so it is cheap to test exhaustively and to run inside a database transaction.

pub mod audio;
mod check;
pub mod engine;
mod library;
pub mod load;
mod model;
pub mod off_menu;
mod raw;
pub mod segments;
pub mod text;
pub mod words;

use std::collections::BTreeMap;

pub use check::{CONTACT_NAME, MESSAGE_KEY, REQUEST_CODE, as_sent, key_of};
pub use engine::{Effect, Ended, Reply, Step};
pub use library::{Library, LibraryError};
pub use load::{FlowError, Flows, load_dir};
pub use model::{Flow, Forget, Input, Keyword, Keywords, State, TimerKind, Words};

/// Where one contact is in one flow. Stored between texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub flow: String,
    pub state: String,
    pub language: String,
    pub answers: BTreeMap<String, String>,
    /// Invalid answers given to the current question so far.
    pub attempts: u32,
}

//! Vonage's NCCO: a JSON array of actions.

use super::Document;
use crate::voice::Script;

pub(super) fn write(script: &Script) -> Document {
    let _ = script;
    todo!("NCCO writer")
}

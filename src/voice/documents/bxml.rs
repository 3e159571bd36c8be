//! Bandwidth's BXML.

use super::Document;
use crate::voice::Script;

pub(super) fn write(script: &Script) -> Document {
    let _ = script;
    todo!("BXML writer")
}

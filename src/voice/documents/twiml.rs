//! TwiML, and its dialects: SignalWire's cXML and Telnyx's TeXML.

use super::{Dialect, Document};
use crate::voice::Script;

pub(super) fn write(dialect: Dialect, script: &Script) -> Document {
    let _ = (dialect, script);
    todo!("TwiML writer")
}

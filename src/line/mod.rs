//! A line: one phone number the group is reached on, the provider that carries its texts, the flow
//! a new conversation starts in, and how fast and when it may send.
//!
//! The settings read a line as written ([`LineSettings`]); [`LineSettings::build`] makes it a
//! [`Line`], with its gateway built from the provider's own table.

mod quiet;
mod settings;

pub use quiet::QuietHours;
pub use settings::LineSettings;

use std::borrow::Cow;
use std::sync::Arc;

use crate::flow::segments;
use crate::gateway::{Gateway, OptOutReplies};
use crate::phone::Phone;

/// One phone number the group is reached on.
#[derive(Debug, Clone)]
pub struct Line {
    pub number: Phone,
    pub gateway: Arc<dyn Gateway>,
    /// The flow a new conversation on this line starts in.
    pub flow: String,
    pub opt_out_replies: OptOutReplies,
    /// How fast the outbox may send on this line; `None` when we set no limit.
    pub segments_per_second: Option<f64>,
    /// When offers and reminders wait (replies to someone who just texted never do).
    pub quiet_hours: Option<QuietHours>,
    /// Whether texts go out with GSM-7 stand-ins for the characters it lacks (á→a, ’→'), so an
    /// accent does not cost a text more than twice as many SMS.
    pub smart_encoding: bool,
    /// Whether calls are answered. A line that does not answer refuses each call unanswered
    /// (free for the caller) and texts the caller its flow instead.
    pub answer_calls: bool,
}

impl Line {
    /// `body` as this line sends it.
    pub fn as_sent<'a>(&self, body: &'a str) -> Cow<'a, str> {
        if self.smart_encoding {
            segments::smart_encode(body)
        } else {
            Cow::Borrowed(body)
        }
    }
}

//! The limit on how much one number may send: past `[safety]`'s texts or calls in their while,
//! the number is told once (the notice) and then not heard until its cool-off ends. What it sends
//! meanwhile is kept, marked `limited`, and routed nowhere: it files no request and moves no
//! conversation on. The carriers' words still count, so STOP always stops.
//!
//! The count comes from the stored messages, read under the contacts' locks at the start of the
//! handling transaction, so several copies of the service on one database agree on it.

use std::collections::HashMap;

use super::plan::Plan;
use super::route;
use crate::config::Settings;
use crate::lifecycle::{Channel, OutboundKind};
use crate::phone::Phone;
use crate::safety::{Limit, SafetySettings};
use crate::store::inbound::InboundRow;
use crate::store::waiting::{Counted, Standing};
use crate::store::{Conn, StoreError, limits};

/// The outcome kept on a message the limit held back.
pub const LIMITED: &str = "limited";

/// What the limit makes of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Admission {
    /// Within the limit: routed as usual.
    Open,
    /// The one past the limit: answered with the notice, and the cool-off begins.
    Notice,
    /// Cooling off: kept, answered with nothing.
    Held,
}

/// The limits of one batch's contacts, as their stored messages stand.
pub(super) struct Gate<'a> {
    settings: &'a SafetySettings,
    now: i64,
    /// Each contact's end of its cool-off, as this batch leaves it.
    until: HashMap<i64, i64>,
    /// What each contact had sent that counts, before this batch.
    before: HashMap<i64, Counted>,
    /// The batch's messages that count, by contact, oldest first.
    counted: HashMap<i64, Vec<(i64, Channel)>>,
    /// Cool-offs this batch began: (contact, until).
    begun: Vec<(i64, i64)>,
}

impl<'a> Gate<'a> {
    /// The window the limits count over, as `(texts since, calls since)`.
    pub fn window(settings: &SafetySettings, now: i64) -> (i64, i64) {
        (
            now - settings.texts.window_ms(),
            now - settings.calls.window_ms(),
        )
    }

    /// The limits as the contacts' standing (with what they sent before that counts) and the
    /// waiting messages that count leave them, both read over [`Gate::window`] under the
    /// contacts' locks.
    pub fn new(
        settings: &'a SafetySettings,
        standing: &[Standing],
        counted: Vec<(i64, i64, Channel)>,
        now: i64,
    ) -> Gate<'a> {
        let until = standing
            .iter()
            .filter_map(|s| Some((s.contact_id, s.limited_until?)));
        let before = standing.iter().map(|s| (s.contact_id, s.counted));
        let mut by_contact: HashMap<i64, Vec<(i64, Channel)>> = HashMap::new();
        for (contact_id, id, channel) in counted {
            by_contact
                .entry(contact_id)
                .or_default()
                .push((id, channel));
        }
        Gate {
            settings,
            now,
            until: until.collect(),
            before: before.collect(),
            counted: by_contact,
            begun: Vec::new(),
        }
    }

    /// Admits one message, in arrival order.
    pub fn admit(&mut self, text: &InboundRow) -> Admission {
        let contact = text.contact_id;
        if self
            .until
            .get(&contact)
            .is_some_and(|&until| until > self.now)
        {
            return Admission::Held;
        }
        let counted = self.counted.get(&contact).map_or(&[][..], Vec::as_slice);
        let Some(&(_, channel)) = counted.iter().find(|(id, _)| *id == text.id) else {
            // A later turn of a call, a message left, a call's end: the call counted already.
            return Admission::Open;
        };
        let before = self.before.get(&contact).copied().unwrap_or_default();
        let (limit, texted, before): (Limit, bool, i64) = match channel {
            Channel::Sms => (self.settings.texts, true, before.texts),
            _ => (self.settings.calls, false, before.calls),
        };
        let in_batch = counted
            .iter()
            .filter(|(id, c)| *id <= text.id && (*c == Channel::Sms) == texted)
            .count();
        if before + in_batch as i64 <= i64::from(limit.most) {
            return Admission::Open;
        }
        let until = self.now + self.settings.cool_off_ms();
        self.until.insert(contact, until);
        self.begun.push((contact, until));
        tracing::info!(
            contact_id = contact,
            inbound_id = text.id,
            "a number went past its limit"
        );
        Admission::Notice
    }

    /// Writes the cool-offs this batch began.
    pub async fn write(self, conn: &mut Conn) -> Result<(), StoreError> {
        for (contact_id, until) in self.begun {
            limits::limit(conn, contact_id, until).await?;
        }
        Ok(())
    }
}

/// Handles a message the limit holds back: a carrier's word in a text is still done, the one
/// past the limit gets the notice (in the contact's language, else in every language; said
/// aloud on a call), and nothing else happens.
pub(super) fn held(
    settings: &Settings,
    plan: &mut Plan,
    text: &InboundRow,
    admission: Admission,
    now: i64,
) -> &'static str {
    let Some(line) = settings.line_by_number(&Phone::from_stored(text.line.clone())) else {
        return "unknown_line";
    };
    let Some(contact) = plan.contact(text.contact_id) else {
        return "unknown_contact";
    };
    let language = contact.language.clone();
    if text.channel.is_call() {
        plan.answer_aloud(text.id);
    } else if let Some(outcome) = route::carrier_word(settings, plan, line, text, now) {
        return outcome;
    }
    if admission == Admission::Notice {
        for (_, notice) in settings.safety.notices(language.as_deref()) {
            let line = line.number.as_str();
            plan.reply(
                text.contact_id,
                line,
                text.id,
                notice,
                OutboundKind::Reply,
                None,
            );
        }
    }
    LIMITED
}

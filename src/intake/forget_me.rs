//! Asking the line, by text, to forget one's number: DELETE, then a reply that confirms it
//! (DELETE ME) within a quarter of an hour. Any other text in between lets the ask go.
//!
//! Nothing is kept for the ask but the text that made it: its outcome says it asked, and a
//! confirmation looks at the contact's last text. Forgetting erases that text with the rest.
//! Someone the line holds nothing about is forgotten at once (their text made a contact), with
//! a plain answer.

use super::plan::Plan;
use super::route;
use crate::flow::{Flows, Forget};
use crate::lifecycle::OutboundKind;
use crate::line::Line;
use crate::store::inbound::InboundRow;

/// How long the ask waits for its confirmation, by the service's clock.
const CONFIRM_WITHIN_MS: i64 = 15 * 60 * 1000;

/// The outcome of a text that asked to be forgotten, which a confirmation looks for.
const ASKED: &str = "forget_asked";

/// Handles a text of the forget words; returns its outcome label.
pub(super) fn heard(
    flows: &Flows,
    plan: &mut Plan,
    line: &Line,
    text: &InboundRow,
    word: Forget,
    now: i64,
) -> &'static str {
    let contact_id = text.contact_id;
    let keywords = flows.keywords();
    let language = route::keyword_language(plan, keywords, text);
    let say = |name: &str| keywords.reply(name, &language).unwrap_or_default();
    let line_number = line.number.as_str();
    if !known(plan, contact_id) {
        plan.forget(contact_id, line_number, say("forget_nothing"));
        return "forget_nothing_held";
    }
    let asked = plan
        .last_text(contact_id)
        .is_some_and(|(outcome, at)| outcome == ASKED && now - at <= CONFIRM_WITHIN_MS);
    if word == Forget::Confirm && asked {
        plan.forget(contact_id, line_number, say("forget_done"));
        return "forget_confirmed";
    }
    // A confirmation with nothing (or nothing recent) to confirm is taken as a fresh ask.
    let body = say("forget_ask");
    plan.reply(
        contact_id,
        line_number,
        text.id,
        body,
        OutboundKind::Reply,
        None,
    );
    ASKED
}

/// Whether the line holds anything about the contact beyond the text being handled.
fn known(plan: &Plan, contact_id: i64) -> bool {
    plan.last_text(contact_id).is_some()
        || plan.volunteer(contact_id).is_some()
        || plan.active_session(contact_id).is_some()
        || plan.open_request(contact_id).is_some()
        || plan.job(contact_id).is_some()
}

//! Deciding what one text means, in the order docs/ARCHITECTURE.md lists under the intake:
//! compliance words first, then the contact's conversation, else a new conversation on the line's
//! flow. Routing only adds to the batch's [`Plan`]; nothing here touches the database.

use super::forget_me;
use super::plan::Plan;
use crate::compliance::Keyword;
use crate::config::Settings;
use crate::dispatch::act::Action;
use crate::dispatch::commands;
use crate::flow::text::{fold, render};
use crate::flow::{self, Effect, Flows, Keywords, Step};
use crate::gateway::OptOutReplies;
use crate::lifecycle::{Channel, OutboundKind};
use crate::lifecycle::{RequestStatus, SessionEnd};
use crate::line::Line;
use crate::phone::Phone;
use crate::store::contacts::OptChange;
use crate::store::inbound::InboundRow;
use crate::store::queue::HANDOFF;
use crate::store::requests::OpenRequest;

/// Routes one text; returns the outcome label stored on the inbound row (it says what happened
/// without repeating what was said).
pub(super) fn route(
    settings: &Settings,
    flows: &Flows,
    plan: &mut Plan,
    text: &InboundRow,
    now: i64,
) -> &'static str {
    let Some(line) = settings.line_by_number(&Phone::from_stored(text.line.clone())) else {
        tracing::warn!(inbound_id = text.id, "text for a line no longer configured");
        return "unknown_line";
    };
    let Some(contact) = plan.contact(text.contact_id) else {
        return "unknown_contact";
    };
    let opted_out = contact.is_opted_out();
    let (language, name) = (contact.language.clone(), contact.name_to_use.clone());
    // A turn of a call is answered on the call. STOP and its kin are the carriers' words for
    // texts: on a call they are just words, and someone who stopped texts may still call.
    let on_a_call = text.channel.is_call();
    // Only a text can be a volunteer's command or a word for the other side of a job.
    let texted = text.channel == Channel::Sms;
    if on_a_call {
        plan.answer_aloud(text.id);
        if text.channel == Channel::Voicemail {
            return voicemail(plan, line, text);
        }
    } else {
        if let Some(outcome) = carrier_word(settings, plan, line, text, now) {
            return outcome;
        }
        if opted_out {
            // They asked for no texts; keep what they sent, answer nothing.
            return "opted_out";
        }
        if text.channel == Channel::CallEnded {
            return carry_on(settings, flows, plan, line, text, name.as_deref());
        }
    }
    if let Some(word) = flows
        .keywords()
        .forget_word(&fold(&text.body))
        .filter(|_| texted)
    {
        // Before a volunteer's commands and any conversation, which it leaves where it was.
        return forget_me::heard(flows, plan, line, text, word, now);
    }
    if text.num_media > 0 {
        // The picture is kept for a dispatcher; the neighbour learns to use words instead.
        keyword_reply(flows, plan, line, text, language.as_deref(), "pictures");
        if text.body.trim().is_empty() {
            return "pictures";
        }
    }
    if let Some(volunteer) = plan
        .volunteer(text.contact_id)
        .cloned()
        .filter(|_| !on_a_call)
    {
        let action = Action::Volunteer {
            volunteer,
            text: text.body.clone(),
        };
        plan.dispatch(action, line.number.as_str(), text.id);
        return "volunteer";
    }
    if let Some(keyword) = flows.keywords().classify(&fold(&text.body))
        && (keyword != flow::Keyword::Thanks || is_thanks_to_the_line(plan, text.contact_id))
    {
        // A line winding down starts nothing: a hand-off to a person is a new request, and
        // starting again starts the intake.
        let starts = matches!(keyword, flow::Keyword::Person | flow::Keyword::Restart);
        if starts && settings.wind_down.is_on() {
            return refer(settings, plan, line, text, language.as_deref());
        }
        return global_keyword(flows, plan, line, text, keyword);
    }
    // REPORT pauses the relay of the sender's job in a volunteer's hands; a code from anyone else
    // gets the answer a code that does not exist gets.
    if let Some(report) = commands::report(&text.body).filter(|_| texted) {
        let job = plan.job(text.contact_id).cloned();
        let from = plan.contact(text.contact_id).cloned();
        if let Some(from) = from.filter(|_| job.is_some() || report.code.is_some()) {
            let action = Action::Report { from, job, report };
            plan.dispatch(action, line.number.as_str(), text.id);
            return "report";
        }
    }
    if let Some(job) = plan.job(text.contact_id).cloned().filter(|_| texted) {
        if job.status != RequestStatus::Delivered {
            let action = Action::Relay {
                job,
                text: text.body.clone(),
            };
            plan.dispatch(action, line.number.as_str(), text.id);
            return "relayed";
        }
        if let Some(yes) = received_answer(&text.body, job.language.as_deref()) {
            plan.dispatch(Action::Received { job, yes }, line.number.as_str(), text.id);
            return "delivery_answer";
        }
    }
    if plan.active_session(text.contact_id).is_none()
        && let Some(handoff) = plan
            .open_request(text.contact_id)
            .filter(|r| r.queue == HANDOFF)
    {
        // They are waiting for a person, who reads this with the rest; asking the intake's
        // questions again would only repeat what the hand-off already holds.
        plan.join_handoff(handoff.id);
        if on_a_call {
            keyword_reply(flows, plan, line, text, language.as_deref(), "person");
        }
        return "joined_handoff";
    }
    if settings.wind_down.is_on() {
        return refer(settings, plan, line, text, language.as_deref());
    }
    // A call that begins (answered or not), or a caller who said nothing: the question they are
    // at is asked (again), and a caller with no conversation begins the line's.
    let silent_call = !texted && text.body.trim().is_empty();
    let continued = plan
        .active_session(text.contact_id)
        .cloned()
        .and_then(|session| {
            let flow = flows.get(&session.flow)?;
            Some(if silent_call {
                flow.prompt(session, name.as_deref())
            } else {
                flow.advance(session, &text.body, name.as_deref())
            })
        });
    let (label, step) = match continued {
        Some(step) => ("flow", step),
        None => {
            // No conversation, or its flow was removed from the files: a trigger word starts its
            // flow, anything else the line's.
            plan.end_session(text.contact_id, SessionEnd::FlowRemoved);
            let trigger = flows
                .triggered_by(&fold(&text.body))
                .filter(|_| !silent_call);
            match trigger {
                // A trigger word of one language (VOLUNTARIO) starts its flow in that language.
                Some((flow, said_in)) => {
                    let language = said_in.or(language.as_deref());
                    ("flow_triggered", flow.start(language, name.as_deref()))
                }
                None => {
                    let Some(flow) = flows.get(&line.flow) else {
                        // Start-up refuses a line whose flow is missing; a reload may not have.
                        return "no_flow";
                    };
                    let step = flow.start_with(&text.body, language.as_deref(), name.as_deref());
                    ("flow_started", step)
                }
            }
        }
    };
    apply_step(plan, line, text, step);
    label
}

/// A carrier's word (STOP, START, HELP, or the group's own) texted to the line, done as the
/// carriers require whatever else the number is doing; `None` for any other message.
pub(super) fn carrier_word(
    settings: &Settings,
    plan: &mut Plan,
    line: &Line,
    text: &InboundRow,
    now: i64,
) -> Option<&'static str> {
    let opted_out = plan.contact(text.contact_id)?.is_opted_out();
    let keyword = settings
        .compliance
        .classify(&text.body, opted_out)
        .filter(|_| text.channel == Channel::Sms)?;
    Some(keyword_outcome(settings, plan, line, text, keyword, now))
}

/// The group is winding down: instead of the intake, where to turn now, texted once a day at
/// most. A conversation under way ends, as if its flow had been taken away, so nothing is filed.
fn refer(
    settings: &Settings,
    plan: &mut Plan,
    line: &Line,
    text: &InboundRow,
    language: Option<&str>,
) -> &'static str {
    plan.end_session(text.contact_id, SessionEnd::FlowRemoved);
    if !plan.refer(text.contact_id) {
        return "referred_already";
    }
    let body = settings.wind_down.referral(language);
    let line = line.number.as_str();
    plan.reply(
        text.contact_id,
        line,
        text.id,
        &body,
        OutboundKind::Reply,
        None,
    );
    "referred"
}

/// The language a keyword is answered in: the conversation's, else the contact's, else the one
/// the word itself is in (ESTADO from someone the line has not heard from is answered in
/// Spanish).
pub(super) fn keyword_language(plan: &Plan, keywords: &Keywords, text: &InboundRow) -> String {
    plan.active_session(text.contact_id)
        .map(|s| s.language.clone())
        .or_else(|| {
            plan.contact(text.contact_id)
                .and_then(|c| c.language.clone())
        })
        .or_else(|| keywords.language_of(&fold(&text.body)).map(str::to_string))
        .unwrap_or_default()
}

/// Answers `text` with the keywords file's reply `name`, in `language` (else the file's first).
fn keyword_reply(
    flows: &Flows,
    plan: &mut Plan,
    line: &Line,
    text: &InboundRow,
    language: Option<&str>,
    name: &str,
) {
    let language = language.unwrap_or_default();
    if let Some(body) = flows.keywords().reply(name, language) {
        let line = line.number.as_str();
        plan.reply(
            text.contact_id,
            line,
            text.id,
            body,
            OutboundKind::Reply,
            None,
        );
    }
}

/// A caller who hung up mid-way is texted the question they were at, to carry on by text; one
/// whose conversation was over (a request filed, a message left) gets nothing.
fn carry_on(
    settings: &Settings,
    flows: &Flows,
    plan: &mut Plan,
    line: &Line,
    text: &InboundRow,
    name: Option<&str>,
) -> &'static str {
    let Some(session) = plan.active_session(text.contact_id).cloned() else {
        return "call_ended";
    };
    let Some(flow) = flows.get(&session.flow) else {
        return "call_ended";
    };
    let lead = settings
        .voice
        .texts(&session.language)
        .map(|t| t.carry_on.clone());
    let question = flow
        .prompt(session, name)
        .effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Reply(reply) => Some(reply.text),
            _ => None,
        });
    let body: Vec<String> = lead.into_iter().chain(question).collect();
    let line = line.number.as_str();
    plan.reply(
        text.contact_id,
        line,
        text.id,
        &body.join(" "),
        OutboundKind::CarryOn,
        None,
    );
    "carried_on"
}

/// A message left on a call goes to a person, with whatever the caller answered before it; one
/// already waiting for a person gets it added to their hand-off.
fn voicemail(plan: &mut Plan, line: &Line, text: &InboundRow) -> &'static str {
    let contact_id = text.contact_id;
    let line_number = line.number.as_str();
    let session = plan.active_session(contact_id).cloned();
    if session.is_none()
        && let Some(handoff) = plan.open_request(contact_id).filter(|r| r.queue == HANDOFF)
    {
        plan.join_handoff(handoff.id);
        return "voicemail_joined_handoff";
    }
    let mut fields = session
        .as_ref()
        .map(|s| s.answers.clone())
        .unwrap_or_default();
    fields.insert("handoff_reason".into(), "left a message on a call".into());
    match session {
        Some(session) => {
            let ended = Some(SessionEnd::HandedOff);
            let index = plan.save_session(contact_id, line_number, session, ended);
            plan.request(contact_id, line_number, index, HANDOFF.into(), fields, 0);
        }
        None => plan.request_without_session(contact_id, line_number, HANDOFF.into(), fields),
    }
    "voicemail"
}

/// Whether a thanks is for the line: not an answer to a question in a conversation, nor a word
/// for the volunteer holding their request (the relay takes that). A thanks after a delivery or
/// for nothing in particular gets a short reply, never the intake's first question.
fn is_thanks_to_the_line(plan: &Plan, contact_id: i64) -> bool {
    plan.active_session(contact_id).is_none()
        && plan
            .job(contact_id)
            .is_none_or(|job| job.status == RequestStatus::Delivered)
}

/// The neighbour's answer to "Did you get it? Reply 1 yes, 2 no", if this text is one.
fn received_answer(body: &str, language: Option<&str>) -> Option<bool> {
    let languages: Vec<String> = ["en"]
        .into_iter()
        .chain(language)
        .map(str::to_string)
        .collect();
    let words = flow::words::for_languages(&languages, &Default::default());
    let answer = fold(body);
    if answer == "1" || words.yes.contains(&answer) {
        Some(true)
    } else if answer == "2" || words.no.contains(&answer) {
        Some(false)
    } else {
        None
    }
}

fn keyword_outcome(
    settings: &Settings,
    plan: &mut Plan,
    line: &Line,
    text: &InboundRow,
    keyword: Keyword,
    now: i64,
) -> &'static str {
    let contact_id = text.contact_id;
    let (opted_out, language) = match plan.contact(contact_id) {
        Some(c) => (c.is_opted_out(), c.language.clone()),
        None => return "unknown_contact",
    };
    // AYUDA from a number the line has not heard from is answered in Spanish.
    let language = language.or_else(|| {
        let said_in = settings.compliance.language_of(&text.body);
        said_in.map(str::to_string)
    });
    let line_number = line.number.as_str();
    let label = match keyword {
        Keyword::OptOut => {
            if !opted_out {
                plan.set_opted_out(contact_id, OptChange::OptOut, line_number, now);
            }
            plan.end_session(contact_id, SessionEnd::OptedOut);
            "opt_out"
        }
        Keyword::OptIn => {
            if opted_out {
                plan.set_opted_out(contact_id, OptChange::OptIn, line_number, now);
            }
            "opt_in"
        }
        // Someone opted out gets nothing but the opt-out confirmation, HELP included.
        Keyword::Help if opted_out => return "help",
        Keyword::Help => "help",
    };
    if line.opt_out_replies == OptOutReplies::Ours {
        let body = settings
            .compliance
            .confirmation(keyword, language.as_deref());
        let kind = match keyword {
            Keyword::Help => OutboundKind::Help,
            Keyword::OptOut | Keyword::OptIn => OutboundKind::OptOutConfirmation,
        };
        plan.reply(contact_id, line_number, text.id, body, kind, None);
    }
    label
}

/// STATUS, cancelling, asking for a person and RESTART: they win over any answer, in any state
/// (only STOP, START and HELP come first).
fn global_keyword(
    flows: &Flows,
    plan: &mut Plan,
    line: &Line,
    text: &InboundRow,
    keyword: flow::Keyword,
) -> &'static str {
    let contact_id = text.contact_id;
    let line_number = line.number.as_str();
    let keywords = flows.keywords();
    let language = keyword_language(plan, keywords, text);
    let say = |plan: &mut Plan, reply: &str, request: Option<&OpenRequest>| {
        if let Some(template) = keywords.reply(reply, &language) {
            let body = render(template, |key| match key {
                "request.code" => request.map(|r| r.code.as_str()),
                "request.status" => request.map(|r| keywords.status(r.status, &language)),
                _ => None,
            });
            plan.reply(
                contact_id,
                line_number,
                text.id,
                &body,
                OutboundKind::Reply,
                None,
            );
        }
    };
    match keyword {
        flow::Keyword::Status => {
            let open = plan.open_request(contact_id).cloned();
            let reply = if open.is_some() {
                "status"
            } else {
                "status_none"
            };
            say(plan, reply, open.as_ref());
            "status"
        }
        flow::Keyword::Cancel => {
            plan.end_session(contact_id, SessionEnd::Cancelled);
            match plan.cancel_request(contact_id) {
                Some(request) => say(plan, "cancelled", Some(&request)),
                None => say(plan, "cancel_none", None),
            }
            "cancel"
        }
        flow::Keyword::Person => {
            let mut fields = plan
                .active_session(contact_id)
                .map(|s| s.answers.clone())
                .unwrap_or_default();
            fields.insert("handoff_reason".into(), "asked for a person".into());
            // The conversation so far goes to the person with the request.
            if let Some(session) = plan.active_session(contact_id).cloned() {
                let index = plan.save_session(
                    contact_id,
                    line_number,
                    session,
                    Some(SessionEnd::HandedOff),
                );
                plan.request(contact_id, line_number, index, HANDOFF.into(), fields, 0);
            } else {
                plan.request_without_session(contact_id, line_number, HANDOFF.into(), fields);
            }
            say(plan, "person", None);
            "person"
        }
        flow::Keyword::Thanks => {
            say(plan, "thanks", None);
            "thanks"
        }
        flow::Keyword::Restart => {
            // The flow they are in starts again (sign-up stays sign-up), in its language.
            let current = plan.active_session(contact_id).map(|s| s.flow.clone());
            plan.end_session(contact_id, SessionEnd::Restarted);
            let Some(flow) = current
                .and_then(|id| flows.get(&id))
                .or_else(|| flows.get(&line.flow))
            else {
                return "no_flow";
            };
            let name = plan.contact(contact_id).and_then(|c| c.name_to_use.clone());
            let language = (!language.is_empty()).then_some(language.as_str());
            let step = flow.start(language, name.as_deref());
            apply_step(plan, line, text, step);
            "restart"
        }
    }
}

/// Adds a step's effects and the session it leaves behind to the plan.
fn apply_step(plan: &mut Plan, line: &Line, text: &InboundRow, step: Step) {
    let contact_id = text.contact_id;
    let line_number = line.number.as_str();
    let answers = step.session.answers.clone();
    let ended = step.ended.map(SessionEnd::from);
    // Someone who answered in the flow's default language without choosing one speaks it as far
    // as anyone knows; their request is offered to volunteers who do.
    let files_request = step
        .effects
        .iter()
        .any(|e| matches!(e, Effect::CreateRequest { .. } | Effect::Handoff { .. }));
    if files_request
        && plan
            .contact(contact_id)
            .is_some_and(|c| c.language.is_none())
    {
        plan.set_language(contact_id, &step.session.language);
    }
    let session = plan.save_session(contact_id, line_number, step.session, ended);
    for effect in step.effects {
        match effect {
            Effect::Reply(reply) => {
                let on_a_call = text.channel.is_call();
                let recorded = reply.recorded.clone().filter(|_| on_a_call);
                let body = reply.for_call(on_a_call);
                let kind = OutboundKind::Reply;
                plan.reply(contact_id, line_number, text.id, &body, kind, recorded)
            }
            Effect::SetLanguage(language) => plan.set_language(contact_id, &language),
            Effect::SetName(name) => plan.set_name(contact_id, &name),
            Effect::CreateRequest {
                queue,
                fields,
                priority,
            } => plan.request(contact_id, line_number, session, queue, fields, priority),
            Effect::Handoff { reason } => {
                let mut fields = answers.clone();
                fields.insert("handoff_reason".into(), reason);
                plan.request(contact_id, line_number, session, HANDOFF.into(), fields, 0);
            }
        }
    }
}

//! Deciding what one text means, in the order DESIGN.md fixes: compliance words first, then the
//! contact's conversation, else a new conversation on the line's flow.

use std::collections::BTreeMap;

use super::Intake;
use crate::compliance::{self, Keyword};
use crate::config::{Line, OptOutReplies};
use crate::flow::{Effect, Step};
use crate::store::contacts::{Contact, OptChange};
use crate::store::inbound::InboundRow;
use crate::store::outbound::{Kind, NewOutbound};
use crate::store::requests::NewRequest;
use crate::store::{Conn, StoreError, contacts, outbound, requests, sessions};

pub(super) struct Outcome {
    /// Stored on the inbound row, for dispatchers and for debugging without reading bodies.
    pub label: &'static str,
    pub queued_texts: bool,
}

fn outcome(label: &'static str, queued_texts: bool) -> Outcome {
    Outcome {
        label,
        queued_texts,
    }
}

/// Handles `msg` inside the caller's transaction, which holds the contact's lock.
pub(super) async fn handle(
    intake: &Intake,
    conn: &mut Conn,
    contact: &Contact,
    msg: &InboundRow,
    now: i64,
) -> Result<Outcome, StoreError> {
    let line_number = crate::phone::Phone::from_stored(msg.line.clone());
    let Some(line) = intake.settings.line_by_number(&line_number) else {
        tracing::warn!(inbound_id = msg.id, "text for a line no longer configured");
        return Ok(outcome("unknown_line", false));
    };
    let reply = Replier {
        contact,
        line,
        inbound_id: msg.id,
        now,
    };
    if let Some(keyword) = compliance::classify(&msg.body, contact.is_opted_out()) {
        return handle_keyword(conn, &reply, keyword).await;
    }
    if contact.is_opted_out() {
        // They asked for no texts; keep what they sent, answer nothing.
        return Ok(outcome("opted_out", false));
    }
    let flows = &intake.flows;
    let active = sessions::active(conn, contact.id).await?;
    let (session_id, step) = match active {
        Some((id, session)) => match flows.get(&session.flow) {
            Some(flow) => (Some(id), flow.advance(session, &msg.body)),
            None => {
                // The flow was removed from the files: close this conversation and start over.
                sessions::end(conn, id, "flow_removed", now).await?;
                (None, start(intake, line, contact)?)
            }
        },
        None => (None, start(intake, line, contact)?),
    };
    let label = if session_id.is_some() {
        "flow"
    } else {
        "flow_started"
    };
    let queued = apply(conn, &reply, session_id, step).await?;
    Ok(outcome(label, queued))
}

fn start(intake: &Intake, line: &Line, contact: &Contact) -> Result<Step, StoreError> {
    let flow = intake.flows.get(&line.flow).ok_or_else(|| {
        // Start-up refuses a line whose flow is missing, so this is a broken invariant.
        StoreError::Corrupt(format!("the line's flow `{}` is not loaded", line.flow))
    })?;
    Ok(flow.start(contact.language.as_deref()))
}

/// Writes outbound texts for one inbound text.
struct Replier<'a> {
    contact: &'a Contact,
    line: &'a Line,
    inbound_id: i64,
    now: i64,
}

impl Replier<'_> {
    async fn send(&self, conn: &mut Conn, body: &str, kind: Kind) -> Result<(), StoreError> {
        outbound::enqueue(
            conn,
            &NewOutbound {
                contact_id: self.contact.id,
                line: self.line.number.as_str(),
                to: &self.contact.phone,
                body,
                kind,
                inbound_id: Some(self.inbound_id),
            },
            self.now,
        )
        .await?;
        Ok(())
    }
}

async fn handle_keyword(
    conn: &mut Conn,
    reply: &Replier<'_>,
    keyword: Keyword,
) -> Result<Outcome, StoreError> {
    let contact = reply.contact;
    let line = reply.line.number.as_str();
    let label = match keyword {
        Keyword::OptOut => {
            if !contact.is_opted_out() {
                contacts::record_opt_change(
                    conn,
                    contact.id,
                    OptChange::OptOut,
                    "keyword",
                    line,
                    reply.now,
                )
                .await?;
            }
            if let Some((id, _)) = sessions::active(conn, contact.id).await? {
                sessions::end(conn, id, "opted_out", reply.now).await?;
            }
            "opt_out"
        }
        Keyword::OptIn => {
            if contact.is_opted_out() {
                contacts::record_opt_change(
                    conn,
                    contact.id,
                    OptChange::OptIn,
                    "keyword",
                    line,
                    reply.now,
                )
                .await?;
            }
            "opt_in"
        }
        // Someone opted out gets nothing but the opt-out confirmation, HELP included.
        Keyword::Help if contact.is_opted_out() => return Ok(outcome("help", false)),
        Keyword::Help => "help",
    };
    if reply.line.opt_out_replies == OptOutReplies::Gateway {
        return Ok(outcome(label, false));
    }
    let text = compliance::confirmation(keyword, contact.language.as_deref());
    reply.send(conn, text, Kind::OptOutConfirmation).await?;
    Ok(outcome(label, true))
}

/// Carries out a step's effects and saves the session, all in the caller's transaction.
async fn apply(
    conn: &mut Conn,
    reply: &Replier<'_>,
    session_id: Option<i64>,
    step: Step,
) -> Result<bool, StoreError> {
    let (contact, now) = (reply.contact, reply.now);
    let line = reply.line.number.as_str();
    let session_id = match session_id {
        Some(id) => {
            sessions::update(conn, id, &step.session, now).await?;
            id
        }
        None => sessions::insert(conn, contact.id, line, &step.session, now).await?,
    };
    let mut queued = false;
    for effect in &step.effects {
        match effect {
            Effect::Reply(text) => {
                reply.send(conn, text, Kind::Reply).await?;
                queued = true;
            }
            Effect::SetLanguage(language) => {
                contacts::set_language(conn, contact.id, language).await?;
            }
            Effect::CreateRequest { queue, fields } => {
                create_request(conn, reply, session_id, queue, fields).await?;
            }
            Effect::Handoff { reason } => {
                let mut fields = step.session.answers.clone();
                fields.insert("handoff_reason".into(), reason.clone());
                create_request(conn, reply, session_id, "handoff", &fields).await?;
            }
        }
    }
    if let Some(ended) = step.ended {
        sessions::end(conn, session_id, ended.as_str(), now).await?;
    }
    Ok(queued)
}

async fn create_request(
    conn: &mut Conn,
    reply: &Replier<'_>,
    session_id: i64,
    queue: &str,
    fields: &BTreeMap<String, String>,
) -> Result<(), StoreError> {
    let (id, code) = requests::create(
        conn,
        &NewRequest {
            contact_id: reply.contact.id,
            line: reply.line.number.as_str(),
            queue,
            fields,
            session_id: Some(session_id),
            actor: "flow",
        },
        reply.now,
    )
    .await?;
    tracing::info!(request_id = id, code = %code, queue, "request created");
    Ok(())
}

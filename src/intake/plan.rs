//! What handling a batch of texts will write, built up in memory as each text is routed, then
//! written inside the batch's transaction: outcomes, replies, stored conversations and timers in
//! multi-row statements; opt-outs, names, new conversations, requests and dispatch one at a time
//! (new rows' ids are needed by what follows, and dispatch acts on the state before it).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::dispatch::{
    self, DispatchSettings,
    act::{self, Action, Origin},
};
use crate::flow::Flows;
use crate::flow::Session;
use crate::flow::audio::Prompt;
use crate::lifecycle::OutboundKind;
use crate::lifecycle::SessionEnd;
use crate::store::contacts::{self, Contact, OptChange};
use crate::store::inbound::InboundRow;
use crate::store::outbound::{self, NewOutbound};
use crate::store::requests::{self, NewRequest, OpenRequest, Request};
use crate::store::sessions::{self, Active};
use crate::store::timers;
use crate::store::together::Together;
use crate::store::volunteers::Volunteer;
use crate::store::{Conn, StoreError, backend_of, inbound, pow2_chunks};

/// A conversation touched by the batch: one loaded from the database or one begun here.
struct Tracked {
    stored_id: Option<i64>,
    contact_id: i64,
    line: String,
    session: Session,
    ended: Option<SessionEnd>,
}

struct PlannedReply {
    contact_id: i64,
    line: String,
    body: String,
    kind: OutboundKind,
    inbound_id: i64,
    /// The request this contact's conversation created last, whose code fills `{request.code}`.
    request: Option<usize>,
    /// The organiser's recording of the words, played instead on the call the reply is said on.
    recorded: Option<Prompt>,
}

struct PlannedRequest {
    contact_id: i64,
    line: String,
    queue: String,
    fields: BTreeMap<String, String>,
    priority: i64,
    session: Option<usize>,
}

/// Someone who confirmed they want to be forgotten, and the last text they are to get.
pub(super) struct PlannedForget {
    pub contact_id: i64,
    /// As request events name people: `neighbour` or `volunteer`.
    pub actor: &'static str,
    pub line: String,
    pub body: String,
}

/// Something for dispatch to do, with the text that asked for it.
struct PlannedDispatch {
    action: Action,
    line: String,
    inbound_id: i64,
}

pub(super) struct Plan {
    contacts: HashMap<i64, (Contact, Option<usize>)>,
    /// The contacts who are active volunteers.
    volunteers: HashMap<i64, Volunteer>,
    /// Each neighbour's request a volunteer holds or has just delivered.
    jobs: HashMap<i64, Request>,
    dispatch: Vec<PlannedDispatch>,
    /// Each contact's newest open request, when the batch needs them (STATUS, cancelling).
    open_requests: HashMap<i64, OpenRequest>,
    cancels: Vec<i64>,
    /// Hand-offs the neighbour texted again while waiting for a person.
    joined: Vec<i64>,
    sessions: Vec<Tracked>,
    opt_changes: Vec<(i64, OptChange, String)>,
    languages: Vec<(i64, String)>,
    names: Vec<(i64, String)>,
    requests: Vec<PlannedRequest>,
    replies: Vec<PlannedReply>,
    /// Turns of calls: their replies are said on the call, not texted.
    spoken_turns: HashSet<i64>,
    handled: Vec<(i64, &'static str)>,
    /// Contacts told where to turn while the line winds down, today or in this batch.
    referred: HashSet<i64>,
    /// Each contact's last text so far: its outcome and when it came (loaded only when a text
    /// of the batch may answer it).
    last_texts: HashMap<i64, (String, i64)>,
    forgets: Vec<PlannedForget>,
}

impl Plan {
    /// Starts from the locked contacts and their active sessions.
    pub fn new(contacts: Vec<Contact>, active: Vec<Active>) -> Plan {
        let mut plan = Plan {
            contacts: contacts.into_iter().map(|c| (c.id, (c, None))).collect(),
            volunteers: HashMap::new(),
            jobs: HashMap::new(),
            dispatch: Vec::new(),
            open_requests: HashMap::new(),
            cancels: Vec::new(),
            joined: Vec::new(),
            sessions: Vec::new(),
            opt_changes: Vec::new(),
            languages: Vec::new(),
            names: Vec::new(),
            requests: Vec::new(),
            replies: Vec::new(),
            spoken_turns: HashSet::new(),
            handled: Vec::new(),
            referred: HashSet::new(),
            last_texts: HashMap::new(),
            forgets: Vec::new(),
        };
        for a in active {
            let index = plan.sessions.len();
            plan.sessions.push(Tracked {
                stored_id: Some(a.id),
                contact_id: a.contact_id,
                line: a.line,
                session: a.session,
                ended: None,
            });
            if let Some(entry) = plan.contacts.get_mut(&a.contact_id) {
                entry.1 = Some(index);
            }
        }
        plan
    }

    /// Adds who among the contacts volunteers, and which neighbours have a job in hand.
    pub fn with_dispatch(mut self, volunteers: Vec<Volunteer>, jobs: Vec<Request>) -> Plan {
        self.volunteers = volunteers.into_iter().map(|v| (v.contact_id, v)).collect();
        self.jobs = jobs.into_iter().map(|j| (j.contact_id, j)).collect();
        self
    }

    pub fn volunteer(&self, contact_id: i64) -> Option<&Volunteer> {
        self.volunteers.get(&contact_id)
    }

    pub fn job(&self, contact_id: i64) -> Option<&Request> {
        self.jobs.get(&contact_id)
    }

    /// Leaves `action` for dispatch, done when the plan is written.
    pub fn dispatch(&mut self, action: Action, line: &str, inbound_id: i64) {
        self.dispatch.push(PlannedDispatch {
            action,
            line: line.to_string(),
            inbound_id,
        });
    }

    /// Adds who among the contacts was told where to turn in the last day.
    pub fn with_referred(mut self, referred: HashSet<i64>) -> Plan {
        self.referred = referred;
        self
    }

    /// Whether the contact is yet to be told where to turn today; from now on they have been.
    pub fn refer(&mut self, contact_id: i64) -> bool {
        self.referred.insert(contact_id)
    }

    /// Adds what is known of the contacts' open requests (newest last wins).
    pub fn with_open_requests(mut self, open: Vec<OpenRequest>) -> Plan {
        self.open_requests = open.into_iter().map(|r| (r.contact_id, r)).collect();
        self
    }

    pub fn open_request(&self, contact_id: i64) -> Option<&OpenRequest> {
        self.open_requests.get(&contact_id)
    }

    /// Cancels the contact's open request; returns it.
    pub fn cancel_request(&mut self, contact_id: i64) -> Option<OpenRequest> {
        let request = self.open_requests.remove(&contact_id)?;
        self.cancels.push(request.id);
        Some(request)
    }

    /// The text joins the hand-off `request_id`: a person will read it there.
    pub fn join_handoff(&mut self, request_id: i64) {
        self.joined.push(request_id);
    }

    pub fn contact(&self, id: i64) -> Option<&Contact> {
        self.contacts.get(&id).map(|(c, _)| c)
    }

    /// The contact's conversation in progress, as this batch has left it so far.
    pub fn active_session(&self, contact_id: i64) -> Option<&Session> {
        let index = self.contacts.get(&contact_id)?.1?;
        Some(&self.sessions[index].session)
    }

    pub fn set_opted_out(&mut self, contact_id: i64, change: OptChange, line: &str, now: i64) {
        if let Some((contact, _)) = self.contacts.get_mut(&contact_id) {
            contact.opted_out_at = match change {
                OptChange::OptOut => Some(now),
                OptChange::OptIn => None,
            };
            self.opt_changes
                .push((contact_id, change, line.to_string()));
        }
    }

    pub fn set_language(&mut self, contact_id: i64, language: &str) {
        if let Some((contact, _)) = self.contacts.get_mut(&contact_id) {
            contact.language = Some(language.to_string());
            self.languages.push((contact_id, language.to_string()));
        }
    }

    pub fn set_name(&mut self, contact_id: i64, name: &str) {
        if let Some((contact, _)) = self.contacts.get_mut(&contact_id) {
            contact.name_to_use = Some(name.to_string());
            self.names.push((contact_id, name.to_string()));
        }
    }

    /// Records where the contact's conversation now stands (beginning one if `line` names where a
    /// new one starts), ending it with `ended`.
    pub fn save_session(
        &mut self,
        contact_id: i64,
        line: &str,
        session: Session,
        ended: Option<SessionEnd>,
    ) -> usize {
        let current = self.contacts.get(&contact_id).and_then(|(_, s)| *s);
        let index = match current {
            Some(index) => {
                let tracked = &mut self.sessions[index];
                tracked.session = session;
                tracked.ended = ended;
                index
            }
            None => {
                self.sessions.push(Tracked {
                    stored_id: None,
                    contact_id,
                    line: line.to_string(),
                    session,
                    ended,
                });
                self.sessions.len() - 1
            }
        };
        if let Some(entry) = self.contacts.get_mut(&contact_id) {
            entry.1 = if ended.is_some() { None } else { Some(index) };
        }
        index
    }

    /// Ends the contact's conversation in progress, if any.
    pub fn end_session(&mut self, contact_id: i64, reason: SessionEnd) {
        if let Some(entry) = self.contacts.get_mut(&contact_id)
            && let Some(index) = entry.1.take()
        {
            self.sessions[index].ended = Some(reason);
        }
    }

    /// Has the replies to `inbound_id`, a turn of a call, said on the call instead of texted.
    pub fn answer_aloud(&mut self, inbound_id: i64) {
        self.spoken_turns.insert(inbound_id);
    }

    pub fn reply(
        &mut self,
        contact_id: i64,
        line: &str,
        inbound_id: i64,
        body: &str,
        kind: OutboundKind,
        recorded: Option<Prompt>,
    ) {
        let request = self
            .requests
            .iter()
            .rposition(|r| r.contact_id == contact_id);
        self.replies.push(PlannedReply {
            contact_id,
            line: line.to_string(),
            body: body.to_string(),
            kind,
            inbound_id,
            request,
            recorded,
        });
    }

    pub fn request(
        &mut self,
        contact_id: i64,
        line: &str,
        session: usize,
        queue: String,
        fields: BTreeMap<String, String>,
        priority: i64,
    ) {
        self.requests.push(PlannedRequest {
            contact_id,
            line: line.to_string(),
            queue,
            fields,
            priority,
            session: Some(session),
        });
    }

    /// A request from someone with no conversation going on (asking for a person, say).
    pub fn request_without_session(
        &mut self,
        contact_id: i64,
        line: &str,
        queue: String,
        fields: BTreeMap<String, String>,
    ) {
        self.requests.push(PlannedRequest {
            contact_id,
            line: line.to_string(),
            queue,
            fields,
            priority: 0,
            session: None,
        });
    }

    /// Records the text's outcome; it is now the contact's last text, come at `now`.
    pub fn handled(&mut self, text: &InboundRow, outcome: &'static str, now: i64) {
        self.handled.push((text.id, outcome));
        self.last_texts
            .insert(text.contact_id, (outcome.to_string(), now));
    }

    /// Adds each contact's last handled text before the batch (contact, outcome, when).
    pub fn with_last_texts(mut self, last: Vec<(i64, String, i64)>) -> Plan {
        self.last_texts = last
            .into_iter()
            .map(|(contact_id, outcome, at)| (contact_id, (outcome, at)))
            .collect();
        self
    }

    /// The outcome of the contact's last text and when it came, if the line has one.
    pub fn last_text(&self, contact_id: i64) -> Option<(&str, i64)> {
        let (outcome, at) = self.last_texts.get(&contact_id)?;
        Some((outcome, *at))
    }

    /// Forgets the contact once the batch is written, texting them `body` last.
    pub fn forget(&mut self, contact_id: i64, line: &str, body: &str) {
        let actor = match self.volunteers.contains_key(&contact_id) {
            true => "volunteer",
            false => "neighbour",
        };
        self.forgets.push(PlannedForget {
            contact_id,
            actor,
            line: line.to_string(),
            body: body.to_string(),
        });
    }

    /// The forgettings planned: done after everything else, which they may undo.
    pub fn take_forgets(&mut self) -> Vec<PlannedForget> {
        std::mem::take(&mut self.forgets)
    }

    /// Writes everything; returns whether any text was queued for sending.
    pub async fn apply(
        self,
        conn: &mut Conn,
        settings: &DispatchSettings,
        flows: &Flows,
        now: i64,
    ) -> Result<bool, StoreError> {
        for (contact_id, change, line) in &self.opt_changes {
            contacts::record_opt_change(conn, *contact_id, *change, "keyword", line, now).await?;
        }
        // The last of each contact's changes is what it ends with.
        let mut changed: BTreeMap<i64, (Option<&str>, Option<&str>)> = BTreeMap::new();
        for (contact_id, language) in &self.languages {
            changed.entry(*contact_id).or_default().0 = Some(language);
        }
        for (contact_id, name) in &self.names {
            changed.entry(*contact_id).or_default().1 = Some(name);
        }
        let changed: Vec<_> = changed.into_iter().map(|(id, (l, n))| (id, l, n)).collect();
        contacts::set_many(conn, &changed).await?;
        // The last writes go together (on PostgreSQL, one statement): the sessions, their
        // timers, the last of the replies and the texts' outcomes.
        let mut last = Together::new(backend_of(conn));
        let stored: Vec<(i64, &Session, Option<SessionEnd>)> = self
            .sessions
            .iter()
            .filter_map(|t| t.stored_id.map(|id| (id, &t.session, t.ended)))
            .collect();
        if self.sessions.iter().any(|t| t.stored_id.is_none()) {
            // A session that ended here must be closed before its successor is inserted, since
            // a contact has one active session at most.
            sessions::save_many(conn, &stored, now).await?;
        } else {
            last.add(|args| sessions::save(args, &stored, now))?;
        }
        let mut ids = Vec::with_capacity(self.sessions.len());
        for t in &self.sessions {
            let id = match t.stored_id {
                Some(id) => id,
                None => {
                    sessions::insert(conn, t.contact_id, &t.line, &t.session, t.ended, now).await?
                }
            };
            ids.push(id);
        }
        for id in &self.joined {
            let detail = "texted again while waiting for a person";
            requests::attach(conn, *id, "neighbour", detail, now).await?;
        }
        for id in &self.cancels {
            requests::cancel(conn, *id, "neighbour", now).await?;
            dispatch::on_cancelled(conn, settings, *id, now).await?;
        }
        let mut codes = Vec::with_capacity(self.requests.len());
        // Every conversation touched starts its quiet-time clock again; ended ones lose theirs.
        let mut idle_timers = Vec::new();
        let mut ended = Vec::new();
        for (t, id) in self.sessions.iter().zip(&ids) {
            let idle = flows.get(&t.session.flow).map(|f| &f.idle);
            match (t.ended, idle.and_then(|i| i.first_timer(now))) {
                (None, Some((kind, at))) => idle_timers.push((*id, kind, at)),
                _ => ended.push(*id),
            }
        }
        last.add(|args| timers::clear_some(args, &ended))?;
        for chunk in pow2_chunks(&idle_timers) {
            last.add(|args| timers::set_some(args, chunk))?;
        }
        for r in &self.requests {
            let new = NewRequest {
                contact_id: r.contact_id,
                line: &r.line,
                queue: &r.queue,
                fields: &r.fields,
                priority: r.priority,
                session_id: r.session.map(|i| ids[i]),
                actor: "flow",
            };
            codes.push(dispatch::file(conn, settings, &new, now).await?);
        }
        for d in &self.dispatch {
            let origin = Origin {
                line: &d.line,
                inbound_id: d.inbound_id,
                now,
            };
            act::perform(conn, settings, &d.action, origin).await?;
        }
        let bodies: Vec<String> = self
            .replies
            .iter()
            .map(|r| {
                let code = r.request.map_or("", |i| codes[i].as_str());
                r.body.replace("{request.code}", code)
            })
            .collect();
        let recordings: Vec<Option<String>> = self
            .replies
            .iter()
            .map(|r| r.recorded.as_ref().map(Prompt::to_string))
            .collect();
        let replies: Vec<NewOutbound> = self
            .replies
            .iter()
            .zip(bodies.iter().zip(&recordings))
            .map(|(r, (body, recording))| NewOutbound {
                contact_id: r.contact_id,
                line: &r.line,
                to: &self.contacts[&r.contact_id].0.phone,
                body,
                kind: r.kind,
                inbound_id: Some(r.inbound_id),
                spoken: self.spoken_turns.contains(&r.inbound_id),
                spoken_audio: recording.as_deref(),
            })
            .collect();
        // Earlier chunks first, so that the replies keep their order.
        let mut chunks: Vec<&[NewOutbound]> = pow2_chunks(&replies).collect();
        let final_chunk = chunks.pop().unwrap_or_default();
        for chunk in chunks {
            outbound::enqueue_many(conn, chunk, now).await?;
        }
        last.add(|args| outbound::enqueue(args, final_chunk, now))?;
        last.add(|args| inbound::mark_handled(args, &self.handled, now))?;
        last.run(conn).await?;
        Ok(!replies.is_empty() || !self.dispatch.is_empty() || !self.requests.is_empty())
    }
}

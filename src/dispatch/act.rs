//! Doing what a volunteer's or a neighbour's text asks, inside the transaction that handles it.
//!
//! The relay rule: a volunteer's text that starts with one of their jobs' codes goes to that
//! job's neighbour; a volunteer holding exactly one job can leave the code off (anything that is
//! not a command goes to that neighbour). A neighbour's texts while a volunteer holds their request
//! go to that volunteer. Both come from the line's number, prefixed with a name and the code,
//! so neither side ever sees the other's number. A relay that was reported or left passes nothing
//! ([`relay`](super::relay)).

use crate::dispatch::DispatchSettings;
use crate::lifecycle::OfferAnswer;
use crate::lifecycle::RequestStatus::{Confirmed, Delivered, Failed, New, PickedUp};
use crate::lifecycle::{OutboundKind, RelaySide};
use crate::store::contacts::Contact;
use crate::store::requests::{self, Request};
use crate::store::volunteers::{self, Volunteer};
use crate::store::{Conn, StoreError, offers};

use super::commands::{self, Code, Command, Report};
use super::misses;
use super::offers::{self as offering, render_job};
use super::relay::{self, Sender};
use super::{Handover, hand_over, send, tell_neighbour};

/// Something a text asks dispatch to do.
#[derive(Debug, Clone)]
pub enum Action {
    /// A text from a volunteer.
    Volunteer { volunteer: Volunteer, text: String },
    /// A neighbour's text while a volunteer holds their request.
    Relay { job: Request, text: String },
    /// The neighbour's answer to "did you get it?".
    Received { job: Request, yes: bool },
    /// `REPORT` from someone who is not a volunteer; `job` is their request a volunteer has in
    /// hand, if they have one.
    Report {
        from: Contact,
        job: Option<Request>,
        report: Report,
    },
}

/// Where the text came in: its line, its row, and when.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub line: &'a str,
    pub inbound_id: i64,
    pub now: i64,
}

pub async fn perform(
    conn: &mut Conn,
    settings: &DispatchSettings,
    action: &Action,
    origin: Origin<'_>,
) -> Result<(), StoreError> {
    match action {
        Action::Volunteer { volunteer, text } => {
            VolunteerText {
                conn,
                settings,
                volunteer,
                origin,
            }
            .act(text)
            .await
        }
        Action::Relay { job, text } => relay_to_volunteer(conn, settings, job, text, origin).await,
        Action::Received { job, yes } => received(conn, settings, job, *yes, origin).await,
        Action::Report { from, job, report } => {
            neighbour_report(conn, settings, from, job.as_ref(), report, origin).await
        }
    }
}

/// A volunteer's text being acted on.
struct VolunteerText<'a> {
    conn: &'a mut Conn,
    settings: &'a DispatchSettings,
    volunteer: &'a Volunteer,
    origin: Origin<'a>,
}

impl VolunteerText<'_> {
    fn texts(&self) -> &crate::dispatch::Texts {
        self.settings
            .texts(self.volunteer.languages.first().map(String::as_str))
    }

    fn actor(&self) -> String {
        format!("volunteer:{}", self.volunteer.id)
    }

    async fn reply(&mut self, body: &str) -> Result<(), StoreError> {
        let (v, o) = (self.volunteer, self.origin);
        send(
            self.conn,
            v.contact_id,
            o.line,
            &v.phone,
            body,
            OutboundKind::Reply,
            Some(o.inbound_id),
            o.now,
        )
        .await
    }

    /// Answers a code that names no offer or job of theirs, the same whether the code exists or
    /// not; a number past the limit of such misses gets no answer.
    async fn miss(
        &mut self,
        template: fn(&crate::dispatch::Texts) -> &String,
        code: &Code,
    ) -> Result<(), StoreError> {
        let (contact, now) = (self.volunteer.contact_id, self.origin.now);
        if !misses::record(self.conn, contact, now).await? {
            tracing::warn!(
                volunteer = self.volunteer.id,
                "a volunteer keeps texting codes not offered to them; not answering"
            );
            return Ok(());
        }
        let body = template(self.texts()).replace("{code}", &code.0);
        self.reply(&body).await
    }

    async fn act(mut self, text: &str) -> Result<(), StoreError> {
        let now = self.origin.now;
        let held = requests::held_by(self.conn, self.volunteer.id).await?;
        let mine = |code: &Code| held.iter().find(|j| j.code == code.0).cloned();
        match commands::parse(text) {
            Some(Command::Claim(code)) => self.claim(&code, &held).await,
            Some(Command::Decline(code)) => {
                // Only an offer they hold is marked; the answer is the same either way.
                if let Some(job) = self.offered(&code).await? {
                    offers::answer(
                        self.conn,
                        job.id,
                        self.volunteer.id,
                        OfferAnswer::Declined,
                        now,
                    )
                    .await?;
                }
                let body = self.texts().declined.replace("{code}", &code.0);
                self.reply(&body).await
            }
            Some(Command::PickedUp(code)) => match mine(&code) {
                None => self.miss(|t| &t.not_yours, &code).await,
                Some(job) => {
                    requests::set_status(self.conn, job.id, PickedUp, &self.actor(), None, now)
                        .await?;
                    let body = render_job(self.texts(), &self.texts().picked_up, &job, &[]);
                    self.reply(&body).await
                }
            },
            Some(Command::Done(code)) => match mine(&code) {
                None => self.miss(|t| &t.not_yours, &code).await,
                Some(job) => {
                    requests::set_status(self.conn, job.id, Delivered, &self.actor(), None, now)
                        .await?;
                    let body = render_job(self.texts(), &self.texts().done, &job, &[]);
                    self.reply(&body).await?;
                    self.tell_neighbour(&job, |t| &t.neighbour_delivered, OutboundKind::Notice, &[])
                        .await
                }
            },
            Some(Command::Fail(code, why)) => match mine(&code) {
                None => self.miss(|t| &t.not_yours, &code).await,
                Some(job) => {
                    let reason = why.describe().to_string();
                    requests::set_status(
                        self.conn,
                        job.id,
                        Failed,
                        &self.actor(),
                        Some(&reason),
                        now,
                    )
                    .await?;
                    let body = render_job(
                        self.texts(),
                        &self.texts().failed,
                        &job,
                        &[("reason", &reason)],
                    );
                    self.reply(&body).await?;
                    let why = format!("the volunteer could not finish it ({reason})");
                    offering::alert(self.conn, self.settings, &job, &why, now).await
                }
            },
            Some(Command::Drop(code)) => match mine(&code) {
                None => self.miss(|t| &t.not_yours, &code).await,
                Some(job) => {
                    offers::answer(
                        self.conn,
                        job.id,
                        self.volunteer.id,
                        OfferAnswer::Dropped,
                        now,
                    )
                    .await?;
                    requests::set_status(
                        self.conn,
                        job.id,
                        New,
                        &self.actor(),
                        Some("dropped"),
                        now,
                    )
                    .await?;
                    let body = render_job(self.texts(), &self.texts().dropped, &job, &[]);
                    self.reply(&body).await?;
                    self.tell_neighbour(&job, |t| &t.neighbour_dropped, OutboundKind::Notice, &[])
                        .await?;
                    offering::start(self.conn, self.settings, &job, now)
                        .await
                        .map(drop)
                }
            },
            Some(Command::Mine) if held.is_empty() => {
                let body = self.texts().mine_none.clone();
                self.reply(&body).await
            }
            Some(Command::Mine) => {
                let texts = self.texts();
                let list: Vec<String> = held
                    .iter()
                    .map(|j| match j.fields.get("need") {
                        Some(need) => format!("{} ({})", j.code, texts.need(need)),
                        None => j.code.clone(),
                    })
                    .collect();
                let body = self.texts().mine.replace("{jobs}", &list.join(", "));
                self.reply(&body).await
            }
            Some(Command::Pause) => self.pause(true).await,
            Some(Command::Resume) => self.pause(false).await,
            Some(Command::Relay(code, message)) => match mine(&code) {
                None => self.miss(|t| &t.not_yours, &code).await,
                Some(job) => self.relay_to_neighbour(&job, &message).await,
            },
            Some(Command::Report(report)) => self.report(&report, &held).await,
            Some(Command::Leave(code)) => match mine(&code) {
                None => self.miss(|t| &t.not_yours, &code).await,
                Some(job) => {
                    let actor = self.actor();
                    let sender = volunteer_sender(self.volunteer, &actor);
                    relay::leave(self.conn, self.settings, &job, sender, self.origin).await
                }
            },
            None if held.len() == 1 => self.relay_to_neighbour(&held[0], text.trim()).await,
            None => {
                let body = self.texts().hint.clone();
                self.reply(&body).await
            }
        }
    }

    async fn pause(&mut self, paused: bool) -> Result<(), StoreError> {
        let now = self.origin.now;
        volunteers::set_paused(self.conn, self.volunteer.id, paused, now).await?;
        let texts = self.texts();
        let body = if paused {
            &texts.paused
        } else {
            &texts.resumed
        }
        .clone();
        self.reply(&body).await
    }

    /// The open request `code` names, if it is one they may claim by text: on a queue that
    /// offers by text, and offered to them.
    async fn offered(&mut self, code: &Code) -> Result<Option<Request>, StoreError> {
        let Some(job) = requests::open_by_code(self.conn, &code.0).await? else {
            return Ok(None);
        };
        if self.settings.queue(&job.queue).is_none()
            || !offers::is_open(self.conn, job.id, self.volunteer.id).await?
        {
            return Ok(None);
        }
        Ok(Some(job))
    }

    /// First claim wins: the request goes to whoever's conditional update lands first, and only
    /// a volunteer it was offered to can make one.
    async fn claim(&mut self, code: &Code, held: &[Request]) -> Result<(), StoreError> {
        let now = self.origin.now;
        if let Some(job) = held.iter().find(|j| j.code == code.0) {
            // A repeated YES: the details again.
            let body = render_job(self.texts(), &self.texts().yours, job, &[]);
            return self.reply(&body).await;
        }
        let Some(job) = self.offered(code).await? else {
            return self.miss(|t| &t.unknown_code, code).await;
        };
        if held.len() as i64 >= self.volunteer.max_open_jobs {
            let body = self.texts().at_capacity.clone();
            return self.reply(&body).await;
        }
        let how = Handover::Claimed {
            line: self.origin.line,
            inbound_id: self.origin.inbound_id,
        };
        if !hand_over(self.conn, self.settings, &job, self.volunteer, how, now).await? {
            offers::answer(self.conn, job.id, self.volunteer.id, OfferAnswer::Late, now).await?;
            let body = self.texts().taken.replace("{code}", &code.0);
            return self.reply(&body).await;
        }
        Ok(())
    }

    /// A report of one of their jobs: the code may be left off by whoever holds exactly one. A
    /// job they have just delivered can be reported too, as its neighbour can.
    async fn report(&mut self, report: &Report, held: &[Request]) -> Result<(), StoreError> {
        let job = match (&report.code, held) {
            (Some(code), _) => match held.iter().find(|j| j.code == code.0) {
                Some(job) => job.clone(),
                None => match self.delivered(code).await? {
                    Some(job) => job,
                    None => return self.miss(|t| &t.report_unknown, code).await,
                },
            },
            (None, [job]) => job.clone(),
            (None, _) => {
                let body = self.texts().report_which.clone();
                return self.reply(&body).await;
            }
        };
        let actor = self.actor();
        let (sender, reason) = (
            volunteer_sender(self.volunteer, &actor),
            report.reason.as_deref(),
        );
        relay::report(self.conn, self.settings, &job, sender, reason, self.origin).await
    }

    /// The open request `code` names, if they delivered it and it waits on the neighbour's word.
    async fn delivered(&mut self, code: &Code) -> Result<Option<Request>, StoreError> {
        let job = requests::open_by_code(self.conn, &code.0).await?;
        Ok(job.filter(|j| j.status == Delivered && j.volunteer_id == Some(self.volunteer.id)))
    }

    async fn relay_to_neighbour(&mut self, job: &Request, message: &str) -> Result<(), StoreError> {
        if let Some(stop) = relay::stopped(self.conn, job).await? {
            let actor = self.actor();
            let sender = volunteer_sender(self.volunteer, &actor);
            let (conn, settings, origin) = (&mut *self.conn, self.settings, self.origin);
            return relay::withhold(conn, settings, job, &stop, sender, message, origin).await;
        }
        let name = self.volunteer.name_to_use.clone();
        let extra = [("volunteer", name.as_str()), ("message", message)];
        self.tell_neighbour(job, |t| &t.to_neighbour, OutboundKind::Relay, &extra)
            .await
    }

    async fn tell_neighbour(
        &mut self,
        job: &Request,
        template: fn(&crate::dispatch::Texts) -> &String,
        kind: OutboundKind,
        extra: &[(&str, &str)],
    ) -> Result<(), StoreError> {
        let now = self.origin.now;
        tell_neighbour(self.conn, self.settings, job, template, kind, extra, now).await
    }
}

/// A volunteer as the relay names them; `actor` is `volunteer:ID`.
fn volunteer_sender<'a>(v: &'a Volunteer, actor: &'a str) -> Sender<'a> {
    Sender {
        side: RelaySide::Volunteer,
        actor,
        contact_id: v.contact_id,
        phone: &v.phone,
        language: v.languages.first().map(String::as_str),
    }
}

/// The neighbour who asked for `job`, as the relay names them.
fn neighbour(job: &Request) -> Sender<'_> {
    Sender {
        side: RelaySide::Neighbour,
        actor: "neighbour",
        contact_id: job.contact_id,
        phone: &job.phone,
        language: job.language.as_deref(),
    }
}

async fn relay_to_volunteer(
    conn: &mut Conn,
    settings: &DispatchSettings,
    job: &Request,
    text: &str,
    origin: Origin<'_>,
) -> Result<(), StoreError> {
    if let Some(stop) = relay::stopped(conn, job).await? {
        let sender = neighbour(job);
        return relay::withhold(conn, settings, job, &stop, sender, text.trim(), origin).await;
    }
    let extra = [("message", text.trim())];
    let how = (OutboundKind::Relay, Some(origin.inbound_id));
    super::tell_volunteer(
        conn,
        settings,
        job,
        |t| &t.to_volunteer,
        &extra,
        how,
        origin.now,
    )
    .await
}

/// A neighbour's report: of their request in a volunteer's hands (the code may be left off), else
/// answered as a code that does not exist, whatever the code.
async fn neighbour_report(
    conn: &mut Conn,
    settings: &DispatchSettings,
    from: &Contact,
    job: Option<&Request>,
    report: &Report,
    origin: Origin<'_>,
) -> Result<(), StoreError> {
    let theirs = job.filter(|j| report.code.as_ref().is_none_or(|c| c.0 == j.code));
    let reason = report.reason.as_deref();
    match (theirs, &report.code) {
        (Some(job), _) => relay::report(conn, settings, job, neighbour(job), reason, origin).await,
        (None, Some(code)) => {
            let sender = Sender {
                side: RelaySide::Neighbour,
                actor: "neighbour",
                contact_id: from.id,
                phone: &from.phone,
                language: from.language.as_deref(),
            };
            relay::not_reportable(conn, settings, sender, code, origin).await
        }
        // Intake sends no codeless report from someone without a job in hand.
        (None, None) => Ok(()),
    }
}

async fn received(
    conn: &mut Conn,
    settings: &DispatchSettings,
    job: &Request,
    yes: bool,
    origin: Origin<'_>,
) -> Result<(), StoreError> {
    let texts = settings.texts(job.language.as_deref());
    let (status, reply) = if yes {
        (Confirmed, &texts.neighbour_confirmed)
    } else {
        (New, &texts.neighbour_not_received)
    };
    let detail = (!yes).then_some("the neighbour says it did not arrive");
    requests::set_status(conn, job.id, status, "neighbour", detail, origin.now).await?;
    let body = render_job(texts, reply, job, &[]);
    send(
        conn,
        job.contact_id,
        origin.line,
        &job.phone,
        &body,
        OutboundKind::Reply,
        Some(origin.inbound_id),
        origin.now,
    )
    .await?;
    if let Some(reason) = detail {
        offering::alert(conn, settings, job, reason, origin.now).await?;
    }
    Ok(())
}

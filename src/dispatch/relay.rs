//! When the relay stops. Either side of a job can report the other (`REPORT`): the relay pauses
//! until a dispatcher resumes it. A volunteer can leave it (`LEAVE A7`): the job stays theirs,
//! only the messaging ends. Either way nothing more passes between the two; what they send is
//! kept on the request for the dispatchers, the sender is told it was not passed on, and the
//! request is put in front of a person (an alert, and the top of the queue page). The other side
//! is never told who reported.

use crate::lifecycle::{EventKind, OutboundKind, RelaySide, RelayState};
use crate::store::relay_stops::{self, RelayStop};
use crate::store::requests::{self, Request};
use crate::store::{Conn, StoreError};

use super::act::Origin;
use super::commands::Code;
use super::offers::{alert, render_job};
use super::{DispatchSettings, Texts, send, tell_neighbour, tell_volunteer};

/// Who texted the line about a job: where the answer goes, in their language, and how the
/// request's history names them.
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    pub side: RelaySide,
    /// `neighbour` or `volunteer:ID`.
    pub actor: &'a str,
    pub contact_id: i64,
    pub phone: &'a str,
    pub language: Option<&'a str>,
}

impl Sender<'_> {
    /// Answers their text with `template`, filled in for `job`.
    async fn reply(
        &self,
        conn: &mut Conn,
        settings: &DispatchSettings,
        job: &Request,
        template: fn(&Texts) -> &String,
        origin: Origin<'_>,
    ) -> Result<(), StoreError> {
        let texts = settings.texts(self.language);
        let body = render_job(texts, template(texts), job, &[]);
        self.answer(conn, &body, origin).await
    }

    async fn answer(&self, conn: &mut Conn, body: &str, o: Origin<'_>) -> Result<(), StoreError> {
        let (to, kind) = (self.phone, OutboundKind::Reply);
        send(
            conn,
            self.contact_id,
            o.line,
            to,
            body,
            kind,
            Some(o.inbound_id),
            o.now,
        )
        .await
    }
}

/// The stop on `job`'s relay, if one holds: made with the volunteer still on it.
pub async fn stopped(conn: &mut Conn, job: &Request) -> Result<Option<RelayStop>, StoreError> {
    match job.volunteer_id {
        Some(volunteer_id) => relay_stops::holding(conn, job.id, volunteer_id).await,
        None => Ok(None),
    }
}

/// Keeps a message the relay will not pass on, and tells its sender so.
pub async fn withhold(
    conn: &mut Conn,
    settings: &DispatchSettings,
    job: &Request,
    stop: &RelayStop,
    sender: Sender<'_>,
    message: &str,
    origin: Origin<'_>,
) -> Result<(), StoreError> {
    let (id, now) = (job.id, origin.now);
    requests::add_event(
        conn,
        id,
        sender.actor,
        EventKind::Withheld,
        Some(message),
        now,
    )
    .await?;
    let template: fn(&Texts) -> &String = match (stop.state, sender.side) {
        (RelayState::Paused, _) => |t| &t.relay_paused,
        (RelayState::Left, RelaySide::Volunteer) => |t| &t.relay_left,
        (RelayState::Left, RelaySide::Neighbour) => |t| &t.neighbour_relay_left,
    };
    sender.reply(conn, settings, job, template, origin).await
}

/// A report by a party to `job`'s relay: the relay pauses (one the volunteer left stays left),
/// the reporter is thanked, and the dispatchers are alerted.
pub async fn report(
    conn: &mut Conn,
    settings: &DispatchSettings,
    job: &Request,
    sender: Sender<'_>,
    reason: Option<&str>,
    origin: Origin<'_>,
) -> Result<(), StoreError> {
    let now = origin.now;
    let Some(volunteer_id) = job.volunteer_id else {
        return Ok(());
    };
    let left = stopped(conn, job)
        .await?
        .is_some_and(|s| s.state == RelayState::Left);
    if !left {
        let stop = RelayStop {
            volunteer_id,
            state: RelayState::Paused,
            by: sender.side,
            reason: reason.map(str::to_string),
            at: now,
        };
        relay_stops::stop(conn, job.id, &stop).await?;
    }
    requests::add_event(conn, job.id, sender.actor, EventKind::Reported, reason, now).await?;
    let received: fn(&Texts) -> &String = |t| &t.report_received;
    sender.reply(conn, settings, job, received, origin).await?;
    let why = format!(
        "the {} reported the relay; messages are paused",
        sender.side
    );
    alert(conn, settings, job, &why, now).await
}

/// A report naming a code the sender is no party to, or one that does not exist: the same answer
/// either way, and nothing changes.
pub async fn not_reportable(
    conn: &mut Conn,
    settings: &DispatchSettings,
    sender: Sender<'_>,
    code: &Code,
    origin: Origin<'_>,
) -> Result<(), StoreError> {
    let texts = settings.texts(sender.language);
    let body = texts.report_unknown.replace("{code}", &code.0);
    sender.answer(conn, &body, origin).await
}

/// The volunteer holding `job` ends their part of its relay; the job stays theirs (it may be on
/// its way) and a dispatcher is alerted to follow up with the neighbour.
pub async fn leave(
    conn: &mut Conn,
    settings: &DispatchSettings,
    job: &Request,
    sender: Sender<'_>,
    origin: Origin<'_>,
) -> Result<(), StoreError> {
    let now = origin.now;
    let Some(volunteer_id) = job.volunteer_id else {
        return Ok(());
    };
    let stop = RelayStop {
        volunteer_id,
        state: RelayState::Left,
        by: RelaySide::Volunteer,
        reason: None,
        at: now,
    };
    relay_stops::stop(conn, job.id, &stop).await?;
    requests::add_event(conn, job.id, sender.actor, EventKind::LeftRelay, None, now).await?;
    let left: fn(&Texts) -> &String = |t| &t.left_relay;
    sender.reply(conn, settings, job, left, origin).await?;
    let why = "the volunteer left the relay; follow up with the neighbour";
    alert(conn, settings, job, why, now).await
}

/// A dispatcher (`actor`) lets a paused relay pass messages again and both sides are told; false,
/// with nothing changed, when it was not paused.
pub async fn resume(
    conn: &mut Conn,
    settings: &DispatchSettings,
    job: &Request,
    actor: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let paused = stopped(conn, job)
        .await?
        .is_some_and(|s| s.state == RelayState::Paused);
    if !paused || !relay_stops::resume(conn, job.id).await? {
        return Ok(false);
    }
    requests::add_event(conn, job.id, actor, EventKind::RelayResumed, None, now).await?;
    let resumed: fn(&Texts) -> &String = |t| &t.relay_resumed;
    tell_neighbour(conn, settings, job, resumed, OutboundKind::Notice, &[], now).await?;
    let how = (OutboundKind::Notice, None);
    tell_volunteer(conn, settings, job, resumed, &[], how, now).await?;
    Ok(true)
}

//! What a dispatcher does to a request, from the pages or the API: assign it, offer it again,
//! move its status, merge a duplicate, cancel it, text either side, resume a reported relay. Each has the effects the same
//! change by text would have (the volunteer and the neighbour are told, offers start or stop),
//! is recorded on the request under the actor's name, and runs in one transaction: [`work_on`]
//! holds the people on the request first, as handling their texts does; the caller then wakes the
//! outbox.

mod input;
mod turn;

pub use input::{MAX_MESSAGE_CHARS, Message, UnknownStatus, parse_status};
pub use turn::{preview, work_on};

use crate::dispatch::DispatchSettings;
use crate::lifecycle::OutboundKind;
use crate::lifecycle::{DispatcherStatus, EventKind, OfferAnswer, RequestStatus, VolunteerStatus};
use crate::store::requests::{self, Request};
use crate::store::volunteers::{self, Volunteer};
use crate::store::{Conn, StoreError, offers, timers};

use super::offers as offering;
use super::{Handover, Texts, hand_over, send, tell_neighbour, tell_volunteer};

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("no open request has the code {0}")]
    NotFound(String),
    /// The request is not in a state for this (someone holds it, nobody does); nothing changed.
    #[error("{0}")]
    Conflict(String),
    /// What was asked for does not make sense; the message names the field.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One dispatcher's changes to requests, inside one transaction.
pub struct Desk<'a> {
    pub conn: &'a mut Conn,
    pub settings: &'a DispatchSettings,
    /// Who acts, as the history names them: `user:NAME` on the pages, `token:NAME` in the API.
    pub actor: &'a str,
    pub now: i64,
}

impl Desk<'_> {
    /// The open request with this code, however it was typed.
    pub async fn open(&mut self, code: &str) -> Result<Request, DeskError> {
        let code = code.trim().to_ascii_uppercase();
        requests::open_by_code(self.conn, &code)
            .await?
            .ok_or(DeskError::NotFound(code))
    }

    async fn event(
        &mut self,
        job: &Request,
        kind: EventKind,
        detail: Option<&str>,
    ) -> Result<(), StoreError> {
        requests::add_event(self.conn, job.id, self.actor, kind, detail, self.now).await
    }

    async fn tell_volunteer(
        &mut self,
        job: &Request,
        template: fn(&Texts) -> &String,
        extra: &[(&str, &str)],
    ) -> Result<(), StoreError> {
        let how = (OutboundKind::Notice, None);
        tell_volunteer(
            self.conn,
            self.settings,
            job,
            template,
            extra,
            how,
            self.now,
        )
        .await
    }

    async fn tell_neighbour(
        &mut self,
        job: &Request,
        template: fn(&Texts) -> &String,
    ) -> Result<(), StoreError> {
        let now = self.now;
        tell_neighbour(
            self.conn,
            self.settings,
            job,
            template,
            OutboundKind::Notice,
            &[],
            now,
        )
        .await
    }

    /// Moves a request to `to`, with what that means for the people on it. `reason` is needed
    /// for `failed` and kept in the history for any status. A request already there is left as
    /// it is and nobody is texted: false.
    pub async fn set_status(
        &mut self,
        job: &Request,
        to: DispatcherStatus,
        reason: Option<&str>,
    ) -> Result<bool, DeskError> {
        if RequestStatus::from(to) == job.status {
            return Ok(false);
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        let (now, actor) = (self.now, self.actor);
        match to {
            DispatcherStatus::New => {
                self.release(job, reason.unwrap_or("back to the queue"))
                    .await?;
            }
            DispatcherStatus::PickedUp | DispatcherStatus::Delivered => {
                if job.holder().is_none() {
                    return Err(DeskError::Conflict(format!(
                        "no volunteer is working on {}; assign it first",
                        job.code
                    )));
                }
                requests::set_status(self.conn, job.id, to.into(), actor, reason, now).await?;
                if to == DispatcherStatus::Delivered {
                    timers::clear_for_request(self.conn, job.id).await?;
                    self.tell_volunteer(job, |t| &t.done, &[]).await?;
                    self.tell_neighbour(job, |t| &t.neighbour_delivered).await?;
                } else {
                    self.tell_volunteer(job, |t| &t.picked_up, &[]).await?;
                }
            }
            DispatcherStatus::Failed => {
                let reason = reason.ok_or_else(|| {
                    DeskError::Invalid("say why it failed: the reason is empty".into())
                })?;
                requests::set_status(
                    self.conn,
                    job.id,
                    RequestStatus::Failed,
                    actor,
                    Some(reason),
                    now,
                )
                .await?;
                timers::clear_for_request(self.conn, job.id).await?;
                if job.holder().is_some() {
                    self.tell_volunteer(job, |t| &t.failed, &[("reason", reason)])
                        .await?;
                }
            }
            DispatcherStatus::Confirmed | DispatcherStatus::Closed => {
                self.close(job, to, reason).await?
            }
            DispatcherStatus::Cancelled => self.cancel(job).await?,
        }
        Ok(true)
    }

    /// Ends a request for good; a volunteer still working on it is told they need not.
    async fn close(
        &mut self,
        job: &Request,
        to: DispatcherStatus,
        detail: Option<&str>,
    ) -> Result<(), StoreError> {
        let (now, actor) = (self.now, self.actor);
        requests::set_status(self.conn, job.id, to.into(), actor, detail, now).await?;
        timers::clear_for_request(self.conn, job.id).await?;
        if job.holder().is_some() {
            self.tell_volunteer(job, |t| &t.released, &[]).await?;
        }
        Ok(())
    }

    /// Back in the queue, as when the volunteer texts DROP: they are told, so is the neighbour,
    /// and a fresh wave goes to volunteers who have not been asked.
    pub async fn release(
        &mut self,
        job: &Request,
        detail: &str,
    ) -> Result<Option<usize>, StoreError> {
        let (now, actor) = (self.now, self.actor);
        let held = job.holder();
        if let Some(volunteer) = held {
            offers::answer(self.conn, job.id, volunteer, OfferAnswer::Released, now).await?;
        }
        requests::set_status(
            self.conn,
            job.id,
            RequestStatus::New,
            actor,
            Some(detail),
            now,
        )
        .await?;
        if held.is_some() {
            self.tell_volunteer(job, |t| &t.released, &[]).await?;
            self.tell_neighbour(job, |t| &t.neighbour_dropped).await?;
        }
        offering::start(self.conn, self.settings, job, now).await
    }

    /// Offers a request again now: taken back first if someone holds it. Returns how many
    /// volunteers the new wave went to.
    pub async fn reoffer(&mut self, job: &Request) -> Result<usize, DeskError> {
        if self.settings.queue(&job.queue).is_none() {
            return Err(DeskError::Conflict(format!(
                "the {} queue is not offered by text; assign {} to a volunteer instead",
                job.queue, job.code
            )));
        }
        let sent = if job.holder().is_some() {
            self.release(job, "taken back to offer again").await?
        } else if job.status.is_claimable() {
            offering::start(self.conn, self.settings, job, self.now).await?
        } else {
            return Err(DeskError::Conflict(format!(
                "{} is {}; set its status to new to offer it again",
                job.code, job.status
            )));
        };
        let sent = sent.unwrap_or(0);
        let detail = format!("to {sent} more volunteer(s)");
        self.event(job, EventKind::Reoffered, Some(&detail)).await?;
        Ok(sent)
    }

    /// Gives a request to an active volunteer, as if they had texted YES first.
    pub async fn assign(
        &mut self,
        job: &Request,
        volunteer_id: i64,
    ) -> Result<Volunteer, DeskError> {
        let volunteer = volunteers::by_id(self.conn, volunteer_id)
            .await?
            .filter(|v| v.status == VolunteerStatus::Active)
            .ok_or_else(|| {
                DeskError::Invalid(format!(
                    "volunteer: no active volunteer has the id {volunteer_id}"
                ))
            })?;
        if volunteer.contact_id == job.contact_id {
            return Err(DeskError::Invalid(
                "volunteer: that volunteer is the neighbour who asked".into(),
            ));
        }
        let how = Handover::Assigned { actor: self.actor };
        if hand_over(self.conn, self.settings, job, &volunteer, how, self.now).await? {
            return Ok(volunteer);
        }
        // Someone was first: say who, as the request is now.
        let now_held = requests::by_id(self.conn, job.id).await?;
        let holder_name = match now_held.as_ref().and_then(Request::holder) {
            Some(id) => volunteers::by_id(self.conn, id)
                .await?
                .map(|v| v.name_to_use),
            None => None,
        };
        Err(DeskError::Conflict(match (holder_name, now_held) {
            (Some(name), _) => format!(
                "{} is already held by {name}; re-offer it first to give it to someone else",
                job.code
            ),
            (None, Some(now)) => format!(
                "{} is {}; set its status to new before assigning it",
                job.code, now.status
            ),
            (None, None) => format!("{} is gone", job.code),
        }))
    }

    /// As if the neighbour had cancelled: offers stop, the volunteer is told, and the neighbour
    /// gets a short notice.
    pub async fn cancel(&mut self, job: &Request) -> Result<(), DeskError> {
        requests::cancel(self.conn, job.id, self.actor, self.now).await?;
        timers::clear_for_request(self.conn, job.id).await?;
        // The dispatchers took it back: the neighbour's own cancel text would tell the volunteer
        // something untrue.
        if job.volunteer_id.is_some() {
            self.tell_volunteer(job, |t| &t.released, &[]).await?;
        }
        self.tell_neighbour(job, |t| &t.neighbour_cancelled).await?;
        Ok(())
    }

    /// Closes `job` as a duplicate of the open request `kept`; both histories say so. Returns the
    /// kept request.
    pub async fn merge(&mut self, job: &Request, kept: &str) -> Result<Request, DeskError> {
        let kept = match self.open(kept).await {
            Err(DeskError::NotFound(code)) => {
                return Err(DeskError::Invalid(format!(
                    "duplicate of: no open request has the code {code}"
                )));
            }
            found => found?,
        };
        if kept.id == job.id {
            return Err(DeskError::Invalid(
                "duplicate of: a request cannot be a duplicate of itself".into(),
            ));
        }
        let closed = format!("a duplicate of {}", kept.code);
        self.close(job, DispatcherStatus::Closed, Some(&closed))
            .await?;
        let merged = format!("{} was closed as a duplicate of this one", job.code);
        self.event(&kept, EventKind::Merged, Some(&merged)).await?;
        Ok(kept)
    }

    /// Texts the neighbour from the request's line.
    pub async fn text_neighbour(
        &mut self,
        job: &Request,
        message: &Message,
    ) -> Result<(), DeskError> {
        self.text(
            job,
            (job.contact_id, &job.phone),
            EventKind::TextedNeighbour,
            message,
        )
        .await
    }

    /// Texts the volunteer working on the request, from the request's line.
    pub async fn text_volunteer(
        &mut self,
        job: &Request,
        message: &Message,
    ) -> Result<(), DeskError> {
        let volunteer = match job.holder() {
            Some(id) => volunteers::by_id(self.conn, id).await?,
            None => None,
        }
        .ok_or_else(|| {
            DeskError::Conflict(format!("no volunteer is working on {} to text", job.code))
        })?;
        let to = (volunteer.contact_id, volunteer.phone.as_str());
        self.text(job, to, EventKind::TextedVolunteer, message)
            .await
    }

    /// Queues `message` from the request's line to one person on it, and records it as `kind`.
    async fn text(
        &mut self,
        job: &Request,
        (contact_id, phone): (i64, &str),
        kind: EventKind,
        message: &Message,
    ) -> Result<(), DeskError> {
        let body = message.as_str();
        let now = self.now;
        send(
            self.conn,
            contact_id,
            &job.line,
            phone,
            body,
            OutboundKind::Relay,
            None,
            now,
        )
        .await?;
        self.event(job, kind, Some(body)).await?;
        Ok(())
    }

    /// Lets messages pass again on a relay a report paused; both sides are told.
    pub async fn resume_relay(&mut self, job: &Request) -> Result<(), DeskError> {
        let (actor, now) = (self.actor, self.now);
        if !super::relay::resume(self.conn, self.settings, job, actor, now).await? {
            let why = format!("the messages on {} are not paused", job.code);
            return Err(DeskError::Conflict(why));
        }
        Ok(())
    }

    /// The neighbour's full number, with a record that this actor saw it.
    pub async fn reveal(&mut self, job: &Request) -> Result<String, DeskError> {
        self.event(job, EventKind::Revealed, None).await?;
        Ok(job.phone.clone())
    }
}

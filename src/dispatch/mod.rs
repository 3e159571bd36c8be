//! Dispatch by text: a new request is offered to matching volunteers in waves, the first valid
//! claim wins, the winner gets the details and a masked relay to the neighbour, and the job runs
//! to delivered (confirmed by the neighbour) or back to the queue.
//!
//! Intake decides who a text is for (a volunteer's command, a neighbour's message for their
//! volunteer, an answer to "did you get it?") and [`act::perform`] does it inside the same
//! transaction, queueing every text it causes in the outbox. Timers widen unclaimed offers and
//! alert dispatchers. What a dispatcher does to a request from the pages or the API is in
//! [`desk`], with the same effects.

pub mod act;
pub mod commands;
pub mod desk;
pub mod misses;
pub mod offers;
pub mod relay;
mod settings;

pub use settings::{DispatchSettings, MAIN_LANGUAGE, Mode, Queue, Texts};

use crate::lifecycle::OutboundKind;
use crate::lifecycle::{EventKind, OfferAnswer, RequestStatus, VolunteerStatus};
use crate::store::outbound::{self, NewOutbound};
use crate::store::requests::NewRequest;
use crate::store::volunteers::{self, NewVolunteer};
use crate::store::{Conn, StoreError, requests, timers};

/// The queue the volunteer sign-up flow files its sign-ups on.
pub const SIGN_UP_QUEUE: &str = "volunteers";

/// Queues one text.
#[allow(clippy::too_many_arguments)]
async fn send(
    conn: &mut Conn,
    contact_id: i64,
    line: &str,
    to: &str,
    body: &str,
    kind: OutboundKind,
    inbound_id: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    let text = NewOutbound {
        contact_id,
        line,
        to,
        body,
        kind,
        inbound_id,
        spoken: false,
        spoken_audio: None,
    };
    outbound::enqueue_many(conn, &[text], now).await
}

/// A request the neighbour cancelled: no more offers, and its volunteer, if it had one, is told.
pub async fn on_cancelled(
    conn: &mut Conn,
    settings: &DispatchSettings,
    request_id: i64,
    now: i64,
) -> Result<(), StoreError> {
    timers::clear_for_request(conn, request_id).await?;
    let Some(job) = requests::by_id(conn, request_id).await? else {
        return Ok(());
    };
    tell_volunteer(
        conn,
        settings,
        &job,
        |t| &t.cancelled,
        &[],
        (OutboundKind::Notice, None),
        now,
    )
    .await
}

/// Texts the neighbour who asked for `job`, in their language, from the request's line.
pub(crate) async fn tell_neighbour(
    conn: &mut Conn,
    settings: &DispatchSettings,
    job: &requests::Request,
    template: fn(&Texts) -> &String,
    kind: OutboundKind,
    extra: &[(&str, &str)],
    now: i64,
) -> Result<(), StoreError> {
    let texts = settings.texts(job.language.as_deref());
    let body = offers::render_job(texts, template(texts), job, extra);
    let to = (job.contact_id, job.phone.as_str());
    send(conn, to.0, &job.line, to.1, &body, kind, None, now).await
}

/// How a volunteer comes to hold a request.
#[derive(Debug, Clone, Copy)]
pub enum Handover<'a> {
    /// They texted YES to the line; the details answer that text.
    Claimed { line: &'a str, inbound_id: i64 },
    /// A dispatcher (`actor`, as `user:NAME`) gave it to them.
    Assigned { actor: &'a str },
}

/// Gives `job` to `volunteer` if nobody holds it: they get the details and the relay, the
/// neighbour is told who is coming, and the offers' timer stops. It is the one conditional claim,
/// so a dispatcher assigning and volunteers texting YES at once still leave one holder. False,
/// with nothing changed, when someone was first.
pub async fn hand_over(
    conn: &mut Conn,
    settings: &DispatchSettings,
    job: &requests::Request,
    volunteer: &volunteers::Volunteer,
    how: Handover<'_>,
    now: i64,
) -> Result<bool, StoreError> {
    let rule = match how {
        Handover::Claimed { .. } => requests::ClaimRule::OfferHeld,
        Handover::Assigned { .. } => requests::ClaimRule::Assigned,
    };
    if !requests::claim(conn, job.id, volunteer.id, rule, now).await? {
        return Ok(false);
    }
    let (actor, event, detail, line, answers) = match how {
        Handover::Claimed { line, inbound_id } => (
            format!("volunteer:{}", volunteer.id),
            EventKind::Status(RequestStatus::Claimed),
            None,
            line,
            (OutboundKind::Reply, Some(inbound_id)),
        ),
        Handover::Assigned { actor } => (
            actor.to_string(),
            EventKind::Assigned,
            Some(volunteer.name_to_use.as_str()),
            job.line.as_str(),
            (OutboundKind::Notice, None),
        ),
    };
    requests::add_event(conn, job.id, &actor, event, detail, now).await?;
    crate::store::offers::answer(conn, job.id, volunteer.id, OfferAnswer::Claimed, now).await?;
    timers::clear_for_request(conn, job.id).await?;
    let texts = settings.texts(volunteer.languages.first().map(String::as_str));
    let body = offers::render_job(texts, &texts.yours, job, &[]);
    let (kind, inbound_id) = answers;
    send(
        conn,
        volunteer.contact_id,
        line,
        &volunteer.phone,
        &body,
        kind,
        inbound_id,
        now,
    )
    .await?;
    let name = [("volunteer", volunteer.name_to_use.as_str())];
    tell_neighbour(
        conn,
        settings,
        job,
        |t| &t.neighbour_claimed,
        OutboundKind::Notice,
        &name,
        now,
    )
    .await
    .map(|()| true)
}

/// Texts the volunteer holding `job` (if one does), in their language.
async fn tell_volunteer(
    conn: &mut Conn,
    settings: &DispatchSettings,
    job: &requests::Request,
    template: fn(&Texts) -> &String,
    extra: &[(&str, &str)],
    (kind, inbound_id): (OutboundKind, Option<i64>),
    now: i64,
) -> Result<(), StoreError> {
    let Some(id) = job.volunteer_id else {
        return Ok(());
    };
    let Some(v) = volunteers::by_id(conn, id).await? else {
        return Ok(());
    };
    let texts = settings.texts(v.languages.first().map(String::as_str));
    let body = offers::render_job(texts, template(texts), job, extra);
    send(
        conn,
        v.contact_id,
        &job.line,
        &v.phone,
        &body,
        kind,
        inbound_id,
        now,
    )
    .await
}

/// A request a flow just made. A sign-up becomes a pending volunteer for a dispatcher to approve;
/// anything else starts its offers.
pub async fn on_new_request(
    conn: &mut Conn,
    settings: &DispatchSettings,
    request_id: i64,
    now: i64,
) -> Result<(), StoreError> {
    let Some(job) = requests::by_id(conn, request_id).await? else {
        return Ok(());
    };
    if job.queue != SIGN_UP_QUEUE {
        return offers::start(conn, settings, &job, now).await.map(drop);
    }
    let field = |k: &str| job.fields.get(k).map(String::as_str).unwrap_or_default();
    let words = |k: &str| -> Vec<String> {
        field(k)
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let capabilities: Vec<String> = match field("car") {
        "yes" => vec!["car".into()],
        _ => Vec::new(),
    };
    let sign_up = NewVolunteer {
        contact_id: job.contact_id,
        name_to_use: field("name_to_use"),
        zones: &words("zone"),
        languages: &words("speaks"),
        capabilities: &capabilities,
        availability: field("availability"),
        max_open_jobs: 2,
        status: VolunteerStatus::Pending,
    };
    volunteers::upsert(conn, &sign_up, now).await?;
    requests::add_event(
        conn,
        request_id,
        "flow",
        EventKind::VolunteerPending,
        None,
        now,
    )
    .await
}

/// Files a new request (a flow's, or a call-back), returning its code. A neighbour who already has an open request
/// does not get a second one: what they asked for is attached to the open one for a dispatcher to
/// see, and its code is the one they are told.
pub async fn file(
    conn: &mut Conn,
    settings: &DispatchSettings,
    new: &NewRequest<'_>,
    now: i64,
) -> Result<String, StoreError> {
    if new.queue != SIGN_UP_QUEUE {
        let open = requests::open_for(conn, &[new.contact_id]).await?;
        if let Some(existing) = open.iter().rev().find(|r| r.queue != SIGN_UP_QUEUE) {
            let detail = serde_json::to_string(new.fields).expect("a string map always serialises");
            requests::attach(conn, existing.id, new.actor, &detail, now).await?;
            tracing::info!(
                request_id = existing.id,
                "a second request attached to an open one"
            );
            return Ok(existing.code.clone());
        }
    }
    let (id, code) = requests::create(conn, new, now).await?;
    tracing::info!(request_id = id, code = %code, queue = %new.queue, "request created");
    on_new_request(conn, settings, id, now).await?;
    Ok(code)
}

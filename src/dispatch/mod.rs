//! Dispatch by text: a new request is offered to matching volunteers in waves, the first valid
//! claim wins, the winner gets the details and a masked relay to the neighbour, and the job runs
//! to delivered (confirmed by the neighbour) or back to the queue.
//!
//! Intake decides who a text is for (a volunteer's command, a neighbour's message for their
//! volunteer, an answer to "did you get it?") and [`act::perform`] does it inside the same
//! transaction, queueing every text it causes in the outbox. Timers widen unclaimed offers and
//! alert dispatchers.

pub mod act;
pub mod commands;
pub mod offers;
mod settings;

pub use settings::{DispatchSettings, Mode, Queue, Texts};

use crate::config::Settings;
use crate::store::outbound::{self, Kind, NewOutbound};
use crate::store::volunteers::{self, NewVolunteer};
use crate::store::{Conn, StoreError, jobs, requests, timers};

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
    kind: Kind,
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
    };
    outbound::enqueue_many(conn, &[text], now).await
}

/// A request the neighbour cancelled: no more offers, and its volunteer, if it had one, is told.
pub async fn on_cancelled(
    conn: &mut Conn,
    settings: &Settings,
    request_id: i64,
    now: i64,
) -> Result<(), StoreError> {
    timers::clear_for_request(conn, request_id).await?;
    let Some(job) = jobs::by_id(conn, request_id).await? else {
        return Ok(());
    };
    tell_volunteer(
        conn,
        settings,
        &job,
        |t| &t.cancelled,
        &[],
        (Kind::Notice, None),
        now,
    )
    .await
}

/// Texts the volunteer holding `job` (if one does), in their language.
async fn tell_volunteer(
    conn: &mut Conn,
    settings: &Settings,
    job: &jobs::Job,
    template: fn(&Texts) -> &String,
    extra: &[(&str, &str)],
    (kind, inbound_id): (Kind, Option<i64>),
    now: i64,
) -> Result<(), StoreError> {
    let Some(id) = job.volunteer_id else {
        return Ok(());
    };
    let Some(v) = volunteers::by_id(conn, id).await? else {
        return Ok(());
    };
    let texts = settings
        .dispatch
        .texts(v.languages.first().map(String::as_str));
    let body = offers::render_job(template(texts), job, extra);
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
    settings: &Settings,
    request_id: i64,
    now: i64,
) -> Result<(), StoreError> {
    let Some(job) = jobs::by_id(conn, request_id).await? else {
        return Ok(());
    };
    if job.queue != SIGN_UP_QUEUE {
        return offers::start(conn, settings, &job, now).await;
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
        status: "pending",
    };
    volunteers::upsert(conn, &sign_up, now).await?;
    requests::add_event(conn, request_id, "flow", "volunteer_pending", None, now).await
}

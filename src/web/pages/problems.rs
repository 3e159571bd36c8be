//! `GET /problems`: the texts of the last week that did not reach the person they were for (the
//! provider refused them, the phone never got them, or the number had opted out), with what a
//! dispatcher can do about each; `POST /problems/...` marks them dealt with, so the count in the
//! navigation means "still to look at". Numbers are masked and no text's words are shown: the
//! request's own page has the conversation.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::request::actor;
use super::{Who, page};
use crate::lifecycle::{DeliveryState, OutboundKind};
use crate::local_time::LocalTime;
use crate::phone::{redact, redact_numbers};
use crate::store::problems::{self, Marking, Problem, RECENT_DAYS, Recipient};
use crate::web::session::{Button, Posted, SignedIn};
use crate::web::{AppState, WebError};

/// A busy day's worth; a line failing by the hundred is an outage, which `aidline texts failed`
/// and the provider's own dashboard show better than a longer page would.
const SHOWN: i64 = 200;

/// What happened to the text, in the panel's words.
fn what(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Suppressed => "Opted out",
        DeliveryState::Undelivered => "Not delivered",
        // Only texts that ended unsent are problems; the others cannot come here.
        DeliveryState::Failed
        | DeliveryState::Queued
        | DeliveryState::Sent
        | DeliveryState::Delivered
        | DeliveryState::Spoken => "Failed to send",
    }
}

/// What the text was, without its words.
fn text_kind(kind: OutboundKind) -> &'static str {
    match kind {
        OutboundKind::Reply => "a reply to their text",
        OutboundKind::OptOutConfirmation => "the STOP or START confirmation",
        OutboundKind::Help => "the answer to HELP",
        OutboundKind::Reminder => "a reminder",
        OutboundKind::Offer => "an offer of a request",
        OutboundKind::Notice => "news of their request",
        OutboundKind::Relay => "a message passed on from the other side of a job",
        OutboundKind::Alert => "an alert that a request needs a person",
        OutboundKind::CarryOn => "the text to carry on after they hung up a call",
        OutboundKind::Farewell => "the last text to someone who asked to be forgotten",
    }
}

/// A link a dispatcher can follow to act on a problem.
struct Link {
    href: String,
    label: String,
}

struct Row {
    id: i64,
    time: String,
    what: &'static str,
    text: &'static str,
    to: String,
    phone: String,
    /// The provider's code and reason, numbers masked.
    why: String,
    todo: &'static str,
    link: Option<Link>,
    /// When and by whom.
    dealt_with: Option<String>,
}

fn neighbour(name: &Option<String>) -> String {
    match name {
        Some(name) => format!("Neighbour ({name})"),
        None => "Neighbour".to_string(),
    }
}

fn row(p: Problem, admin: bool, zone: &LocalTime) -> Row {
    let why = [p.error_code, p.error_detail.map(|d| redact_numbers(&d))]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(": ");
    let request = p.request.as_ref().map(|code| Link {
        href: format!("/requests/{code}"),
        label: format!("Open request {code}"),
    });
    let (to, link, todo) = match &p.recipient {
        _ if p.kind == OutboundKind::Alert => (
            "The dispatchers' alert phone".to_string(),
            Some(Link {
                href: "/".into(),
                label: "Open the queue".into(),
            }),
            "Look at the queue for requests that need a person, and tell an admin: the alert number may be wrong.",
        ),
        Recipient::Volunteer { id, name } => (
            format!("Volunteer {name}"),
            request.or_else(|| {
                // Only admins may open a volunteer's own page.
                let href = if admin {
                    format!("/volunteers/{id}")
                } else {
                    "/volunteers".into()
                };
                let label = format!("{name} on the roster");
                Some(Link { href, label })
            }),
            "Reach them another way, or offer their request again so someone else can take it.",
        ),
        Recipient::Neighbour { name } if request.is_some() => (
            neighbour(name),
            request,
            "Check the conversation on the request's page, then text again or phone them.",
        ),
        Recipient::Neighbour { name } => (
            neighbour(name),
            None,
            "They have no open request, so nothing waits on this text.",
        ),
    };
    let todo = if p.state == DeliveryState::Suppressed {
        "They texted STOP: the line may not text them until they text START. Reach them another way if it matters."
    } else {
        todo
    };
    Row {
        id: p.id,
        time: zone.minute(p.at),
        what: what(p.state),
        text: text_kind(p.kind),
        to,
        phone: redact(&p.to_phone),
        why,
        todo,
        link,
        dealt_with: p
            .dealt_with
            .map(|(at, by)| format!("{} by {by}", zone.minute(at))),
    }
}

#[derive(Template)]
#[template(path = "problems.html")]
struct ProblemsPage {
    who: Option<Who>,
    csrf: String,
    days: i64,
    /// The moment the page was made: "mark all" covers what it showed.
    shown_at: i64,
    waiting: Vec<Row>,
    dealt_with: Vec<Row>,
    /// More problems than the page lists.
    more: bool,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct Shown {
    /// How many problems a form just marked.
    marked: Option<u64>,
}

/// `GET /problems`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(shown): Query<Shown>,
) -> Result<Response, WebError> {
    let now = state.clock.now_ms();
    let mut conn = state.db.acquire().await?;
    let list = problems::recent(&mut conn, now, SHOWN + 1).await?;
    let more = list.len() as i64 > SHOWN;
    let admin = signed_in.user.is_admin();
    let (dealt_with, waiting): (Vec<Row>, Vec<Row>) = list
        .into_iter()
        .take(SHOWN as usize)
        .map(|p| row(p, admin, &state.settings.time_zone))
        .partition(|r| r.dealt_with.is_some());
    let notice = shown.marked.map(|n| match n {
        0 => "Nothing to mark: somebody had already dealt with it.".to_string(),
        1 => "Marked dealt with.".to_string(),
        n => format!("{n} problems marked dealt with."),
    });
    page(&ProblemsPage {
        who: Some(Who::from(&signed_in)),
        csrf: signed_in.csrf.clone(),
        days: RECENT_DAYS,
        shown_at: now,
        waiting,
        dealt_with,
        more,
        notice,
    })
}

async fn mark(state: &AppState, by: &SignedIn, marking: Marking) -> Result<Response, WebError> {
    let now = state.clock.now_ms();
    let mut conn = state.db.acquire().await?;
    let marked = problems::mark_dealt_with(&mut conn, marking, &actor(by), now).await?;
    Ok(Redirect::to(&format!("/problems?marked={marked}")).into_response())
}

/// `POST /problems/{id}/dealt-with`.
pub async fn mark_one(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted { by, .. }: Posted<Button>,
) -> Result<Response, WebError> {
    mark(&state, &by, Marking::One(id)).await
}

/// A flattened form reads every field as text.
#[derive(Deserialize)]
pub struct AllForm {
    #[serde(default)]
    shown_at: String,
}

/// `POST /problems/dealt-with`: every problem the page showed.
pub async fn mark_all(
    State(state): State<AppState>,
    Posted { by, form }: Posted<AllForm>,
) -> Result<Response, WebError> {
    let shown_at = form
        .shown_at
        .parse()
        .map_err(|_| WebError::Invalid("reload the problems page and try again".into()))?;
    mark(&state, &by, Marking::ShownAt(shown_at)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(kind: OutboundKind, state: DeliveryState, recipient: Recipient) -> Problem {
        Problem {
            id: 1,
            at: 0,
            to_phone: "+15557654321".into(),
            kind,
            state,
            recipient,
            request: None,
            error_code: Some("30003".into()),
            error_detail: Some("Unreachable: +15557654321".into()),
            dealt_with: None,
        }
    }

    #[test]
    fn each_problem_says_who_it_was_for_and_what_to_do_without_the_number() {
        let ana = || Recipient::Volunteer {
            id: 7,
            name: "Ana".into(),
        };
        let utc = LocalTime::utc();
        let alert = row(
            problem(OutboundKind::Alert, DeliveryState::Failed, ana()),
            false,
            &utc,
        );
        assert_eq!(alert.to, "The dispatchers' alert phone");
        assert_eq!(alert.link.map(|l| l.href).as_deref(), Some("/"));

        let offer = row(
            problem(OutboundKind::Offer, DeliveryState::Undelivered, ana()),
            true,
            &utc,
        );
        assert_eq!(
            (offer.what, offer.to.as_str()),
            ("Not delivered", "Volunteer Ana")
        );
        assert_eq!(offer.link.map(|l| l.href).as_deref(), Some("/volunteers/7"));
        assert_eq!(offer.phone, "+1******4321");
        assert_eq!(offer.why, "30003: Unreachable: +1******4321");

        let nobody = Recipient::Neighbour { name: None };
        let stop = row(
            problem(OutboundKind::Notice, DeliveryState::Suppressed, nobody),
            false,
            &utc,
        );
        assert_eq!((stop.what, stop.to.as_str()), ("Opted out", "Neighbour"));
        assert!(stop.todo.starts_with("They texted STOP"), "{}", stop.todo);
        assert!(stop.link.is_none());
    }
}

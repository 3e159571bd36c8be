//! The forms on a request's page: assign, re-offer, set the status, merge a duplicate, cancel,
//! text the neighbour or the volunteer, reveal the number. Each form's CSRF token is checked by
//! [`Posted`]; each change is one transaction through `dispatch::desk` ([`AppState::work_on`]),
//! recorded on the request as `user:USERNAME`, and answered with a 303 back to the page (the
//! reveal answers with the page itself, since only that answer shows the number). A form with a
//! mistake in it brings the page back with the form as it was sent ([`Sent`]).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::confirm::{Ask, confirm};
use super::form::Refill;
use super::request::{Done, actor, render, shown_again};
use crate::dispatch::desk::{Desk, DeskError, Message, parse_status};
use crate::lifecycle::DispatcherStatus;
use crate::store::requests::{self, Request};
use crate::web::session::{Button, Posted, SignedIn};
use crate::web::{AppState, WebError};

/// A dispatcher's change (see [`AppState::work_on`]), then back to the request's page, saying
/// what was `done`.
async fn act(
    state: &AppState,
    signed_in: &SignedIn,
    code: &str,
    change: impl AsyncFnOnce(&mut Desk<'_>, &Request) -> Result<Done, DeskError>,
) -> Result<Response, WebError> {
    let (code, done) = state.work_on(&actor(signed_in), code, change).await?;
    Ok(back_to(&code, done))
}

/// A form of the request's page as it was sent: what was typed in it, by field, and the field
/// the desk's refusals of it are said of.
struct Sent {
    field: &'static str,
    typed: Vec<(&'static str, String)>,
}

impl Sent {
    fn one(field: &'static str, typed: &str) -> Sent {
        Sent {
            field,
            typed: vec![(field, typed.to_string())],
        }
    }

    /// The page again, with this form as it was sent and `why` beside `field`.
    async fn again(
        self,
        field: &str,
        why: String,
        state: &AppState,
        signed_in: &SignedIn,
        code: &str,
    ) -> Result<Response, WebError> {
        let refill = Refill::typed(self.typed).wrong(field, why);
        shown_again(state, signed_in, code, refill).await
    }

    /// What `handled` answered, unless it found a mistake in the form: then the page again.
    async fn or_again(
        self,
        handled: Result<Response, WebError>,
        state: &AppState,
        signed_in: &SignedIn,
        code: &str,
    ) -> Result<Response, WebError> {
        match handled {
            Err(WebError::Invalid(why)) => {
                let field = self.field;
                self.again(field, why, state, signed_in, code).await
            }
            answered => answered,
        }
    }
}

/// The request's page, with a line saying what was `done`.
fn back_to(code: &str, done: Done) -> Response {
    let to = format!("/requests/{code}?done={}", done.as_str());
    Redirect::to(&to).into_response()
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    volunteer: String,
}

/// `POST /requests/{code}/assign`.
pub async fn assign(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Posted {
        by: signed_in,
        form,
    }: Posted<AssignForm>,
) -> Result<Response, WebError> {
    let handled = async {
        let volunteer: i64 =
            form.volunteer.trim().parse().map_err(|_| {
                WebError::Invalid("volunteer: choose a volunteer from the list".into())
            })?;
        act(&state, &signed_in, &code, async |desk, job| {
            desk.assign(job, volunteer).await.map(|_| Done::Assigned)
        })
        .await
    };
    let sent = Sent::one("volunteer", &form.volunteer);
    sent.or_again(handled.await, &state, &signed_in, &code)
        .await
}

/// A form whose change waits for a yes on the confirmation page.
#[derive(Deserialize)]
pub struct Confirmable<T> {
    /// `yes` once the confirmation page has been seen.
    #[serde(default)]
    confirmed: String,
    #[serde(flatten)]
    form: T,
}

impl<T> Confirmable<T> {
    fn confirmed(&self) -> bool {
        self.confirmed == "yes"
    }
}

/// Whether a volunteer holds the open request `code`: offering it again then takes it from them,
/// which waits for a yes; an unheld one just goes out to more volunteers.
async fn held(state: &AppState, code: &str) -> Result<bool, WebError> {
    let mut conn = state.db.acquire().await?;
    let code = code.trim().to_ascii_uppercase();
    let request = requests::open_by_code(&mut conn, &code).await?;
    Ok(request.is_some_and(|r| r.holder().is_some()))
}

/// `POST /requests/{code}/reoffer`.
pub async fn reoffer(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Posted {
        by: signed_in,
        form,
    }: Posted<Confirmable<Button>>,
) -> Result<Response, WebError> {
    if !form.confirmed() && held(&state, &code).await? {
        let ask = Ask {
            action: "reoffer",
            question: format!("Offer {} again?", code.to_ascii_uppercase()),
            button: "Offer it again",
            fields: Vec::new(),
            signed_in: &signed_in,
        };
        return confirm(&state, &code, ask, async |desk, job| {
            desk.reoffer(job).await.map(drop)
        })
        .await;
    }
    act(&state, &signed_in, &code, async |desk, job| {
        desk.reoffer(job).await.map(|_| Done::Reoffered)
    })
    .await
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
}

/// `POST /requests/{code}/status`.
pub async fn set_status(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Posted {
        by: signed_in,
        form,
    }: Posted<Confirmable<StatusForm>>,
) -> Result<Response, WebError> {
    let (confirmed, form) = (form.confirmed(), form.form);
    // The form starts on "keep it as it is": sent untouched, it changes nothing.
    if form.status.trim().is_empty() {
        return Ok(back_to(&code, Done::Unchanged));
    }
    // A failed request needs a reason: the desk's refusals of this form are about that.
    let sent = Sent {
        field: "reason",
        typed: vec![
            ("status", form.status.clone()),
            ("reason", form.reason.clone()),
        ],
    };
    let to = match parse_status(&form.status) {
        Ok(to) => to,
        Err(e) => {
            let why = format!("status: {e}");
            return sent.again("status", why, &state, &signed_in, &code).await;
        }
    };
    let handled = set_status_to(&state, &signed_in, &code, to, confirmed, &form).await;
    sent.or_again(handled, &state, &signed_in, &code).await
}

/// Sets the status, once confirmed.
async fn set_status_to(
    state: &AppState,
    signed_in: &SignedIn,
    code: &str,
    to: DispatcherStatus,
    confirmed: bool,
    form: &StatusForm,
) -> Result<Response, WebError> {
    let reason = Some(form.reason.as_str());
    if !confirmed {
        let ask = Ask {
            action: "status",
            question: format!("Set {} to {to}?", code.to_ascii_uppercase()),
            button: "Set the status",
            fields: vec![
                ("status", form.status.clone()),
                ("reason", form.reason.clone()),
            ],
            signed_in,
        };
        return confirm(state, code, ask, async |desk, job| {
            desk.set_status(job, to, reason).await.map(drop)
        })
        .await;
    }
    act(state, signed_in, code, async |desk, job| {
        match desk.set_status(job, to, reason).await? {
            true => Ok(Done::Status),
            false => Ok(Done::Unchanged),
        }
    })
    .await
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    into: String,
}

/// `POST /requests/{code}/merge`: closes this request as a duplicate of `into`.
pub async fn merge(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Posted {
        by: signed_in,
        form,
    }: Posted<Confirmable<MergeForm>>,
) -> Result<Response, WebError> {
    let (confirmed, form) = (form.confirmed(), form.form);
    let handled = merge_into(&state, &signed_in, &code, confirmed, &form).await;
    let sent = Sent::one("into", &form.into);
    sent.or_again(handled, &state, &signed_in, &code).await
}

/// Closes the request as a duplicate, once confirmed.
async fn merge_into(
    state: &AppState,
    signed_in: &SignedIn,
    code: &str,
    confirmed: bool,
    form: &MergeForm,
) -> Result<Response, WebError> {
    if form.into.trim().is_empty() {
        return Err(WebError::Invalid(
            "duplicate of: give the code of the request to keep".into(),
        ));
    }
    if !confirmed {
        let ask = Ask {
            action: "merge",
            question: format!(
                "Close {} as a duplicate of {}?",
                code.to_ascii_uppercase(),
                form.into.trim().to_ascii_uppercase()
            ),
            button: "Close it as a duplicate",
            fields: vec![("into", form.into.clone())],
            signed_in,
        };
        return confirm(state, code, ask, async |desk, job| {
            desk.merge(job, &form.into).await.map(drop)
        })
        .await;
    }
    act(state, signed_in, code, async |desk, job| {
        desk.merge(job, &form.into).await.map(|_| Done::Merged)
    })
    .await
}

/// `POST /requests/{code}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Posted {
        by: signed_in,
        form,
    }: Posted<Confirmable<Button>>,
) -> Result<Response, WebError> {
    let ask = Ask {
        action: "cancel",
        question: format!("Cancel {}?", code.to_ascii_uppercase()),
        button: "Cancel the request",
        fields: Vec::new(),
        signed_in: &signed_in,
    };
    let change = async |desk: &mut Desk<'_>, job: &Request| desk.cancel(job).await;
    asked_first(
        &state,
        &code,
        form.confirmed(),
        ask,
        change,
        Done::Cancelled,
    )
    .await
}

/// A button that asks first, showing who would be texted what, and once confirmed makes
/// `change` and says it was `done`.
async fn asked_first(
    state: &AppState,
    code: &str,
    confirmed: bool,
    ask: Ask<'_>,
    change: impl AsyncFn(&mut Desk<'_>, &Request) -> Result<(), DeskError>,
    done: Done,
) -> Result<Response, WebError> {
    if !confirmed {
        return confirm(state, code, ask, async |desk, job| change(desk, job).await).await;
    }
    act(state, ask.signed_in, code, async |desk, job| {
        change(desk, job).await.map(|()| done)
    })
    .await
}

/// Who a dispatcher's text goes to.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum Recipient {
    Neighbour,
    Volunteer,
}

impl Recipient {
    /// The message's field on the page.
    fn field(self) -> &'static str {
        match self {
            Recipient::Neighbour => "to-neighbour",
            Recipient::Volunteer => "to-volunteer",
        }
    }
}

#[derive(Deserialize)]
pub struct TextForm {
    #[serde(default)]
    message: String,
}

/// `POST /requests/{code}/text/{neighbour|volunteer}`.
pub async fn text(
    State(state): State<AppState>,
    Path((code, to)): Path<(String, Recipient)>,
    Posted {
        by: signed_in,
        form,
    }: Posted<TextForm>,
) -> Result<Response, WebError> {
    let handled = async {
        let message = Message::parse(&form.message)?;
        act(&state, &signed_in, &code, async |desk, job| {
            match to {
                Recipient::Neighbour => desk.text_neighbour(job, &message).await,
                Recipient::Volunteer => desk.text_volunteer(job, &message).await,
            }
            .map(|()| Done::Texted)
        })
        .await
    };
    let sent = Sent::one(to.field(), &form.message);
    sent.or_again(handled.await, &state, &signed_in, &code)
        .await
}

/// `POST /requests/{code}/reveal`: the page, with the neighbour's full number, once the reveal
/// is recorded.
pub async fn reveal(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Posted { by: signed_in, .. }: Posted<Button>,
) -> Result<Response, WebError> {
    let (code, phone) = state
        .work_on(&actor(&signed_in), &code, async |desk, job| {
            desk.reveal(job).await
        })
        .await?;
    render(
        &state,
        &signed_in,
        &code,
        Some(phone),
        None,
        Refill::default(),
    )
    .await
}

/// `POST /requests/{code}/resume`: messages pass again on a relay a report paused.
pub async fn resume(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Posted {
        by: signed_in,
        form,
    }: Posted<Confirmable<Button>>,
) -> Result<Response, WebError> {
    let ask = Ask {
        action: "resume",
        question: format!("Let messages pass again on {}?", code.to_ascii_uppercase()),
        button: "Resume the messages",
        fields: Vec::new(),
        signed_in: &signed_in,
    };
    let change = async |desk: &mut Desk<'_>, job: &Request| desk.resume_relay(job).await;
    asked_first(&state, &code, form.confirmed(), ask, change, Done::Resumed).await
}

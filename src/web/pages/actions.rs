//! The forms on a request's page: assign, re-offer, set the status, merge a duplicate, cancel,
//! text the neighbour or the volunteer, reveal the number. Each form's CSRF token is checked by
//! [`Posted`]; each change is one transaction through `dispatch::desk` ([`AppState::work_on`]),
//! recorded on the request as `user:USERNAME`, and answered with a 303 back to the page (the
//! reveal answers with the page itself, since only that answer shows the number).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::confirm::{Ask, confirm};
use super::request::{Done, actor, render};
use crate::dispatch::desk::{Desk, DeskError, Message, parse_status};
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
    let volunteer: i64 = form
        .volunteer
        .trim()
        .parse()
        .map_err(|_| WebError::Invalid("volunteer: choose a volunteer from the list".into()))?;
    act(&state, &signed_in, &code, async |desk, job| {
        desk.assign(job, volunteer).await.map(|_| Done::Assigned)
    })
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
    let to = parse_status(&form.status).map_err(|e| WebError::Invalid(format!("status: {e}")))?;
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
            signed_in: &signed_in,
        };
        return confirm(&state, &code, ask, async |desk, job| {
            desk.set_status(job, to, reason).await.map(drop)
        })
        .await;
    }
    act(&state, &signed_in, &code, async |desk, job| {
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
            signed_in: &signed_in,
        };
        return confirm(&state, &code, ask, async |desk, job| {
            desk.merge(job, &form.into).await.map(drop)
        })
        .await;
    }
    act(&state, &signed_in, &code, async |desk, job| {
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
    if !form.confirmed() {
        let ask = Ask {
            action: "cancel",
            question: format!("Cancel {}?", code.to_ascii_uppercase()),
            button: "Cancel the request",
            fields: Vec::new(),
            signed_in: &signed_in,
        };
        return confirm(&state, &code, ask, async |desk, job| desk.cancel(job).await).await;
    }
    act(&state, &signed_in, &code, async |desk, job| {
        desk.cancel(job).await.map(|()| Done::Cancelled)
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
    let message = Message::parse(&form.message)?;
    act(&state, &signed_in, &code, async |desk, job| {
        match to {
            Recipient::Neighbour => desk.text_neighbour(job, &message).await,
            Recipient::Volunteer => desk.text_volunteer(job, &message).await,
        }
        .map(|()| Done::Texted)
    })
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
    render(&state, &signed_in, &code, Some(phone), None).await
}

//! The forms on a request's page: assign, re-offer, set the status, merge a duplicate, cancel,
//! text the neighbour or the volunteer, reveal the number. Each is one transaction through
//! `dispatch::desk`, recorded on the request as `user:USERNAME`, and answered with a 303 back to
//! the page (the reveal answers with the page itself, since only that answer shows the number).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::CsrfOnly;
use super::request::{Done, actor, render};
use crate::dispatch::desk::{Desk, DeskError, Message, parse_status};
use crate::store::requests::Request;
use crate::store::{StoreError, contacts, volunteers};
use crate::web::session::SignedIn;
use crate::web::{AppState, WebError};

/// Does `change` to the open request `code` in one transaction on behalf of `actor`, then wakes
/// the outbox for any texts it queued. Returns the request's code as stored, and what `change`
/// gave. The pages and the JSON API both act through here, each with its own error type.
pub(crate) async fn within<T, E: From<DeskError> + From<StoreError>>(
    state: &AppState,
    actor: &str,
    code: &str,
    change: impl AsyncFnOnce(&mut Desk<'_>, &Request) -> Result<T, DeskError>,
) -> Result<(String, T), E> {
    let mut tx = state.db.begin().await?;
    let mut desk = Desk {
        conn: &mut tx,
        settings: &state.settings.dispatch,
        actor,
        now: state.intake.now_ms(),
    };
    let found = desk.open(code).await?;
    // Like a text being handled, the change holds the people on the request first, so it and
    // their texts take turns rather than interleave (SQLite has one writer anyway).
    let mut people = vec![found.contact_id];
    if let Some(id) = found.volunteer_id {
        people.extend(
            volunteers::by_id(desk.conn, id)
                .await?
                .map(|v| v.contact_id),
        );
    }
    contacts::lock_many(desk.conn, state.db.backend(), &people).await?;
    // A text handled while we waited may have moved the request on.
    let job = desk.open(code).await?;
    let result = change(&mut desk, &job).await?;
    tx.commit().await.map_err(StoreError::from)?;
    state.intake.texts_queued();
    Ok((job.code, result))
}

/// [`within`], then back to the request's page, saying what was `done`.
async fn act(
    state: &AppState,
    signed_in: &SignedIn,
    code: &str,
    done: Done,
    change: impl AsyncFnOnce(&mut Desk<'_>, &Request) -> Result<(), DeskError>,
) -> Result<Response, WebError> {
    let (code, ()) = within::<_, WebError>(state, &actor(signed_in), code, change).await?;
    let to = format!("/requests/{code}?done={}", done.as_str());
    Ok(Redirect::to(&to).into_response())
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    volunteer: String,
}

/// `POST /requests/{code}/assign`.
pub async fn assign(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
    Form(form): Form<AssignForm>,
) -> Result<Response, WebError> {
    signed_in.check_csrf(&form.csrf)?;
    let volunteer: i64 = form
        .volunteer
        .trim()
        .parse()
        .map_err(|_| WebError::Invalid("volunteer: choose a volunteer from the list".into()))?;
    act(
        &state,
        &signed_in,
        &code,
        Done::Assigned,
        async |desk, job| desk.assign(job, volunteer).await.map(drop),
    )
    .await
}

/// `POST /requests/{code}/reoffer`.
pub async fn reoffer(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    signed_in.check_csrf(&form.csrf)?;
    act(
        &state,
        &signed_in,
        &code,
        Done::Reoffered,
        async |desk, job| desk.reoffer(job).await.map(drop),
    )
    .await
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
}

/// `POST /requests/{code}/status`.
pub async fn set_status(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Response, WebError> {
    signed_in.check_csrf(&form.csrf)?;
    let to = parse_status(&form.status).map_err(|e| WebError::Invalid(format!("status: {e}")))?;
    let reason = Some(form.reason.as_str());
    act(
        &state,
        &signed_in,
        &code,
        Done::Status,
        async |desk, job| desk.set_status(job, to, reason).await,
    )
    .await
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    into: String,
}

/// `POST /requests/{code}/merge`: closes this request as a duplicate of `into`.
pub async fn merge(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
    Form(form): Form<MergeForm>,
) -> Result<Response, WebError> {
    signed_in.check_csrf(&form.csrf)?;
    if form.into.trim().is_empty() {
        return Err(WebError::Invalid(
            "duplicate of: give the code of the request to keep".into(),
        ));
    }
    act(
        &state,
        &signed_in,
        &code,
        Done::Merged,
        async |desk, job| desk.merge(job, &form.into).await.map(drop),
    )
    .await
}

/// `POST /requests/{code}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    signed_in.check_csrf(&form.csrf)?;
    act(
        &state,
        &signed_in,
        &code,
        Done::Cancelled,
        async |desk, job| desk.cancel(job).await,
    )
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
    csrf: String,
    #[serde(default)]
    message: String,
}

/// `POST /requests/{code}/text/{neighbour|volunteer}`.
pub async fn text(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((code, to)): Path<(String, Recipient)>,
    Form(form): Form<TextForm>,
) -> Result<Response, WebError> {
    signed_in.check_csrf(&form.csrf)?;
    let message = Message::parse(&form.message)?;
    act(
        &state,
        &signed_in,
        &code,
        Done::Texted,
        async |desk, job| match to {
            Recipient::Neighbour => desk.text_neighbour(job, &message).await,
            Recipient::Volunteer => desk.text_volunteer(job, &message).await,
        },
    )
    .await
}

/// `POST /requests/{code}/reveal`: the page, with the neighbour's full number, once the reveal
/// is recorded.
pub async fn reveal(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    signed_in.check_csrf(&form.csrf)?;
    let (code, phone) =
        within::<_, WebError>(&state, &actor(&signed_in), &code, async |desk, job| {
            desk.reveal(job).await
        })
        .await?;
    render(&state, &signed_in, &code, Some(phone), None).await
}

//! `POST /requests/{code}/forget`: an admin forgets the neighbour behind a request, after a page
//! that says what goes and that it cannot be undone. Dispatchers do not see the button and are
//! refused the form.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::request::actor;
use super::{Who, page};
use crate::privacy::{self, Forgetting, Person};
use crate::store::erasure::Reason;
use crate::store::history;
use crate::web::session::{Admin, Posted};
use crate::web::{AppState, WebError};

#[derive(Deserialize)]
pub struct ForgetForm {
    /// `yes` once the confirmation page's button was pressed.
    #[serde(default)]
    confirmed: String,
}

#[derive(Template)]
#[template(path = "forget.html")]
struct ForgetPage {
    who: Option<Who>,
    csrf: String,
    code: String,
    /// Whether the request is open, and so cancelled by the forgetting.
    open: bool,
}

/// `POST /requests/{code}/forget`: the confirmation page, then, confirmed, the forgetting.
pub async fn forget(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Posted {
        by: Admin(signed_in),
        form,
    }: Posted<ForgetForm, Admin>,
) -> Result<Response, WebError> {
    let request = history::open_or_last(&mut *state.db.acquire().await?, &code)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("no request has the code {code}")))?;
    if form.confirmed != "yes" {
        return page(&ForgetPage {
            who: Some(Who::from(&signed_in)),
            csrf: signed_in.csrf.clone(),
            code: request.code,
            open: !request.closed,
        });
    }
    let by = Forgetting {
        actor: &actor(&signed_in),
        reason: Reason::Asked,
        now: state.clock.now_ms(),
    };
    let person = Person::Contact(request.contact_id);
    privacy::forget(&state.db, &state.settings.dispatch, person, by).await?;
    Ok(Redirect::to("/").into_response())
}

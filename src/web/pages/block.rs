//! "Block this number" on a request's page: after a confirmation page, the neighbour's number goes
//! on the block list (as a keyed hash, `safety::blocks`), recorded as done by the dispatcher from
//! this request, without the number. Unblocking takes the number itself, so it is done from the
//! command line.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::confirm::{Ask, asking};
use super::request::{Done, actor};
use crate::phone::Phone;
use crate::safety::blocks::{self, BlockError, ChangedBy};
use crate::store::blocks::{BlockChange, neighbour_of};
use crate::web::session::{Posted, SignedIn};
use crate::web::{AppState, WebError};

#[derive(Deserialize)]
pub struct BlockForm {
    /// `yes` once the confirmation page has been seen.
    #[serde(default)]
    confirmed: String,
}

/// `POST /requests/{code}/block`.
pub async fn block(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Posted {
        by: signed_in,
        form,
    }: Posted<BlockForm>,
) -> Result<Response, WebError> {
    let code = code.trim().to_ascii_uppercase();
    let mut conn = state.db.acquire().await?;
    let Some((request_id, phone)) = neighbour_of(&mut conn, &code).await? else {
        return Err(WebError::NotFound(format!("there is no request {code}")));
    };
    drop(conn);
    if form.confirmed != "yes" {
        return confirm(&signed_in, code);
    }
    let by = ChangedBy {
        actor: &actor(&signed_in),
        request_id: Some(request_id),
    };
    let phone = Phone::from_stored(phone);
    let now = state.clock.now_ms();
    let safety = &state.settings.safety;
    match blocks::change(&state.db, safety, BlockChange::Blocked, &phone, by, now).await {
        Ok(_) => {}
        Err(BlockError::NoKey) => return Err(WebError::Conflict(BlockError::NoKey.to_string())),
        Err(BlockError::Store(e)) => return Err(e.into()),
    }
    let to = format!("/requests/{code}?done={}", Done::Blocked.as_str());
    Ok(Redirect::to(&to).into_response())
}

/// The confirmation, on the page every other confirmation uses; blocking texts nobody.
fn confirm(signed_in: &SignedIn, code: String) -> Result<Response, WebError> {
    let ask = Ask {
        action: "block",
        question: format!(
            "Block the number that made {code}? The line will keep and answer nothing it sends, \
             and refuse its calls, until an admin unblocks it."
        ),
        button: "Block this number",
        fields: Vec::new(),
        signed_in,
    };
    asking(ask, code, Vec::new())
}

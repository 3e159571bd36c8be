//! `/admin/tokens`: admins make and revoke the JSON API's bearer tokens. A new token is shown once,
//! on the page that answers the form that made it; after that only its name and use are shown.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::{Refill, again};
use super::{Who, page};
use crate::local_time::LocalTime;
use crate::store::Conn;
use crate::store::tokens::{self as stored, ApiToken};
use crate::tokens::{self, TokenError};
use crate::web::session::{Admin, Button, Posted, SignedIn};
use crate::web::{AppState, WebError};

impl From<TokenError> for WebError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Name(_) | TokenError::Taken(_) => WebError::Invalid(e.to_string()),
            TokenError::NotInUse(_) => WebError::NotFound(e.to_string()),
            TokenError::Store(e) => WebError::Store(e),
        }
    }
}

struct Row {
    name: String,
    created_by: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

impl Row {
    fn new(t: ApiToken, zone: &LocalTime) -> Self {
        let time = |ms| zone.minute(ms);
        Row {
            name: t.name,
            created_by: t.created_by.unwrap_or_else(|| "the command line".into()),
            created: time(t.created_at),
            last_used: t.last_used_at.map_or_else(|| "never".into(), time),
            revoked: t.revoked_at.map(time),
        }
    }
}

/// A token just made: its name and the token itself.
struct Made {
    name: String,
    token: String,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    who: Option<Who>,
    csrf: String,
    made: Option<Made>,
    tokens: Vec<Row>,
    /// The new token's form, sent back with a mistake.
    refill: Refill,
}

async fn render(
    conn: &mut Conn,
    zone: &LocalTime,
    signed_in: &SignedIn,
    made: Option<Made>,
    refill: Refill,
) -> Result<Response, WebError> {
    page(&TokensPage {
        who: Some(Who::from(signed_in)),
        csrf: signed_in.csrf.clone(),
        made,
        refill,
        tokens: stored::all(conn)
            .await?
            .into_iter()
            .map(|t| Row::new(t, zone))
            .collect(),
    })
}

/// `GET /admin/tokens`.
pub async fn list(
    State(state): State<AppState>,
    Admin(signed_in): Admin,
) -> Result<Response, WebError> {
    let mut conn = state.db.acquire().await?;
    render(
        &mut conn,
        &state.settings.time_zone,
        &signed_in,
        None,
        Refill::default(),
    )
    .await
}

#[derive(Deserialize)]
pub struct NewTokenForm {
    #[serde(default)]
    name: String,
}

/// `POST /admin/tokens`: makes a token and shows it, this once.
pub async fn create(
    State(state): State<AppState>,
    Posted {
        by: Admin(signed_in),
        form,
    }: Posted<NewTokenForm, Admin>,
) -> Result<Response, WebError> {
    // Phones capitalise the first letter of a field; names are lower-case only.
    let name = form.name.trim().to_lowercase();
    let now = state.clock.now_ms();
    let mut conn = state.db.acquire().await?;
    let token = match tokens::add(&mut conn, &name, Some(signed_in.user.id), now).await {
        Ok(token) => token,
        Err(e @ (TokenError::Name(_) | TokenError::Taken(_))) => {
            let refill = Refill::typed([("name", form.name)]).wrong("name", e);
            let zone = &state.settings.time_zone;
            return again(render(&mut conn, zone, &signed_in, None, refill).await);
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(user = signed_in.user.id, token = %name, "api token made");
    render(
        &mut conn,
        &state.settings.time_zone,
        &signed_in,
        Some(Made { name, token }),
        Refill::default(),
    )
    .await
}

/// `POST /admin/tokens/{name}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Posted {
        by: Admin(signed_in),
        ..
    }: Posted<Button, Admin>,
) -> Result<Response, WebError> {
    let mut conn = state.db.acquire().await?;
    tokens::revoke(&mut conn, &name, state.clock.now_ms()).await?;
    tracing::info!(user = signed_in.user.id, token = %name, "api token revoked");
    Ok(Redirect::to("/admin/tokens").into_response())
}

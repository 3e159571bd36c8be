//! `/admin/users`: the accounts that may sign in, for admins, who add them and disable or enable
//! them here. Password hashes never leave the database.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::signin::CsrfOnly;
use super::{Who, page};
use crate::accounts::{self, MIN_PASSWORD_CHARS};
use crate::store::users::{self, User};
use crate::web::session::Admin;
use crate::web::{AppState, WebError};

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    who: Option<Who>,
    csrf: String,
    /// The admin looking, who has no button to disable themself.
    me: i64,
    users: Vec<User>,
    min_password: usize,
}

/// `GET /admin/users`.
pub async fn list(
    State(state): State<AppState>,
    Admin(signed_in): Admin,
) -> Result<Response, WebError> {
    let mut conn = state.db.acquire().await?;
    page(&UsersPage {
        who: Some(Who::from(&signed_in)),
        csrf: signed_in.csrf.clone(),
        me: signed_in.user.id,
        users: users::all(&mut conn).await?,
        min_password: MIN_PASSWORD_CHARS,
    })
}

#[derive(Deserialize)]
pub struct NewAccount {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// `POST /admin/users`: adds an account, held to the same rules as `aidline users add`.
pub async fn add(
    State(state): State<AppState>,
    Admin(signed_in): Admin,
    Form(form): Form<NewAccount>,
) -> Result<Response, WebError> {
    signed_in.check_csrf(&form.csrf)?;
    let username = form.username.trim();
    let now = state.intake.now_ms();
    let role = form.role.trim();
    let user = accounts::add(
        &state.db,
        username,
        &form.display_name,
        role,
        &form.password,
        now,
    )
    .await?;
    tracing::info!(by = signed_in.user.id, user = user.id, "account added");
    Ok(Redirect::to("/admin/users").into_response())
}

/// `POST /admin/users/{username}/disable`: the account can no longer sign in, and every browser
/// signed in to it is signed out now.
pub async fn disable(
    State(state): State<AppState>,
    Admin(signed_in): Admin,
    Path(username): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    signed_in.check_csrf(form.csrf())?;
    if username == signed_in.user.username {
        return Err(WebError::Invalid(
            "you cannot disable your own account; another admin can".into(),
        ));
    }
    let now = state.intake.now_ms();
    accounts::set_disabled(&state.db, &username, Some(now)).await?;
    tracing::info!(by = signed_in.user.id, "account disabled");
    Ok(Redirect::to("/admin/users").into_response())
}

/// `POST /admin/users/{username}/enable`.
pub async fn enable(
    State(state): State<AppState>,
    Admin(signed_in): Admin,
    Path(username): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    signed_in.check_csrf(form.csrf())?;
    accounts::set_disabled(&state.db, &username, None).await?;
    tracing::info!(by = signed_in.user.id, "account enabled");
    Ok(Redirect::to("/admin/users").into_response())
}

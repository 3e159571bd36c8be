//! `/admin/users`: the accounts that may sign in, for admins, who add them and disable or enable
//! them here. Password hashes never leave the database.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::{Refill, again};
use super::{Who, page};
use crate::accounts::{self, AccountError, MIN_PASSWORD_CHARS};
use crate::store::users::{self, User};
use crate::web::session::{Admin, Button, Posted, SignedIn};
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
    /// The new account's form, sent back with a mistake.
    refill: Refill,
}

async fn render(
    state: &AppState,
    signed_in: &SignedIn,
    refill: Refill,
) -> Result<Response, WebError> {
    let mut conn = state.db.acquire().await?;
    page(&UsersPage {
        who: Some(Who::from(signed_in)),
        csrf: signed_in.csrf.clone(),
        me: signed_in.user.id,
        users: users::all(&mut conn).await?,
        min_password: MIN_PASSWORD_CHARS,
        refill,
    })
}

/// `GET /admin/users`.
pub async fn list(
    State(state): State<AppState>,
    Admin(signed_in): Admin,
) -> Result<Response, WebError> {
    render(&state, &signed_in, Refill::default()).await
}

/// The field of the new account's form a refusal is about, if it is about one.
fn field_of(e: &AccountError) -> Option<&'static str> {
    match e {
        AccountError::Username(_) | AccountError::Taken(_) => Some("username"),
        AccountError::DisplayName => Some("display_name"),
        AccountError::Role(_) => Some("role"),
        AccountError::ShortPassword => Some("password"),
        AccountError::Unknown(_) | AccountError::Hash(_) | AccountError::Store(_) => None,
    }
}

#[derive(Deserialize)]
pub struct NewAccount {
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
    Posted {
        by: Admin(signed_in),
        form,
    }: Posted<NewAccount, Admin>,
) -> Result<Response, WebError> {
    let username = form.username.trim();
    let now = state.clock.now_ms();
    let role = form.role.trim();
    let added = accounts::add(
        &state.db,
        username,
        &form.display_name,
        role,
        &form.password,
        now,
    )
    .await;
    let user = match added {
        Ok(user) => user,
        Err(e) => {
            let Some(field) = field_of(&e) else {
                return Err(e.into());
            };
            let typed = [
                ("username", form.username),
                ("display_name", form.display_name),
                ("role", form.role),
            ];
            let refill = Refill::typed(typed).wrong(field, e);
            return again(render(&state, &signed_in, refill).await);
        }
    };
    tracing::info!(by = signed_in.user.id, user = user.id, "account added");
    Ok(Redirect::to("/admin/users").into_response())
}

/// What the button beside an account does.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Switch {
    /// The account can no longer sign in, and every browser signed in to it is signed out now.
    Disable,
    Enable,
}

/// `POST /admin/users/{username}/{disable|enable}`.
pub async fn switch(
    State(state): State<AppState>,
    Path((username, switch)): Path<(String, Switch)>,
    Posted {
        by: Admin(signed_in),
        ..
    }: Posted<Button, Admin>,
) -> Result<Response, WebError> {
    let disabled_at = match switch {
        Switch::Disable if username == signed_in.user.username => {
            return Err(WebError::Invalid(
                "you cannot disable your own account; another admin can".into(),
            ));
        }
        Switch::Disable => Some(state.clock.now_ms()),
        Switch::Enable => None,
    };
    accounts::set_disabled(&state.db, &username, disabled_at).await?;
    tracing::info!(
        by = signed_in.user.id,
        disabled = disabled_at.is_some(),
        "account switched"
    );
    Ok(Redirect::to("/admin/users").into_response())
}

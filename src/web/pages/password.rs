//! `/account/password`: every signed-in person changes their own password here. It takes the
//! current one, counted against the sign-in limits like a sign-in, so a browser left signed in
//! does not hand over the account; every other browser signed in to the account is signed out.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::{Refill, again};
use super::{Who, page};
use crate::accounts::{self, AccountError, MIN_PASSWORD_CHARS, password_matches};
use crate::store::users;
use crate::web::attempts::Attempt;
use crate::web::local::Peer;
use crate::web::session::{Posted, SignedIn};
use crate::web::{AppState, WebError};

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    who: Option<Who>,
    csrf: String,
    changed: bool,
    min_password: usize,
    /// What is wrong with the form just sent; nothing it held is shown again.
    refill: Refill,
}

fn render(signed_in: &SignedIn, changed: bool, refill: Refill) -> Result<Response, WebError> {
    page(&PasswordPage {
        who: Some(Who::from(signed_in)),
        csrf: signed_in.csrf.clone(),
        changed,
        min_password: MIN_PASSWORD_CHARS,
        refill,
    })
}

#[derive(Deserialize)]
pub struct Shown {
    #[serde(default)]
    changed: Option<String>,
}

/// `GET /account/password`.
pub async fn form(signed_in: SignedIn, Query(shown): Query<Shown>) -> Result<Response, WebError> {
    render(&signed_in, shown.changed.is_some(), Refill::default())
}

#[derive(Deserialize)]
pub struct NewPassword {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
}

/// `POST /account/password`.
pub async fn change(
    State(state): State<AppState>,
    Peer(peer): Peer,
    Posted {
        by: signed_in,
        form,
    }: Posted<NewPassword>,
) -> Result<Response, WebError> {
    let username = signed_in.user.username.clone();
    let now = state.clock.now_ms();
    let attempt = Attempt::new(&username, peer, now);
    attempt.check(&state.db).await?;
    let hash = {
        let mut conn = state.db.acquire().await?;
        users::for_sign_in(&mut conn, &username)
            .await?
            .map(|(_, hash)| hash)
            .ok_or(WebError::SignInFirst)?
    };
    // The database is not held while the password is hashed: SQLite has one connection.
    if !password_matches(form.current, hash).await? {
        attempt.failed(&state.db).await?;
        let wrong = "current password: that is not your current password";
        return again(render(
            &signed_in,
            false,
            Refill::default().wrong("current", wrong),
        ));
    }
    let changed =
        accounts::change_password(&state.db, signed_in.user.id, &form.new, signed_in.session())
            .await;
    if let Err(e @ AccountError::ShortPassword) = changed {
        return again(render(&signed_in, false, Refill::default().wrong("new", e)));
    }
    changed?;
    tracing::info!(user = signed_in.user.id, "password changed");
    Ok(Redirect::to("/account/password?changed").into_response())
}

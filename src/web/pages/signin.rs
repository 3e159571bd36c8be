//! `GET /signin`, `POST /signin` and `POST /signout`.
//!
//! The sign-in form is protected against cross-site posting by a double-submit token: `GET`
//! puts a random token both in a pre-session cookie and in the form, and `POST` accepts only a
//! form whose token matches the cookie. A page on another site can neither read that cookie nor
//! (SameSite=Strict) have the browser send it, so it cannot post a sign-in. Nothing is stored
//! for a visitor who has not signed in, and there is no server secret to configure or rotate;
//! once signed in, forms are checked against the session's own token instead.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

use super::form::Refill;
use super::{Who, page};
use crate::accounts::{DECOY_HASH, password_matches};
use crate::store::users::{self, NewSession};
use crate::web::attempts::Attempt;
use crate::web::local::Peer;
use crate::web::session::{
    Button, Posted, SESSION_COOKIE, SESSION_MS, random_token, same_token, session_id, site_cookie,
};
use crate::web::{AppState, WebError};

const SIGN_IN_COOKIE: &str = "aidline_signin";

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage<'a> {
    /// Always `None`: the shared header shows no one here.
    who: Option<Who>,
    csrf: &'a str,
    /// A refused sign-in: the username as typed, and why.
    refill: Refill,
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    /// The sign-in page's own token (the double-submit cookie's), not a session's.
    #[serde(default)]
    csrf: String,
}

/// `GET /signin`. A token already in the browser is kept, so two open sign-in tabs both work.
pub async fn form(State(state): State<AppState>, jar: CookieJar) -> Result<Response, WebError> {
    let token = match jar.get(SIGN_IN_COOKIE) {
        Some(c) if !c.value().is_empty() => c.value().to_string(),
        _ => random_token(),
    };
    let html = page(&SignInPage {
        who: None,
        csrf: &token,
        refill: Refill::default(),
    })?;
    let jar = jar.add(site_cookie(
        &state,
        SIGN_IN_COOKIE,
        token,
        "/signin",
        SameSite::Strict,
    ));
    Ok((jar, html).into_response())
}

/// `POST /signin`.
pub async fn sign_in(
    State(state): State<AppState>,
    Peer(peer): Peer,
    jar: CookieJar,
    Form(form): Form<SignInForm>,
) -> Result<Response, WebError> {
    let expected = jar.get(SIGN_IN_COOKIE).map(|c| c.value()).unwrap_or("");
    if !same_token(&form.csrf, expected) {
        return Err(WebError::Forbidden(
            "this sign-in form has expired; open the sign-in page again".into(),
        ));
    }
    // Phones capitalise the first letter of a field; usernames are lower-case only.
    let username = form.username.trim().to_lowercase();
    let now = state.clock.now_ms();
    let attempt = Attempt::new(&username, peer, now);
    attempt.check(&state.db).await?;
    let account = {
        let mut conn = state.db.acquire().await?;
        users::for_sign_in(&mut conn, &username).await?
    };
    let hash = account
        .as_ref()
        .map_or_else(|| DECOY_HASH.clone(), |(_, hash)| hash.clone());
    let matches = password_matches(form.password, hash).await?;
    let user = match account {
        Some((user, _)) if matches => user,
        _ => {
            attempt.failed(&state.db).await?;
            // Which of the two was wrong is not said: that would tell a guesser who has an
            // account. Answered 200, as a sign-in page is: nothing in the form was malformed.
            let refused = "That username and password do not match an account.";
            return page(&SignInPage {
                who: None,
                csrf: &form.csrf,
                refill: Refill::typed([("username", username)]).wrong("password", refused),
            });
        }
    };
    attempt.succeeded(&state.db).await?;
    let mut conn = state.db.acquire().await?;
    let token = random_token();
    let session = NewSession {
        id: &session_id(&token),
        user_id: user.id,
        csrf_token: &random_token(),
        expires_at: now + SESSION_MS,
    };
    users::start_session(&mut conn, &session, now).await?;
    tracing::info!(user = user.id, "signed in");
    let mut session_cookie = site_cookie(&state, SESSION_COOKIE, token, "/", SameSite::Lax);
    session_cookie.set_max_age(cookie::time::Duration::milliseconds(SESSION_MS));
    let jar = jar
        .remove(Cookie::build(SIGN_IN_COOKIE).path("/signin"))
        .add(session_cookie);
    Ok((jar, Redirect::to("/")).into_response())
}

/// `POST /signout`.
pub async fn sign_out(
    State(state): State<AppState>,
    jar: CookieJar,
    Posted { by: signed_in, .. }: Posted<Button>,
) -> Result<Response, WebError> {
    signed_in.end(&state).await?;
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/signin")).into_response())
}

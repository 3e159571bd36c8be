//! `GET /signin`, `POST /signin` and `POST /signout`.
//!
//! The sign-in form is protected against cross-site posting by a double-submit token: `GET`
//! puts a random token both in a pre-session cookie and in the form, and `POST` accepts only a
//! form whose token matches the cookie. A page on another site can neither read that cookie nor
//! (SameSite=Strict) have the browser send it, so it cannot post a sign-in. Nothing is stored
//! for a visitor who has not signed in, and there is no server secret to configure or rotate;
//! once signed in, forms are checked against the session's own token instead.

use std::net::IpAddr;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

use super::{CsrfOnly, Who, page};
use crate::accounts::{DECOY_HASH, check_username, password_matches};
use crate::store::Conn;
use crate::store::users::{self, NewSession};
use crate::web::local::Peer;
use crate::web::session::{
    SESSION_COOKIE, SESSION_MS, SignedIn, random_token, same_token, session_id, site_cookie,
};
use crate::web::{AppState, WebError};

const SIGN_IN_COOKIE: &str = "aidline_signin";
/// Failed sign-ins allowed per username within [`WINDOW_MS`]; the next is refused unchecked.
const MAX_FAILURES: i64 = 5;
/// Failed sign-ins allowed from one address within [`WINDOW_MS`], whatever the usernames: a few
/// people sharing an office's address can mistype, one guesser cannot try names one by one.
const MAX_FAILURES_PER_ADDRESS: i64 = 20;
const WINDOW_MS: i64 = 15 * 60 * 1000;

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage<'a> {
    /// Always `None`: the shared header shows no one here.
    who: Option<Who>,
    csrf: &'a str,
    username: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
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
        username: "",
        error: None,
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
    let now = state.intake.now_ms();
    let mut conn = state.db.acquire().await?;
    refuse_after_failures(&mut conn, &username, peer, now).await?;
    let account = users::for_sign_in(&mut conn, &username).await?;
    let hash = account
        .as_ref()
        .map_or_else(|| DECOY_HASH.clone(), |(_, hash)| hash.clone());
    let matches = password_matches(form.password, hash).await?;
    let user = match account {
        Some((user, _)) if matches => user,
        _ => {
            record_failure(&mut conn, &username, peer, now).await?;
            return page(&SignInPage {
                who: None,
                csrf: &form.csrf,
                username: &username,
                error: Some("That username and password do not match an account."),
            });
        }
    };
    users::clear_failures(&mut conn, &username).await?;
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

/// The key failures from an address are counted under; a username never has a colon in it.
fn address_key(peer: IpAddr) -> String {
    match peer {
        IpAddr::V4(v4) => format!("ip:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("ip:{v4}"),
            // One home or phone has a whole /64 to pick addresses from.
            None => {
                let s = v6.segments();
                format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Refuses, unchecked, a sign-in for a username or from an address that failed too often lately.
pub async fn refuse_after_failures(
    conn: &mut Conn,
    username: &str,
    peer: Option<IpAddr>,
    now: i64,
) -> Result<(), WebError> {
    let since = now - WINDOW_MS;
    if users::failures_since(conn, username, since).await? >= MAX_FAILURES {
        return Err(WebError::TooManyAttempts(
            "too many failed sign-ins for this username; wait 15 minutes and try again".into(),
        ));
    }
    if let Some(peer) = peer
        && users::failures_since(conn, &address_key(peer), since).await? >= MAX_FAILURES_PER_ADDRESS
    {
        return Err(WebError::TooManyAttempts(
            "too many failed sign-ins from this address; wait 15 minutes and try again".into(),
        ));
    }
    Ok(())
}

/// Counts a wrong password against the username and the address. Only a name that could be an
/// account's is counted as a username, so no one can type another address's key as a username.
pub async fn record_failure(
    conn: &mut Conn,
    username: &str,
    peer: Option<IpAddr>,
    now: i64,
) -> Result<(), WebError> {
    let address = peer.map(address_key);
    let keys: Vec<&str> = check_username(username)
        .ok()
        .map(|()| username)
        .into_iter()
        .chain(address.as_deref())
        .collect();
    users::record_failure(conn, &keys, now, now - WINDOW_MS).await?;
    Ok(())
}

/// `POST /signout`.
pub async fn sign_out(
    State(state): State<AppState>,
    signed_in: SignedIn,
    jar: CookieJar,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    signed_in.check_csrf(&form.csrf)?;
    signed_in.end(&state).await?;
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/signin")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_counted_as_one_client_whatever_it_picks_from_its_block() {
        let key = |a: &str| address_key(a.parse().unwrap());
        assert_eq!(key("203.0.113.7"), "ip:203.0.113.7");
        assert_eq!(key("::ffff:203.0.113.7"), "ip:203.0.113.7");
        assert_eq!(key("2001:db8:1:2::1"), "ip:2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:abcd::9"), key("2001:db8:1:2::1"));
        assert!(
            check_username(&key("203.0.113.7")).is_err(),
            "no username looks like one"
        );
    }
}

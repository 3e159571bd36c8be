//! Who is signed in to the dispatcher pages. The browser holds a random token in the
//! `aidline_session` cookie; the database holds only its SHA-256, with the session's CSRF token,
//! which every form must send back.

use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::{AppState, WebError};
pub use crate::accounts::{random_token, token_digest as session_id};
use crate::store::problems;
use crate::store::users::{self, User};

pub const SESSION_COOKIE: &str = "aidline_session";
/// How long a sign-in lasts: a long shift, not a week on a shared computer.
pub const SESSION_MS: i64 = 12 * 60 * 60 * 1000;

/// Whether a token sent with a form is the expected one, in time that does not depend on where
/// they differ.
pub fn same_token(sent: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(sent.as_bytes().ct_eq(expected.as_bytes()))
}

/// A cookie only this site's pages see, sent over https only when the service is served by https.
pub fn site_cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    path: &'static str,
    same_site: SameSite,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .secure(state.settings.public_url.scheme() == "https")
        .same_site(same_site)
        .path(path)
        .build()
}

/// A signed-in dispatcher or admin, for pages and the forms they post.
pub struct SignedIn {
    pub user: User,
    /// Goes into every form as the hidden `csrf` field.
    pub csrf: String,
    /// The service has a console line open to texts, so the pages offer its phone simulator.
    pub simulator: bool,
    /// Recent texts that did not reach their recipient and that nobody has dealt with yet: every
    /// page's navigation shows it, so it is read with the session, from a small index.
    pub problems: i64,
    session_id: String,
}

impl SignedIn {
    /// Refuses a form whose `csrf` field is not this session's: it may come from another site.
    pub fn check_csrf(&self, sent: &str) -> Result<(), WebError> {
        if same_token(sent, &self.csrf) {
            Ok(())
        } else {
            Err(WebError::Forbidden(
                "this form did not come from a page of this session; reload the page and try again"
                    .into(),
            ))
        }
    }

    /// This browser's session, which a password change keeps while it ends the others.
    pub fn session(&self) -> &str {
        &self.session_id
    }

    pub async fn end(self, state: &AppState) -> Result<(), WebError> {
        let mut conn = state.db.acquire().await?;
        users::end_session(&mut conn, &self.session_id).await?;
        Ok(())
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        SignedIn::from_headers(&parts.headers, state).await
    }
}

impl SignedIn {
    /// The session the request's cookie names, if it is still open.
    pub async fn from_headers(headers: &HeaderMap, state: &AppState) -> Result<Self, WebError> {
        let jar = CookieJar::from_headers(headers);
        let token = jar.get(SESSION_COOKIE).ok_or(WebError::SignInFirst)?;
        let session_id = session_id(token.value());
        let mut conn = state.db.acquire().await?;
        let now = state.clock.now_ms();
        let (user, csrf) = users::by_session(&mut conn, &session_id, now)
            .await?
            .ok_or(WebError::SignInFirst)?;
        let problems = problems::count_waiting(&mut conn, now).await?;
        Ok(SignedIn {
            user,
            csrf,
            simulator: state.settings.open_console_line().is_some(),
            problems,
            session_id,
        })
    }
}

/// A signed-in admin; a dispatcher is refused with 403.
pub struct Admin(pub SignedIn);

impl AsRef<SignedIn> for SignedIn {
    fn as_ref(&self) -> &SignedIn {
        self
    }
}

impl AsRef<SignedIn> for Admin {
    fn as_ref(&self) -> &SignedIn {
        &self.0
    }
}

/// A form posted from one of this session's pages, by `W` (a [`SignedIn`] person or an
/// [`Admin`]). Its `csrf` field is checked before any handler sees the form, so no handler can
/// forget to: a form without this session's token is refused (403) and changes nothing.
pub struct Posted<T, W = SignedIn> {
    pub by: W,
    pub form: T,
}

/// What a form carries: the session's token, and the fields `T` reads.
#[derive(Deserialize)]
struct WithToken<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: T,
}

/// A form with nothing in it but its token: a button.
#[derive(Deserialize)]
pub struct Button {}

impl<T, W> FromRequest<AppState> for Posted<T, W>
where
    T: DeserializeOwned + Send,
    W: FromRequestParts<AppState, Rejection = WebError> + AsRef<SignedIn> + Send,
{
    type Rejection = WebError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, WebError> {
        let (mut parts, body) = request.into_parts();
        let by = W::from_request_parts(&mut parts, state).await?;
        let request = Request::from_parts(parts, body);
        let Form(sent) = Form::<WithToken<T>>::from_request(request, state)
            .await
            .map_err(|e| WebError::Invalid(e.body_text()))?;
        by.as_ref().check_csrf(&sent.csrf)?;
        Ok(Posted {
            by,
            form: sent.form,
        })
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        if signed_in.user.is_admin() {
            Ok(Admin(signed_in))
        } else {
            Err(WebError::Forbidden("this page is for admins".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_never_sees_the_cookie_token() {
        let token = random_token();
        assert_eq!(token.len(), 43);
        let id = session_id(&token);
        assert_eq!(id.len(), 64);
        assert!(!id.contains(&token));
        assert_ne!(random_token(), token);
    }

    #[test]
    fn a_token_matches_only_itself_and_never_an_empty_one() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abd", "abc"));
        assert!(!same_token("", "abc"));
        assert!(!same_token("", ""));
    }
}

//! A failed page is a page: the status in words, the sentence the error carries, the site's
//! navigation, and a way back.
//!
//! The page routes, and only they, pass through [`as_page`], so a route is answered in HTML by
//! being listed among the pages in [`crate::web::router`]: gateways, the JSON API, `/metrics` and
//! the other programs' routes never see this layer and keep their plain answers, whatever their
//! `Accept` header says. The layer turns only responses a [`WebError`] made (they carry its
//! [`Sentence`]); a handler's own page with an error status, and the sign-in redirect, pass
//! through untouched.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::{Who, page};
use crate::web::error::Sentence;
use crate::web::session::SignedIn;
use crate::web::{AppState, WebError};

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    who: Option<Who>,
    heading: &'static str,
    sentence: String,
    /// The request the failed page or form was about, to go back to.
    request: Option<String>,
}

/// The status as a person would say it.
fn in_words(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::CONFLICT => "Already changed",
        StatusCode::BAD_REQUEST => "Not accepted",
        StatusCode::PAYLOAD_TOO_LARGE => "Too large",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        StatusCode::SERVICE_UNAVAILABLE => "Try again in a moment",
        _ => "Something went wrong",
    }
}

/// The request code in a path under `/requests/{code}`.
fn request_code(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/requests/")?;
    let code = rest.split('/').next()?;
    (!code.is_empty()).then_some(code)
}

/// The layer on the page routes: a [`WebError`]'s plain answer becomes its page, with the same
/// status.
pub async fn as_page(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let Some(Sentence(sentence)) = response.extensions().get::<Sentence>().cloned() else {
        return response;
    };
    let status = response.status();
    // Looked up again rather than handed on by the handler: most errors happen before or
    // without a handler's own sign-in check, and someone not signed in gets no navigation.
    let who = SignedIn::from_headers(&headers, &state)
        .await
        .ok()
        .map(|signed_in| Who::from(&signed_in));
    // A 404 under a request is almost always the request itself missing: no link back to it.
    let request = request_code(&path)
        .filter(|_| status != StatusCode::NOT_FOUND)
        .map(str::to_string);
    let shown = ErrorPage {
        who,
        heading: in_words(status),
        sentence,
        request,
    };
    match page(&shown) {
        Ok(mut html) => {
            *html.status_mut() = status;
            // A browser, or a script reading the desk, is told when to try again as a
            // provider is.
            if let Some(when) = response.headers().get(header::RETRY_AFTER) {
                html.headers_mut().insert(header::RETRY_AFTER, when.clone());
            }
            html
        }
        // The plain answer still says what happened.
        Err(_) => response,
    }
}

/// Any address no route answers: a mistyped or outdated link.
pub async fn no_such_page() -> WebError {
    WebError::NotFound("there is no page at this address".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_found_in_its_page_and_its_forms_only() {
        assert_eq!(request_code("/requests/K7Q"), Some("K7Q"));
        assert_eq!(request_code("/requests/K7Q/assign"), Some("K7Q"));
        assert_eq!(request_code("/requests/"), None);
        assert_eq!(request_code("/volunteers/3"), None);
    }
}

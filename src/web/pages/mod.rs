//! The dispatcher pages: server-rendered HTML from `templates/`, plain forms, no JavaScript.
//! Every page is for people signed in except the sign-in page itself.

pub mod queue;
pub mod signin;
pub mod users;

use std::sync::LazyLock;

use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::WebError;
use super::session::SignedIn;

const CSS: &str = include_str!("../../../assets/app.css");

/// The stylesheet's address carries a digest of its content, so browsers may keep it for a year
/// and still fetch the new one the moment an upgrade changes it.
pub fn css_href() -> &'static str {
    static HREF: LazyLock<String> = LazyLock::new(|| {
        let digest = hex::encode(Sha256::digest(CSS.as_bytes()));
        format!("/assets/app.css?v={}", &digest[..12])
    });
    &HREF
}

/// `GET /assets/app.css`.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        CSS,
    )
}

/// The signed-in person, as the page header shows them.
pub struct Who {
    pub name: String,
    /// For the sign-out form.
    pub csrf: String,
    pub admin: bool,
}

impl From<&SignedIn> for Who {
    fn from(signed_in: &SignedIn) -> Self {
        Who {
            name: signed_in.user.display_name.clone(),
            csrf: signed_in.csrf.clone(),
            admin: signed_in.user.is_admin(),
        }
    }
}

/// A rendered page. Pages show neighbours' names and needs, so no cache keeps them; they load
/// nothing from elsewhere and may not be framed by another site.
pub fn page(template: &impl Template) -> Result<Response, WebError> {
    let html = template.render()?;
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
            (header::REFERRER_POLICY, "same-origin"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        Html(html),
    )
        .into_response())
}

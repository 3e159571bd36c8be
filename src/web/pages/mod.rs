//! The dispatcher pages: server-rendered HTML from `templates/` and plain forms; one small script
//! keeps the queue live, and everything works without it.
//! Every page is for people signed in except the sign-in page itself.

pub mod actions;
pub mod audit;
pub mod block;
pub mod chart;
pub mod confirm;
pub mod error_page;
pub mod export;
pub mod forget;
pub mod form;
pub mod live;
pub mod password;
pub mod problems;
pub mod queue;
pub mod recordings;
pub mod request;
pub mod runsheet;
pub mod signin;
pub mod simulator;
pub mod stats;
pub mod tokens;
pub mod users;
pub mod volunteers;

use std::sync::LazyLock;

use askama::Template;
use axum::extract::Path;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::WebError;
use super::session::SignedIn;

/// A file the pages load, built into the binary.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../../assets/app.css"),
    },
    Asset {
        name: "live.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../../assets/live.js"),
    },
];

/// An asset's address carries a digest of its content, so browsers may keep it for a year and
/// still fetch the new one the moment an upgrade changes it.
pub fn asset_href(name: &str) -> &'static str {
    static HREFS: LazyLock<Vec<(&'static str, String)>> = LazyLock::new(|| {
        ASSETS
            .iter()
            .map(|a| {
                let digest = hex::encode(Sha256::digest(a.body.as_bytes()));
                (a.name, format!("/assets/{}?v={}", a.name, &digest[..12]))
            })
            .collect()
    });
    HREFS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, href)| href.as_str())
        .expect("templates name assets that exist")
}

/// `GET /assets/NAME`.
pub async fn asset(Path(name): Path<String>) -> Result<Response, WebError> {
    let asset = ASSETS
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| WebError::NotFound(format!("no asset `{name}`")))?;
    Ok((
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        asset.body,
    )
        .into_response())
}

/// The signed-in person, as the page header shows them.
pub struct Who {
    pub name: String,
    /// For the sign-out form.
    pub csrf: String,
    pub admin: bool,
    pub simulator: bool,
    /// Shown beside the problems link when there are any.
    pub problems: i64,
}

impl From<&SignedIn> for Who {
    fn from(signed_in: &SignedIn) -> Self {
        Who {
            name: signed_in.user.display_name.clone(),
            csrf: signed_in.csrf.clone(),
            admin: signed_in.user.is_admin(),
            simulator: signed_in.simulator,
            problems: signed_in.problems,
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
                "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
            (header::REFERRER_POLICY, "same-origin"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        Html(html),
    )
        .into_response())
}

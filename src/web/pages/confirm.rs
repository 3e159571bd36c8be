//! The step before a change that texts people or takes a job from a volunteer: a page that says
//! who will be texted and what, with one button to go ahead and a way back. It is a page of its
//! own, so it works without JavaScript.

use askama::Template;
use axum::response::Response;

use super::request::actor;
use super::{Who, page};
use crate::dispatch::desk::{self, Desk, DeskError};
use crate::store::requests::Request;
use crate::store::volunteers;
use crate::web::session::SignedIn;
use crate::web::{AppState, WebError};

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    who: Option<Who>,
    csrf: String,
    code: String,
    question: String,
    button: &'static str,
    /// Where the form goes back to: `cancel`, `status`...
    action: &'static str,
    /// What the form carried, sent again with the answer.
    fields: Vec<(&'static str, String)>,
    /// Who will be texted, and the text.
    texts: Vec<(String, String)>,
}

/// What a confirmation asks about one change.
pub struct Ask<'a> {
    pub action: &'static str,
    pub question: String,
    pub button: &'static str,
    pub fields: Vec<(&'static str, String)>,
    pub signed_in: &'a SignedIn,
}

/// The confirmation page for `change` to request `code`: the change is tried and undone, and the
/// texts it queued are shown.
pub async fn confirm(
    state: &AppState,
    code: &str,
    ask: Ask<'_>,
    change: impl AsyncFnOnce(&mut Desk<'_>, &Request) -> Result<(), DeskError>,
) -> Result<Response, WebError> {
    let now = state.clock.now_ms();
    let actor = actor(ask.signed_in);
    let settings = &state.settings.dispatch;
    let (request, queued) = desk::preview(&state.db, settings, &actor, now, code, change).await?;
    let mut conn = state.db.acquire().await?;
    let mut texts = Vec::with_capacity(queued.len());
    for (contact_id, body) in queued {
        let who = if contact_id == request.contact_id {
            let name = request.fields.get("name_to_use");
            format!(
                "The neighbour{}",
                name.map(|n| format!(" ({n})")).unwrap_or_default()
            )
        } else if let Some(v) = volunteers::by_contact(&mut conn, contact_id).await? {
            format!("{} (volunteer)", v.name_to_use)
        } else {
            "The dispatchers' phone".to_string()
        };
        texts.push((who, body));
    }
    asking(ask, request.code, texts)
}

/// The page that asks `ask` of request `code`, saying who would be texted what.
pub fn asking(
    ask: Ask<'_>,
    code: String,
    texts: Vec<(String, String)>,
) -> Result<Response, WebError> {
    page(&ConfirmPage {
        who: Some(Who::from(ask.signed_in)),
        csrf: ask.signed_in.csrf.clone(),
        code,
        question: ask.question,
        button: ask.button,
        action: ask.action,
        fields: ask.fields,
        texts,
    })
}

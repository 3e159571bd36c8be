//! `/simulator`: two phones texting the console line, one a neighbour's and one a volunteer's, so
//! the demo's whole loop can be tried in a browser. A text sent here takes exactly the path of
//! one posted to `/webhooks/console/sms`; each phone shows its conversation from the database,
//! so offers and relays that arrive later appear too (live, or on reload).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::request::MessageRow;
use super::{Who, page};
use crate::demo::{NEIGHBOUR_PHONE, VOLUNTEER_PHONE};
use crate::gateway::Params;
use crate::phone::{Phone, Region};
use crate::store::{contacts, history};
use crate::web::session::{Posted, SignedIn};
use crate::web::webhooks::text_console_line;
use crate::web::{AppState, WebError};

/// One of the two phones.
struct PhoneView {
    /// `neighbour` or `volunteer`: the form field holding its number, and its ids.
    role: &'static str,
    title: &'static str,
    number: String,
    /// The other phone's field and number, carried along so the page comes back with both.
    other_role: &'static str,
    other_number: String,
    messages: Vec<MessageRow>,
}

#[derive(Template)]
#[template(path = "simulator.html")]
struct SimulatorPage {
    who: Option<Who>,
    csrf: String,
    line: String,
    phones: Vec<PhoneView>,
}

/// Which numbers the phones have; empty or absent is the demo's own.
#[derive(Deserialize, Default)]
pub struct Numbers {
    #[serde(default)]
    neighbour: String,
    #[serde(default)]
    volunteer: String,
}

impl Numbers {
    fn parse(&self, region: Region) -> Result<(Phone, Phone), WebError> {
        let one = |raw: &str, default: &str, field: &str| {
            let raw = if raw.trim().is_empty() { default } else { raw };
            Phone::parse(raw, region)
                .map_err(|_| WebError::Invalid(format!("{field}'s number: not a phone number")))
        };
        Ok((
            one(&self.neighbour, NEIGHBOUR_PHONE, "neighbour")?,
            one(&self.volunteer, VOLUNTEER_PHONE, "volunteer")?,
        ))
    }
}

/// The simulator needs a console line open to texts; a service without one has no simulator.
fn console_line(state: &AppState) -> Result<String, WebError> {
    state
        .settings
        .open_console_line()
        .map(|line| line.number.as_str().to_string())
        .ok_or_else(|| {
            WebError::NotFound(
                "the phone simulator texts the demo's console line, and this service has none \
                 open to texts"
                    .into(),
            )
        })
}

/// `GET /simulator?neighbour=NUMBER&volunteer=NUMBER`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(numbers): Query<Numbers>,
) -> Result<Response, WebError> {
    let line = console_line(&state)?;
    let (neighbour, volunteer) = numbers.parse(state.settings.default_region)?;
    let mut conn = state.db.acquire().await?;
    let mut phones = Vec::new();
    for (role, title, number, other_role, other) in [
        (
            "neighbour",
            "Neighbour",
            &neighbour,
            "volunteer",
            &volunteer,
        ),
        (
            "volunteer",
            "Volunteer",
            &volunteer,
            "neighbour",
            &neighbour,
        ),
    ] {
        let messages = match contacts::id_of(&mut conn, number.as_str()).await? {
            Some(contact) => history::conversation(&mut conn, contact).await?,
            None => Vec::new(),
        };
        phones.push(PhoneView {
            role,
            title,
            number: number.as_str().to_string(),
            other_role,
            other_number: other.as_str().to_string(),
            messages: messages
                .into_iter()
                .map(|m| MessageRow::new(m, &state.settings.time_zone))
                .collect(),
        });
    }
    page(&SimulatorPage {
        who: Some(Who::from(&signed_in)),
        csrf: signed_in.csrf.clone(),
        line,
        phones,
    })
}

#[derive(Deserialize)]
pub struct Text {
    /// Which phone sends: `neighbour` or `volunteer`.
    #[serde(default)]
    from: String,
    #[serde(flatten)]
    numbers: Numbers,
    #[serde(default)]
    body: String,
}

/// `POST /simulator`: one phone texts the line; the page comes back showing both phones.
pub async fn send(
    State(state): State<AppState>,
    Posted { form: text, .. }: Posted<Text>,
) -> Result<Response, WebError> {
    console_line(&state)?;
    let (neighbour, volunteer) = text.numbers.parse(state.settings.default_region)?;
    let sender = match text.from.as_str() {
        "neighbour" => &neighbour,
        "volunteer" => &volunteer,
        _ => return Err(WebError::Invalid("from: say neighbour or volunteer".into())),
    };
    if text.body.trim().is_empty() {
        return Err(WebError::Invalid("text: write something to send".into()));
    }
    let params = Params(vec![
        ("from".to_string(), sender.as_str().to_string()),
        ("body".to_string(), text.body),
    ]);
    text_console_line(&state, &params).await?;
    let back: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("neighbour", neighbour.as_str())
        .append_pair("volunteer", volunteer.as_str())
        .finish();
    Ok(Redirect::to(&format!("/simulator?{back}")).into_response())
}

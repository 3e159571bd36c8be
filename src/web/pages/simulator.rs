//! `/simulator`: two phones texting the console line, one a neighbour's and one a volunteer's, so
//! the demo's whole loop can be tried in a browser; the neighbour's can call it too, with a keypad. A text sent here takes exactly the path of
//! one posted to `/webhooks/console/sms`; each phone shows its conversation from the database,
//! so offers and relays that arrive later appear too (live, or on reload).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::{Refill, again};
use super::request::MessageRow;
use super::{Who, page};
use crate::demo::{NEIGHBOUR_PHONE, VOLUNTEER_PHONE};
use crate::gateway::{Heard, Inbound, Params};
use crate::lifecycle::Channel;
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
    /// As typed when it is not a number; then the phone shows no texts.
    number: String,
    /// The other phone's field and number, carried along so the page comes back with both.
    other_role: &'static str,
    other_number: String,
    /// The call this phone is on: only the neighbour's phone calls.
    call: Option<String>,
    messages: Vec<MessageRow>,
}

impl PhoneView {
    /// The id of one of its fields: `number` or `body`.
    fn field(&self, part: &str) -> String {
        format!("{}-{part}", self.role)
    }
}

#[derive(Template)]
#[template(path = "simulator.html")]
struct SimulatorPage {
    who: Option<Who>,
    csrf: String,
    line: String,
    phones: Vec<PhoneView>,
    /// A text sent back with a mistake.
    refill: Refill,
    /// The keypad, row by row.
    keys: [&'static str; 12],
}

/// Which numbers the phones have; empty or absent is the demo's own.
#[derive(Deserialize, Default)]
pub struct Numbers {
    #[serde(default)]
    neighbour: String,
    #[serde(default)]
    volunteer: String,
    /// The call the neighbour's phone is on, if it is on one.
    #[serde(default)]
    call: String,
}

/// A number as a phone of the simulator has it: the demo's when none is typed.
fn number(raw: &str, default: &str, region: Region) -> Result<Phone, String> {
    let raw = if raw.trim().is_empty() { default } else { raw };
    Phone::parse(raw, region).map_err(|_| raw.to_string())
}

impl Numbers {
    fn parse(&self, region: Region) -> (Result<Phone, String>, Result<Phone, String>) {
        (
            number(&self.neighbour, NEIGHBOUR_PHONE, region),
            number(&self.volunteer, VOLUNTEER_PHONE, region),
        )
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
    render(&state, &signed_in, &numbers, Refill::default()).await
}

/// The page, each phone with its conversation; a number that is not one is said so beside it
/// (and answered 422).
async fn render(
    state: &AppState,
    signed_in: &SignedIn,
    numbers: &Numbers,
    mut refill: Refill,
) -> Result<Response, WebError> {
    let line = console_line(state)?;
    let (neighbour, volunteer) = numbers.parse(state.settings.default_region);
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
        let shown = |n: &Result<Phone, String>| match n {
            Ok(phone) => phone.as_str().to_string(),
            Err(typed) => typed.clone(),
        };
        let messages = match number {
            Ok(phone) => match contacts::id_of(&mut conn, phone.as_str()).await? {
                Some(contact) => history::conversation(&mut conn, contact).await?,
                None => Vec::new(),
            },
            Err(_) => {
                refill = refill.wrong(format!("{role}-number"), "not a phone number");
                Vec::new()
            }
        };
        phones.push(PhoneView {
            role,
            title,
            number: shown(number),
            other_role,
            other_number: shown(other),
            call: (role == "neighbour" && !numbers.call.is_empty()).then(|| numbers.call.clone()),
            messages: messages
                .into_iter()
                .map(|m| MessageRow::new(m, &state.settings.time_zone))
                .collect(),
        });
    }
    let wrong = !refill.problems().is_empty();
    let page = page(&SimulatorPage {
        who: Some(Who::from(signed_in)),
        csrf: signed_in.csrf.clone(),
        line,
        phones,
        refill,
        keys: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"],
    });
    if wrong { again(page) } else { page }
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

/// `POST /simulator`: one phone texts the line; the page comes back showing both phones, at the
/// one that sent.
pub async fn send(
    State(state): State<AppState>,
    Posted {
        by: signed_in,
        form: text,
    }: Posted<Text>,
) -> Result<Response, WebError> {
    console_line(&state)?;
    let (neighbour, volunteer) = text.numbers.parse(state.settings.default_region);
    let sender = match text.from.as_str() {
        "neighbour" => &neighbour,
        "volunteer" => &volunteer,
        _ => return Err(WebError::Invalid("from: say neighbour or volunteer".into())),
    };
    let blank = text.body.trim().is_empty();
    let (Ok(neighbour), Ok(volunteer), Ok(sender), false) = (&neighbour, &volunteer, sender, blank)
    else {
        // Both phones' numbers are checked again as the page is drawn.
        let mut refill = Refill::typed([(format!("{}-body", text.from), text.body.clone())]);
        if blank {
            refill = refill.wrong(
                format!("{}-body", text.from),
                "text: write something to send",
            );
        }
        return render(&state, &signed_in, &text.numbers, refill).await;
    };
    let params = Params(vec![
        ("from".to_string(), sender.as_str().to_string()),
        ("body".to_string(), text.body),
    ]);
    text_console_line(&state, &params).await?;
    let back: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("neighbour", neighbour.as_str())
        .append_pair("volunteer", volunteer.as_str())
        .finish();
    // The fragment brings the sender's phone into view, its newest text and its input with it.
    let to = format!("/simulator?{back}#{}-phone", text.from);
    Ok(Redirect::to(&to).into_response())
}

#[derive(Deserialize)]
pub struct CallTurn {
    #[serde(flatten)]
    numbers: Numbers,
    /// A key of the keypad.
    #[serde(default)]
    press: String,
    /// Words the caller says.
    #[serde(default)]
    say: String,
    /// `call` to dial, `hang_up` to end; else the keys or words are this turn.
    #[serde(default)]
    action: String,
}

/// `POST /simulator/call`: the neighbour's phone calls the line, a key or some words at a turn,
/// through the same intake a provider's call takes. What the line says shows in the phone's
/// conversation, marked spoken.
pub async fn call(
    State(state): State<AppState>,
    Posted {
        by: signed_in,
        form: turn,
    }: Posted<CallTurn>,
) -> Result<Response, WebError> {
    let line = Phone::from_stored(console_line(&state)?);
    let (neighbour, volunteer) = turn.numbers.parse(state.settings.default_region);
    let (Ok(neighbour), Ok(volunteer)) = (neighbour, volunteer) else {
        return render(&state, &signed_in, &turn.numbers, Refill::default()).await;
    };
    let mut call = turn.numbers.call.clone();
    let intake = &state.intake;
    let heard = match turn.action.as_str() {
        "hang_up" => {
            let over = Inbound {
                channel: Channel::CallEnded,
                gateway: "console",
                gateway_id: Some(format!("sim-{call}:ended")),
                line: line.clone(),
                from: neighbour.clone(),
                body: String::new(),
                media: Vec::new(),
            };
            intake.receive(over).await?;
            intake.texts_queued();
            None
        }
        "call" => {
            call = format!("{:016x}", rand::random::<u64>());
            Some(Heard::Nothing)
        }
        "silence" => Some(Heard::Nothing),
        _ if !turn.press.is_empty() => Some(Heard::Keys(turn.press.clone())),
        _ if !turn.say.trim().is_empty() => Some(Heard::Speech {
            text: turn.say.trim().to_string(),
            confidence: None,
        }),
        _ => Some(Heard::Nothing),
    };
    let on_call = match heard {
        Some(heard) if !call.is_empty() => {
            let key = format!("sim-{call}-{:016x}", rand::random::<u64>());
            let (_, listen) = intake.call_turn(&line, &neighbour, key, &heard).await?;
            listen.is_some()
        }
        _ => false,
    };
    let mut back = form_urlencoded::Serializer::new(String::new());
    back.append_pair("neighbour", neighbour.as_str())
        .append_pair("volunteer", volunteer.as_str());
    if on_call {
        back.append_pair("call", &call);
    }
    Ok(Redirect::to(&format!("/simulator?{}#neighbour-phone", back.finish())).into_response())
}

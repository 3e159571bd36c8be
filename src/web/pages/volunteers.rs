//! `/volunteers`: the roster, for every dispatcher to read and for admins to change: add, edit,
//! pause and resume, approve or decline a sign-up, import a CSV file. Every change goes through
//! `roster`, so a volunteer added here is held to the same rules as `aidline volunteers add`.
//! Numbers are only ever shown masked.

mod fields;
mod import;

use fields::{refused, stored};
pub use import::import;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::{Refill, again};
use super::queue::Choice;
use super::request::actor;
use super::{Who, page};
use crate::lifecycle::VolunteerStatus;
use crate::phone::{Phone, redact};
use crate::roster::{self, Rules, Written};
use crate::store::volunteers::{self, Volunteer};
use crate::web::session::{Admin, Button, Posted, SignedIn};
use crate::web::{AppState, WebError};

/// What the list can be narrowed to; `paused` is an active volunteer taking a break.
const STATES: [&str; 3] = ["active", "paused", "pending"];

fn state_of(v: &Volunteer) -> &'static str {
    match (v.status, v.paused) {
        (VolunteerStatus::Pending, _) => "pending",
        (_, true) => "paused",
        _ => "active",
    }
}

/// The running flows' zones: the ones a neighbour can answer with.
fn rules(state: &AppState) -> Rules {
    let region = state.settings.default_region;
    Rules::new(&state.intake.flows().current(), region)
}

/// One volunteer, ready to show.
struct Row {
    id: i64,
    name: String,
    phone: String,
    zones: String,
    languages: String,
    capabilities: String,
    availability: String,
    load: String,
    state: &'static str,
}

impl From<&Volunteer> for Row {
    fn from(v: &Volunteer) -> Self {
        Row {
            id: v.id,
            name: v.name_to_use.clone(),
            phone: redact(&v.phone),
            zones: v.zones.join(", "),
            languages: v.languages.join(", "),
            capabilities: v.capabilities.join(", "),
            availability: v.availability.clone(),
            load: format!("{} / {}", v.open_jobs, v.max_open_jobs),
            state: state_of(v),
        }
    }
}

/// The list's filters, as plain GET parameters; empty or unknown means "any".
#[derive(Deserialize, Default)]
pub struct Params {
    #[serde(default)]
    zone: String,
    #[serde(default)]
    status: String,
}

impl Params {
    /// A volunteer with no zones goes anywhere, as offers treat them.
    fn keeps(&self, v: &Volunteer) -> bool {
        let zone = self.zone.trim();
        let status = self.status.trim();
        (zone.is_empty() || v.zones.is_empty() || v.zones.iter().any(|z| z == zone))
            && (status.is_empty() || state_of(v) == status)
    }
}

#[derive(Template)]
#[template(path = "volunteers.html")]
struct VolunteersPage {
    who: Option<Who>,
    csrf: String,
    admin: bool,
    pending: Vec<Row>,
    rows: Vec<Row>,
    total: usize,
    choices: Vec<Choice>,
    filtered: bool,
    zones: String,
    /// The add or import form, sent back with a mistake.
    refill: Refill,
    /// What an import just did.
    imported: Option<String>,
    max_kb: usize,
}

/// The list page, with what an import did if one just ran.
async fn list_page(
    state: &AppState,
    signed_in: &SignedIn,
    params: &Params,
    refill: Refill,
    imported: Option<String>,
) -> Result<Response, WebError> {
    let mut conn = state.db.acquire().await?;
    let all = volunteers::all(&mut conn).await?;
    let zones = rules(state).zones;
    let pending = all
        .iter()
        .filter(|v| v.status == VolunteerStatus::Pending)
        .map(Row::from);
    let rows = all.iter().filter(|v| params.keeps(v)).map(Row::from);
    let states = STATES.map(str::to_string);
    let choices = vec![
        Choice::of("zone", "Zone", "Any zone", zones.clone(), &params.zone),
        Choice::of("status", "Status", "Any status", states, &params.status),
    ];
    page(&VolunteersPage {
        who: Some(Who::from(signed_in)),
        csrf: signed_in.csrf.clone(),
        admin: signed_in.user.is_admin(),
        pending: pending.collect(),
        rows: rows.collect(),
        total: all.len(),
        choices,
        filtered: !params.zone.trim().is_empty() || !params.status.trim().is_empty(),
        zones: zones.join(", "),
        refill,
        imported,
        max_kb: state.settings.max_body_bytes / 1024,
    })
}

/// `GET /volunteers`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    list_page(&state, &signed_in, &params, Refill::default(), None).await
}

#[derive(Deserialize)]
pub struct VolunteerForm {
    #[serde(flatten)]
    written: Written,
}

fn back_to_list() -> Response {
    Redirect::to("/volunteers").into_response()
}

/// `POST /volunteers`: adds a volunteer, or updates the one with this number.
pub async fn add(
    State(state): State<AppState>,
    Posted {
        by: Admin(signed_in),
        form,
    }: Posted<VolunteerForm, Admin>,
) -> Result<Response, WebError> {
    let checked = match roster::check(&form.written, &rules(&state)) {
        Ok(checked) => checked,
        Err(problems) => {
            let refill = refused(form.written, problems);
            let params = Params::default();
            return again(list_page(&state, &signed_in, &params, refill, None).await);
        }
    };
    let now = state.clock.now_ms();
    roster::save(&state.db, &[checked], VolunteerStatus::Active, now).await?;
    Ok(back_to_list())
}

/// A volunteer on the roster (removed ones are not).
async fn on_roster(state: &AppState, id: i64) -> Result<Volunteer, WebError> {
    let mut conn = state.db.acquire().await?;
    volunteers::by_id(&mut conn, id)
        .await?
        .filter(|v| v.status != VolunteerStatus::Removed)
        .ok_or_else(|| WebError::NotFound(format!("volunteer {id} is not on the roster")))
}

#[derive(Template)]
#[template(path = "volunteer.html")]
struct VolunteerPage {
    who: Option<Who>,
    csrf: String,
    volunteer: Row,
    refill: Refill,
    zones: String,
}

async fn edit_page(
    state: &AppState,
    signed_in: &SignedIn,
    v: &Volunteer,
    refill: Refill,
) -> Result<Response, WebError> {
    page(&VolunteerPage {
        who: Some(Who::from(signed_in)),
        csrf: signed_in.csrf.clone(),
        volunteer: Row::from(v),
        refill,
        zones: rules(state).zones.join(", "),
    })
}

/// `GET /volunteers/{id}`: the edit form.
pub async fn edit(
    State(state): State<AppState>,
    Admin(signed_in): Admin,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let v = on_roster(&state, id).await?;
    edit_page(&state, &signed_in, &v, stored(&v)).await
}

/// `POST /volunteers/{id}`: saves the edit form. The number and the status stay as they are.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted {
        by: Admin(signed_in),
        form,
    }: Posted<VolunteerForm, Admin>,
) -> Result<Response, WebError> {
    let v = on_roster(&state, id).await?;
    let phone = Phone::from_stored(v.phone.clone());
    let checked = match roster::check_details(&form.written, phone, &rules(&state)) {
        Ok(checked) => checked,
        Err(problems) => {
            let refill = refused(form.written, problems);
            return again(edit_page(&state, &signed_in, &v, refill).await);
        }
    };
    let now = state.clock.now_ms();
    roster::save(&state.db, &[checked], v.status, now).await?;
    Ok(back_to_list())
}

/// What the buttons beside a volunteer do.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// A sign-up may now get offers.
    Approve,
    /// Declines a sign-up, or takes a volunteer off the roster.
    Remove,
    /// As if they had texted PAUSE: no offers until they resume.
    Pause,
    Resume,
}

/// `POST /volunteers/{id}/{action}`.
pub async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, Action)>,
    Posted {
        by: Admin(signed_in),
        ..
    }: Posted<Button, Admin>,
) -> Result<Response, WebError> {
    let v = on_roster(&state, id).await?;
    let now = state.clock.now_ms();
    let by = actor(&signed_in);
    match action {
        Action::Approve => {
            roster::set_status(
                &state.db,
                state.settings.default_region,
                &state.settings.dispatch,
                &v.phone,
                VolunteerStatus::Active,
                &by,
                now,
            )
            .await?;
        }
        Action::Remove => {
            roster::set_status(
                &state.db,
                state.settings.default_region,
                &state.settings.dispatch,
                &v.phone,
                VolunteerStatus::Removed,
                &by,
                now,
            )
            .await?;
            // Jobs they held went back out: the texts saying so go now.
            state.intake.texts_queued();
        }
        Action::Pause | Action::Resume => {
            let paused = matches!(action, Action::Pause);
            let mut conn = state.db.acquire().await?;
            volunteers::set_paused(&mut conn, v.id, paused, now).await?;
        }
    }
    Ok(back_to_list())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volunteer(status: &str, paused: bool, zones: &[&str]) -> Volunteer {
        Volunteer {
            id: 1,
            contact_id: 1,
            phone: "+14155550100".into(),
            name_to_use: "Ana".into(),
            zones: zones.iter().map(|z| z.to_string()).collect(),
            languages: vec!["en".into()],
            capabilities: vec![],
            availability: String::new(),
            max_open_jobs: 2,
            status: status.parse().unwrap(),
            paused,
            open_jobs: 0,
        }
    }

    #[test]
    fn a_paused_volunteer_reads_as_paused_and_a_sign_up_as_pending_whatever_else() {
        assert_eq!(state_of(&volunteer("active", false, &[])), "active");
        assert_eq!(state_of(&volunteer("active", true, &[])), "paused");
        assert_eq!(state_of(&volunteer("pending", true, &[])), "pending");
    }

    #[test]
    fn filters_keep_volunteers_of_the_zone_and_state_asked_for() {
        let params = Params {
            zone: "northside".into(),
            status: "paused".into(),
        };
        assert!(params.keeps(&volunteer("active", true, &["northside", "downtown"])));
        assert!(!params.keeps(&volunteer("active", false, &["northside"])));
        assert!(!params.keeps(&volunteer("active", true, &["downtown"])));
        assert!(
            params.keeps(&volunteer("active", true, &[])),
            "goes anywhere"
        );
        assert!(Params::default().keeps(&volunteer("pending", false, &[])));
    }

    #[test]
    fn a_row_shows_the_number_masked() {
        let row = Row::from(&volunteer("active", false, &[]));
        assert_eq!(row.phone, "+1******0100");
        assert_eq!(row.load, "0 / 2");
    }
}

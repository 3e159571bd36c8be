//! `GET /runsheet`: a page to print before the power or the network goes, listing a day's
//! requests (`?day=YYYY-MM-DD`, today when not given) or what one volunteer is working on
//! (`?volunteer=ID`), each with blank lines to keep the record by hand. Like the CSV export it
//! holds what the request page shows and no phone number, and each request on it is recorded as
//! viewed. The forms to choose a sheet, and the CSV download, are on screen only.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use jiff::civil::Date;
use serde::Deserialize;

use super::export::{DEFAULT_DAYS, MAX_DAYS, answers};
use super::request::actor;
use super::{Who, page};
use crate::dispatch::SIGN_UP_QUEUE;
use crate::lifecycle::VolunteerStatus;
use crate::local_time::LocalTime;
use crate::store::sheets::{self, Selection, SheetRequest};
use crate::store::volunteers;
use crate::web::session::SignedIn;
use crate::web::{AppState, WebError};

/// The answers a sheet names on their own lines; the rest are listed under "Also".
const OWN_LINES: [&str; 5] = ["need", "name_to_use", "zone", "cross_streets", "when"];

/// A key as a label: `cross_streets` reads "Cross streets".
fn label(key: &str) -> String {
    let words = key.replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

struct Item {
    code: String,
    queue: String,
    status: String,
    name: String,
    need: String,
    /// The area and the cross streets, as the desk sees them.
    place: String,
    when: String,
    volunteer: String,
    created: String,
    also: Vec<(String, String)>,
}

impl Item {
    fn new(r: SheetRequest, zone: &LocalTime) -> Self {
        let mut answers = answers(&r.fields);
        let mut take = |key: &str| answers.remove(key).unwrap_or_default();
        let [need, name, area, cross_streets, when] = OWN_LINES.map(&mut take);
        let place = [area, cross_streets]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        Item {
            code: r.code,
            need: if need.is_empty() {
                r.queue.clone()
            } else {
                need
            },
            queue: r.queue,
            status: r.status.to_string(),
            name,
            place,
            when,
            volunteer: r.volunteer.unwrap_or_default(),
            created: zone.minute(r.created_at),
            also: answers.into_iter().map(|(k, v)| (label(&k), v)).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "runsheet.html")]
struct RunSheet {
    who: Option<Who>,
    title: String,
    /// What the sheet holds, in a sentence.
    scope: String,
    printed: String,
    items: Vec<Item>,
    day: String,
    /// Active volunteers for the form: (id, name, whether this is their sheet).
    volunteers: Vec<(i64, String, bool)>,
    default_days: i64,
    max_days: i64,
}

#[derive(Deserialize, Default)]
pub struct Params {
    #[serde(default)]
    day: String,
    #[serde(default)]
    volunteer: String,
}

/// A day in the group's zone, from its first millisecond to the next day's (not always 24 hours
/// apart: clocks change).
fn day_range(day: Date, zone: &LocalTime) -> Result<(i64, i64), WebError> {
    let next = day
        .tomorrow()
        .map_err(|e| WebError::Invalid(format!("day: {e}")))?;
    Ok((zone.start_of(day), zone.start_of(next)))
}

/// `GET /runsheet`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    let now = state.clock.now_ms();
    let zone = &state.settings.time_zone;
    let today = zone
        .date(now)
        .ok_or_else(|| WebError::Internal(format!("no date for {now}")))?;
    let mut conn = state.db.acquire().await?;
    let roster = volunteers::all(&mut conn).await?;
    let volunteer = match params.volunteer.trim() {
        "" => None,
        id => {
            let id: i64 = id
                .parse()
                .map_err(|_| WebError::Invalid("choose a volunteer from the list".into()))?;
            let v = roster.iter().find(|v| v.id == id).ok_or_else(|| {
                WebError::NotFound(format!("volunteer {id} is not on the roster"))
            })?;
            Some((id, v.name_to_use.clone()))
        }
    };
    let day: Date = match params.day.trim() {
        "" => today,
        day => day
            .parse()
            .map_err(|_| WebError::Invalid("the day must be written YYYY-MM-DD".into()))?,
    };
    let (selection, title, scope) = match &volunteer {
        Some((id, name)) => (
            Selection::HeldBy(*id),
            format!("Run sheet for {name}"),
            format!("The requests {name} is working on now."),
        ),
        None => {
            let (start, end) = day_range(day, zone)?;
            (
                Selection::OpenDuring { start, end },
                format!("Run sheet for {day}"),
                format!(
                    "Every request open at some time on {day} ({} time).",
                    zone.name()
                ),
            )
        }
    };
    let chosen = volunteer.map(|(id, _)| id);
    let detail = format!("on the printable run sheet ({title})");
    let who = actor(&signed_in);
    let items = sheets::read(&mut conn, selection, SIGN_UP_QUEUE, &who, &detail, now).await?;
    page(&RunSheet {
        who: Some(Who::from(&signed_in)),
        title,
        scope,
        printed: zone.minute(now),
        items: items.into_iter().map(|r| Item::new(r, zone)).collect(),
        day: day.to_string(),
        volunteers: roster
            .into_iter()
            .filter(|v| v.status == VolunteerStatus::Active)
            .map(|v| (v.id, v.name_to_use, chosen == Some(v.id)))
            .collect(),
        default_days: DEFAULT_DAYS,
        max_days: MAX_DAYS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_runs_from_its_midnight_to_the_next_in_the_groups_zone() {
        let chicago = LocalTime::parse("America/Chicago").unwrap();
        let (start, end) = day_range("2026-03-08".parse().unwrap(), &chicago).unwrap();
        let midnight: jiff::Timestamp = "2026-03-08T06:00:00Z".parse().unwrap();
        assert_eq!(start, midnight.as_millisecond());
        assert_eq!(
            end - start,
            23 * 60 * 60 * 1000,
            "the clocks went forward that night"
        );
        assert_eq!(label("cross_streets"), "Cross streets");
    }
}

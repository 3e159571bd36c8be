//! `GET /export/requests.csv`: the open requests and those closed in the last days, as a
//! spreadsheet, for a paper backup or a count the pages do not make. It holds what the request
//! page shows dispatchers (the answers, the area and cross streets, the volunteer's name) and
//! no phone number: numbers a neighbour typed into an answer are masked too. Each request in it
//! is recorded as viewed by whoever downloaded it.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::request::actor;
use crate::dispatch::SIGN_UP_QUEUE;
use crate::local_time::LocalTime;
use crate::phone::redact_numbers;
use crate::store::sheets::{self, Selection, SheetRequest};
use crate::web::session::SignedIn;
use crate::web::{AppState, WebError};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// A week of closed requests unless the form asks for more.
pub(super) const DEFAULT_DAYS: i64 = 7;
/// Beyond a season the export is an archive, which is the database's job.
pub(super) const MAX_DAYS: i64 = 90;

/// A neighbour's answers as the paper backups hold them: any run of digits long enough to be a
/// phone number is masked, so a number typed into a note does not leave the service.
pub(super) fn answers(fields: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    fields
        .iter()
        .map(|(key, value)| (key.clone(), redact_numbers(value)))
        .collect()
}

/// A cell a spreadsheet will not run: neighbours type these values, and one starting with `=`,
/// `+`, `-` or `@` (or a tab or carriage return ahead of one) would be read as a formula.
pub(super) fn cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

/// The columns every export has, before the answers; the answers a column of their own each
/// (zone and name to use are among these, so they are not repeated).
const COLUMNS: [&str; 11] = [
    "code",
    "queue",
    "status",
    "priority",
    "zone",
    "name_to_use",
    "created",
    "updated",
    "closed",
    "volunteer",
    "failure_reason",
];

/// The whole file: a header, then a row per request with its answers under their keys, times in
/// the group's zone.
fn write_csv(requests: &[SheetRequest], zone: &LocalTime) -> Result<Vec<u8>, csv::Error> {
    let time = |ms: i64| zone.minute(ms);
    let keys: BTreeSet<&str> = requests
        .iter()
        .flat_map(|r| r.fields.keys().map(String::as_str))
        .filter(|key| !COLUMNS.contains(key))
        .collect();
    // The byte-order mark makes Excel read the names with accents as they were written.
    let mut csv = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    csv.write_record(COLUMNS.iter().chain(&keys))?;
    for r in requests {
        let answers = answers(&r.fields);
        let answer = |key: &str| answers.get(key).cloned().unwrap_or_default();
        let fixed = [
            r.code.clone(),
            r.queue.clone(),
            r.status.to_string(),
            r.priority.to_string(),
            answer("zone"),
            answer("name_to_use"),
            time(r.created_at),
            time(r.updated_at),
            r.closed_at.map(time).unwrap_or_default(),
            r.volunteer.clone().unwrap_or_default(),
            r.failure_reason
                .as_deref()
                .map(redact_numbers)
                .unwrap_or_default(),
        ];
        let rest = keys.iter().map(|key| answer(key));
        csv.write_record(fixed.into_iter().chain(rest).map(|v| cell(&v)))?;
    }
    csv.into_inner().map_err(|e| e.into_error().into())
}

#[derive(Deserialize, Default)]
pub struct Params {
    /// How many days back closed requests go; open ones are always in.
    #[serde(default)]
    days: String,
}

impl Params {
    fn days(&self) -> Result<i64, WebError> {
        let days = self.days.trim();
        if days.is_empty() {
            return Ok(DEFAULT_DAYS);
        }
        days.parse()
            .ok()
            .filter(|d| (0..=MAX_DAYS).contains(d))
            .ok_or_else(|| {
                WebError::Invalid(format!("days must be a whole number from 0 to {MAX_DAYS}"))
            })
    }
}

/// `GET /export/requests.csv?days=N`.
pub async fn requests_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    let days = params.days()?;
    let now = state.clock.now_ms();
    let selection = Selection::OpenOrClosedSince(now - days * DAY_MS);
    let mut conn = state.db.acquire().await?;
    let detail = format!("in the CSV export (closed in the last {days} days included)");
    let who = actor(&signed_in);
    let requests = sheets::read(&mut conn, selection, SIGN_UP_QUEUE, &who, &detail, now).await?;
    let zone = &state.settings.time_zone;
    let body = write_csv(&requests, zone).map_err(|e| WebError::Internal(format!("CSV: {e}")))?;
    let date = zone.format(now, "%Y-%m-%d");
    Ok(attachment(&format!("requests-{date}.csv"), body))
}

/// A CSV file as a download named `name`.
pub(super) fn attachment(name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            // Neighbours' names and needs, or who read them: no cache keeps them.
            (header::CACHE_CONTROL, "no-store".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_that_would_be_a_formula_is_read_as_text() {
        for formula in ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\t=1"] {
            assert_eq!(cell(formula), format!("'{formula}"));
        }
        for plain in ["bread, milk", "Oak and 3rd", "", "K42"] {
            assert_eq!(cell(plain), plain);
        }
    }
}

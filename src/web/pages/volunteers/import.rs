//! `POST /volunteers/import`: a roster saved as CSV, uploaded from the volunteers page. It is read
//! by the same code as `aidline volunteers import`, with the same rule: every row, or none.

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartError};
use axum::http::StatusCode;
use axum::response::Response;

use super::{Params, Report, list_page, rules};
use crate::lifecycle::VolunteerStatus;
use crate::roster::{self, RosterError, Saved, counted};
use crate::web::session::Admin;
use crate::web::{AppState, WebError};

/// The form's fields; the file is held in memory, which the body limit keeps small.
#[derive(Default)]
struct Upload {
    csrf: String,
    file: Vec<u8>,
}

fn unreadable(e: MultipartError, limit: usize) -> WebError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        WebError::TooLarge(format!(
            "the file is too large: the limit is {} KB; split the roster into smaller files",
            limit / 1024
        ))
    } else {
        WebError::Invalid(format!("the upload could not be read: {}", e.body_text()))
    }
}

async fn read(multipart: &mut Multipart, limit: usize) -> Result<Upload, WebError> {
    let mut upload = Upload::default();
    let fail = |e| unreadable(e, limit);
    while let Some(field) = multipart.next_field().await.map_err(fail)? {
        match field.name() {
            Some("csrf") => upload.csrf = field.text().await.map_err(fail)?,
            Some("file") => upload.file = field.bytes().await.map_err(fail)?.to_vec(),
            _ => {}
        }
    }
    Ok(upload)
}

fn imported(saved: Saved) -> Report {
    let total = counted(saved.added + saved.updated, "volunteer");
    Report {
        ok: true,
        summary: format!(
            "Imported {total}: {} added, {} updated.",
            saved.added, saved.updated
        ),
        rows: Vec::new(),
    }
}

fn refused(summary: String, rows: Vec<String>) -> Report {
    Report {
        ok: false,
        summary: format!("Nothing was imported: {summary}."),
        rows,
    }
}

/// Shows the list with what the import did; 400 when nothing was imported.
pub async fn import(
    State(state): State<AppState>,
    Admin(signed_in): Admin,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let upload = read(&mut multipart, state.settings.max_body_bytes).await?;
    signed_in.check_csrf(&upload.csrf)?;
    if upload.file.is_empty() {
        return Err(WebError::Invalid(
            "file: choose a CSV file to import".into(),
        ));
    }
    let report = match roster::read(upload.file.as_slice(), &rules(&state)) {
        Ok(checked) => {
            let now = state.clock.now_ms();
            imported(roster::save(&state.db, &checked, VolunteerStatus::Active, now).await?)
        }
        Err(RosterError::BadRows { rows, total }) => refused(
            format!("{} of {total}", counted(rows.len(), "bad row")),
            rows.iter().map(ToString::to_string).collect(),
        ),
        Err(RosterError::Store(e)) => return Err(e.into()),
        Err(other) => refused(other.to_string(), Vec::new()),
    };
    let status = if report.ok {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut response = list_page(&state, &signed_in, &Params::default(), Some(report)).await?;
    *response.status_mut() = status;
    Ok(response)
}

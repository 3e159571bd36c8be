//! `POST /volunteers/import`: a roster saved as CSV, uploaded from the volunteers page. It is read
//! by the same code as `aidline volunteers import`, with the same rule: every row, or none.

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartError};
use axum::http::StatusCode;
use axum::response::Response;

use super::{Params, list_page, rules};
use crate::lifecycle::VolunteerStatus;
use crate::roster::{self, RosterError, Saved, counted};
use crate::web::pages::form::{Refill, again};
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

/// The file field on the page.
const FILE: &str = "v-file";

fn imported(saved: Saved) -> String {
    let total = counted(saved.added + saved.updated, "volunteer");
    format!(
        "Imported {total}: {} added, {} updated.",
        saved.added, saved.updated
    )
}

/// Why nothing was imported, and then each bad row ("row N: column: what is wrong"), all said of
/// the file.
fn refused(summary: String, rows: Vec<String>) -> Refill {
    let refill = Refill::default().wrong(FILE, format!("Nothing was imported: {summary}."));
    rows.into_iter()
        .fold(refill, |refill, row| refill.wrong(FILE, row))
}

/// Shows the list with what the import did, or with why nothing was imported (422).
pub async fn import(
    State(state): State<AppState>,
    Admin(signed_in): Admin,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let upload = read(&mut multipart, state.settings.max_body_bytes).await?;
    signed_in.check_csrf(&upload.csrf)?;
    let params = Params::default();
    match save(&state, &upload.file).await? {
        Ok(imported) => {
            list_page(
                &state,
                &signed_in,
                &params,
                Refill::default(),
                Some(imported),
            )
            .await
        }
        Err(refill) => again(list_page(&state, &signed_in, &params, refill, None).await),
    }
}

/// Saves every row of the file: what was imported, or why nothing was.
async fn save(state: &AppState, file: &[u8]) -> Result<Result<String, Refill>, WebError> {
    if file.is_empty() {
        let choose = "file: choose a CSV file to import";
        return Ok(Err(Refill::default().wrong(FILE, choose)));
    }
    let refusal = match roster::read(file, &rules(state)) {
        Ok(checked) => {
            let now = state.clock.now_ms();
            let saved = roster::save(&state.db, &checked, VolunteerStatus::Active, now).await?;
            return Ok(Ok(imported(saved)));
        }
        Err(RosterError::BadRows { rows, total }) => refused(
            format!("{} of {total}", counted(rows.len(), "bad row")),
            rows.iter().map(ToString::to_string).collect(),
        ),
        Err(RosterError::Store(e)) => return Err(e.into()),
        Err(other) => refused(other.to_string(), Vec::new()),
    };
    Ok(Err(refusal))
}

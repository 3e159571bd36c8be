//! The add and edit forms' fields, by the roster's columns: filled in from a volunteer as they
//! stand, or as a form was sent when the roster refused it.

use crate::roster::{Problems, Written};
use crate::store::volunteers::Volunteer;
use crate::web::pages::form::Refill;

/// The id the add and edit forms give a roster column's field.
fn field(column: &str) -> String {
    format!("v-{}", column.replace('_', "-"))
}

/// A volunteer's details as they stand, for the edit form.
pub(super) fn stored(v: &Volunteer) -> Refill {
    Refill::typed([
        (field("name"), v.name_to_use.clone()),
        (field("zones"), v.zones.join(", ")),
        (field("languages"), v.languages.join(", ")),
        (field("capabilities"), v.capabilities.join(", ")),
        (field("availability"), v.availability.clone()),
        (field("max_open_jobs"), v.max_open_jobs.to_string()),
    ])
}

/// The add or edit form as it was sent, with each of its problems beside its field.
pub(super) fn refused(written: Written, problems: Problems) -> Refill {
    let cell = Option::unwrap_or_default;
    let typed = Refill::typed([
        (field("phone"), written.phone),
        (field("name"), written.name),
        (field("zones"), cell(written.zones)),
        (field("languages"), cell(written.languages)),
        (field("capabilities"), cell(written.capabilities)),
        (field("availability"), cell(written.availability)),
        (field("max_open_jobs"), cell(written.max_open_jobs)),
    ]);
    problems.0.into_iter().fold(typed, |refill, problem| {
        // A problem with the whole volunteer is shown at the top of the form.
        let at = field(problem.column.unwrap_or("name"));
        refill.wrong(at, problem)
    })
}

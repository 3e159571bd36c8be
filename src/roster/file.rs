//! Reading a roster saved as CSV, from a file on disk or from the bytes of an upload.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::Path;

use super::{BadRow, COLUMNS, Checked, Problem, Problems, RosterError, Rules, Written, check};
use crate::phone::Phone;

/// Reads and checks every row of the CSV file at `path`.
pub fn read_file(path: &Path, rules: &Rules) -> Result<Vec<Checked>, RosterError> {
    let file = std::fs::File::open(path).map_err(|source| RosterError::Unopenable {
        path: path.to_path_buf(),
        source,
    })?;
    read(file, rules)
}

/// Checks every row of a CSV file's content (a file on disk, or one uploaded on the volunteers
/// page), so one pass reports all of its mistakes; the volunteers come back only when there are
/// none.
pub fn read(input: impl std::io::Read, rules: &Rules) -> Result<Vec<Checked>, RosterError> {
    // Rows of any length are let through so that a misplaced comma is reported with its row.
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let columns = columns(csv.headers()?)?;
    let mut good = Vec::new();
    let mut bad = Vec::new();
    let mut row_of: HashMap<Phone, usize> = HashMap::new();
    let mut total = 0;
    for (i, record) in csv.records().enumerate() {
        let record = record?;
        // A spreadsheet saves the empty rows below its data as lines of commas.
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        total += 1;
        let row = i + 2;
        let checked = written(&record, &columns)
            .map_err(Problems::from)
            .and_then(|w| check(&w, rules));
        match checked {
            Ok(v) => match row_of.entry(v.phone.clone()) {
                Entry::Occupied(first) => {
                    let message = format!("the same number is already on row {}", first.get());
                    let problems = Problem::in_column("phone", message).into();
                    bad.push(BadRow { row, problems });
                }
                Entry::Vacant(slot) => {
                    slot.insert(row);
                    good.push(v);
                }
            },
            Err(problems) => bad.push(BadRow { row, problems }),
        }
    }
    match (bad.is_empty(), total) {
        (true, 0) => Err(RosterError::Empty),
        (true, _) => Ok(good),
        (false, _) => Err(RosterError::BadRows { rows: bad, total }),
    }
}

/// Which of [`COLUMNS`] each header cell is.
fn columns(headers: &csv::StringRecord) -> Result<Vec<usize>, RosterError> {
    let mut out: Vec<usize> = Vec::new();
    for header in headers {
        let header = header.trim();
        let Some(i) = COLUMNS.iter().position(|c| c.eq_ignore_ascii_case(header)) else {
            return Err(RosterError::UnknownColumn(header.to_string()));
        };
        if out.contains(&i) {
            return Err(RosterError::RepeatedColumn(header.to_string()));
        }
        out.push(i);
    }
    for required in ["phone", "name"] {
        if !out.iter().any(|&i| COLUMNS[i] == required) {
            return Err(RosterError::MissingColumn(required));
        }
    }
    Ok(out)
}

fn written(record: &csv::StringRecord, columns: &[usize]) -> Result<Written, Problem> {
    if record.len() > columns.len() {
        return Err(Problem {
            column: None,
            message: format!(
                "has {} cells but the header has {}; put quotes around a cell with a comma in it",
                record.len(),
                columns.len()
            ),
        });
    }
    let mut w = Written::default();
    for (cell, &column) in record.iter().zip(columns) {
        let cell = cell.to_string();
        match COLUMNS[column] {
            "phone" => w.phone = cell,
            "name" => w.name = cell,
            "zones" => w.zones = Some(cell),
            "languages" => w.languages = Some(cell),
            "capabilities" => w.capabilities = Some(cell),
            "availability" => w.availability = Some(cell),
            _ => w.max_open_jobs = Some(cell),
        }
    }
    Ok(w)
}

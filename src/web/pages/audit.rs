//! `/audit` and `/audit.csv`, for admins: who opened, took away, revealed or played what and when,
//! and each forgetting, newest first, a page at a time. Rows carry request codes, account names
//! and times only, never a number nor anything a neighbour said.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::export::{attachment, cell};
use super::queue::page_number;
use super::{Who, page};
use crate::local_time::LocalTime;
use crate::store::audit::{self, AuditFilter, AuditKind, AuditRow};
use crate::store::users::{self, User};
use crate::web::session::Admin;
use crate::web::{AppState, WebError};

/// Rows a page shows.
const PAGE_ROWS: i64 = 100;

#[derive(Deserialize, Default)]
pub struct Params {
    /// A username; empty for everyone.
    #[serde(default)]
    account: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    page: String,
}

impl Params {
    fn filter(&self) -> AuditFilter {
        let account = self.account.trim();
        AuditFilter {
            actor: (!account.is_empty()).then(|| format!("user:{account}")),
            kind: self.kind.trim().parse().ok(),
        }
    }

    /// The address of page `page` of these rows (or of their CSV file, with `page` 0).
    fn href(&self, path: &str, page: usize) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [("account", &self.account), ("kind", &self.kind)] {
            if !value.trim().is_empty() {
                query.append_pair(name, value.trim());
            }
        }
        if page > 1 {
            query.append_pair("page", &page.to_string());
        }
        match query.finish() {
            q if q.is_empty() => path.to_string(),
            q => format!("{path}?{q}"),
        }
    }
}

/// Who acted, as people know them: an account's name, a token, or the service itself.
fn who(actor: &str, names: &HashMap<&str, &str>) -> String {
    match actor.split_once(':') {
        Some(("user", username)) => match names.get(username) {
            Some(name) => format!("{name} ({username})"),
            None => username.to_string(),
        },
        Some(("token", token)) => format!("API token {token}"),
        _ => match actor {
            "cli" => "the command line".into(),
            "retention" => "the purge of quiet numbers".into(),
            "neighbour" => "the person themselves".into(),
            other => other.into(),
        },
    }
}

/// A row as the page and the CSV show it.
struct Line {
    when: String,
    who: String,
    what: &'static str,
    code: String,
    detail: String,
}

impl Line {
    fn new(row: AuditRow, names: &HashMap<&str, &str>, zone: &LocalTime) -> Line {
        let detail = match (row.kind, row.detail.as_deref()) {
            (AuditKind::Forgot, Some("asked")) => "asked to be forgotten".into(),
            (AuditKind::Forgot, Some("asked_by_text")) => "asked to be forgotten, by text".into(),
            (AuditKind::Forgot, Some("retention")) => "quiet for longer than kept".into(),
            (_, detail) => detail.unwrap_or_default().to_string(),
        };
        Line {
            when: zone.minute(row.at),
            who: who(&row.actor, names),
            what: row.kind.words(),
            code: row.code.unwrap_or_default(),
            detail,
        }
    }
}

fn lines(rows: Vec<AuditRow>, accounts: &[User], zone: &LocalTime) -> Vec<Line> {
    let names: HashMap<&str, &str> = accounts
        .iter()
        .map(|u| (u.username.as_str(), u.display_name.as_str()))
        .collect();
    rows.into_iter()
        .map(|row| Line::new(row, &names, zone))
        .collect()
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    who: Option<Who>,
    /// Username, name, chosen.
    accounts: Vec<(String, String, bool)>,
    /// Kind, words, chosen.
    kinds: Vec<(&'static str, &'static str, bool)>,
    lines: Vec<Line>,
    total: i64,
    first: i64,
    csv: String,
    earlier: Option<String>,
    more: Option<String>,
}

/// `GET /audit?account=NAME&kind=KIND&page=N`.
pub async fn show(
    State(state): State<AppState>,
    Admin(signed_in): Admin,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    let filter = params.filter();
    let mut conn = state.db.acquire().await?;
    let total = audit::count(&mut conn, &filter).await?;
    let pages = (total.max(1) + PAGE_ROWS - 1) / PAGE_ROWS;
    let shown = (page_number(&params.page) as i64).min(pages);
    let skip = (shown - 1) * PAGE_ROWS;
    let rows = audit::read(&mut conn, &filter, skip, Some(PAGE_ROWS)).await?;
    let accounts = users::all(&mut conn).await?;
    let account = params.account.trim();
    let kind = filter.kind;
    page(&AuditPage {
        who: Some(Who::from(&signed_in)),
        kinds: AuditKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.words(), Some(*k) == kind))
            .collect(),
        lines: lines(rows, &accounts, &state.settings.time_zone),
        accounts: accounts
            .into_iter()
            .map(|u| {
                let chosen = u.username == account;
                (u.username, u.display_name, chosen)
            })
            .collect(),
        total,
        first: skip + 1,
        csv: params.href("/audit.csv", 0),
        earlier: (shown > 1).then(|| params.href("/audit", shown as usize - 1)),
        more: (shown < pages).then(|| params.href("/audit", shown as usize + 1)),
    })
}

/// The whole file: a header, then the rows the page shows, all of them, newest first.
fn write_csv(lines: &[Line]) -> Result<Vec<u8>, csv::Error> {
    let mut csv = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    csv.write_record(["when", "who", "what", "request", "detail"])?;
    for line in lines {
        let row = [&line.when, &line.who, line.what, &line.code, &line.detail];
        csv.write_record(row.map(cell))?;
    }
    csv.into_inner().map_err(|e| e.into_error().into())
}

/// `GET /audit.csv?account=NAME&kind=KIND`.
pub async fn csv(
    State(state): State<AppState>,
    Admin(_): Admin,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    let mut conn = state.db.acquire().await?;
    let rows = audit::read(&mut conn, &params.filter(), 0, None).await?;
    let accounts = users::all(&mut conn).await?;
    let zone = &state.settings.time_zone;
    let body = write_csv(&lines(rows, &accounts, zone))
        .map_err(|e| WebError::Internal(format!("CSV: {e}")))?;
    let date = zone.format(state.clock.now_ms(), "%Y-%m-%d");
    Ok(attachment(&format!("audit-{date}.csv"), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_are_named_as_the_group_knows_them() {
        let names = HashMap::from([("dina", "Dina R")]);
        assert_eq!(who("user:dina", &names), "Dina R (dina)");
        assert_eq!(who("user:gone", &names), "gone");
        assert_eq!(who("token:bot", &names), "API token bot");
        assert_eq!(who("cli", &names), "the command line");
    }

    #[test]
    fn a_link_to_another_page_keeps_the_filters() {
        let params = Params {
            account: "dina".into(),
            kind: "revealed".into(),
            page: "3".into(),
        };
        assert_eq!(
            params.href("/audit", 2),
            "/audit?account=dina&kind=revealed&page=2"
        );
        assert_eq!(
            params.href("/audit.csv", 0),
            "/audit.csv?account=dina&kind=revealed"
        );
    }
}

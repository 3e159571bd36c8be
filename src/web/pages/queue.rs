//! `GET /`: the queue of open requests, for dispatchers. Filters are plain GET parameters, so
//! they work without JavaScript and a filtered view can be bookmarked or shared.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Who, page};
use crate::dispatch::misses;
use crate::lifecycle::RequestStatus;
use crate::store::queue::{self, Filter, OpenItem, Sort};
use crate::web::session::SignedIn;
use crate::web::{AppState, WebError};

const MINUTE_MS: i64 = 60 * 1000;

/// The choices of the "waiting at most" filter: minutes, and how they read.
const MAX_AGES: &[(i64, &str)] = &[
    (30, "30 minutes"),
    (120, "2 hours"),
    (24 * 60, "1 day"),
    (7 * 24 * 60, "1 week"),
];

/// As the filter form (or a caller of the JSON API) sends them; an empty or unknown value means
/// "any".
#[derive(Deserialize, Default)]
pub struct Params {
    #[serde(default)]
    queue: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    zone: String,
    /// Minutes.
    #[serde(default)]
    max_age: String,
    #[serde(default)]
    sort: String,
}

fn chosen(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

impl Params {
    pub(crate) fn filter(&self) -> Filter {
        Filter {
            queue: chosen(&self.queue),
            status: chosen(&self.status),
            zone: chosen(&self.zone),
            max_age_ms: self.max_age_minutes().map(|m| m * MINUTE_MS),
        }
    }

    fn max_age_minutes(&self) -> Option<i64> {
        self.max_age.trim().parse().ok().filter(|m| *m > 0)
    }

    pub(crate) fn sort(&self) -> Sort {
        match self.sort.as_str() {
            "priority" => Sort::Priority,
            _ => Sort::Age,
        }
    }
}

/// How long a request has waited, in words and as a CSS class that colours it.
pub(super) fn age(ms: i64) -> (String, &'static str) {
    let minutes = (ms / MINUTE_MS).max(0);
    let words = match minutes {
        0 => "just now".to_string(),
        1..60 => format!("{minutes} min"),
        60..1440 => match minutes % 60 {
            0 => format!("{} h", minutes / 60),
            rest => format!("{} h {rest} min", minutes / 60),
        },
        _ => format!("{} d", minutes / 1440),
    };
    let class = match minutes {
        0..30 => "fresh",
        30..120 => "waiting",
        _ => "old",
    };
    (words, class)
}

/// One row of a table, ready to show.
struct Row {
    code: String,
    queue: String,
    status: RequestStatus,
    zone: String,
    age: String,
    age_class: &'static str,
    priority: i64,
    name: String,
}

fn rows(items: Vec<OpenItem>, now: i64) -> Vec<Row> {
    items
        .into_iter()
        .map(|item| {
            let (age, age_class) = age(now - item.created_at);
            Row {
                code: item.code,
                queue: item.queue,
                status: item.status,
                zone: item.zone.unwrap_or_default(),
                age,
                age_class,
                priority: item.priority,
                name: item.name_to_use.unwrap_or_default(),
            }
        })
        .collect()
}

/// A `<select>` (templates/choice.html): its choices (value, label) and which is chosen.
pub(super) struct Choice {
    pub(super) name: &'static str,
    pub(super) label: &'static str,
    pub(super) any: &'static str,
    pub(super) options: Vec<(String, String)>,
    pub(super) selected: String,
}

impl Choice {
    pub(super) fn of(
        name: &'static str,
        label: &'static str,
        any: &'static str,
        values: impl IntoIterator<Item = String>,
        selected: &str,
    ) -> Choice {
        Choice {
            name,
            label,
            any,
            options: values.into_iter().map(|v| (v.clone(), v)).collect(),
            selected: selected.trim().to_string(),
        }
    }
}

/// A number that keeps texting codes not offered to it, as the alert shows it.
struct GuesserAlert {
    name: String,
    phone: String,
    misses: i64,
    ago: String,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    who: Option<Who>,
    guessers: Vec<GuesserAlert>,
    miss_limit: i64,
    counts: Vec<(String, usize)>,
    requests: Vec<Row>,
    handoff: Vec<Row>,
    choices: Vec<Choice>,
    filtered: bool,
}

/// `GET /`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    let now = state.clock.now_ms();
    let mut conn = state.db.acquire().await?;
    let items = queue::open(&mut conn).await?;
    let guessers = misses::guessers(&mut conn, now)
        .await?
        .into_iter()
        .map(|g| GuesserAlert {
            name: g
                .name
                .unwrap_or_else(|| "No longer a volunteer".to_string()),
            phone: g.phone,
            misses: g.misses,
            ago: age(now - g.last_at).0,
        })
        .collect();
    let filter = params.filter();
    let view = queue::arrange(items, &filter, params.sort(), now);
    let max_ages = MAX_AGES
        .iter()
        .map(|(minutes, words)| (minutes.to_string(), words.to_string()));
    let sorts = [
        ("age".to_string(), "Longest waiting first".to_string()),
        ("priority".to_string(), "Most urgent first".to_string()),
    ];
    let choices = vec![
        Choice::of("queue", "Queue", "Any queue", view.queues, &params.queue),
        Choice::of(
            "status",
            "Status",
            "Any status",
            view.statuses,
            &params.status,
        ),
        Choice::of("zone", "Zone", "Any zone", view.zones, &params.zone),
        Choice {
            options: max_ages.collect(),
            ..Choice::of(
                "max_age",
                "Waiting at most",
                "Any time",
                [],
                &params.max_age,
            )
        },
        Choice {
            options: sorts.into(),
            ..Choice::of("sort", "Order", "", [], &params.sort)
        },
    ];
    let filtered = filter.queue.is_some()
        || filter.status.is_some()
        || filter.zone.is_some()
        || filter.max_age_ms.is_some();
    page(&QueuePage {
        who: Some(Who::from(&signed_in)),
        guessers,
        miss_limit: misses::LIMIT,
        counts: view.counts.into_iter().collect(),
        requests: rows(view.requests, now),
        handoff: rows(view.handoff, now),
        choices,
        filtered,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_as_a_dispatcher_would_say_them() {
        let at = |minutes: i64| age(minutes * MINUTE_MS);
        assert_eq!(at(0), ("just now".into(), "fresh"));
        assert_eq!(at(29), ("29 min".into(), "fresh"));
        assert_eq!(at(35), ("35 min".into(), "waiting"));
        assert_eq!(at(120), ("2 h".into(), "old"));
        assert_eq!(at(125), ("2 h 5 min".into(), "old"));
        assert_eq!(at(3 * 1440 + 7), ("3 d".into(), "old"));
    }

    #[test]
    fn an_empty_or_nonsense_filter_means_any() {
        let params = Params {
            queue: " ".into(),
            max_age: "soon".into(),
            zone: "northside".into(),
            sort: "priority".into(),
            ..Params::default()
        };
        let filter = params.filter();
        assert_eq!(filter.queue, None);
        assert_eq!(filter.max_age_ms, None);
        assert_eq!(filter.zone.as_deref(), Some("northside"));
        assert_eq!(params.sort(), Sort::Priority);
    }
}

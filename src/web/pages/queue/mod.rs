//! `GET /`: the queue of open requests, for dispatchers, in lanes by what a dispatcher must do.
//! Filters and the search are plain GET parameters, so they work without JavaScript and a
//! filtered view can be bookmarked or shared.

mod choice;
mod lanes;
mod params;
mod stopped;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

pub(crate) use self::choice::Choice;
use self::lanes::LaneView;
pub(crate) use self::lanes::age;
pub use self::params::{Paging, Params, page_number};
pub(crate) use self::stopped::StoppedRelay;
use super::{Who, page};
use crate::dispatch::misses;
use crate::lifecycle::RequestStatus;
use crate::store::queue::{self, Sort};
use crate::store::relay_stops;
use crate::web::session::SignedIn;
use crate::web::{AppState, WebError};

/// The choices of the "waiting at most" filter: minutes, and how they read.
const MAX_AGES: &[(i64, &str)] = &[
    (30, "30 minutes"),
    (120, "2 hours"),
    (24 * 60, "1 day"),
    (7 * 24 * 60, "1 week"),
];

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
    /// Requests whose relay was reported or left: a person must follow up.
    stopped: Vec<StoppedRelay>,
    guessers: Vec<GuesserAlert>,
    miss_limit: i64,
    counts: Vec<(RequestStatus, usize)>,
    lanes: Vec<LaneView>,
    /// Set when one lane is opened on its own: the way back to all of them.
    every_lane: Option<String>,
    opened: &'static str,
    q: String,
    choices: Vec<Choice>,
    /// The filters in force, as the folded filters' summary says them.
    active: String,
    /// Whether the filters or the search narrow the queue.
    filtered: bool,
}

/// The filters' `<select>`s: queues, statuses and zones from the open requests, so the choices
/// are those that can find something. A status is shown chosen only as the filter read it: a
/// word that names none is "any".
fn choices(view: &queue::Queue, params: &Params, status: Option<RequestStatus>) -> Vec<Choice> {
    let statuses = view.statuses.iter().map(|s| s.to_string());
    let status = status.map_or("", RequestStatus::as_str);
    let max_ages = MAX_AGES
        .iter()
        .map(|(minutes, words)| (minutes.to_string(), words.to_string()));
    let sorts = [
        ("age".to_string(), "Longest waiting first".to_string()),
        ("priority".to_string(), "Most urgent first".to_string()),
    ];
    let queues = view.queues.iter().cloned();
    vec![
        Choice::of("queue", "Queue", "Any queue", queues, &params.queue),
        Choice::of("status", "Status", "Any status", statuses, status),
        Choice::of(
            "zone",
            "Zone",
            "Any zone",
            view.zones.iter().cloned(),
            &params.zone,
        ),
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
    ]
}

/// What the folded filters' summary says: each choice that narrows or reorders the queue.
fn active(choices: &[Choice], sort: Sort) -> String {
    choices
        .iter()
        .filter_map(|c| {
            let words = c.chosen_words()?;
            match c.name {
                "sort" => (sort != Sort::Age).then(|| words.to_lowercase()),
                _ => Some(format!("{} {words}", c.label.to_lowercase())),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `GET /`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<Params>,
    Query(paging): Query<Paging>,
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
    let zone = &state.settings.time_zone;
    let stopped = relay_stops::open(&mut conn)
        .await?
        .into_iter()
        .map(|s| StoppedRelay::new(s.code, &s.volunteer, s.stop, zone))
        .collect();
    let filter = params.filter();
    let sort = params.sort();
    let mut view = queue::arrange(items, &filter, sort, now);
    let choices = choices(&view, &params, filter.status);
    let counts = std::mem::take(&mut view.counts);
    let opened = paging.lane();
    page(&QueuePage {
        who: Some(Who::from(&signed_in)),
        stopped,
        guessers,
        miss_limit: misses::LIMIT,
        counts,
        lanes: lanes::lanes(view.into_lanes(), &params, opened, paging.page(), now),
        every_lane: opened.map(|_| params.href(None, 1)),
        opened: opened.map_or("", |l| l.as_str()),
        q: params.q.trim().to_string(),
        active: active(&choices, sort),
        choices,
        filtered: filter.is_any(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folded_filters_say_which_are_on() {
        let params = Params {
            zone: "northside".into(),
            sort: "priority".into(),
            ..Params::default()
        };
        let zone = choices(&queue::Queue::default(), &params, None);
        assert_eq!(
            active(&zone, params.sort()),
            "zone northside, most urgent first"
        );
        let nonsense = Params {
            status: "lost".into(),
            ..Params::default()
        };
        let read = nonsense.filter().status;
        assert_eq!(
            active(
                &choices(&queue::Queue::default(), &nonsense, read),
                Sort::Age
            ),
            ""
        );
        assert_eq!(active(&zone[..3], Sort::Age), "zone northside");
    }
}

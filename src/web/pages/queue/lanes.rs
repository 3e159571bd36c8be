//! The queue page's lanes, ready to show: a busy day's lanes are long, so the page shows the first
//! rows of each, says how many more there are, and opens one lane on its own, a page at a time,
//! to see them all.

use std::collections::BTreeMap;

use super::params::{MINUTE_MS, Params};
use crate::lifecycle::RequestStatus;
use crate::store::queue::{Lane, OpenItem};

/// Rows each lane shows when every lane is on the page.
const LANE_ROWS: usize = 25;
/// Rows a page of one lane shows.
const PAGE_ROWS: usize = 100;

/// How long a request has waited, in words and as a CSS class that colours it.
pub(crate) fn age(ms: i64) -> (String, &'static str) {
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

/// One row of a lane's table.
pub(super) struct Row {
    pub(super) code: String,
    pub(super) queue: String,
    pub(super) status: RequestStatus,
    pub(super) zone: String,
    pub(super) age: String,
    pub(super) age_class: &'static str,
    pub(super) urgency: &'static str,
    pub(super) urgency_class: &'static str,
    pub(super) name: String,
}

impl Row {
    fn new(item: OpenItem, now: i64) -> Row {
        let (age, age_class) = age(now - item.created_at);
        let urgency = item.urgency(now);
        Row {
            urgency: urgency.as_str(),
            urgency_class: urgency.class(),
            code: item.code,
            queue: item.queue,
            status: item.status,
            zone: item.zone.unwrap_or_default(),
            age,
            age_class,
            name: item.name_to_use.unwrap_or_default(),
        }
    }
}

/// A lane as the page shows it.
pub(super) struct LaneView {
    /// The heading's id, and the lane's name in addresses.
    pub(super) id: &'static str,
    pub(super) title: &'static str,
    pub(super) empty: &'static str,
    /// Urgency is for the lanes a dispatcher acts on; the others wait on a volunteer, a
    /// neighbour or an admin.
    pub(super) urgency: bool,
    /// Sign-ups are people rather than errands: no queue, status or urgency to show.
    pub(super) sign_ups: bool,
    pub(super) rows: Vec<Row>,
    /// How many pass the filters, shown or not.
    pub(super) total: usize,
    /// The first row shown, counted from 1.
    pub(super) first: usize,
    /// Where to see the rows that do not fit, if any do not.
    pub(super) more: Option<String>,
    pub(super) earlier: Option<String>,
}

impl LaneView {
    pub(super) fn last(&self) -> usize {
        self.first + self.rows.len() - 1
    }
}

fn words(lane: Lane) -> (&'static str, &'static str) {
    match lane {
        Lane::Person => ("Asking for a person", "Nobody is waiting for a person."),
        Lane::Waiting => (
            "Waiting for a volunteer",
            "Nothing is waiting for a volunteer.",
        ),
        Lane::InProgress => ("With a volunteer", "No volunteer is working on a request."),
        Lane::Delivered => (
            "Delivered, waiting for the neighbour to confirm",
            "No delivery is waiting for a neighbour's word.",
        ),
        Lane::SignUps => ("Volunteer sign-ups", "Nobody is waiting to join."),
    }
}

/// Every lane, each with its first rows; or only `opened`, with page `page` of its rows.
pub(super) fn lanes(
    mut items: BTreeMap<Lane, Vec<OpenItem>>,
    params: &Params,
    opened: Option<Lane>,
    page: usize,
    now: i64,
) -> Vec<LaneView> {
    let shown = opened.map_or(Lane::ALL.to_vec(), |lane| vec![lane]);
    shown
        .into_iter()
        .map(|lane| {
            let items = items.remove(&lane).unwrap_or_default();
            let total = items.len();
            let (skip, take) = match opened {
                Some(_) => ((page - 1) * PAGE_ROWS, PAGE_ROWS),
                None => (0, LANE_ROWS),
            };
            let skip = skip.min(total.saturating_sub(1) / take * take);
            let (title, empty) = words(lane);
            // Pages count from 1; the overview's link opens the lane at its first.
            let index = skip / PAGE_ROWS;
            let next = if opened.is_some() { index + 2 } else { 1 };
            let more = (skip + take < total).then(|| params.href(Some(lane), next));
            let earlier = (skip > 0).then(|| params.href(Some(lane), index));
            LaneView {
                id: lane.as_str(),
                title,
                empty,
                urgency: matches!(lane, Lane::Person | Lane::Waiting),
                sign_ups: lane == Lane::SignUps,
                rows: items
                    .into_iter()
                    .skip(skip)
                    .take(take)
                    .map(|item| Row::new(item, now))
                    .collect(),
                total,
                first: skip + 1,
                more,
                earlier,
            }
        })
        .collect()
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

    fn waiting(count: usize) -> BTreeMap<Lane, Vec<OpenItem>> {
        let items = (0..count)
            .map(|i| OpenItem {
                code: format!("W{i}"),
                queue: "groceries".into(),
                status: RequestStatus::New,
                zone: None,
                name_to_use: None,
                priority: 0,
                created_at: 0,
                answers: vec![],
                alerted: false,
            })
            .collect();
        BTreeMap::from([(Lane::Waiting, items)])
    }

    #[test]
    fn a_long_lane_shows_its_first_rows_and_opens_on_its_own_a_page_at_a_time() {
        let params = Params::default();
        let all = lanes(waiting(250), &params, None, 1, 0);
        assert_eq!(all.len(), Lane::ALL.len());
        let lane = &all[1];
        assert_eq!(
            (lane.id, lane.total, lane.rows.len()),
            ("waiting", 250, LANE_ROWS)
        );
        assert_eq!(lane.more.as_deref(), Some("/?lane=waiting"));
        assert!(all[0].more.is_none() && all[0].rows.is_empty());

        let second = &lanes(waiting(250), &params, Some(Lane::Waiting), 2, 0)[0];
        assert_eq!((second.first, second.last()), (101, 200));
        assert_eq!(second.rows[0].code, "W100");
        assert_eq!(second.more.as_deref(), Some("/?lane=waiting&page=3"));
        assert_eq!(second.earlier.as_deref(), Some("/?lane=waiting"));

        let past_the_end = &lanes(waiting(250), &params, Some(Lane::Waiting), 9, 0)[0];
        assert_eq!((past_the_end.first, past_the_end.last()), (201, 250));
        assert!(past_the_end.more.is_none());
    }
}

//! Filtering and ordering the open requests, and what the filters can choose from.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::{Lane, OpenItem, Search};
use crate::lifecycle::RequestStatus;

#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub queue: Option<String>,
    pub status: Option<RequestStatus>,
    pub zone: Option<String>,
    /// Only requests at most this old.
    pub max_age_ms: Option<i64>,
    pub search: Option<Search>,
}

impl Filter {
    /// Whether it narrows anything.
    pub fn is_any(&self) -> bool {
        self.queue.is_some()
            || self.status.is_some()
            || self.zone.is_some()
            || self.max_age_ms.is_some()
            || self.search.is_some()
    }

    /// Everything but the status, which the counts ignore.
    fn shows(&self, item: &OpenItem, now: i64) -> bool {
        self.max_age_ms
            .is_none_or(|max| now - item.created_at <= max)
            && self
                .zone
                .as_ref()
                .is_none_or(|z| item.zone.as_ref() == Some(z))
            && (Lane::has_own_lane(&item.queue)
                || self.queue.as_ref().is_none_or(|q| &item.queue == q))
            && self.search.as_ref().is_none_or(|s| s.finds(item))
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Oldest first: whoever has waited longest.
    #[default]
    Age,
    /// Most urgent first (see [`super::urgency`]), then oldest.
    Urgency,
}

#[derive(Debug, Default)]
pub struct Queue {
    /// What passes the filter, each with its lane, in the order asked for.
    pub items: Vec<(Lane, OpenItem)>,
    /// Per status in the order a request moves through them, over every open request the filter
    /// would show if it named no status.
    pub counts: Vec<(RequestStatus, usize)>,
    /// What the filters can choose from: the values among all open requests, whatever the
    /// filter, so a choice never vanishes because another one is made. Hand-offs and sign-ups
    /// have lanes of their own rather than a queue to choose.
    pub queues: BTreeSet<String>,
    pub statuses: Vec<RequestStatus>,
    pub zones: BTreeSet<String>,
}

impl Queue {
    /// The requests shown, lane by lane, each lane in the order asked for.
    pub fn into_lanes(self) -> BTreeMap<Lane, Vec<OpenItem>> {
        let mut lanes: BTreeMap<Lane, Vec<OpenItem>> = BTreeMap::new();
        for (lane, item) in self.items {
            lanes.entry(lane).or_default().push(item);
        }
        lanes
    }
}

/// Filters and sorts `items` (oldest first, as [`super::open`] returns them).
pub fn arrange(items: Vec<OpenItem>, filter: &Filter, sort: Sort, now: i64) -> Queue {
    let mut queue = Queue::default();
    let mut statuses = HashSet::new();
    let mut counts: HashMap<RequestStatus, usize> = HashMap::new();
    for item in items {
        let Some(lane) = Lane::of(&item.queue, item.status, item.alerted) else {
            continue;
        };
        if !Lane::has_own_lane(&item.queue) {
            queue.queues.insert(item.queue.clone());
        }
        statuses.insert(item.status);
        queue.zones.extend(item.zone.clone());
        if !filter.shows(&item, now) {
            continue;
        }
        *counts.entry(item.status).or_default() += 1;
        if filter.status.is_none_or(|s| item.status == s) {
            queue.items.push((lane, item));
        }
    }
    let in_order = RequestStatus::ALL.iter().copied();
    queue.statuses = in_order.clone().filter(|s| statuses.contains(s)).collect();
    queue.counts = in_order
        .filter_map(|s| counts.get(&s).map(|n| (s, *n)))
        .collect();
    if sort == Sort::Urgency {
        // A stable sort keeps the oldest first among equals.
        queue
            .items
            .sort_by_key(|(_, item)| std::cmp::Reverse(item.urgency_score(now)));
    }
    queue
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::queue::HANDOFF;

    const MINUTE: i64 = 60 * 1000;

    fn item(code: &str, queue: &str, status: &str, zone: &str, priority: i64, at: i64) -> OpenItem {
        OpenItem {
            code: code.into(),
            queue: queue.into(),
            status: status.parse().unwrap(),
            zone: Some(zone.into()),
            name_to_use: None,
            priority,
            created_at: at * MINUTE,
            answers: vec![format!("{queue} please")],
            alerted: false,
        }
    }

    fn codes(queue: &Queue) -> Vec<&str> {
        queue.items.iter().map(|(_, i)| i.code.as_str()).collect()
    }

    fn sample() -> Vec<OpenItem> {
        vec![
            item("A2", "groceries", "new", "northside", 0, 0),
            item("C3", HANDOFF, "new", "northside", 0, 10),
            item("D4", "medicine", "claimed", "southside", 2, 20),
            item("E5", "groceries", "offered", "southside", 1, 30),
            item("F6", "groceries", "delivered", "northside", 0, 35),
        ]
    }

    #[test]
    fn each_request_lands_in_the_lane_of_what_a_dispatcher_must_do_oldest_first() {
        let queue = arrange(sample(), &Filter::default(), Sort::Age, 40 * MINUTE);
        let lanes = queue.into_lanes();
        let lane = |l| {
            lanes[&l]
                .iter()
                .map(|i| i.code.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(lane(Lane::Person), ["C3"]);
        assert_eq!(lane(Lane::Waiting), ["A2", "E5"]);
        assert_eq!(lane(Lane::InProgress), ["D4"]);
        assert_eq!(lane(Lane::Delivered), ["F6"]);
        assert!(!lanes.contains_key(&Lane::SignUps));
    }

    #[test]
    fn most_urgent_first_weighs_the_flows_priority_against_the_wait() {
        // At 40 minutes: A2 waited 40 (score 40), E5 waited 10 with priority 1 (70), D4 waited 20
        // with priority 2 (140).
        let queue = arrange(sample(), &Filter::default(), Sort::Urgency, 40 * MINUTE);
        assert_eq!(codes(&queue), ["D4", "E5", "A2", "C3", "F6"]);
        // An hour of priority is worth an hour of waiting: between equals the older comes first.
        let even = vec![
            item("A1", "groceries", "new", "northside", 0, 0),
            item("B1", "groceries", "new", "northside", 1, 60),
        ];
        let queue = arrange(even, &Filter::default(), Sort::Urgency, 90 * MINUTE);
        assert_eq!(codes(&queue), ["A1", "B1"]);
    }

    #[test]
    fn filters_narrow_every_lane_and_counts_ignore_only_the_status_filter() {
        let filter = Filter {
            zone: Some("southside".into()),
            status: Some(RequestStatus::Offered),
            ..Filter::default()
        };
        let queue = arrange(sample(), &filter, Sort::Age, 40 * MINUTE);
        assert_eq!(codes(&queue), ["E5"]);
        assert_eq!(
            queue.counts,
            [(RequestStatus::Offered, 1), (RequestStatus::Claimed, 1)]
        );

        let recent = Filter {
            max_age_ms: Some(15 * MINUTE),
            queue: Some("groceries".into()),
            ..Filter::default()
        };
        let queue = arrange(sample(), &recent, Sort::Age, 40 * MINUTE);
        assert_eq!(codes(&queue), ["E5", "F6"], "the hand-off is too old");
        assert_eq!(
            queue.queues.iter().collect::<Vec<_>>(),
            ["groceries", "medicine"],
            "every choice stays offered, and hand-offs are a lane rather than a queue"
        );
        assert_eq!(queue.statuses.len(), 4);
    }

    #[test]
    fn the_queue_filter_never_hides_a_hand_off() {
        let filter = Filter {
            queue: Some("medicine".into()),
            ..Filter::default()
        };
        let queue = arrange(sample(), &filter, Sort::Age, 40 * MINUTE);
        assert_eq!(codes(&queue), ["C3", "D4"]);
    }

    #[test]
    fn a_search_narrows_to_the_requests_it_finds() {
        let filter = Filter {
            search: Search::new("medicine"),
            ..Filter::default()
        };
        let queue = arrange(sample(), &filter, Sort::Age, 40 * MINUTE);
        assert_eq!(codes(&queue), ["D4"]);
        assert!(filter.is_any());
    }
}

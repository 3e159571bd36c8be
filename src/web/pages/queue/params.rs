//! What the queue's address says: the filters (shared with the JSON API) and, for the page alone,
//! which lane is opened on its own and which page of it.

use serde::Deserialize;

use crate::store::queue::{Filter, Lane, Search, Sort};

pub(super) const MINUTE_MS: i64 = 60 * 1000;

/// As the filter form (or a caller of the JSON API) sends them; an empty or unknown value means
/// "any".
#[derive(Deserialize, Default)]
pub struct Params {
    #[serde(default)]
    pub(super) queue: String,
    #[serde(default)]
    pub(super) status: String,
    #[serde(default)]
    pub(super) zone: String,
    /// Minutes.
    #[serde(default)]
    pub(super) max_age: String,
    #[serde(default)]
    pub(super) sort: String,
    /// Words to search for.
    #[serde(default)]
    pub(super) q: String,
}

fn chosen(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

impl Params {
    pub(crate) fn filter(&self) -> Filter {
        Filter {
            queue: chosen(&self.queue),
            status: self.status.trim().parse().ok(),
            zone: chosen(&self.zone),
            max_age_ms: self.max_age_minutes().map(|m| m * MINUTE_MS),
            search: Search::new(&self.q),
        }
    }

    fn max_age_minutes(&self) -> Option<i64> {
        self.max_age.trim().parse().ok().filter(|m| *m > 0)
    }

    pub(crate) fn sort(&self) -> Sort {
        // `priority` is the word the API documented first for this order.
        match self.sort.as_str() {
            "priority" => Sort::Urgency,
            _ => Sort::Age,
        }
    }

    /// The address of this same view, opened on `lane` (or every lane) at `page`.
    pub(super) fn href(&self, lane: Option<Lane>, page: usize) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        let pairs = [
            ("q", self.q.as_str()),
            ("queue", &self.queue),
            ("status", &self.status),
            ("zone", &self.zone),
            ("max_age", &self.max_age),
            ("sort", &self.sort),
            ("lane", lane.map_or("", Lane::as_str)),
        ];
        for (name, value) in pairs {
            if !value.trim().is_empty() {
                query.append_pair(name, value.trim());
            }
        }
        if page > 1 {
            query.append_pair("page", &page.to_string());
        }
        match query.finish() {
            q if q.is_empty() => "/".to_string(),
            q => format!("/?{q}"),
        }
    }
}

/// The page's own parameters: one lane, opened to see past its first rows, and a page of it.
#[derive(Deserialize, Default)]
pub struct Paging {
    #[serde(default)]
    lane: String,
    #[serde(default)]
    page: String,
}

impl Paging {
    pub(super) fn lane(&self) -> Option<Lane> {
        self.lane.trim().parse().ok()
    }

    /// From 1.
    pub(super) fn page(&self) -> usize {
        page_number(&self.page)
    }
}

/// A page number as an address carries it, counted from 1; anything else is the first page.
pub fn page_number(page: &str) -> usize {
    page.trim().parse().ok().filter(|p| *p > 0).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::RequestStatus;

    #[test]
    fn an_empty_or_nonsense_filter_means_any() {
        let params = Params {
            queue: " ".into(),
            max_age: "soon".into(),
            status: "lost".into(),
            zone: "northside".into(),
            sort: "priority".into(),
            q: "  ".into(),
        };
        let filter = params.filter();
        assert_eq!(filter.queue, None);
        assert_eq!(filter.max_age_ms, None);
        assert_eq!(filter.status, None);
        assert_eq!(filter.search, None);
        assert_eq!(filter.zone.as_deref(), Some("northside"));
        assert_eq!(params.sort(), Sort::Urgency);
        let offered = Params {
            status: "offered".into(),
            ..Params::default()
        };
        assert_eq!(offered.filter().status, Some(RequestStatus::Offered));
    }

    #[test]
    fn a_link_to_more_rows_keeps_the_filters_and_the_search() {
        let params = Params {
            zone: "north side".into(),
            q: "milk & bread".into(),
            ..Params::default()
        };
        assert_eq!(
            params.href(Some(Lane::Waiting), 2),
            "/?q=milk+%26+bread&zone=north+side&lane=waiting&page=2"
        );
        assert_eq!(Params::default().href(None, 1), "/");
        let paging = Paging {
            lane: "sideways".into(),
            page: "-3".into(),
        };
        assert_eq!((paging.lane(), paging.page()), (None, 1));
    }
}

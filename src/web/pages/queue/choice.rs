//! A filter's `<select>` (templates/choice.html), shared by the pages that filter a list.

/// Its choices (value, label) and which is chosen.
pub(crate) struct Choice {
    pub(crate) name: &'static str,
    pub(crate) label: &'static str,
    pub(crate) any: &'static str,
    pub(crate) options: Vec<(String, String)>,
    pub(crate) selected: String,
}

impl Choice {
    /// A value that is chosen stays offered even when no row has it any more (the last request
    /// in a zone was taken): the form must never read "any" while a filter is on.
    pub(crate) fn of(
        name: &'static str,
        label: &'static str,
        any: &'static str,
        values: impl IntoIterator<Item = String>,
        selected: &str,
    ) -> Choice {
        let selected = selected.trim().to_string();
        let mut options: Vec<(String, String)> =
            values.into_iter().map(|v| (v.clone(), v)).collect();
        if !selected.is_empty() && !options.iter().any(|(v, _)| *v == selected) {
            options.push((selected.clone(), selected.clone()));
        }
        Choice {
            name,
            label,
            any,
            options,
            selected,
        }
    }

    /// What is chosen, as the form reads it; `None` for "any".
    pub(crate) fn chosen_words(&self) -> Option<&str> {
        self.options
            .iter()
            .find(|(value, _)| *value == self.selected)
            .map(|(_, words)| words.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_value_no_row_has_any_more_stays_offered_and_chosen() {
        let zones = ["northside".to_string()];
        let choice = Choice::of("zone", "Zone", "Any zone", zones, " southside ");
        assert_eq!(choice.options.len(), 2);
        assert_eq!(choice.chosen_words(), Some("southside"));
        let none = Choice::of("zone", "Zone", "Any zone", [], "");
        assert_eq!(none.chosen_words(), None);
    }
}

//! A form sent with a mistake in it comes back as its page again: filled in as it was sent, each
//! mistake beside its field, all of them listed at the top, the first wrong field focused
//! (`templates/field_error.html`). A typing mistake then costs no retyping, which an error page
//! of its own would.
//!
//! The answer is 422, so that what posted it can tell it from a done change. Passwords are never
//! sent back: a page that shows one again would leave it in the browser's history.

use axum::http::StatusCode;
use axum::response::Response;

use crate::web::WebError;

/// One mistake, and the field it is about (the `id` of its input on the page).
pub struct Problem {
    pub field: String,
    pub message: String,
}

/// A form as it was sent and what is wrong with it; with nothing in it, the page's forms are
/// shown empty.
#[derive(Default)]
pub struct Refill {
    typed: Vec<(String, String)>,
    problems: Vec<Problem>,
}

impl Refill {
    /// What was typed, field by field (by the inputs' ids).
    pub fn typed<F: Into<String>>(fields: impl IntoIterator<Item = (F, String)>) -> Refill {
        Refill {
            typed: fields.into_iter().map(|(f, v)| (f.into(), v)).collect(),
            problems: Vec::new(),
        }
    }

    /// The same, with `message` said of `field`.
    pub fn wrong(mut self, field: impl Into<String>, message: impl ToString) -> Refill {
        self.problems.push(Problem {
            field: field.into(),
            message: message.to_string(),
        });
        self
    }

    /// What was typed in `field`, or nothing.
    pub fn value(&self, field: &str) -> &str {
        self.typed
            .iter()
            .find(|(f, _)| f == field)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Whether `option` is the one that was chosen in the list `field`.
    pub fn chose(&self, field: &str, option: &str) -> bool {
        self.value(field) == option
    }

    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// What is wrong with `field`, each in its own sentence.
    pub fn errors(&self, field: &str) -> Vec<&str> {
        self.problems
            .iter()
            .filter(|p| p.field == field)
            .map(|p| p.message.as_str())
            .collect()
    }

    pub fn is_wrong(&self, field: &str) -> bool {
        self.problems.iter().any(|p| p.field == field)
    }

    /// Whether focus lands on `field` when the page opens: the first wrong one does.
    pub fn focus(&self, field: &str) -> bool {
        self.problems.first().is_some_and(|p| p.field == field)
    }
}

/// The page showing a form again with its mistakes.
pub fn again(page: Result<Response, WebError>) -> Result<Response, WebError> {
    let mut page = page?;
    *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refill_gives_back_what_was_typed_and_focuses_the_first_wrong_field() {
        let refill = Refill::typed([("v-name", "Ana".to_string()), ("v-phone", "12".into())])
            .wrong("v-phone", "`12` is not a phone number")
            .wrong("v-zones", "`uptown` is not a zone")
            .wrong("v-phone", "is empty");
        assert_eq!(refill.value("v-name"), "Ana");
        assert_eq!(refill.value("v-zones"), "", "not typed");
        assert!(refill.chose("v-phone", "12"));
        assert_eq!(
            refill.errors("v-phone"),
            ["`12` is not a phone number", "is empty"]
        );
        assert!(refill.is_wrong("v-zones") && !refill.is_wrong("v-name"));
        assert!(refill.focus("v-phone") && !refill.focus("v-zones"));
        assert!(!Refill::default().focus("v-phone"));
    }
}

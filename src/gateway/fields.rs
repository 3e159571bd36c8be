//! Form-encoded payloads (Twilio, SignalWire, Plivo, Vonage's SMS API) as name/value pairs.

use crate::phone::{Phone, Region};

use super::{PayloadError, phone_field};

/// Every field of a form, in the order received (signatures cover all of them, repeats included).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn from_form(body: &[u8]) -> Params {
        Params(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name`, or `None` when it is absent or empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &'static str) -> Result<&str, PayloadError> {
        self.non_empty(name).ok_or(PayloadError::Missing(name))
    }

    pub fn phone(&self, name: &'static str, region: Region) -> Result<Phone, PayloadError> {
        phone_field(name, self.required(name)?, region)
    }

    /// The non-empty fields named `prefix` and a number (`MediaUrl0`, `Media1`…), by number, at
    /// most `max` of them. A count the payload states (`NumMedia`) is never the bound: a signed
    /// payload may claim billions, and only the fields present can be read.
    pub fn numbered(&self, prefix: &str, max: usize) -> Vec<(u32, &str)> {
        let mut found: Vec<(u32, &str)> = self
            .0
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .filter_map(|(k, v)| {
                let n = k.strip_prefix(prefix)?;
                // `parse` alone would take `+1` and `01`: only the plain spelling counts.
                let index: u32 = n.parse().ok()?;
                (index.to_string() == n).then_some((index, v.as_str()))
            })
            .collect();
        found.sort_by_key(|(index, _)| *index);
        found.dedup_by_key(|(index, _)| *index);
        found.truncate(max);
        found
    }

    /// A count such as `NumMedia`; absent or empty reads as 0.
    pub fn count(&self, name: &'static str) -> Result<u32, PayloadError> {
        match self.non_empty(name) {
            None => Ok(0),
            Some(n) => n
                .parse()
                .map_err(|_| PayloadError::invalid(name, "is not a count")),
        }
    }
}

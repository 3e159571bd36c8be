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

//! A `[[lines]]` entry as written, and the [`Line`] it makes once checked.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::gateway::{self, OptOutReplies, ProviderTable};
use crate::phone::{Phone, Region};
use crate::setting_error::{SettingError, invalid};

use super::{Line, QuietHours};

/// A line's settings as written, before they are checked.
#[derive(Debug, Deserialize)]
pub struct LineSettings {
    number: String,
    gateway: String,
    flow: String,
    opt_out_replies: Option<OptOutReplies>,
    segments_per_second: Option<RawRate>,
    quiet_hours: Option<RawQuietHours>,
    #[serde(default)]
    smart_encoding: bool,
    answer_calls: Option<bool>,
    /// The provider's own table, `[lines.PROVIDER]`; anything else here is a mistake.
    #[serde(flatten)]
    rest: BTreeMap<String, figment::value::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawRate {
    PerSecond(f64),
    Word(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuietHours {
    from: String,
    to: String,
    time_zone: String,
}

impl LineSettings {
    /// Checks the `i`th line (problems are named `lines[i].KEY`) and builds its gateway from the
    /// provider's table; numbers written without a country code are in `region`.
    pub fn build(mut self, i: usize, region: Region) -> Result<Line, SettingError> {
        let key = |k: &str| format!("lines[{i}].{k}");
        let number = Phone::parse(&self.number, region)
            .map_err(|e| invalid(key("number"), format!("`{}` {e}", self.number)))?;
        let Some(provider) = gateway::provider(&self.gateway) else {
            let known: Vec<&str> = gateway::PROVIDERS.iter().map(|p| p.name).collect();
            return Err(invalid(
                key("gateway"),
                format!(
                    "unknown gateway `{}` (known: {})",
                    self.gateway,
                    known.join(", ")
                ),
            ));
        };
        let table = self.rest.remove(provider.name);
        if let Some(other) = self.rest.keys().next() {
            let problem = if gateway::provider(other).is_some() {
                format!("only a {other} line takes these")
            } else {
                "is not a setting aidline knows".to_string()
            };
            return Err(invalid(key(other), problem));
        }
        let gateway = (provider.configure)(ProviderTable::new(
            key(provider.name),
            number.clone(),
            provider.name,
            table,
        ))?;
        let opt_out_replies = self
            .opt_out_replies
            .unwrap_or_else(|| gateway.default_opt_out_replies());
        let segments_per_second = match self.segments_per_second {
            None => gateway.default_segments_per_second(),
            Some(RawRate::Word(w)) if w == "unlimited" => None,
            Some(RawRate::PerSecond(n)) if n > 0.0 && n.is_finite() => Some(n),
            Some(_) => {
                return Err(invalid(
                    key("segments_per_second"),
                    "must be a number above 0, or \"unlimited\"",
                ));
            }
        };
        let quiet_hours = self
            .quiet_hours
            .map(|q| {
                QuietHours::parse(&q.from, &q.to, &q.time_zone)
                    .map_err(|problem| invalid(key("quiet_hours"), problem))
            })
            .transpose()?;
        Ok(Line {
            number,
            gateway,
            flow: self.flow,
            opt_out_replies,
            segments_per_second,
            quiet_hours,
            smart_encoding: self.smart_encoding,
            answer_calls: self.answer_calls.unwrap_or(true),
        })
    }
}

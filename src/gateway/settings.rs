//! What a line says about its provider: the `[lines.PROVIDER]` table each provider reads its
//! credentials and API address from, and who confirms STOP, START and HELP.

use reqwest::Url;
use serde::Deserialize;

use crate::phone::Phone;
use crate::setting_error::{SettingError, invalid, problems};

/// Who answers STOP, START and HELP with a confirmation text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptOutReplies {
    /// The provider already replies on its own (Twilio does by default); we record and stay quiet.
    Gateway,
    /// We send the confirmation.
    Ours,
}

/// A line's `[lines.PROVIDER]` table, handed to that provider to read.
pub struct ProviderTable {
    /// Where the table is, for error messages: `lines[0].twilio`.
    pub key: String,
    /// The line's own number, for a provider whose webhooks cannot be trusted to name it.
    pub line: Phone,
    provider: &'static str,
    value: Option<figment::value::Value>,
}

impl ProviderTable {
    /// The table at `key` for a line using `provider`; `value` is `None` when the line has none.
    pub fn new(
        key: String,
        line: Phone,
        provider: &'static str,
        value: Option<figment::value::Value>,
    ) -> ProviderTable {
        ProviderTable {
            key,
            line,
            provider,
            value,
        }
    }

    /// Reads the table into the provider's settings; a missing table is an error naming it.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, SettingError> {
        let Some(value) = &self.value else {
            return Err(invalid(
                &self.key,
                format!(
                    "a {0} line needs a [lines.{0}] table with its credentials",
                    self.provider
                ),
            ));
        };
        value.deserialize().map_err(|e| {
            let under_key = problems(e).into_iter();
            SettingError::Load(under_key.map(|p| format!("{}.{p}", self.key)).collect())
        })
    }

    /// For a provider that takes no settings.
    pub fn expect_none(&self) -> Result<(), SettingError> {
        match self.value {
            None => Ok(()),
            Some(_) => Err(invalid(&self.key, "this provider takes no settings")),
        }
    }
}

/// Reads a provider's API address setting, or its default.
pub fn url_setting(key: &str, value: Option<&str>, default: &str) -> Result<Url, SettingError> {
    Url::parse(value.unwrap_or(default).trim_end_matches('/'))
        .map_err(|e| invalid(key, format!("not a URL ({e})")))
}

/// The gateway of the first line of a settings file, a `provider` line on `number` whose
/// `[lines.PROVIDER]` table is `table`: what the providers' own tests build and check.
#[cfg(test)]
pub fn first_line(
    provider: &str,
    number: &str,
    table: &str,
) -> Result<std::sync::Arc<dyn super::Gateway>, SettingError> {
    use figment::Figment;
    use figment::providers::{Format, Toml};

    let provider = super::provider(provider).expect("a known provider");
    let value = Figment::from(Toml::string(table)).extract()?;
    let line = Phone::parse(number, "US".parse().unwrap()).expect("a phone number");
    let key = format!("lines[0].{}", provider.name);
    (provider.configure)(ProviderTable::new(key, line, provider.name, Some(value)))
}

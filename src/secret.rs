//! A secret setting (a provider's token, a bearer token), kept out of logs.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// A secret setting: the value itself, or `{ env = "NAME" }` to keep it out of the file and read
/// it from the environment. Never shown by `Debug`.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[secret]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Value(String),
            FromEnv { env: String },
        }
        match Raw::deserialize(d)? {
            Raw::Value(v) => Ok(Secret(v.into())),
            Raw::FromEnv { env } => std::env::var(&env).map(|v| Secret(v.into())).map_err(|_| {
                serde::de::Error::custom(format!("the environment variable {env} is not set"))
            }),
        }
    }
}

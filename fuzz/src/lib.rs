//! What the fuzz targets share: a provider's gateway set up as a line would have it, and a
//! webhook made from the fuzzer's bytes, read by every parser a provider's webhook can reach.

use std::path::PathBuf;
use std::sync::Arc;

use aidline::gateway::{self, Gateway, Hook, ProviderTable, Webhook};
use aidline::phone::{Phone, Region};
use figment::Figment;
use figment::providers::{Format, Toml};
use http::{HeaderMap, HeaderValue};

/// The line's own number: a provider whose payloads do not name the line takes it from here.
const LINE: &str = "+15550100100";
/// A fixed "now" for the providers that sign a timestamp.
const NOW_S: i64 = 1_700_000_000;

/// Every address a provider's webhooks come to, picked by the input's first byte.
const HOOKS: [Hook; 7] = [
    Hook::Inbound,
    Hook::Status,
    Hook::Events,
    Hook::Call,
    Hook::Recording,
    Hook::Transcription,
    Hook::CallEnded,
];

/// Content types a provider may post, picked by the input's first byte: the providers that take
/// both form and JSON choose their reader by it.
const CONTENT_TYPES: [Option<&str>; 4] = [
    Some("application/x-www-form-urlencoded"),
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    None,
];

/// The headers each provider's authenticity check reads, all given one fuzzed value so that
/// `verify` reads them too.
const SIGNATURE_HEADERS: &[&str] = &[
    "x-twilio-signature",
    "x-signalwire-signature",
    "telnyx-signature-ed25519",
    "telnyx-timestamp",
    "x-plivo-signature-v3",
    "x-plivo-signature-v3-nonce",
    "authorization",
    "x-signature",
    "x-timestamp",
];

/// Made-up credentials of the right shape for each provider, so that configuring cannot fail.
fn table(provider: &str) -> &'static str {
    match provider {
        "twilio" => "account_sid = \"AC0\"\nauth_token = \"token\"",
        "signalwire" => {
            "space = \"example\"\nproject_id = \"p\"\napi_token = \"t\"\nsigning_key = \"k\""
        }
        // RFC 8032's first test key: any valid Ed25519 public key will do.
        "telnyx" => {
            "api_key = \"k\"\npublic_key = \"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\""
        }
        "plivo" => "auth_id = \"MA0\"\nauth_token = \"token\"",
        "vonage" | "vonage_messages" => {
            "api_key = \"k\"\napi_secret = \"s\"\nsignature_secret = \"s\""
        }
        "bandwidth" => {
            "account_id = \"1\"\nusername = \"u\"\npassword = \"p\"\napplication_id = \"a\"\n\
             callback_username = \"cu\"\ncallback_password = \"cp\""
        }
        "android" => "mode = \"cloud\"\nusername = \"u\"\npassword = \"p\"\nsigning_key = \"k\"",
        "httpsms" => "api_key = \"k\"\nsigning_key = \"k\"",
        other => panic!("no fuzzing credentials for the provider `{other}`"),
    }
}

/// The flow files the service ships with, by name.
pub const SHIPPED_FLOWS: [(&str, &str); 4] = [
    ("intake.toml", include_str!("../../flows/intake.toml")),
    ("keywords.toml", include_str!("../../flows/keywords.toml")),
    ("volunteer.toml", include_str!("../../flows/volunteer.toml")),
    ("zones.toml", include_str!("../../flows/zones.toml")),
];

/// `SHIPPED_FLOWS` named `names`, as the loader takes them.
pub fn shipped_files(names: &[&str]) -> Vec<(PathBuf, String)> {
    SHIPPED_FLOWS
        .iter()
        .filter(|(name, _)| names.contains(name))
        .map(|(name, source)| (PathBuf::from(name), source.to_string()))
        .collect()
}

pub fn region() -> Region {
    "US".parse().expect("a known region")
}

pub fn line_number() -> Phone {
    Phone::parse(LINE, region()).expect("a valid number")
}

/// One provider's gateway, configured once per fuzzing process.
pub struct Line {
    gateway: Arc<dyn Gateway>,
}

impl Line {
    pub fn configured(provider: &str) -> Line {
        let registered = gateway::provider(provider).expect("a registered provider");
        let value = Figment::from(Toml::string(table(provider)))
            .extract()
            .expect("a TOML table");
        let table = ProviderTable::new(
            format!("lines[0].{provider}"),
            line_number(),
            registered.name,
            Some(value),
        );
        let gateway = (registered.configure)(table).expect("settings the provider takes");
        Line { gateway }
    }

    /// Sends `data` to the gateway as one webhook. The first byte picks the address, the content
    /// type and the method; then, when that byte says so, a line that is every signature
    /// header's value and a line that is the address's query string; the rest is the body.
    pub fn receive(&self, data: &[u8]) {
        let Some((&pick, rest)) = data.split_first() else {
            return;
        };
        let hook = HOOKS[usize::from(pick & 0x07) % HOOKS.len()];
        let content_type = CONTENT_TYPES[usize::from((pick >> 3) & 0x03)];
        let (signature, rest) = line_if(pick & 0x20 != 0, rest);
        let (query, body) = line_if(pick & 0x40 != 0, rest);
        let method = if pick & 0x80 != 0 { "GET" } else { "POST" };

        let mut headers = HeaderMap::new();
        if let Some(value) = content_type {
            headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(value));
        }
        if let Some(value) = signature.and_then(|s| HeaderValue::from_bytes(s).ok()) {
            for name in SIGNATURE_HEADERS {
                headers.insert(*name, value.clone());
            }
        }
        let mut url = format!("https://aidline.example/webhooks/{}", self.gateway.name());
        if let Some(query) = query {
            url.push('?');
            url.push_str(&String::from_utf8_lossy(query));
        }
        let webhook = Webhook {
            method,
            url: &url,
            headers: &headers,
            body,
            hook,
            now_s: NOW_S,
        };
        let _ = self.gateway.verify(&webhook);
        self.parse(&webhook);
    }

    /// What the service does with a verified webhook at that address.
    fn parse(&self, webhook: &Webhook) {
        let calls = self.gateway.calls();
        let recordings = calls.and_then(|c| c.recordings());
        match webhook.hook {
            Hook::Inbound | Hook::Status | Hook::Events => {
                let _ = gateway::read_events(self.gateway.as_ref(), webhook, region());
            }
            Hook::Call => {
                if let Some(Ok(event)) = calls.map(|c| c.parse_call(webhook, region())) {
                    aidline::voice::turn::heard_as_text(&event.heard, None);
                }
            }
            Hook::CallEnded => {
                let _ = calls.map(|c| c.parse_call_end(webhook));
            }
            Hook::Recording => {
                let _ = recordings.map(|r| r.parse_recording(webhook));
            }
            Hook::Transcription => {
                let transcriptions = recordings.and_then(|r| r.transcriptions());
                let _ = transcriptions.map(|t| t.parse_transcription(webhook));
            }
        }
    }
}

/// The first line of `data` and the rest, when `wanted`; else nothing and all of it.
fn line_if(wanted: bool, data: &[u8]) -> (Option<&[u8]>, &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(end) if wanted => (Some(&data[..end]), &data[end + 1..]),
        _ => (None, data),
    }
}

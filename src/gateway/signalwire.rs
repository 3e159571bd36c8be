//! SignalWire, through its Twilio-compatible ("LaML" / cXML) messaging API.
//!
//! Webhooks carry Twilio's form fields and Twilio's signature scheme, but the signature is keyed
//! with the project's signing key (not the API token) and arrives in `X-SignalWire-Signature`;
//! the legacy `X-Twilio-Signature` is taken as an alias. Sends go to the space's copy of
//! Twilio's Messages API with Basic auth (project id, API token). Everything the two share lives in
//! the Twilio module.
//!
//! Calls are the same: the number's voice URL and each `<Gather action>` get Twilio's form fields
//! (`CallSid`, `From`, `To`, `Digits`, `SpeechResult`, `Confidence`), signed as texts are, and a
//! message left on a call is fetched from, then deleted at, the space's Recordings API.

use std::sync::Arc;

use reqwest::Url;

use crate::gateway::settings::{OptOutReplies, ProviderTable, url_setting};
use crate::phone::Region;
use crate::secret::Secret;
use crate::setting_error::{SettingError, invalid};

use super::twilio::{self, EMPTY_TWIML};
use super::{
    Acknowledgement, AuthError, CallEvent, Calls, DeleteFuture, Event, FetchFuture, Gateway, Held,
    Outgoing, PayloadError, Provider, RecordingEvent, Recordings, SendFuture, TextWay,
    TranscriptionEvent, Transcriptions, Webhook,
};
use crate::voice::documents::Dialect;

pub const PROVIDER: Provider = Provider {
    name: "signalwire",
    configure,
};

/// The most media SignalWire documents for one message.
const MAX_MEDIA: usize = 8;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    space: String,
    project_id: String,
    api_token: Secret,
    signing_key: Secret,
    api_base: Option<String>,
}

#[derive(Debug)]
pub struct SignalWire {
    project_id: String,
    api_token: Secret,
    signing_key: Secret,
    api_base: Url,
}

fn configure(table: ProviderTable) -> Result<Arc<dyn Gateway>, SettingError> {
    let s: Settings = table.parse()?;
    if s.space.trim().is_empty() {
        return Err(invalid(
            format!("{}.space", table.key),
            "name the SignalWire space (the `example` of example.signalwire.com)",
        ));
    }
    Ok(Arc::new(SignalWire {
        api_base: url_setting(
            &format!("{}.api_base", table.key),
            s.api_base.as_deref(),
            &space_url(&s.space),
        )?,
        project_id: s.project_id,
        api_token: s.api_token,
        signing_key: s.signing_key,
    }))
}

/// The space's address. People paste either the bare name or the whole host name from the
/// dashboard, so both are taken.
fn space_url(space: &str) -> String {
    let host = space
        .trim()
        .trim_start_matches("https://")
        .trim_end_matches('/')
        .to_ascii_lowercase();
    if host.contains('.') {
        format!("https://{host}")
    } else {
        format!("https://{host}.signalwire.com")
    }
}

impl Gateway for SignalWire {
    fn name(&self) -> &'static str {
        PROVIDER.name
    }

    /// The space deletes the message but not its pictures (docs/privacy.md).
    fn delete_message<'a>(
        &'a self,
        http: &'a reqwest::Client,
        id: &'a str,
        _way: TextWay,
    ) -> DeleteFuture<'a> {
        let messages = format!(
            "{}/api/laml/2010-04-01/Accounts/{}/Messages",
            self.api_base.as_str().trim_end_matches('/'),
            self.project_id
        );
        let password = self.api_token.expose();
        let user = &self.project_id;
        twilio::deletion::delete_message(http, messages, id, user, password, "SignalWire")
    }

    fn verify(&self, hook: &Webhook) -> Result<(), AuthError> {
        let signature = hook
            .header("x-signalwire-signature")
            .or_else(|| hook.header("x-twilio-signature"))
            .ok_or(AuthError::Missing("X-SignalWire-Signature"))?;
        twilio::verify_hook(self.signing_key.expose(), hook, signature)
    }

    fn parse(&self, hook: &Webhook, region: Region) -> Result<Vec<Event>, PayloadError> {
        twilio::read_events(PROVIDER.name, MAX_MEDIA, hook, region)
    }

    fn send<'a>(&'a self, http: &'a reqwest::Client, msg: Outgoing<'a>) -> SendFuture<'a> {
        let url = format!(
            "{}/api/laml/2010-04-01/Accounts/{}/Messages",
            self.api_base.as_str().trim_end_matches('/'),
            self.project_id
        );
        Box::pin(twilio::send_form(
            http,
            url,
            &self.project_id,
            self.api_token.expose(),
            msg,
            "SignalWire",
        ))
    }

    fn acknowledgement(&self) -> Acknowledgement {
        Acknowledgement::Xml(EMPTY_TWIML)
    }

    fn default_opt_out_replies(&self) -> OptOutReplies {
        // Like Twilio, SignalWire blocks and confirms STOP on its own.
        OptOutReplies::Gateway
    }

    fn calls(&self) -> Option<&dyn Calls> {
        Some(self)
    }
}

impl Calls for SignalWire {
    fn dialect(&self) -> Dialect {
        Dialect::SignalWire
    }

    fn parse_call(&self, hook: &Webhook, region: Region) -> Result<CallEvent, PayloadError> {
        twilio::calls::read_call(&hook.params(), region)
    }

    fn parse_call_end(&self, hook: &Webhook) -> Result<Option<String>, PayloadError> {
        twilio::calls::read_call_end(&hook.params())
    }

    fn recordings(&self) -> Option<&dyn Recordings> {
        Some(self)
    }
}

/// Recordings live in the space's copy of Twilio's Recordings API, called and answered alike.
impl Recordings for SignalWire {
    fn parse_recording(&self, hook: &Webhook) -> Result<Option<RecordingEvent>, PayloadError> {
        twilio::calls::read_recording(&hook.params())
    }

    fn fetch<'a>(&'a self, http: &'a reqwest::Client, held: Held<'a>) -> FetchFuture<'a> {
        let url = self.resource_url("Recordings", held.recording_id, "mp3");
        let password = self.api_token.expose();
        twilio::calls::fetch_recording(http, url, &self.project_id, password, "SignalWire")
    }

    fn delete<'a>(&'a self, http: &'a reqwest::Client, held: Held<'a>) -> DeleteFuture<'a> {
        let url = self.resource_url("Recordings", held.recording_id, "json");
        self.delete_resource(http, url, "recording")
    }

    fn transcriptions(&self) -> Option<&dyn Transcriptions> {
        Some(self)
    }
}

/// The space keeps a transcription after its recording is deleted, as Twilio does.
impl Transcriptions for SignalWire {
    fn parse_transcription(&self, hook: &Webhook) -> Result<TranscriptionEvent, PayloadError> {
        twilio::calls::read_transcription(&hook.params())
    }

    fn delete_transcription<'a>(
        &'a self,
        http: &'a reqwest::Client,
        id: &'a str,
    ) -> DeleteFuture<'a> {
        let url = self.resource_url("Transcriptions", id, "json");
        self.delete_resource(http, url, "transcription")
    }
}

impl SignalWire {
    /// The space's API address of `resource` `id` in `format`, built from our settings only.
    fn resource_url(&self, resource: &str, id: &str, format: &str) -> String {
        format!(
            "{}/api/laml/2010-04-01/Accounts/{}/{resource}/{id}.{format}",
            self.api_base.as_str().trim_end_matches('/'),
            self.project_id
        )
    }

    fn delete_resource<'a>(
        &'a self,
        http: &'a reqwest::Client,
        url: String,
        what: &'static str,
    ) -> DeleteFuture<'a> {
        let password = self.api_token.expose();
        twilio::calls::delete_resource(http, url, &self.project_id, password, "SignalWire", what)
    }
}

#[cfg(test)]
mod tests {
    use crate::lifecycle::DeliveryState;
    use axum::http::{HeaderMap, HeaderValue};

    use super::*;
    use crate::gateway::settings::first_line;
    use crate::gateway::{Hook, Params};

    const URL: &str = "https://aid.example.org/webhooks/signalwire/sms";
    const KEY: &str = "PSK_Vx8nQ2rT5kLmW3pZ9yB4cD1f";
    const TOKEN: &str = "PTa1b2c3d4e5f60718293a4b5c6d7e8f9";
    /// An inbound text as a SignalWire space posts it (project id in `AccountSid`, UUID sids).
    const INBOUND: &str = "MessageSid=3f2a9c1e-7b4d-4e8a-9c2f-1d5e6a7b8c90&SmsSid=3f2a9c1e-7b4d-4e8a-9c2f-1d5e6a7b8c90&AccountSid=b3877c40-da60-4998-90ad-b792e98472af&From=%2B15557651234&To=%2B15550007001&Body=Need+groceries+please&NumMedia=0&NumSegments=1&SmsStatus=received&ApiVersion=2010-04-01";
    /// Worked out independently of this code, with the Twilio algorithm and `KEY`.
    const SIGNED: &str = "Og74BlI+vGdbf4NIrT0e8sN6KbQ=";

    fn line(table: &str) -> Result<Arc<dyn Gateway>, SettingError> {
        first_line("signalwire", "+15550007001", table)
    }

    fn gateway(signing_key: &str) -> Arc<dyn Gateway> {
        line(&format!(
            "space = \"example\"\nproject_id = \"b3877c40-da60-4998-90ad-b792e98472af\"\n\
             api_token = \"{TOKEN}\"\nsigning_key = \"{signing_key}\""
        ))
        .unwrap()
    }

    fn hook<'a>(headers: &'a HeaderMap, body: &'a str, kind: Hook) -> Webhook<'a> {
        Webhook {
            method: "POST",
            url: URL,
            headers,
            body: body.as_bytes(),
            hook: kind,
            now_s: 0,
        }
    }

    fn signed_by(header: &'static str, signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header, HeaderValue::from_str(signature).unwrap());
        headers
    }

    #[test]
    fn a_text_signed_with_the_signing_key_is_accepted_under_either_header_name() {
        let sw = gateway(KEY);
        for header in ["x-signalwire-signature", "x-twilio-signature"] {
            let headers = signed_by(header, SIGNED);
            assert_eq!(sw.verify(&hook(&headers, INBOUND, Hook::Inbound)), Ok(()));
        }
    }

    #[test]
    fn a_tampered_body_a_wrong_key_or_no_signature_is_refused() {
        let headers = signed_by("x-signalwire-signature", SIGNED);
        let tampered = INBOUND.replace("Need+groceries", "STOP");
        assert_eq!(
            gateway(KEY).verify(&hook(&headers, &tampered, Hook::Inbound)),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            gateway("PSK_someone_elses").verify(&hook(&headers, INBOUND, Hook::Inbound)),
            Err(AuthError::BadSignature)
        );
        let none = HeaderMap::new();
        assert_eq!(
            gateway(KEY).verify(&hook(&none, INBOUND, Hook::Inbound)),
            Err(AuthError::Missing("X-SignalWire-Signature"))
        );
    }

    #[test]
    fn the_api_token_does_not_sign_webhooks() {
        let by_token = twilio::signature(TOKEN, URL, &Params::from_form(INBOUND.as_bytes()).0);
        let headers = signed_by("x-signalwire-signature", &by_token);
        assert_eq!(
            gateway(KEY).verify(&hook(&headers, INBOUND, Hook::Inbound)),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn an_inbound_text_and_a_delivery_report_are_read_as_twilio_reads_them() {
        let us: Region = "US".parse().unwrap();
        let headers = HeaderMap::new();
        let events = gateway(KEY)
            .parse(&hook(&headers, INBOUND, Hook::Inbound), us)
            .unwrap();
        let [Event::Text(text)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(text.gateway, "signalwire");
        assert_eq!(
            text.gateway_id.as_deref(),
            Some("3f2a9c1e-7b4d-4e8a-9c2f-1d5e6a7b8c90")
        );
        assert_eq!(text.from.as_str(), "+15557651234");
        assert_eq!(text.line.as_str(), "+15550007001");
        assert_eq!(text.body, "Need groceries please");

        let status = "MessageSid=3f2a9c1e-7b4d-4e8a-9c2f-1d5e6a7b8c90&MessageStatus=undelivered&ErrorCode=30003";
        let events = gateway(KEY)
            .parse(&hook(&headers, status, Hook::Status), us)
            .unwrap();
        let [Event::Delivery(report)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(report.state, Some(DeliveryState::Undelivered));
        assert_eq!(report.error_code.as_deref(), Some("30003"));

        let without_sid = INBOUND.replace("MessageSid=", "Sid=");
        assert_eq!(
            gateway(KEY)
                .parse(&hook(&headers, &without_sid, Hook::Inbound), us)
                .unwrap_err(),
            PayloadError::Missing("MessageSid")
        );
    }

    #[test]
    fn the_space_names_the_api_address_and_secrets_stay_hidden() {
        assert_eq!(space_url("example"), "https://example.signalwire.com");
        assert_eq!(
            space_url("https://Example.signalwire.com/"),
            "https://example.signalwire.com"
        );
        let common = "project_id = \"p\"\napi_token = \"t\"\nsigning_key = \"k\"";
        let shown = format!("{:?}", line(&format!("space = \"x\"\n{common}")).unwrap());
        assert!(shown.contains("x.signalwire.com"), "{shown}");
        assert!(shown.contains("signing_key: [secret]"), "{shown}");
        // `api_base` still counts (and is checked) when a space is named.
        assert!(
            line(&format!(
                "space = \"x\"\napi_base = \"not a url\"\n{common}"
            ))
            .is_err()
        );
        let err = line(&format!("space = \" \"\n{common}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("lines[0].signalwire.space"), "{err}");
        let err = line(&format!(
            "space = \"example\"\nauth_token = \"t\"\n{common}"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("auth_token"), "{err}");
    }

    #[test]
    fn signalwire_confirms_opt_outs_itself_and_is_answered_with_empty_twiml() {
        let sw = gateway(KEY);
        assert_eq!(sw.default_opt_out_replies(), OptOutReplies::Gateway);
        assert_eq!(sw.acknowledgement(), Acknowledgement::Xml(EMPTY_TWIML));
    }
}

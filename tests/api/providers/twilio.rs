//! Twilio's line, and the Twilio dialect SignalWire speaks too: forms in, signed over the address
//! they were posted to, and forms out to a Messages API.

use aidline::gateway::twilio::{EMPTY_TWIML, signature};
use serde_json::{Value, json};
use wiremock::{Request, ResponseTemplate};

use super::*;

pub struct Twilio;

/// What sets one provider of the dialect apart from another.
pub struct Dialect {
    pub gateway: &'static str,
    pub line: &'static str,
    /// Where texts and delivery reports come in.
    pub texts: &'static str,
    pub reports: &'static str,
    /// Who sends texts, with what password; the account names the Messages API too.
    pub account: &'static str,
    pub api_password: &'static str,
    pub send_path: &'static str,
    /// What webhooks are signed with, and under which header.
    pub signing_key: &'static str,
    pub header: &'static str,
    /// How the Messages API writes the id of the `n`th text it takes.
    pub message_id: fn(u64) -> String,
}

/// A provider of the dialect: the facts that set it apart, and its line's settings.
pub trait SpeaksTwilio {
    const DIALECT: Dialect;
    fn settings() -> String;
    fn forgeries(_app: &TestApp, _body: &str) -> Vec<(&'static str, Signed)> {
        Vec::new()
    }
}

impl SpeaksTwilio for Twilio {
    const DIALECT: Dialect = Dialect {
        gateway: "twilio",
        line: LINE,
        texts: "/webhooks/twilio/sms",
        reports: "/webhooks/twilio/status",
        account: ACCOUNT,
        api_password: TOKEN,
        send_path: MESSAGES_PATH,
        signing_key: TOKEN,
        header: "X-Twilio-Signature",
        message_id: |n| format!("SM{n:032x}"),
    };

    fn settings() -> String {
        format!("account_sid = \"{ACCOUNT}\"\nauth_token = \"{TOKEN}\"\napi_base = \"{{api}}\"")
    }
}

impl Dialect {
    /// Signs `body` with `key`, under this dialect's header.
    pub fn sign_with(&self, app: &TestApp, path: &str, body: &str, key: &str) -> Signed {
        let signature = signature(key, &app.url(path), &form_pairs(body));
        Signed {
            headers: vec![(self.header, signature)],
            body: body.to_string(),
        }
    }
}

impl<T: SpeaksTwilio> Provider for T {
    const GATEWAY: &'static str = T::DIALECT.gateway;
    const LINE: &'static str = T::DIALECT.line;
    const TEXTS: &'static str = T::DIALECT.texts;
    const REPORTS: &'static str = T::DIALECT.reports;
    const POSTS: &'static str = "application/x-www-form-urlencoded";
    const ACKNOWLEDGEMENT: &'static str = EMPTY_TWIML;
    const SEND_PATH: &'static str = T::DIALECT.send_path;
    const SENDS_JSON: bool = false;
    const SENT_TEXT: &'static str = "/Body";
    const CONFIRMS_STOP: bool = true;
    /// "Message from an Unregistered Number".
    const FAILURE_CODE: &'static str = "30034";

    fn settings() -> String {
        T::settings()
    }

    fn lines() -> String {
        // Every test service has the Twilio line already.
        match T::DIALECT.line {
            LINE => String::new(),
            line => super::line(T::DIALECT.gateway, line, &T::settings()),
        }
    }

    fn inbound(from: &str, text: &str, sid: &str) -> String {
        form(&[
            ("MessageSid", sid),
            ("SmsSid", sid),
            ("AccountSid", T::DIALECT.account),
            ("From", from),
            ("To", T::DIALECT.line),
            ("Body", text),
            ("NumMedia", "0"),
            ("NumSegments", "1"),
            ("SmsStatus", "received"),
            ("ApiVersion", "2010-04-01"),
        ])
    }

    fn report(sid: &str, to: &str, report: Report) -> String {
        let (status, code) = match report {
            Report::Sent => ("sent", None),
            Report::Delivered => ("delivered", None),
            Report::Failed(code) => ("failed", Some(code)),
        };
        let mut fields = vec![
            ("MessageSid", sid),
            ("MessageStatus", status),
            ("AccountSid", T::DIALECT.account),
            ("From", T::DIALECT.line),
            ("To", to),
        ];
        fields.extend(code.map(|code| ("ErrorCode", code)));
        form(&fields)
    }

    fn sign(app: &TestApp, path: &str, body: &str, signer: Signer) -> Signed {
        let key = match signer {
            Signer::Line => T::DIALECT.signing_key,
            Signer::Stranger => "someone-elses-key",
        };
        T::DIALECT.sign_with(app, path, body, key)
    }

    fn message_id(_: &Request, n: u64) -> String {
        (T::DIALECT.message_id)(n)
    }

    fn accepted(_: &Request, id: &str) -> ResponseTemplate {
        ResponseTemplate::new(201).set_body_json(json!({
            "sid": id, "account_sid": T::DIALECT.account, "status": "queued", "num_segments": "1"
        }))
    }

    fn assert_authenticated(request: &Request) {
        let expected = basic(T::DIALECT.account, T::DIALECT.api_password);
        assert_eq!(request.headers["authorization"], expected.as_str());
    }

    fn expected_send(app: &TestApp, to: &str, text: &str, _: i64) -> Value {
        json!({
            "To": to,
            "From": T::DIALECT.line,
            "Body": text,
            "StatusCallback": app.url(Self::REPORTS),
        })
    }

    /// The API down, then asking us to slow down.
    fn outages() -> Vec<Outage> {
        let error = |code: u32, message: &str, status: u16| Outage {
            status,
            retry_after: (status == 429).then_some(30),
            body: json!({"code": code, "message": message, "status": status}),
        };
        vec![
            error(20503, "Service Unavailable", 503),
            error(20429, "Too Many Requests", 429),
        ]
    }

    fn malformed() -> Vec<(&'static str, String)> {
        let text = Self::inbound("+15557657106", "hi", "SMmalformed");
        let not_a_number = Self::inbound("not a number", "hi", "SMmalformed");
        vec![
            ("From", form_without(&text, "From")),
            ("From", not_a_number),
        ]
    }

    fn forgeries(app: &TestApp, body: &str) -> Vec<(&'static str, Signed)> {
        T::forgeries(app, body)
    }
}

impl<T: SpeaksTwilio> OptsOut for T {
    /// "Attempt to send to unsubscribed recipient".
    const OPT_OUT_CODE: &'static str = "21610";

    fn opted_out_refusal() -> Option<(u16, Value)> {
        let body = json!({
            "code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400
        });
        Some((400, body))
    }
}

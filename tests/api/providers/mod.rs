//! Every SMS provider through the same scenarios: a text in is answered, a webhook delivered again
//! is taken once, delivery reports move a text on, a provider's opt-out code opts the neighbour
//! out, a forged webhook is refused, an outage is waited out. Each scenario is written once in
//! `scenarios` and run for every provider on both databases, as
//! `SCENARIO::PROVIDER::sqlite`; a provider takes part through its fixture, a [`Provider`], in a
//! module of its own beside the tests that only it needs.

mod android;
mod bandwidth;
mod bandwidth_calls;
mod httpsms;
mod plivo;
mod scenarios;
mod signalwire;
pub mod telnyx;
mod twilio;
mod voice;
mod vonage_calls;
mod vonage_messages;
pub mod vonage_sms;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, ResponseTemplate};

use crate::helpers::*;

/// What the intake flow says first.
pub const FIRST_QUESTION: &str =
    "Hi, this is your neighbourhood mutual-aid line. Reply 1 for English. Responda 2 para español.";
/// Our confirmation of an opt-out, sent where the provider sends none of its own.
pub const STOPPED: &str =
    "You will get no more texts from this line. Reply START to receive texts again.";

/// Writes each scenario as a module holding one test per provider and database; the providers
/// that can say a recipient opted out take part in the scenarios about that as well. Each provider
/// is named as its fixture's module, then the fixture.
macro_rules! table {
    (
        opting out: $opting_out:tt,
        others: $others:tt,
        every provider: $($scenario:ident),*;
        opting out: $($opt_out_scenario:ident),*;
    ) => {
        $(mod $scenario {
            table!(@providers $scenario $opting_out);
            table!(@providers $scenario $others);
        })*
        $(mod $opt_out_scenario {
            table!(@providers $opt_out_scenario $opting_out);
        })*
        table!(@every_line $opting_out $others);
    };
    (@providers $scenario:ident [$($provider:ident: $fixture:ident),*]) => {
        $crate::on_both_databases! {$(
            async fn $provider(db) {
                use $crate::providers::{$provider::$fixture, scenarios};
                scenarios::$scenario::<$fixture>(db).await
            }
        )*}
    };
    (@every_line [$($a:ident: $A:ident),*] [$($b:ident: $B:ident),*]) => {
        /// Every provider's line, for tests that want them all, as `Options::extra_lines`, and
        /// their numbers.
        pub fn every_line() -> (String, Vec<&'static str>) {
            let lines = [$($a::$A::lines(),)* $($b::$B::lines(),)*];
            (lines.concat(), vec![$($a::$A::LINE,)* $($b::$B::LINE,)*])
        }
    };
}

table! {
    opting out: [
        twilio: Twilio,
        signalwire: SignalWire,
        telnyx: Telnyx,
        plivo: Plivo,
        bandwidth: Bandwidth,
        vonage_sms: VonageSms
    ],
    others: [vonage_messages: VonageMessages, httpsms: HttpSms, android: Android],
    every provider:
        a_text_is_taken_in_and_answered_as_the_provider_documents,
        a_duplicate_webhook_is_taken_once,
        a_delivery_report_moves_the_text_on_and_a_late_one_does_not_move_it_back,
        a_failure_report_fails_the_text_and_keeps_the_providers_code,
        a_forged_webhook_is_refused_and_nothing_is_stored,
        a_malformed_webhook_gets_400_naming_the_field,
        a_reply_that_meets_an_outage_is_sent_on_retry,
        stop_is_confirmed_once_and_then_nothing_more_is_sent;
    opting out:
        an_opt_out_code_opts_the_neighbour_out;
}

/// One provider as the scenarios meet it.
pub trait Provider {
    /// The line's `gateway`, under which its texts are stored.
    const GATEWAY: &'static str;
    /// Our number with this provider.
    const LINE: &'static str;
    /// Where the provider posts texts, and where delivery reports.
    const TEXTS: &'static str;
    const REPORTS: &'static str;
    /// The content type of what it posts.
    const POSTS: &'static str;
    /// Whether its signature covers the body, so that a body changed on the way is refused.
    const SIGNS_BODY: bool = true;
    /// The body a webhook is answered with.
    const ACKNOWLEDGEMENT: &'static str = "";
    /// Where replies are sent, and whether as JSON (else as a form).
    const SEND_PATH: &'static str;
    const SENDS_JSON: bool = true;
    /// Where the reply's words are in what is sent, as a JSON pointer.
    const SENT_TEXT: &'static str = "/text";
    /// Whether the provider confirms STOP itself, so we do not.
    const CONFIRMS_STOP: bool = false;
    /// A failure code that is not the recipient's choice, and the state a report of a failure
    /// leaves the text in.
    const FAILURE_CODE: &'static str;
    const FAILED: &'static str = "failed";

    /// The line's `[lines.GATEWAY]` table: its credentials, and the mock API as its `api_base`.
    fn settings() -> String;
    /// The line, as `Options::extra_lines`.
    fn lines() -> String {
        line(Self::GATEWAY, Self::LINE, &Self::settings())
    }
    /// A text from `from`, as the provider posts it.
    fn inbound(from: &str, text: &str, id: &str) -> String;
    /// A report on the text the provider calls `id`.
    fn report(id: &str, to: &str, report: Report) -> String;
    /// `body` signed for `path` as the provider signs for our line, or as `signer` would.
    fn sign(app: &TestApp, path: &str, body: &str, signer: Signer) -> Signed;
    /// The id the send API gives the `n`th text it takes, this one.
    fn message_id(request: &Request, n: u64) -> String;
    /// The send API taking a text under `id`.
    fn accepted(request: &Request, id: &str) -> ResponseTemplate;
    /// Asserts that a send carries the line's credentials.
    fn assert_authenticated(request: &Request);
    /// What the send API must be asked for our text `reference`, `text` to `to`.
    fn expected_send(app: &TestApp, to: &str, text: &str, reference: i64) -> Value;
    /// How the send API answers while it is down or too busy.
    fn outages() -> Vec<Outage>;
    /// Texts the provider could not have sent, each with the field the refusal must name.
    fn malformed() -> Vec<(&'static str, String)>;
    /// Forgeries beyond those every provider refuses.
    fn forgeries(_app: &TestApp, _body: &str) -> Vec<(&'static str, Signed)> {
        Vec::new()
    }
}

/// A provider with an error code that says the recipient opted out.
pub trait OptsOut: Provider {
    const OPT_OUT_CODE: &'static str;
    /// The send API's refusal of a text to someone who opted out, where it refuses rather than
    /// reporting the failure later: HTTP status and body.
    fn opted_out_refusal() -> Option<(u16, Value)> {
        None
    }
}

/// What a delivery report says.
#[derive(Debug, Clone, Copy)]
pub enum Report<'a> {
    Sent,
    Delivered,
    Failed(&'a str),
}

/// Who signs a webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// The provider, with our line's credentials.
    Line,
    /// Someone with credentials of their own.
    Stranger,
}

/// A webhook ready to post: its signing headers and its body.
pub struct Signed {
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Signed {
    pub fn unsigned(body: &str) -> Signed {
        Signed {
            headers: Vec::new(),
            body: body.to_string(),
        }
    }
}

/// A refusal of the send API worth waiting out.
pub struct Outage {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub body: Value,
}

/// A line of `gateway`'s on `number`, as `Options::extra_lines`, unpaced and running the intake
/// flow.
pub fn line(gateway: &str, number: &str, settings: &str) -> String {
    format!(
        "[[lines]]\nnumber = \"{number}\"\ngateway = \"{gateway}\"\nflow = \"intake\"\n\
         segments_per_second = \"unlimited\"\n[lines.{gateway}]\n{settings}\n"
    )
}

/// A service with `F`'s line, whose send API takes every text.
pub async fn spawn<F: Provider>(db: TestDb) -> TestApp {
    spawn_with::<F>(db, String::new()).await
}

/// The same, with more lines.
pub async fn spawn_with<F: Provider>(db: TestDb, more_lines: String) -> TestApp {
    let app = TestApp::spawn_with_lines(db, F::lines() + &more_lines).await;
    let taken = AtomicU64::new(1);
    // Above the Twilio line's own mock, below a test's one-off refusals.
    Mock::given(method("POST"))
        .and(path(F::SEND_PATH))
        .respond_with(move |request: &Request| {
            let n = taken.fetch_add(1, Ordering::Relaxed);
            F::accepted(request, &F::message_id(request, n))
        })
        .with_priority(5)
        .mount(&app.api)
        .await;
    app
}

pub async fn post(
    app: &TestApp,
    path: &str,
    content_type: &str,
    hook: Signed,
) -> reqwest::Response {
    app.post_raw(path, &hook.headers, content_type, hook.body)
        .await
}

/// A neighbour's text, signed for our line.
pub async fn text_in<F: Provider>(
    app: &TestApp,
    from: &str,
    text: &str,
    id: &str,
) -> reqwest::Response {
    let signed = F::sign(app, F::TEXTS, &F::inbound(from, text, id), Signer::Line);
    post(app, F::TEXTS, F::POSTS, signed).await
}

/// A neighbour texts the line; asserts the provider would see success.
pub async fn text<F: Provider>(app: &TestApp, from: &str, text: &str) {
    let response = text_in::<F>(app, from, text, &new_id()).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

/// A report on the text the provider calls `id`, signed by `signer`; the status it is answered with.
pub async fn report<F: Provider>(
    app: &TestApp,
    id: &str,
    to: &str,
    report: Report<'_>,
    signer: Signer,
) -> u16 {
    let signed = F::sign(app, F::REPORTS, &F::report(id, to, report), signer);
    post(app, F::REPORTS, F::POSTS, signed)
        .await
        .status()
        .as_u16()
}

/// A fresh id for a provider's message, in the UUID form most of them use.
pub fn new_id() -> String {
    let hex = format!("{:032x}", rand::random::<u128>());
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", BASE64.encode(format!("{user}:{password}")))
}

/// The service clock in seconds, which providers sign with.
pub fn now_s(app: &TestApp) -> i64 {
    app.clock.now_ms() / 1000
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

pub fn form_pairs(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

/// The form `body` less its `field`.
pub fn form_without(body: &str, field: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form_pairs(body).iter().filter(|(name, _)| name != field))
        .finish()
}

/// A send as JSON: its body, or its form as an object of strings.
pub fn read_send<F: Provider>(request: &Request) -> Value {
    if F::SENDS_JSON {
        return serde_json::from_slice(&request.body).unwrap();
    }
    let form: BTreeMap<String, String> =
        form_urlencoded::parse(&request.body).into_owned().collect();
    serde_json::to_value(form).unwrap()
}

/// What the send API was asked, in order.
pub async fn sends<F: Provider>(app: &TestApp) -> Vec<Request> {
    app.api_requests(F::SEND_PATH).await
}

/// The newest text queued for sending.
#[derive(Debug, sqlx::FromRow)]
pub struct Outbound {
    pub id: i64,
    pub state: String,
    pub attempts: i64,
    pub gateway_id: Option<String>,
    pub error_code: Option<String>,
}

pub async fn outbound(app: &TestApp) -> Outbound {
    sqlx::query_as(
        "SELECT id, state, attempts, gateway_id, error_code FROM outbound_messages \
         ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

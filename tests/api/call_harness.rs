//! Calls to a line, as a caller makes them, for every provider that carries calls: a caller who
//! dials, presses and speaks through the provider's signed webhooks and follows the address each
//! document gives for the answer, and what a document says. A provider takes part through
//! [`Dialled`]: how it phrases and signs a webhook, and how its documents are read.

use std::collections::BTreeMap;
use std::future::Future;

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::Event;
use serde_json::Value;

use crate::helpers::*;
use crate::providers::{Signed, Signer, form, new_id};

/// The fields of a webhook, in the order they are sent.
pub type Fields = Vec<(&'static str, Value)>;

/// How a provider's webhooks reach the line: where calls begin, and how what it posts is signed.
pub trait Webhooks {
    /// Where the provider sends a call's first webhook.
    fn voice() -> String;
    /// The content type of what it posts.
    const CONTENT_TYPE: &'static str;
    /// `body` signed for `path` as the provider signs for our line, or as `signer` would.
    fn signed(app: &TestApp, path: &str, body: &str, signer: Signer) -> Signed;
}

/// A provider's call webhooks: the fields of every one of a call, and what an answer adds, and
/// how its documents are read.
pub trait Dialled: Webhooks {
    /// The element (or action) that waits for the caller's answer.
    const LISTENS: &'static str;
    /// Its attribute naming the address the answer goes to.
    const ACTION: &'static str = "action";
    /// What the documents are written in, as their content type says it.
    const DOCUMENTS: &'static str = "xml";

    /// A new id for a call.
    fn call_id() -> String {
        new_id()
    }
    /// The fields every webhook of call `id` from `from` carries.
    fn call(id: &str, from: &str) -> Fields;
    /// What the first webhook of a call adds.
    fn ringing() -> Fields {
        Vec::new()
    }
    fn pressed(keys: &str) -> Fields;
    fn said(words: &str) -> Fields;
    /// What a caller who lets the question go by sends.
    fn silent() -> Fields {
        Vec::new()
    }

    /// A webhook with `fields` for `path`, signed by `signer`: a form, unless the provider posts
    /// something else.
    fn webhook(app: &TestApp, path: &str, fields: &Fields, signer: Signer) -> Signed {
        let pairs: Vec<(&str, String)> = fields
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => (*k, s.clone()),
                other => (*k, other.to_string()),
            })
            .collect();
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Self::signed(app, path, &form(&pairs), signer)
    }

    /// Sends a call's first webhook, with `fields`, to `path`.
    fn start(
        app: &TestApp,
        path: &str,
        fields: &Fields,
    ) -> impl Future<Output = reqwest::Response> {
        let hook = Self::webhook(app, path, fields, Signer::Line);
        send::<Self>(app, path, hook)
    }

    /// Reads a document the line answered with.
    fn read(body: &str) -> Document {
        Document::parse(body, Self::LISTENS)
    }
}

/// `fields` as one JSON object, for providers that post JSON; a field given twice takes its later
/// value.
pub fn json_body(fields: &Fields) -> String {
    let object: serde_json::Map<String, Value> = fields
        .iter()
        .map(|(key, value)| (key.to_string(), value.clone()))
        .collect();
    Value::Object(object).to_string()
}

/// Posts `hook` to `path` as `F` posts its webhooks.
pub async fn send<F: Webhooks + ?Sized>(
    app: &TestApp,
    path: &str,
    hook: Signed,
) -> reqwest::Response {
    app.post_raw(path, &hook.headers, F::CONTENT_TYPE, hook.body)
        .await
}

/// What one document tells the provider to do.
#[derive(Debug, Default)]
pub struct Document {
    /// Everything said, in order, with the language it is said in.
    pub says: Vec<(String, String)>,
    /// The addresses of the recordings played, in order.
    pub plays: Vec<String>,
    /// The attributes of the element that waits for an answer, when there is one.
    pub listen: Option<Vec<(String, String)>>,
    /// The `<Record>`'s attributes, when the line takes a message.
    pub record: Option<Vec<(String, String)>>,
    pub hangup: bool,
}

impl Document {
    /// An XML document, whose `listens` element waits for the answer.
    pub fn parse(xml: &str, listens: &str) -> Document {
        let mut reader = Reader::from_str(xml);
        let mut document = Document::default();
        let mut saying = false;
        let mut playing = false;
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) | Event::Empty(e) => {
                    let attributes = e
                        .attributes()
                        .map(|a| {
                            let a = a.unwrap();
                            let value = a.normalized_value(XmlVersion::Implicit1_0).unwrap();
                            let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
                            (key, value.into_owned())
                        })
                        .collect::<Vec<_>>();
                    let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                    match name.as_str() {
                        // `<Say>` in TwiML's dialects, `<Speak>` in Plivo's, `<SpeakSentence>`
                        // in BXML.
                        "Say" | "Speak" | "SpeakSentence" => {
                            let language = attributes.iter().find(|(k, _)| k == "language");
                            let language = language.map(|(_, v)| v.clone()).unwrap_or_default();
                            document.says.push((String::new(), language));
                            saying = true;
                        }
                        // `<Play>` in TwiML and Plivo's XML, `<PlayAudio>` in BXML.
                        "Play" | "PlayAudio" => {
                            document.plays.push(String::new());
                            playing = true;
                        }
                        "Hangup" => document.hangup = true,
                        "Record" => document.record = Some(attributes),
                        name if name == listens => document.listen = Some(attributes),
                        _ => {}
                    }
                }
                Event::Text(t) if playing => {
                    let url = t.xml10_content().unwrap().into_owned();
                    document.plays.last_mut().unwrap().push_str(&url);
                }
                Event::Text(t) if saying => {
                    let text = t.xml10_content().unwrap().into_owned();
                    document.says.last_mut().unwrap().0.push_str(&text);
                }
                Event::GeneralRef(r) if saying => {
                    let name = r.decode().unwrap();
                    let c = quick_xml::escape::resolve_predefined_entity(&name).unwrap();
                    document.says.last_mut().unwrap().0.push_str(c);
                }
                Event::End(e)
                    if matches!(e.name().as_ref(), b"Say" | b"Speak" | b"SpeakSentence") =>
                {
                    saying = false
                }
                Event::End(e) if matches!(e.name().as_ref(), b"Play" | b"PlayAudio") => {
                    playing = false
                }
                Event::Eof => break,
                _ => {}
            }
        }
        document
    }

    pub fn said(&self) -> String {
        let words: Vec<&str> = self.says.iter().map(|(t, _)| t.as_str()).collect();
        words.join(" ")
    }

    pub fn listen(&self, attribute: &str) -> Option<&str> {
        attribute_of(self.listen.as_ref()?, attribute)
    }

    pub fn record(&self, attribute: &str) -> Option<&str> {
        attribute_of(self.record.as_ref()?, attribute)
    }
}

fn attribute_of<'a>(attributes: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// One call to `F`'s line.
pub struct Call<'a, F: Dialled> {
    app: &'a TestApp,
    /// The provider's id for the call.
    pub id: String,
    from: String,
    /// Where the next webhook goes: the last document's action, path and query.
    pub next: String,
    provider: std::marker::PhantomData<F>,
}

impl<'a, F: Dialled> Call<'a, F> {
    /// A call from `from` whose next webhook goes to `next`.
    pub fn at(app: &'a TestApp, from: &str, next: &str) -> Call<'a, F> {
        Call {
            app,
            id: F::call_id(),
            from: from.to_string(),
            next: next.to_string(),
            provider: std::marker::PhantomData,
        }
    }

    /// Dials the line and hears its first question.
    pub async fn dial(app: &'a TestApp, from: &str) -> (Call<'a, F>, Document) {
        let mut call = Call::at(app, from, &F::voice());
        let mut fields = F::call(&call.id, &call.from);
        fields.extend(F::ringing());
        let response = F::start(app, &call.next, &fields).await;
        let heard = call.follow(response).await;
        (call, heard)
    }

    pub async fn press(&mut self, keys: &str) -> Document {
        self.post(F::pressed(keys)).await
    }

    pub async fn say(&mut self, words: &str) -> Document {
        self.post(F::said(words)).await
    }

    pub async fn stay_silent(&mut self) -> Document {
        self.post(F::silent()).await
    }

    /// The webhook of this turn with `extra`, signed by `signer`, as the provider would post it.
    pub fn webhook(&self, extra: Fields, signer: Signer) -> Signed {
        let mut fields = F::call(&self.id, &self.from);
        fields.extend(extra);
        F::webhook(self.app, &self.next, &fields, signer)
    }

    pub async fn post_signed(&self, hook: Signed) -> reqwest::Response {
        send::<F>(self.app, &self.next, hook).await
    }

    /// Posts this turn's webhook with `extra` and follows the document it is answered with.
    pub async fn post(&mut self, extra: Fields) -> Document {
        let response = self.post_signed(self.webhook(extra, Signer::Line)).await;
        self.follow(response).await
    }

    async fn follow(&mut self, response: reqwest::Response) -> Document {
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(content_type.contains(F::DOCUMENTS), "{content_type}");
        let document = F::read(&response.text().await.unwrap());
        if let Some(action) = document.listen(F::ACTION) {
            self.next = action.strip_prefix(&self.app.url("")).unwrap().to_string();
        }
        document
    }
}

/// A call's first webhook from `CALLER`, signed by `signer`.
pub fn call_start<F: Dialled>(app: &TestApp, signer: Signer) -> Signed {
    let mut fields = F::call(&F::call_id(), CALLER);
    fields.extend(F::ringing());
    F::webhook(app, &F::voice(), &fields, signer)
}

pub const CALLER: &str = "+15557650101";

/// A caller hears the intake's first question, with the address for their answer, and pressing 2
/// gets them the next one in Spanish.
pub async fn the_first_question_is_answered_by_pressing_2<F: Dialled>(app: &TestApp) {
    let (mut call, heard) = Call::<F>::dial(app, CALLER).await;
    assert!(heard.said().contains("For English, press 1"), "{heard:?}");
    let action = format!("{}?turn=1&quiet=0", F::voice());
    assert_eq!(heard.listen("action"), Some(app.url(&action).as_str()));
    let heard = call.press("2").await;
    assert!(heard.said().contains("Para comida, oprima 1"), "{heard:?}");
    let action = format!("{}?turn=2&quiet=0", F::voice());
    assert_eq!(heard.listen("action"), Some(app.url(&action).as_str()));
}

/// The provider asks again for a turn (it timed out waiting, say): the same document, one turn.
pub async fn a_retried_turn_is_answered_alike_and_taken_once<F: Dialled>(app: &TestApp) {
    let (call, _) = Call::<F>::dial(app, CALLER).await;
    let answer = || call.post_signed(call.webhook(F::pressed("1"), Signer::Line));
    let first = answer().await;
    assert_eq!(first.status(), 200);
    let first = first.text().await.unwrap();
    let again = answer().await.text().await.unwrap();
    assert_eq!(first, again);
    let heard = F::read(&again);
    assert!(heard.said().contains("For groceries"), "{heard:?}");
    let turns = app
        .count("SELECT COUNT(*) FROM inbound_messages WHERE channel = 'voice'")
        .await;
    assert_eq!(turns, 2, "the call's start and one answer");
}

/// A call webhook that does not carry the line's signature is refused before anything is kept.
pub async fn a_forged_call_leaves_nothing_behind<F: Dialled>(app: &TestApp, forged: Signed) {
    let response = send::<F>(app, &F::voice(), forged).await;
    assert_eq!(response.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);
}

/// A caller who hid their number (the provider's `from` says so) hears, in each language the line
/// speaks, that nobody could call or text them back, and the call ends. Nothing is kept.
pub async fn a_hidden_caller_is_told_to_call_showing_their_number<F: Dialled>(
    app: &TestApp,
    from: &str,
) {
    let (_, heard) = Call::<F>::dial(app, from).await;
    let said = heard.said();
    assert!(
        said.starts_with("This line cannot see your number"),
        "{heard:?}"
    );
    assert!(said.contains("Esta línea no ve su número"), "{heard:?}");
    assert!(heard.listen.is_none(), "nothing to wait for: {heard:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);
}

/// The groceries intake from the zip code on: where, no time and no notes, and the name, which
/// ends the call into the one request, whose fields it gives.
pub async fn finish_the_groceries_intake_as_rosa<F: Dialled>(
    app: &TestApp,
    call: &mut Call<'_, F>,
) -> BTreeMap<String, String> {
    call.press("02139#").await;
    call.say("Corner of Main and 3rd").await;
    call.press("*").await; // when: skipped
    call.press("*").await; // notes: skipped
    let heard = call.say("Rosa").await;
    assert!(
        heard
            .said()
            .starts_with("Thank you, Rosa! Your request is "),
        "{heard:?}"
    );
    assert!(heard.hangup && heard.listen.is_none(), "{heard:?}");

    let requests = app.requests().await;
    assert_eq!(requests.len(), 1);
    let fields = &requests[0].fields;
    assert_eq!(fields["need"], "groceries");
    assert_eq!(fields["items"], "Milk, bread and rice.");
    assert_eq!(fields["household"], "3");
    assert_eq!(fields["zone"], "northside");
    requests.into_iter().next().unwrap().fields
}

/// The prescription intake from the household on: two people, the zone spoken, the rest
/// skipped, into the one request.
pub async fn finish_the_prescription_intake<F: Dialled>(app: &TestApp, call: &mut Call<'_, F>) {
    call.press("2#").await;
    call.say("Northside").await;
    for _ in 0..4 {
        call.press("*").await;
    }
    let requests = app.requests().await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].fields["need"], "prescription");
    assert_eq!(
        requests[0].fields["pharmacy"],
        "La farmacia de la calle Main, a nombre de Ana"
    );
    assert_eq!(requests[0].fields["zone"], "northside");
}

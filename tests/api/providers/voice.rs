//! Calls to a line, for the providers whose calls are driven by an XML document (SignalWire's
//! cXML, Telnyx's TeXML, Plivo XML): a caller who dials, presses and speaks through signed
//! webhooks and follows the address each document gives for the answer, and what a document says.
//! Each provider takes part through [`Dialled`], beside its other tests; the scenarios every one
//! of them goes through are written once here.

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::Event;

use super::*;

/// A provider's call webhooks: the fields of every one of a call, and what an answer adds.
pub trait Dialled: Provider {
    /// The element that waits for the caller's answer, its `action` the address to post it to.
    const LISTENS: &'static str;
    /// The fields every webhook of call `id` from `from` carries.
    fn call(id: &str, from: &str) -> Vec<(&'static str, String)>;
    fn pressed(keys: &str) -> Vec<(&'static str, String)>;
    fn said(words: &str) -> Vec<(&'static str, String)>;
}

/// What one document tells the provider to do.
#[derive(Debug, Default)]
pub struct Document {
    /// Everything said, in order, with the language it is said in.
    pub says: Vec<(String, String)>,
    /// The attributes of the element that waits for an answer, when there is one.
    pub listen: Option<Vec<(String, String)>>,
    pub hangup: bool,
}

impl Document {
    pub fn parse(xml: &str, listens: &str) -> Document {
        let mut reader = Reader::from_str(xml);
        let mut document = Document::default();
        let mut saying = false;
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
                        // `<Say>` in TwiML's dialects, `<Speak>` in Plivo's.
                        "Say" | "Speak" => {
                            let language = attributes.iter().find(|(k, _)| k == "language");
                            let language = language.map(|(_, v)| v.clone()).unwrap_or_default();
                            document.says.push((String::new(), language));
                            saying = true;
                        }
                        "Hangup" => document.hangup = true,
                        name if name == listens => document.listen = Some(attributes),
                        _ => {}
                    }
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
                Event::End(e) if matches!(e.name().as_ref(), b"Say" | b"Speak") => saying = false,
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
        let listen = self.listen.as_ref()?;
        listen
            .iter()
            .find(|(k, _)| k == attribute)
            .map(|(_, v)| v.as_str())
    }
}

/// One call to `F`'s line.
pub struct Call<'a, F: Dialled> {
    app: &'a TestApp,
    id: String,
    from: String,
    /// Where the next webhook goes: the last document's action, path and query.
    next: String,
    provider: std::marker::PhantomData<F>,
}

impl<'a, F: Dialled> Call<'a, F> {
    /// Dials the line and hears its first question.
    pub async fn dial(app: &'a TestApp, from: &str) -> (Call<'a, F>, Document) {
        let mut call = Call {
            app,
            id: new_id(),
            from: from.to_string(),
            next: format!("/webhooks/{}/voice", F::GATEWAY),
            provider: std::marker::PhantomData,
        };
        let heard = call.post(Vec::new()).await;
        (call, heard)
    }

    pub async fn press(&mut self, keys: &str) -> Document {
        self.post(F::pressed(keys)).await
    }

    pub async fn say(&mut self, words: &str) -> Document {
        self.post(F::said(words)).await
    }

    /// The webhook of this turn with `extra`, signed by `signer`, as the provider would post it.
    pub fn webhook(&self, extra: Vec<(&'static str, String)>, signer: Signer) -> Signed {
        let mut fields = F::call(&self.id, &self.from);
        fields.extend(extra);
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        F::sign(self.app, &self.next, &form(&pairs), signer)
    }

    pub async fn post_signed(&self, hook: Signed) -> reqwest::Response {
        post(self.app, &self.next, F::POSTS, hook).await
    }

    async fn post(&mut self, extra: Vec<(&'static str, String)>) -> Document {
        let response = self.post_signed(self.webhook(extra, Signer::Line)).await;
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(content_type.contains("xml"), "{content_type}");
        let document = Document::parse(&response.text().await.unwrap(), F::LISTENS);
        if let Some(action) = document.listen("action") {
            self.next = action.strip_prefix(&self.app.url("")).unwrap().to_string();
        }
        document
    }
}

pub const CALLER: &str = "+15557650101";

/// A caller hears the intake's first question, with the address for their answer, and pressing 2
/// gets them the next one in Spanish.
pub async fn the_first_question_is_answered_by_pressing_2<F: Dialled>(app: &TestApp) {
    let (mut call, heard) = Call::<F>::dial(app, CALLER).await;
    assert!(heard.said().contains("For English, press 1"), "{heard:?}");
    let action = format!("/webhooks/{}/voice?turn=1&quiet=0", F::GATEWAY);
    assert_eq!(heard.listen("action"), Some(app.url(&action).as_str()));
    let heard = call.press("2").await;
    assert!(heard.said().contains("Para comida, oprima 1"), "{heard:?}");
    let action = format!("/webhooks/{}/voice?turn=2&quiet=0", F::GATEWAY);
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
    let heard = Document::parse(&again, F::LISTENS);
    assert!(heard.said().contains("For groceries"), "{heard:?}");
    let turns = app
        .count("SELECT COUNT(*) FROM inbound_messages WHERE channel = 'voice'")
        .await;
    assert_eq!(turns, 2, "the call's start and one answer");
}

/// A call webhook that does not carry the line's signature is refused before anything is kept.
pub async fn a_forged_call_leaves_nothing_behind<F: Dialled>(app: &TestApp, forged: Signed) {
    let response = post(
        app,
        &format!("/webhooks/{}/voice", F::GATEWAY),
        F::POSTS,
        forged,
    )
    .await;
    assert_eq!(response.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);
}

/// A call's first webhook from `CALLER`, signed by `signer`.
pub fn call_start<F: Dialled>(app: &TestApp, signer: Signer) -> Signed {
    let fields = F::call(&new_id(), CALLER);
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let path = format!("/webhooks/{}/voice", F::GATEWAY);
    F::sign(app, &path, &form(&pairs), signer)
}

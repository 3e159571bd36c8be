//! Calls to the Twilio line, as a caller makes them: every webhook signed as Twilio signs it, each
//! answer posted to the address the last document's `<Gather>` gave, and every document read back
//! as TwiML. `intake` walks the shipped flow by keypad and speech; `messages` leaves a message.

mod intake;
mod messages;

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::Event;

use crate::helpers::*;

/// What one TwiML document tells Twilio to do.
#[derive(Debug, Default)]
pub struct Heard {
    /// Everything said, in order, with the language it is said in.
    pub says: Vec<(String, String)>,
    /// The `<Gather>`'s attributes, when the line waits for an answer.
    pub gather: Option<Vec<(String, String)>>,
    /// The `<Record>`'s attributes, when the line takes a message.
    pub record: Option<Vec<(String, String)>>,
    pub hangup: bool,
}

impl Heard {
    pub fn parse(xml: &str) -> Heard {
        let mut reader = Reader::from_str(xml);
        let mut heard = Heard::default();
        let mut saying: Option<String> = None;
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) | Event::Empty(e) => {
                    let attributes = e
                        .attributes()
                        .map(|a| {
                            let a = a.unwrap();
                            let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
                            (
                                key,
                                a.normalized_value(XmlVersion::Implicit1_0)
                                    .unwrap()
                                    .into_owned(),
                            )
                        })
                        .collect::<Vec<_>>();
                    match e.name().as_ref() {
                        b"Say" => {
                            let language = attributes.iter().find(|(k, _)| k == "language");
                            saying = Some(language.map(|(_, v)| v.clone()).unwrap_or_default());
                            heard.says.push((String::new(), saying.clone().unwrap()));
                        }
                        b"Gather" => heard.gather = Some(attributes),
                        b"Record" => heard.record = Some(attributes),
                        b"Hangup" => heard.hangup = true,
                        _ => {}
                    }
                }
                Event::Text(t) if saying.is_some() => {
                    let text = t.xml10_content().unwrap().into_owned();
                    heard.says.last_mut().unwrap().0.push_str(&text);
                }
                Event::GeneralRef(r) if saying.is_some() => {
                    let name = r.decode().unwrap();
                    let c = quick_xml::escape::resolve_predefined_entity(&name).unwrap();
                    heard.says.last_mut().unwrap().0.push_str(c);
                }
                Event::End(e) if e.name().as_ref() == b"Say" => saying = None,
                Event::Eof => break,
                _ => {}
            }
        }
        heard
    }

    pub fn said(&self) -> String {
        let words: Vec<&str> = self.says.iter().map(|(t, _)| t.as_str()).collect();
        words.join(" ")
    }

    pub fn gather(&self, attribute: &str) -> Option<&str> {
        attribute_of(self.gather.as_ref()?, attribute)
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

/// One call to the Twilio line.
pub struct Call<'a> {
    app: &'a TestApp,
    pub sid: String,
    from: String,
    /// Where the next answer goes: the last `<Gather action>`.
    pub next: String,
}

impl<'a> Call<'a> {
    /// Dials the line and hears its first question.
    pub async fn dial(app: &'a TestApp, from: &str) -> (Call<'a>, Heard) {
        let mut call = Call {
            app,
            sid: format!("CA{:032x}", rand::random::<u128>()),
            from: from.to_string(),
            next: "/webhooks/twilio/voice".into(),
        };
        let heard = call.post(&[("CallStatus", "ringing")]).await;
        (call, heard)
    }

    pub async fn press(&mut self, keys: &str) -> Heard {
        self.post(&[("Digits", keys)]).await
    }

    pub async fn say(&mut self, words: &str) -> Heard {
        self.post(&[("SpeechResult", words), ("Confidence", "0.91")])
            .await
    }

    pub async fn stay_silent(&mut self) -> Heard {
        self.post(&[]).await
    }

    pub fn params(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        [
            ("CallSid", self.sid.as_str()),
            ("AccountSid", ACCOUNT),
            ("From", self.from.as_str()),
            ("To", LINE),
            ("Direction", "inbound"),
            ("ApiVersion", "2010-04-01"),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    pub async fn post(&mut self, extra: &[(&str, &str)]) -> Heard {
        let response = self.post_raw(extra).await;
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains("xml")
        );
        let heard = Heard::parse(&response.text().await.unwrap());
        if let Some(action) = heard.gather("action") {
            self.next = action.strip_prefix(&self.app.url("")).unwrap().to_string();
        }
        heard
    }

    pub async fn post_raw(&self, extra: &[(&str, &str)]) -> reqwest::Response {
        self.app.post_signed(&self.next, &self.params(extra)).await
    }
}

pub const CALLER: &str = "+15557650101";

//! What the tests of every provider's document share: an XML document read back with
//! quick-xml's reader, so tests check what a provider's parser would see rather than the bytes we
//! happened to write, and the turns they write.

use std::collections::BTreeMap;

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

use super::Dialect;
use crate::voice::{Script, Speech, Step};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::voice::documents) struct Element {
    pub name: String,
    pub attributes: BTreeMap<String, String>,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The value of the attribute `key`, if the element carries it.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }

    /// This element and all below it, in document order.
    pub fn walk<'a>(&'a self, out: &mut Vec<&'a Element>) {
        out.push(self);
        for child in &self.children {
            child.walk(out);
        }
    }
}

/// An element with attributes and children.
pub(in crate::voice::documents) fn element(
    name: &str,
    attributes: &[(&str, &str)],
    children: Vec<Element>,
) -> Element {
    Element {
        name: name.to_owned(),
        attributes: attributes
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect(),
        text: String::new(),
        children,
    }
}

/// An element holding only text.
pub(in crate::voice::documents) fn text(
    name: &str,
    attributes: &[(&str, &str)],
    text: &str,
) -> Element {
    Element {
        text: text.to_owned(),
        ..element(name, attributes, Vec::new())
    }
}

/// The root element of `body`, which must open with a UTF-8 XML declaration.
pub(in crate::voice::documents) fn parse(body: &str) -> Element {
    let mut reader = Reader::from_str(body);
    let mut declared = false;
    let mut open: Vec<Element> = Vec::new();
    let mut root = None;
    loop {
        match reader
            .read_event()
            .expect("the document is well-formed XML")
        {
            Event::Decl(decl) => {
                assert!(open.is_empty() && root.is_none(), "declaration comes first");
                assert_eq!(&*decl.version().unwrap(), b"1.0");
                assert_eq!(&*decl.encoding().unwrap().unwrap(), b"UTF-8");
                declared = true;
            }
            Event::Start(start) => open.push(opened(&start)),
            Event::Empty(start) => close(&mut open, &mut root, opened(&start)),
            Event::End(_) => {
                let done = open.pop().expect("an end tag closes an open element");
                close(&mut open, &mut root, done);
            }
            Event::Text(content) => {
                let content = content.xml10_content().unwrap();
                in_element(&mut open, &content);
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref().unwrap() {
                    Some(ch) => ch.to_string(),
                    None => {
                        let name = reference.decode().unwrap();
                        resolve_predefined_entity(&name)
                            .unwrap_or_else(|| panic!("unknown entity &{name};"))
                            .to_owned()
                    }
                };
                in_element(&mut open, &resolved);
            }
            Event::Eof => break,
            other => panic!("nothing else belongs in a call document: {other:?}"),
        }
    }
    assert!(declared, "the document opens with an XML declaration");
    assert!(open.is_empty(), "every element is closed");
    root.expect("the document has a root element")
}

fn opened(start: &quick_xml::events::BytesStart) -> Element {
    let name = String::from_utf8(start.name().as_ref().to_vec()).unwrap();
    let mut attributes = BTreeMap::new();
    for attribute in start.attributes() {
        let attribute = attribute.expect("attributes are well-formed");
        let key = String::from_utf8(attribute.key.as_ref().to_vec()).unwrap();
        let value = attribute.normalized_value(XmlVersion::Implicit1_0).unwrap();
        assert!(
            attributes.insert(key.clone(), value.into_owned()).is_none(),
            "{name} carries {key} twice"
        );
    }
    Element {
        name,
        attributes,
        text: String::new(),
        children: Vec::new(),
    }
}

fn close(open: &mut [Element], root: &mut Option<Element>, done: Element) {
    match open.last_mut() {
        Some(parent) => parent.children.push(done),
        None => {
            assert!(root.is_none(), "a document has one root");
            *root = Some(done);
        }
    }
}

fn in_element(open: &mut [Element], content: &str) {
    match open.last_mut() {
        Some(parent) => parent.text.push_str(content),
        None => assert!(
            content.trim().is_empty(),
            "text outside the root: {content:?}"
        ),
    }
}

/// `script` as `dialect` writes it, read back to its `<Response>`.
pub(in crate::voice::documents) fn written(dialect: Dialect, script: &Script) -> Element {
    let document = dialect.write(script);
    assert_eq!(document.content_type, "application/xml");
    let root = parse(&document.body);
    assert_eq!(root.name, "Response");
    root
}

/// None of `absent` is among `element`'s attributes.
pub(in crate::voice::documents) fn assert_absent(
    element: &Element,
    absent: &[&str],
    dialect: Dialect,
) {
    for absent in absent {
        assert!(
            !element.attributes.contains_key(*absent),
            "{dialect:?} wrote {absent}"
        );
    }
}

/// What a neighbour types, markup-like characters and all, is spoken just as written, in
/// `voice`, which is as oddly written.
pub(in crate::voice::documents) fn assert_spoken_as_written(dialect: Dialect, voice: &str) {
    let line = r#"Rosa's "soup & bread" <today> — mañana, ¿sí? Ñandú, café"#;
    let script = Script {
        steps: vec![Step::Say(Speech {
            voice: Some(voice.to_owned()),
            ..turns::speech(line, None)
        })],
    };
    let body = dialect.write(&script).body;
    assert!(
        !body.contains("<today>"),
        "{dialect:?} wrote markup: {body}"
    );
    let say = &parse(&body).children[0];
    assert_eq!(say.text, line);
    assert_eq!(say.attributes["voice"], voice);
}

/// A provider's published structure: each element it documents, with the attributes it takes.
pub(in crate::voice::documents) type Published = [(&'static str, &'static [&'static str])];

/// Every element and attribute in `root` is one the provider documents, so a misspelled or
/// borrowed name fails here instead of being silently ignored on a live call.
pub(in crate::voice::documents) fn assert_published(root: &Element, published: &Published) {
    let Some((_, allowed)) = published.iter().find(|(name, _)| *name == root.name) else {
        panic!("<{}> is not in the provider's documents", root.name);
    };
    for attribute in root.attributes.keys() {
        assert!(
            allowed.contains(&attribute.as_str()),
            "<{}> does not take {attribute:?} in the provider's documents",
            root.name
        );
    }
    for child in &root.children {
        assert_published(child, published);
    }
}

/// The turns every provider's tests write: the line's greeting and first question, and a
/// voicemail. The action's `&` must survive as an attribute value.
pub(in crate::voice::documents) mod turns {
    use crate::voice::{Listen, Record, Script, Speech, Step};

    pub const ANSWER: &str = "https://aid.example/voice/answer?flow=intake&step=need";
    pub const RECORDED: &str = "https://aid.example/voice/recorded?call=7";
    pub const RECORDING_READY: &str = "https://aid.example/voice/recording-ready?call=7";
    pub const TRANSCRIBED: &str = "https://aid.example/voice/transcribed?call=7";

    /// The attributes TwiML and Plivo XML both give a `<Record>` of [`message`].
    pub const RECORDED_AS: [(&str, &str); 6] = [
        ("action", RECORDED),
        ("method", "POST"),
        ("maxLength", "120"),
        ("timeout", "5"),
        ("finishOnKey", "#"),
        ("playBeep", "true"),
    ];

    pub fn speech(text: &str, voice: Option<&str>) -> Speech {
        Speech {
            text: text.to_owned(),
            language: "en-US".to_owned(),
            voice: voice.map(str::to_owned),
        }
    }

    pub fn question() -> Listen {
        Listen {
            prompt: vec![Step::Say(speech(
                "Press 1 for food, 2 for a ride, or say what you need.",
                None,
            ))],
            keys: true,
            speech: true,
            max_keys: Some(1),
            end_key: Some('#'),
            timeout_seconds: 6,
            language: "en-US".to_owned(),
            hints: vec!["food".to_owned(), "ride".to_owned()],
            action: ANSWER.to_owned(),
        }
    }

    pub fn intake() -> Script {
        Script {
            steps: vec![
                Step::Say(speech(
                    "This is the Eastside aid line.",
                    Some("Polly.Joanna"),
                )),
                Step::Listen(question()),
            ],
        }
    }

    pub fn message(transcription: Option<&str>) -> Record {
        Record {
            max_seconds: 120,
            silence_seconds: 5,
            end_key: '#',
            action: RECORDED.to_owned(),
            recording_callback: RECORDING_READY.to_owned(),
            transcription_callback: transcription.map(str::to_owned),
        }
    }

    pub fn voicemail() -> Script {
        Script {
            steps: vec![
                Step::Say(speech("Leave a message after the beep.", None)),
                Step::Record(message(Some(TRANSCRIBED))),
                Step::Say(speech("Thank you. A neighbour will call back.", None)),
                Step::Hangup,
            ],
        }
    }

    /// Every step a turn can take but refusing the call: the intake, a voicemail, a recording
    /// played and a move to another address.
    pub fn everything() -> Vec<Step> {
        let mut everything = intake().steps;
        everything.extend(voicemail().steps);
        everything.push(Step::Play {
            url: "https://aid.example/audio/hold.mp3".to_owned(),
        });
        everything.push(Step::Redirect {
            url: "https://aid.example/voice/next".to_owned(),
        });
        everything
    }

    /// The question, answered by keypad only and with no limit on the keys.
    pub fn keypad_only() -> Script {
        Script {
            steps: vec![Step::Listen(Listen {
                speech: false,
                max_keys: None,
                end_key: None,
                ..question()
            })],
        }
    }

    /// The question, answered by speech only and with no hints.
    pub fn spoken_only() -> Script {
        Script {
            steps: vec![Step::Listen(Listen {
                keys: false,
                hints: Vec::new(),
                ..question()
            })],
        }
    }

    /// A message left with no transcript asked for.
    pub fn untranscribed() -> Script {
        Script {
            steps: vec![Step::Record(message(None))],
        }
    }
}

/// The turns the Vonage and Bandwidth tests write, on a line at `line.example`.
pub(in crate::voice::documents) mod line {
    use crate::voice::{Listen, Record, Speech, Step};

    pub fn say(text: &str, language: &str) -> Step {
        Step::Say(Speech {
            text: text.to_owned(),
            language: language.to_owned(),
            voice: None,
        })
    }

    /// A menu answered with one key, or by saying what is needed.
    pub fn menu() -> Listen {
        Listen {
            prompt: vec![say("Press 1 for food, 2 for a ride.", "en-US")],
            keys: true,
            speech: true,
            max_keys: Some(1),
            end_key: None,
            timeout_seconds: 5,
            language: "en-US".to_owned(),
            hints: vec!["food".to_owned(), "ride".to_owned()],
            action: "https://line.example/voice/answer?turn=1".to_owned(),
        }
    }

    pub fn voicemail() -> Record {
        Record {
            max_seconds: 120,
            silence_seconds: 5,
            end_key: '#',
            action: "https://line.example/voice/recorded".to_owned(),
            recording_callback: "https://line.example/voice/recording".to_owned(),
            transcription_callback: Some("https://line.example/voice/transcript".to_owned()),
        }
    }
}

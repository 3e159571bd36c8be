//! What the XML documents (TwiML and its dialects, Plivo XML, BXML) write alike: a `<Response>`
//! under a UTF-8 declaration, and the attributes TwiML and Plivo XML name the same.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, Event};
use quick_xml::writer::ElementWriter;

use super::Document;
use crate::voice::{Listen, Record, Step};

pub(super) type Xml = Writer<Vec<u8>>;

/// A document whose `<Response>` holds what `steps` writes.
pub(super) fn document(steps: impl FnOnce(&mut Xml) -> io::Result<()>) -> Document {
    let mut xml = Writer::new(Vec::new());
    response(&mut xml, steps).expect("writing to memory cannot fail");
    Document {
        content_type: "application/xml",
        body: String::from_utf8(xml.into_inner()).expect("the writer only writes UTF-8"),
    }
}

fn response(xml: &mut Xml, steps: impl FnOnce(&mut Xml) -> io::Result<()>) -> io::Result<()> {
    xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    xml.create_element("Response").write_inner_content(steps)?;
    Ok(())
}

/// What is said while listening, written with `speak`: a question's prompt nests only speech and
/// recordings.
pub(super) fn prompt(
    xml: &mut Xml,
    steps: &[Step],
    mut speak: impl FnMut(&mut Xml, &Step) -> io::Result<()>,
) -> io::Result<()> {
    for step in steps {
        match step {
            Step::Say(_) | Step::Play { .. } => speak(xml, step)?,
            other => debug_assert!(false, "a question's prompt can only speak: {other:?}"),
        }
    }
    Ok(())
}

/// The kinds of input a question takes, as TwiML's `input` and Plivo's `inputType` name them.
pub(super) fn input(listen: &Listen) -> &'static str {
    match (listen.keys, listen.speech) {
        (true, true) => "dtmf speech",
        (false, true) => "speech",
        _ => "dtmf",
    }
}

/// How many keys end the answer and which key does, then the language and hints (joined with
/// `separator`) when speech is heard: `numDigits`, `finishOnKey`, `language` and `hints`.
pub(super) fn keys_and_speech<'a>(
    mut element: ElementWriter<'a, Vec<u8>>,
    listen: &Listen,
    separator: &str,
) -> ElementWriter<'a, Vec<u8>> {
    if let Some(max_keys) = listen.max_keys {
        element = element.with_attribute(("numDigits", max_keys.to_string().as_str()));
    }
    if let Some(end_key) = listen.end_key {
        element = element.with_attribute(("finishOnKey", end_key.to_string().as_str()));
    }
    if listen.speech {
        element = element.with_attribute(("language", listen.language.as_str()));
        if !listen.hints.is_empty() {
            element = element.with_attribute(("hints", listen.hints.join(separator).as_str()));
        }
    }
    element
}

/// `<Record>` with the attributes TwiML and Plivo XML share: where it goes when done, how long it
/// may run and how it ends, after a beep.
pub(super) fn record<'a>(xml: &'a mut Xml, record: &Record) -> ElementWriter<'a, Vec<u8>> {
    xml.create_element("Record")
        .with_attribute(("action", record.action.as_str()))
        .with_attribute(("method", "POST"))
        .with_attribute(("maxLength", record.max_seconds.to_string().as_str()))
        .with_attribute(("timeout", record.silence_seconds.to_string().as_str()))
        .with_attribute(("finishOnKey", record.end_key.to_string().as_str()))
        .with_attribute(("playBeep", "true"))
}

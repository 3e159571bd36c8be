//! TwiML, and its dialects: SignalWire's cXML and Telnyx's TeXML.
//!
//! SignalWire takes Twilio's words as they are. Telnyx differs in a few places, each marked
//! below: it has no per-verb `method` on `<Gather>` or `<Redirect>` (the TeXML application's
//! method is used), no `actionOnEmptyResult`, and names `<Record>`'s transcription attributes
//! `transcription`/`transcriptionCallback` — and it ignores attributes it does not know, so a
//! Twilio name there would fail silently.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::{Dialect, Document};
use crate::voice::{Listen, Record, Script, Speech, Step};

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(super) mod tree;

type Xml = Writer<Vec<u8>>;

pub(super) fn write(dialect: Dialect, script: &Script) -> Document {
    let mut xml = Writer::new(Vec::new());
    response(&mut xml, dialect, script).expect("writing to memory cannot fail");
    Document {
        content_type: "application/xml",
        body: String::from_utf8(xml.into_inner()).expect("the writer only writes UTF-8"),
    }
}

fn response(xml: &mut Xml, dialect: Dialect, script: &Script) -> io::Result<()> {
    xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    xml.create_element("Response").write_inner_content(|xml| {
        for step in &script.steps {
            write_step(xml, dialect, step)?;
        }
        Ok(())
    })?;
    Ok(())
}

fn write_step(xml: &mut Xml, dialect: Dialect, step: &Step) -> io::Result<()> {
    match step {
        Step::Say(speech) => say(xml, speech),
        Step::Play { url } => play(xml, url),
        Step::Listen(listen) => gather(xml, dialect, listen),
        Step::Record(record) => write_record(xml, dialect, record),
        Step::Redirect { url } => redirect(xml, dialect, url),
        Step::Hangup => xml.create_element("Hangup").write_empty().map(drop),
        // "rejected" rather than "busy": a busy tone invites the caller to try again at once.
        Step::Reject => xml
            .create_element("Reject")
            .with_attribute(("reason", "rejected"))
            .write_empty()
            .map(drop),
    }
}

fn say(xml: &mut Xml, speech: &Speech) -> io::Result<()> {
    let mut say = xml
        .create_element("Say")
        .with_attribute(("language", speech.language.as_str()));
    if let Some(voice) = &speech.voice {
        say = say.with_attribute(("voice", voice.as_str()));
    }
    say.write_text_content(BytesText::new(&speech.text))
        .map(drop)
}

fn play(xml: &mut Xml, url: &str) -> io::Result<()> {
    xml.create_element("Play")
        .write_text_content(BytesText::new(url))
        .map(drop)
}

fn gather(xml: &mut Xml, dialect: Dialect, listen: &Listen) -> io::Result<()> {
    let texml = dialect == Dialect::Telnyx;
    let timeout = listen.timeout_seconds.to_string();
    let mut gather = xml
        .create_element("Gather")
        .with_attribute(("input", input(listen)))
        .with_attribute(("action", listen.action.as_str()));
    if !texml {
        gather = gather.with_attribute(("method", "POST"));
    }
    gather = gather.with_attribute(("timeout", timeout.as_str()));
    if let Some(max_keys) = listen.max_keys {
        gather = gather.with_attribute(("numDigits", max_keys.to_string().as_str()));
    }
    if let Some(end_key) = listen.end_key {
        gather = gather.with_attribute(("finishOnKey", end_key.to_string().as_str()));
    }
    if listen.speech {
        gather = gather.with_attribute(("language", listen.language.as_str()));
        if !listen.hints.is_empty() {
            gather = gather.with_attribute(("hints", listen.hints.join(", ").as_str()));
        }
        // Telnyx documents speechTimeout in seconds only, with no "auto"; its default is
        // left to it rather than a guess at a number.
        if !texml {
            gather = gather.with_attribute(("speechTimeout", "auto"));
        }
    }
    if !texml {
        // Without it, a caller who says nothing falls through to the next verb and our action
        // never hears that the question went unanswered.
        gather = gather.with_attribute(("actionOnEmptyResult", "true"));
    }
    gather.write_inner_content(|xml| prompt(xml, dialect, &listen.prompt))?;
    if texml {
        // Telnyx documents no actionOnEmptyResult, and a TwiML-like Gather falls through on
        // silence: send the caller to the action anyway, where no Digits/SpeechResult means
        // nothing was heard. A Gather that did hear something has already left this document.
        redirect(xml, dialect, &listen.action)?;
    }
    Ok(())
}

/// What is said while listening: `<Gather>` nests only `<Say>`, `<Play>` and `<Pause>`.
fn prompt(xml: &mut Xml, dialect: Dialect, steps: &[Step]) -> io::Result<()> {
    for step in steps {
        match step {
            Step::Say(_) | Step::Play { .. } => write_step(xml, dialect, step)?,
            other => debug_assert!(false, "a question's prompt can only speak: {other:?}"),
        }
    }
    Ok(())
}

fn input(listen: &Listen) -> &'static str {
    match (listen.keys, listen.speech) {
        (true, true) => "dtmf speech",
        (false, true) => "speech",
        _ => "dtmf",
    }
}

fn write_record(xml: &mut Xml, dialect: Dialect, record: &Record) -> io::Result<()> {
    let texml = dialect == Dialect::Telnyx;
    let mut element = xml
        .create_element("Record")
        .with_attribute(("action", record.action.as_str()))
        .with_attribute(("method", "POST"))
        .with_attribute(("maxLength", record.max_seconds.to_string().as_str()))
        .with_attribute(("timeout", record.silence_seconds.to_string().as_str()))
        .with_attribute(("finishOnKey", record.end_key.to_string().as_str()))
        .with_attribute(("playBeep", "true"))
        .with_attribute((
            "recordingStatusCallback",
            record.recording_callback.as_str(),
        ));
    if !texml {
        element = element
            .with_attribute(("recordingStatusCallbackEvent", "completed"))
            .with_attribute(("recordingStatusCallbackMethod", "POST"));
    }
    if let Some(callback) = &record.transcription_callback {
        let (switch, url) = if texml {
            ("transcription", "transcriptionCallback")
        } else {
            ("transcribe", "transcribeCallback")
        };
        element = element
            .with_attribute((switch, "true"))
            .with_attribute((url, callback.as_str()));
    }
    element.write_empty().map(drop)
}

fn redirect(xml: &mut Xml, dialect: Dialect, url: &str) -> io::Result<()> {
    let mut redirect = xml.create_element("Redirect");
    if dialect != Dialect::Telnyx {
        redirect = redirect.with_attribute(("method", "POST"));
    }
    redirect.write_text_content(BytesText::new(url)).map(drop)
}

//! TwiML, and its dialects: SignalWire's cXML and Telnyx's TeXML.
//!
//! SignalWire takes Twilio's words as they are. Telnyx differs in a few places, each marked
//! below: it has no per-verb `method` on `<Gather>` or `<Redirect>` (the TeXML application's
//! method is used), no `actionOnEmptyResult`, and names `<Record>`'s transcription attributes
//! `transcription`/`transcriptionCallback` — and it ignores attributes it does not know, so a
//! Twilio name there would fail silently.

use std::io;

use quick_xml::events::BytesText;

use super::xml::{self, Xml, keys_and_speech};
use super::{Dialect, Document};
use crate::voice::{Listen, Record, Script, Speech, Step};

#[cfg(test)]
mod tests;

pub(super) fn write(dialect: Dialect, script: &Script) -> Document {
    xml::document(|xml| {
        for step in &script.steps {
            write_step(xml, dialect, step)?;
        }
        Ok(())
    })
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
        .with_attribute(("input", xml::input(listen)))
        .with_attribute(("action", listen.action.as_str()));
    if !texml {
        gather = gather.with_attribute(("method", "POST"));
    }
    gather = keys_and_speech(
        gather.with_attribute(("timeout", timeout.as_str())),
        listen,
        ", ",
    );
    // Telnyx documents speechTimeout in seconds only, with no "auto"; its default is left to it
    // rather than a guess at a number.
    if listen.speech && !texml {
        gather = gather.with_attribute(("speechTimeout", "auto"));
    }
    if !texml {
        // Without it, a caller who says nothing falls through to the next verb and our action
        // never hears that the question went unanswered.
        gather = gather.with_attribute(("actionOnEmptyResult", "true"));
    }
    // `<Gather>` nests only `<Say>`, `<Play>` and `<Pause>`.
    gather.write_inner_content(|xml| {
        xml::prompt(xml, &listen.prompt, |xml, step| {
            write_step(xml, dialect, step)
        })
    })?;
    if texml {
        // Telnyx documents no actionOnEmptyResult, and a TwiML-like Gather falls through on
        // silence: send the caller to the action anyway, where no Digits/SpeechResult means
        // nothing was heard. A Gather that did hear something has already left this document.
        redirect(xml, dialect, &listen.action)?;
    }
    Ok(())
}

fn write_record(xml: &mut Xml, dialect: Dialect, record: &Record) -> io::Result<()> {
    let texml = dialect == Dialect::Telnyx;
    let mut element = xml::record(xml, record).with_attribute((
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

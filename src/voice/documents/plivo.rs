//! Plivo XML.

use std::io;

use quick_xml::events::BytesText;

use super::Document;
use super::xml::{self, Xml, keys_and_speech};
use crate::voice::{Listen, Record, Script, Speech, Step};

#[cfg(test)]
mod tests;

/// Plivo accepts `executionTimeout` from 5 to 60 seconds only.
const EXECUTION_TIMEOUT: std::ops::RangeInclusive<u32> = 5..=60;

/// Seconds between key presses before the keys so far are sent (Plivo takes 2–10 or `auto`).
const DIGIT_END_TIMEOUT: &str = "5";

pub(super) fn write(script: &Script) -> Document {
    xml::document(|xml| {
        for step in &script.steps {
            write_step(xml, step)?;
        }
        Ok(())
    })
}

fn write_step(xml: &mut Xml, step: &Step) -> io::Result<()> {
    match step {
        Step::Say(speech) => speak(xml, speech),
        Step::Play { url } => xml
            .create_element("Play")
            .write_text_content(BytesText::new(url))
            .map(drop),
        Step::Listen(listen) => get_input(xml, listen),
        Step::Record(record) => write_record(xml, record),
        Step::Redirect { url } => redirect(xml, url),
        Step::Hangup => xml.create_element("Hangup").write_empty().map(drop),
        // Plivo has no <Reject>: a <Hangup> with a reason, first in the document, refuses the
        // call unanswered. "rejected" rather than "busy", which invites an immediate retry.
        Step::Reject => xml
            .create_element("Hangup")
            .with_attribute(("reason", "rejected"))
            .write_empty()
            .map(drop),
    }
}

fn speak(xml: &mut Xml, speech: &Speech) -> io::Result<()> {
    let mut speak = xml
        .create_element("Speak")
        .with_attribute(("language", speech.language.as_str()));
    if let Some(voice) = &speech.voice {
        speak = speak.with_attribute(("voice", voice.as_str()));
    }
    speak
        .write_text_content(BytesText::new(&speech.text))
        .map(drop)
}

fn get_input(xml: &mut Xml, listen: &Listen) -> io::Result<()> {
    let timeout = listen
        .timeout_seconds
        .clamp(*EXECUTION_TIMEOUT.start(), *EXECUTION_TIMEOUT.end());
    let mut input = xml
        .create_element("GetInput")
        .with_attribute(("action", listen.action.as_str()))
        .with_attribute(("method", "POST"))
        .with_attribute(("inputType", xml::input(listen)))
        .with_attribute(("executionTimeout", timeout.to_string().as_str()));
    // Plivo applies digitEndTimeout only to key input.
    if listen.keys {
        input = input.with_attribute(("digitEndTimeout", DIGIT_END_TIMEOUT));
    }
    input = keys_and_speech(input, listen, ",");
    // redirect="true": the document our action answers with drives the call, instead of Plivo
    // only notifying it and running on through this one.
    input = input.with_attribute(("redirect", "true"));
    // `<GetInput>` nests only `<Speak>`, `<Play>` and `<Wait>`.
    input.write_inner_content(|xml| xml::prompt(xml, &listen.prompt, write_step))?;
    // When nothing is heard before executionTimeout, Plivo does not call the action: "the next
    // element in the response will be processed" (plivo.com/docs/voice/xml/getinput). So the
    // next element sends the caller there anyway, with no Digits or Speech, which is how our
    // action learns the question went unanswered. Input that was heard never reaches it.
    redirect(xml, &listen.action)
}

fn write_record(xml: &mut Xml, record: &Record) -> io::Result<()> {
    let mut element = xml::record(xml, record)
        .with_attribute(("fileFormat", "mp3"))
        .with_attribute(("callbackUrl", record.recording_callback.as_str()))
        .with_attribute(("callbackMethod", "POST"));
    // No transcriptionMethod: Plivo's Record page lists none and says the transcription is
    // always POSTed to transcriptionUrl.
    if let Some(callback) = &record.transcription_callback {
        element = element
            .with_attribute(("transcriptionType", "auto"))
            .with_attribute(("transcriptionUrl", callback.as_str()));
    }
    element.write_empty().map(drop)
}

fn redirect(xml: &mut Xml, url: &str) -> io::Result<()> {
    xml.create_element("Redirect")
        .with_attribute(("method", "POST"))
        .write_text_content(BytesText::new(url))
        .map(drop)
}

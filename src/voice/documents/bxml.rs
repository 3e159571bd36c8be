//! Bandwidth's BXML.
//!
//! Verb and attribute names follow Bandwidth's BXML reference (Bandwidth/api-docs
//! `site/docs/voice/bxml/{speakSentence,playAudio,gather,record,redirect,hangup}.mdx`).

use std::io;

use quick_xml::Writer;
use quick_xml::events::BytesText;

use super::{Document, xml};
use crate::voice::{Listen, Record, Script, Speech, Step};

pub(super) fn write(script: &Script) -> Document {
    xml::document(|writer| write_steps(writer, &script.steps))
}

// Bounds from the Gather and Record references: maxDigits 1–50, firstDigitTimeout 0–60 s;
// maxDuration at most 10800 s, and silenceTimeout no more than that.
const GATHER_MAX_DIGITS: (u32, u32) = (1, 50);
const GATHER_FIRST_DIGIT_TIMEOUT: (u32, u32) = (0, 60);
const RECORD_MAX_DURATION: (u32, u32) = (1, 10_800);
const RECORD_SILENCE_TIMEOUT: (u32, u32) = (0, 10_800);

fn clamp(value: u32, (low, high): (u32, u32)) -> String {
    value.clamp(low, high).to_string()
}

fn write_steps(writer: &mut Writer<Vec<u8>>, steps: &[Step]) -> io::Result<()> {
    for step in steps {
        match step {
            Step::Say(speech) => speak(writer, speech)?,
            Step::Play { url } => play(writer, url)?,
            // Verbs after a Gather or Record that posts to a URL are ignored by Bandwidth (the
            // URL's answer runs instead); they are still written, so the document says the same
            // as the script does.
            Step::Listen(listen) => gather(writer, listen)?,
            Step::Record(record) => record_message(writer, record)?,
            // Nothing after a Redirect runs, so nothing more is written.
            Step::Redirect { url } => {
                writer
                    .create_element("Redirect")
                    .with_attribute(("redirectUrl", url.as_str()))
                    .with_attribute(("redirectMethod", "POST"))
                    .write_empty()?;
                return Ok(());
            }
            Step::Hangup => {
                writer.create_element("Hangup").write_empty()?;
                return Ok(());
            }
            // `<Hangup/>` on a call not yet answered rejects it, and "you will not be charged for
            // rejected calls" (Hangup reference). Only as the first verb is the call still
            // unanswered; later it is an ordinary hang-up.
            Step::Reject => {
                writer.create_element("Hangup").write_empty()?;
                return Ok(());
            }
        }
    }
    Ok(())
}

fn speak(writer: &mut Writer<Vec<u8>>, speech: &Speech) -> io::Result<()> {
    let mut element = writer
        .create_element("SpeakSentence")
        .with_attribute(("locale", locale(&speech.language).as_str()));
    // "If the voice attribute is present, gender and locale are ignored" (SpeakSentence
    // reference); the locale is still written so a voice dropped later falls back sensibly.
    if let Some(voice) = &speech.voice {
        element = element.with_attribute(("voice", voice.as_str()));
    }
    element.write_text_content(BytesText::new(&speech.text))?;
    Ok(())
}

fn play(writer: &mut Writer<Vec<u8>>, url: &str) -> io::Result<()> {
    writer
        .create_element("PlayAudio")
        .write_text_content(BytesText::new(url))?;
    Ok(())
}

/// Bandwidth takes keys only (`Dialect::hears_speech` is false): a question asking for speech
/// alone still gets a Gather for keys. The caller of the writer is expected not to ask for
/// speech on a Bandwidth line; if it does, the caller can at least answer with the keypad.
fn gather(writer: &mut Writer<Vec<u8>>, listen: &Listen) -> io::Result<()> {
    let mut element = writer
        .create_element("Gather")
        .with_attribute(("gatherUrl", listen.action.as_str()))
        .with_attribute(("gatherMethod", "POST"));
    if let Some(max_keys) = listen.max_keys {
        element =
            element.with_attribute(("maxDigits", clamp(max_keys, GATHER_MAX_DIGITS).as_str()));
    }
    if let Some(end_key) = listen.end_key {
        element = element.with_attribute(("terminatingDigits", end_key.to_string().as_str()));
    }
    element
        .with_attribute((
            "firstDigitTimeout",
            clamp(listen.timeout_seconds, GATHER_FIRST_DIGIT_TIMEOUT).as_str(),
        ))
        .with_attribute(("interDigitTimeout", "5"))
        .with_attribute(("repeatCount", "1"))
        .write_inner_content(|writer| {
            for step in &listen.prompt {
                match step {
                    Step::Say(speech) => speak(writer, speech)?,
                    Step::Play { url } => play(writer, url)?,
                    // Only SpeakSentence and PlayAudio may be nested in a Gather.
                    _ => {}
                }
            }
            Ok(())
        })?;
    Ok(())
}

/// Bandwidth's Record has no beep attribute (its own example plays a beep with PlayAudio first),
/// so the prompt before it has to tell the caller when to start.
///
/// `recordCompleteUrl` "will not be sent if the recording ended due to the call hanging up", and
/// most voicemail ends that way: the message itself must be picked up from
/// `recordingAvailableUrl`, which is sent either way.
fn record_message(writer: &mut Writer<Vec<u8>>, record: &Record) -> io::Result<()> {
    let mut element = writer
        .create_element("Record")
        .with_attribute(("recordCompleteUrl", record.action.as_str()))
        .with_attribute(("recordCompleteMethod", "POST"))
        .with_attribute(("recordingAvailableUrl", record.recording_callback.as_str()))
        .with_attribute(("recordingAvailableMethod", "POST"))
        .with_attribute((
            "maxDuration",
            clamp(record.max_seconds, RECORD_MAX_DURATION).as_str(),
        ))
        .with_attribute((
            "silenceTimeout",
            clamp(record.silence_seconds, RECORD_SILENCE_TIMEOUT).as_str(),
        ))
        .with_attribute(("terminatingDigits", record.end_key.to_string().as_str()))
        .with_attribute(("fileFormat", "mp3"));
    if let Some(callback) = &record.transcription_callback {
        element = element
            .with_attribute(("transcribe", "true"))
            .with_attribute(("transcriptionAvailableUrl", callback.as_str()))
            .with_attribute(("transcriptionAvailableMethod", "POST"));
    }
    element.write_empty()?;
    Ok(())
}

/// The locales SpeakSentence's voice table lists. Bandwidth writes them with an underscore, calls
/// British English `en_UK`, and gives German, Spanish (Spain), French and Italian no region.
const LOCALES: &[&str] = &["en_US", "en_UK", "de", "es", "es_MX", "fr", "it"];

/// A BCP 47 tag (`en-US`) as a Bandwidth locale (`en_US`).
fn locale(language: &str) -> String {
    let underscored = language.replace('-', "_");
    let underscored = if underscored.eq_ignore_ascii_case("en_GB") {
        "en_UK".to_owned()
    } else {
        underscored
    };
    if let Some(known) = LOCALES
        .iter()
        .find(|known| known.eq_ignore_ascii_case(&underscored))
    {
        return (*known).to_owned();
    }
    // A region Bandwidth has no voice for (`fr_CA`, `es_US`) falls back to the language's voice
    // rather than to Bandwidth's default, which is English.
    let base = underscored.split('_').next().unwrap_or_default();
    match LOCALES
        .iter()
        .find(|known| known.eq_ignore_ascii_case(base))
    {
        Some(known) => (*known).to_owned(),
        None => underscored,
    }
}

#[cfg(test)]
mod tests;

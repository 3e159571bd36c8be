//! A state's recordings: each must be a file under the flows folder that phones can play, and
//! must stand for words that are the same in every conversation.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path};

use toml::Spanned;

use super::Checker;
use crate::flow::audio::{MAX_BYTES, Recording};
use crate::flow::load::FileCtx;
use crate::flow::raw::RawState;
use crate::flow::text::placeholders;

impl Checker<'_> {
    /// The recordings `raw` names, read from the folder its file is in; each that cannot be
    /// played is reported where it is named.
    pub(super) fn recordings(
        &self,
        ctx: &mut FileCtx<'_>,
        name: &str,
        raw: &RawState,
    ) -> BTreeMap<String, Recording> {
        let folder = ctx.path.parent().unwrap_or(Path::new("")).to_path_buf();
        let mut recordings = BTreeMap::new();
        for (lang, file) in &raw.audio {
            let span = file.span();
            let Some(text) = raw.say.get(lang) else {
                let message = format!(
                    "state `{name}` has a recording in `{lang}` but no `say.{lang}` text for it to stand for"
                );
                ctx.error(&span, message);
                continue;
            };
            let spoken = raw.speak.get(lang).unwrap_or(text);
            if let Some(used) = [text, spoken]
                .into_iter()
                .flat_map(|t| placeholders(t))
                .next()
            {
                let message = format!(
                    "state `{name}` says `{{{used}}}` in `{lang}`, which changes from one conversation to the next, so a recording cannot say it; take out the recording or the placeholder"
                );
                ctx.error(&span, message);
                continue;
            }
            match read(&folder, file) {
                Ok(recording) => {
                    recordings.insert(lang.clone(), recording);
                }
                Err(problem) => ctx.error(&span, problem),
            }
        }
        recordings
    }
}

/// The recording `file` names under `folder`, or what is wrong with it, as a sentence.
fn read(folder: &Path, file: &Spanned<String>) -> Result<Recording, String> {
    let named = file.get_ref();
    let relative = Path::new(named);
    let inside = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !inside || named.is_empty() {
        return Err(format!(
            "the recording `{named}` must be named by its path inside the flows folder"
        ));
    }
    let unreadable = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => {
            format!("the recording `{named}` is not in the flows folder")
        }
        _ => format!("the recording `{named}` cannot be read: {e}"),
    };
    let opened = std::fs::File::open(folder.join(relative)).map_err(unreadable)?;
    let mut bytes = Vec::new();
    // One byte more than allowed is enough to know a file is too large, however large it is.
    opened
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!(
            "the recording `{named}` is larger than {} MB; a spoken prompt should be a few seconds of phone-quality sound",
            MAX_BYTES / (1024 * 1024)
        ));
    }
    Recording::of(bytes).ok_or_else(|| format!("the recording `{named}` is not an MP3 or WAV file"))
}

#[cfg(test)]
mod tests {
    use crate::flow::audio::{AudioFormat, MAX_BYTES};
    use crate::flow::{Flows, load_dir};

    const FLOW: &str = r#"[flow]
id = "t"
start = "name"
languages = ["en"]

[states.name]
say.en = "What is your name?"
audio.en = "audio/name.wav"
expect = "text"
next = "bye"

[states.bye]
say.en = "Bye."
end = true
"#;

    const WAV: &[u8] = b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0";

    /// Loads `flow` from a folder that also holds `files`.
    fn load(flow: &str, files: &[(&str, &[u8])]) -> Result<Flows, String> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("audio")).unwrap();
        std::fs::write(dir.path().join("t.toml"), flow).unwrap();
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        load_dir(dir.path(), "US".parse().unwrap()).map_err(|e| {
            let all = e.to_string();
            // The folder is a fresh one each time; the file's own name is what matters.
            all.replace(&dir.path().display().to_string(), "flows")
        })
    }

    #[test]
    fn a_recording_named_by_a_state_is_loaded_with_it() {
        let flows = load(FLOW, &[("audio/name.wav", WAV)]).unwrap();
        let state = &flows.get("t").unwrap().states["name"];
        assert_eq!(state.audio["en"].format, AudioFormat::Wav);
        assert_eq!(&*state.audio["en"].bytes, WAV);
    }

    #[test]
    fn a_recording_that_is_not_there_is_an_error_where_it_is_named() {
        assert_eq!(
            load(FLOW, &[]).unwrap_err(),
            "flows/t.toml:8:12: the recording `audio/name.wav` is not in the flows folder"
        );
    }

    #[test]
    fn a_recording_that_cannot_be_read_is_an_error() {
        let flow = FLOW.replace("audio/name.wav", "audio");
        let error = load(&flow, &[]).unwrap_err();
        assert!(
            error.starts_with("flows/t.toml:8:12: the recording `audio` cannot be read: "),
            "{error}"
        );
    }

    #[test]
    fn a_file_that_is_not_mp3_or_wav_is_an_error_whatever_its_name() {
        let ogg = b"OggS\0\x02\0\0\0\0\0\0\0\0".as_slice();
        assert_eq!(
            load(FLOW, &[("audio/name.wav", ogg)]).unwrap_err(),
            "flows/t.toml:8:12: the recording `audio/name.wav` is not an MP3 or WAV file"
        );
    }

    #[test]
    fn a_recording_over_the_cap_is_an_error() {
        let mut large = WAV.to_vec();
        large.resize(MAX_BYTES as usize + 1, 0);
        assert_eq!(
            load(FLOW, &[("audio/name.wav", &large)]).unwrap_err(),
            "flows/t.toml:8:12: the recording `audio/name.wav` is larger than 5 MB; a spoken prompt should be a few seconds of phone-quality sound"
        );
    }

    #[test]
    fn a_recording_must_be_inside_the_flows_folder() {
        for outside in ["../name.wav", "/etc/name.wav"] {
            let flow = FLOW.replace("audio/name.wav", outside);
            assert_eq!(
                load(&flow, &[]).unwrap_err(),
                format!(
                    "flows/t.toml:8:12: the recording `{outside}` must be named by its path inside the flows folder"
                )
            );
        }
    }

    #[test]
    fn a_recording_in_a_language_the_state_has_no_text_in_is_an_error() {
        let flow = FLOW.replace("audio.en", "audio.es");
        assert_eq!(
            load(&flow, &[("audio/name.wav", WAV)]).unwrap_err(),
            "flows/t.toml:8:12: state `name` has a recording in `es` but no `say.es` text for it to stand for"
        );
    }

    #[test]
    fn a_recording_cannot_stand_for_words_that_change() {
        let flow = FLOW.replace(
            "say.en = \"Bye.\"",
            "say.en = \"Your request is {request.code}.\"\naudio.en = \"audio/name.wav\"",
        );
        assert_eq!(
            load(&flow, &[("audio/name.wav", WAV)]).unwrap_err(),
            "flows/t.toml:14:12: state `bye` says `{request.code}` in `en`, which changes from one conversation to the next, so a recording cannot say it; take out the recording or the placeholder"
        );
    }
}

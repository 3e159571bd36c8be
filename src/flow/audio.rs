//! Organisers' own recordings of what a state says, played on a call instead of a text-to-speech
//! voice. They are read and checked when the flows load and kept with them in memory: the service
//! serves them to providers from there, so no request ever reads a file under the flows folder.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use sha2::{Digest, Sha256};

/// The largest recording a flow may name. A spoken prompt lasts seconds, which is kilobytes at
/// phone quality; 5 MB is several minutes even as CD-quality WAV, so anything larger was not
/// meant for the phone, and every recording is held in memory for as long as its flow runs.
pub const MAX_BYTES: u64 = 5 * 1024 * 1024;

/// The kinds of file every provider plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    Mp3,
    Wav,
}

impl AudioFormat {
    /// What a file holds, by its first bytes (its name may say otherwise).
    pub fn sniff(bytes: &[u8]) -> Option<AudioFormat> {
        if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WAVE" {
            return Some(AudioFormat::Wav);
        }
        // An MP3 starts with an ID3 tag, or straight away with a frame's eleven sync bits.
        let frame = bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0;
        (bytes.starts_with(b"ID3") || frame).then_some(AudioFormat::Mp3)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            AudioFormat::Mp3 => "audio/mpeg",
            AudioFormat::Wav => "audio/wav",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            AudioFormat::Mp3 => "mp3",
            AudioFormat::Wav => "wav",
        }
    }
}

/// One recording, as loaded.
#[derive(Debug, Clone)]
pub struct Recording {
    pub format: AudioFormat,
    pub bytes: Arc<[u8]>,
    /// A digest of the bytes, and so of this version of the recording: it is part of the address
    /// providers fetch, so a changed recording has a new address and no cache plays the old one.
    pub version: String,
}

impl Recording {
    /// `bytes` as a recording, if they are one of the formats every provider plays.
    pub fn of(bytes: Vec<u8>) -> Option<Recording> {
        let format = AudioFormat::sniff(&bytes)?;
        let digest = Sha256::digest(&bytes);
        Some(Recording {
            format,
            version: hex::encode(&digest[..8]),
            bytes: bytes.into(),
        })
    }

    /// The last part of its address: its version and the extension of its format.
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.version, self.format.extension())
    }
}

/// Which recording a reply is: the spoken wording of `state` of `flow` in `language`. Kept with
/// the reply said on a call, so the turn that says it plays the recording the flows hold then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub flow: String,
    pub state: String,
    pub language: String,
}

impl fmt::Display for Prompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.flow, self.state, self.language)
    }
}

impl FromStr for Prompt {
    type Err = ();

    /// The flow id comes first and the language last; a state name may hold anything between.
    fn from_str(stored: &str) -> Result<Prompt, ()> {
        let (flow, rest) = stored.split_once('/').ok_or(())?;
        let (state, language) = rest.rsplit_once('/').ok_or(())?;
        Ok(Prompt {
            flow: flow.into(),
            state: state.into(),
            language: language.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav_and_mp3_are_told_by_their_first_bytes_and_anything_else_is_not_audio() {
        let wav = [b"RIFF".as_slice(), &[36, 0, 0, 0], b"WAVEfmt "].concat();
        assert_eq!(AudioFormat::sniff(&wav), Some(AudioFormat::Wav));
        assert_eq!(AudioFormat::sniff(b"ID3\x04\0\0"), Some(AudioFormat::Mp3));
        assert_eq!(
            AudioFormat::sniff(&[0xFF, 0xFB, 0x90, 0x64]),
            Some(AudioFormat::Mp3)
        );
        assert_eq!(AudioFormat::sniff(b"OggS\0\x02"), None);
        assert_eq!(AudioFormat::sniff(b"hello, this is a text file"), None);
    }

    #[test]
    fn a_changed_recording_has_a_new_address() {
        let first = Recording::of(b"ID3first".to_vec()).unwrap();
        let second = Recording::of(b"ID3second".to_vec()).unwrap();
        assert_ne!(first.file_name(), second.file_name());
        assert!(first.file_name().ends_with(".mp3"));
    }

    #[test]
    fn a_prompt_reads_back_as_it_was_stored() {
        let prompt = Prompt {
            flow: "intake".into(),
            state: "ask_need".into(),
            language: "es".into(),
        };
        assert_eq!(prompt.to_string().parse(), Ok(prompt));
        assert_eq!("nonsense".parse::<Prompt>(), Err(()));
    }
}

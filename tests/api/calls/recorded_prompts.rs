//! An organiser records the line's questions in their own voice: a caller hears the recording
//! where there is one in their language, and the text-to-speech voice everywhere else.

use std::path::Path;

use tempfile::TempDir;

use super::{CALLER, Call};
use crate::helpers::*;
use crate::on_both_databases;

const FLOW: &str = r#"
[flow]
id = "intake"
start = "language"
languages = ["en", "es"]

[states.language]
say.en = "Reply 1 for English. Responda 2 para español."
say.es = "Reply 1 for English. Responda 2 para español."
speak.en = "For English, press 1. Para español, oprima 2."
speak.es = "For English, press 1. Para español, oprima 2."
audio.en = "audio/en/language.wav"
expect = "choice"
choices = [
  { match = ["1"], set = { lang = "en" }, next = "need" },
  { match = ["2"], set = { lang = "es" }, next = "need" },
]

[states.need]
say.en = "What do you need?"
say.es = "¿Qué necesita?"
audio.en = "audio/en/need.mp3"
expect = "text"
next = "done"

[states.done]
say.en = "Thank you. Your request is {request.code}."
say.es = "Gracias. Su pedido es {request.code}."
action = { create_request = { queue = "other", fields = ["need"] } }
end = true
"#;

const RELOAD_SECRET: &str = "the reload secret of this service";

/// A WAV file: its header and a few silent 8 kHz mono samples.
pub fn wav() -> Vec<u8> {
    let samples = [0u8; 16];
    let mut bytes = b"RIFF".to_vec();
    bytes.extend((36 + samples.len() as u32).to_le_bytes());
    bytes.extend(b"WAVEfmt ");
    bytes.extend(16u32.to_le_bytes());
    bytes.extend(1u16.to_le_bytes()); // PCM
    bytes.extend(1u16.to_le_bytes()); // mono
    bytes.extend(8000u32.to_le_bytes());
    bytes.extend(16000u32.to_le_bytes());
    bytes.extend(2u16.to_le_bytes());
    bytes.extend(16u16.to_le_bytes());
    bytes.extend(b"data");
    bytes.extend((samples.len() as u32).to_le_bytes());
    bytes.extend(samples);
    bytes
}

/// An MP3 file: an ID3 tag, then one frame header and silence; `take` tells versions apart.
pub fn mp3(take: u8) -> Vec<u8> {
    let mut bytes = b"ID3\x04\0\0\0\0\0\0".to_vec();
    bytes.extend([0xFF, 0xFB, 0x90, 0x64, take]);
    bytes.extend([0u8; 32]);
    bytes
}

/// A flows folder whose intake has the organiser's English recordings of its first two
/// questions, and none in Spanish.
pub fn recorded_flows() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("audio/en")).unwrap();
    std::fs::write(dir.path().join("intake.toml"), FLOW).unwrap();
    std::fs::write(dir.path().join("audio/en/language.wav"), wav()).unwrap();
    std::fs::write(dir.path().join("audio/en/need.mp3"), mp3(1)).unwrap();
    dir
}

pub fn service(flows: &Path) -> Options {
    Options {
        flows_dir: flows.display().to_string(),
        top_settings: format!("reload_secret = \"{RELOAD_SECRET}\""),
        ..Options::default()
    }
}

/// The one recording a document plays, by the path of its address on the service.
fn played(app: &TestApp, plays: &[String]) -> String {
    let [url] = plays else {
        panic!("not one recording: {plays:?}")
    };
    let path = url
        .strip_prefix(&app.url(""))
        .expect("the service's own address");
    format!("/{}", path.trim_start_matches('/'))
}

async fn fetch(app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    let response = app.http.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

on_both_databases! {
    async fn a_caller_hears_the_organisers_own_recording_of_each_question_it_has_one_for(db) {
        let flows = recorded_flows();
        let app = TestApp::spawn_with(db, service(flows.path())).await;
        let (mut call, heard) = Call::dial(&app, CALLER).await;
        let greeting = played(&app, &heard.plays);
        assert!(greeting.starts_with("/audio/intake/language/en/") && greeting.ends_with(".wav"), "{greeting}");
        assert!(!heard.said().contains("press 1"), "the recording stands for the words: {heard:?}");
        assert_eq!(fetch(&app, &greeting).await, (200, "audio/wav".into(), wav()));

        let heard = call.press("1").await;
        let question = played(&app, &heard.plays);
        assert!(question.starts_with("/audio/intake/need/en/") && question.ends_with(".mp3"), "{question}");
        assert_eq!(fetch(&app, &question).await, (200, "audio/mpeg".into(), mp3(1)));

        let heard = call.say("Rice and beans").await;
        assert!(heard.plays.is_empty(), "a text with a request code is spoken: {heard:?}");
        assert!(heard.said().starts_with("Thank you. Your request is "), "{heard:?}");
        let stored = app
            .count("SELECT COUNT(*) FROM outbound_messages WHERE body = 'What do you need?' AND state = 'spoken'")
            .await;
        assert_eq!(stored, 1, "the desk shows the words the recording stands for");
    }

    async fn a_caller_who_presses_a_key_the_menu_lacks_hears_the_recorded_question_again(db) {
        let flows = recorded_flows();
        let app = TestApp::spawn_with(db, service(flows.path())).await;
        let (mut call, heard) = Call::dial(&app, CALLER).await;
        let greeting = played(&app, &heard.plays);
        let heard = call.press("7").await;
        assert_eq!(played(&app, &heard.plays), greeting);
        assert_eq!(heard.listen("numDigits"), Some("1"));
    }

    async fn a_spanish_caller_hears_the_voice_where_the_organiser_recorded_only_english(db) {
        let flows = recorded_flows();
        let app = TestApp::spawn_with(db, service(flows.path())).await;
        let (mut call, _) = Call::dial(&app, CALLER).await;
        let heard = call.press("2").await;
        assert!(heard.plays.is_empty(), "{heard:?}");
        assert_eq!(heard.says[0], ("¿Qué necesita?".to_string(), "es-MX".to_string()));
    }

    async fn only_the_recordings_the_flows_name_are_served(db) {
        let flows = recorded_flows();
        std::fs::write(flows.path().join("audio/en/unused.mp3"), mp3(2)).unwrap();
        let app = TestApp::spawn_with(db, service(flows.path())).await;
        let (_, heard) = Call::dial(&app, CALLER).await;
        let greeting = played(&app, &heard.plays);
        let version = greeting.rsplit('/').next().unwrap();
        for path in [
            "/audio/intake/need/es/".to_string() + version,
            "/audio/intake/language/en/0000000000000000.wav".to_string(),
            greeting.replace(".wav", ".mp3"),
            "/audio/intake/unused/en/".to_string() + version,
            "/audio/audio/en/unused.mp3".to_string(),
            "/audio/intake.toml".to_string(),
            "/audio/intake/language/en/..%2F..%2Fintake.toml".to_string(),
            "/audio/".to_string(),
        ] {
            assert_eq!(fetch(&app, &path).await.0, 404, "{path}");
        }
    }

    async fn a_changed_recording_is_played_from_a_new_address_after_the_flows_reload(db) {
        let flows = recorded_flows();
        let app = TestApp::spawn_with(db, service(flows.path())).await;
        let (mut call, _) = Call::dial(&app, CALLER).await;
        let before = played(&app, &call.press("1").await.plays);

        std::fs::write(flows.path().join("audio/en/need.mp3"), mp3(2)).unwrap();
        let reloaded = app
            .http
            .post(app.url("/admin/flows/reload"))
            .bearer_auth(RELOAD_SECRET)
            .send()
            .await
            .unwrap();
        assert_eq!(reloaded.status(), 200);

        let (mut call, _) = Call::dial(&app, "+15557650999").await;
        let after = played(&app, &call.press("1").await.plays);
        assert_ne!(before, after, "a provider that cached the old one fetches the new");
        assert_eq!(fetch(&app, &after).await, (200, "audio/mpeg".into(), mp3(2)));
        assert_eq!(fetch(&app, &before).await.0, 404, "the old recording is gone");
    }
}

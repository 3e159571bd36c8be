//! A caller leaves a message: at any question 0 records one, the recording becomes a hand-off with
//! the answers given so far, its audio is copied from Twilio and deleted there, its transcription
//! is kept beside it (and deleted at Twilio), and dispatchers play it from the request page, never
//! from Twilio. The helpers at the top leave and copy a message on any provider's line.

use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use super::{CALLER, Call};
use crate::call_harness::{self, Dialled, Fields};
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, account};
use crate::providers::Signer;

/// A caller on `F`'s line presses 0 at the first question and is recorded; the provider then
/// posts its recording callback, `ready` (given the call's id), to the address the record step
/// named in `attribute`, signed by `signer`. Gives the line's answer to that callback.
pub async fn leave_a_message_on<F: Dialled>(
    app: &TestApp,
    attribute: &str,
    ready: impl FnOnce(&str) -> Fields,
    signer: Signer,
) -> reqwest::Response {
    let (mut call, _) = call_harness::Call::<F>::dial(app, CALLER).await;
    let heard = call.press("0").await;
    assert!(
        heard
            .said()
            .starts_with("Please leave your message after the tone"),
        "{heard:?}"
    );
    let address = heard
        .record(attribute)
        .unwrap_or_else(|| panic!("the record step names no {attribute}: {heard:?}"));
    let at = address.strip_prefix(&app.url("")).unwrap().to_string();
    assert!(
        at.contains("/recording?call="),
        "the address names the call: {at}"
    );
    let hook = F::webhook(app, &at, &ready(&call.id), signer);
    call_harness::send::<F>(app, &at, hook).await
}

/// The message became a hand-off, and the copier brought its audio in from `fetched` (the last
/// of the provider's addresses it downloads from) and deleted the provider's copy at `deleted`,
/// or, with no `deleted`, could not and says the provider keeps it.
pub async fn a_hand_off_whose_message_is_copied(
    app: &TestApp,
    fetched: &str,
    deleted: Option<&str>,
) {
    let handoffs = app
        .count("SELECT COUNT(*) FROM requests WHERE queue = 'handoff'")
        .await;
    assert_eq!(handoffs, 1, "the message is a hand-off");
    assert_eq!(app.copy_recordings().await, 1);
    let downloads = app.api_requests(fetched).await;
    assert_eq!(
        downloads
            .iter()
            .filter(|r| r.method.as_str() == "GET")
            .count(),
        1
    );
    let copied = app
        .count("SELECT COUNT(*) FROM recordings WHERE audio IS NOT NULL")
        .await;
    assert_eq!(copied, 1, "the audio is in the database");
    let deletes = app.api.received_requests().await.unwrap_or_default();
    let deletes: Vec<_> = deletes
        .iter()
        .filter(|r| r.method.as_str() == "DELETE")
        .map(|r| r.url.path().to_string())
        .collect();
    match deleted {
        Some(at) => {
            assert_eq!(deletes, [at], "the provider's copy is deleted");
            let kept = app
                .count("SELECT COUNT(*) FROM recordings WHERE state = 'kept'")
                .await;
            assert_eq!(kept, 1);
        }
        None => {
            assert!(deletes.is_empty(), "{deletes:?}");
            let at_provider = app
                .count("SELECT COUNT(*) FROM recordings WHERE state = 'kept_at_provider'")
                .await;
            assert_eq!(at_provider, 1, "marked as kept at the provider too");
            let code: String =
                sqlx::query_scalar("SELECT code FROM requests WHERE queue = 'handoff'")
                    .fetch_one(app.db.pool())
                    .await
                    .unwrap();
            account(app, "dina", "dispatcher").await;
            let dina = Browser::new(app);
            dina.sign_in("dina", crate::pages::PASSWORD).await;
            let page = dina.get(&format!("/requests/{code}")).await;
            assert!(
                page.body.contains("still holds its own copy"),
                "dispatchers are told: {}",
                page.body
            );
        }
    }
    assert_eq!(app.copy_recordings().await, 0, "nothing more to do");
}

/// A recording callback that is not the provider's is refused, and nothing is kept of it.
pub async fn a_forged_recording_callback_leaves_nothing(
    response: reqwest::Response,
    app: &TestApp,
) {
    assert_eq!(response.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM recordings").await, 0);
    let handoffs = app
        .count("SELECT COUNT(*) FROM requests WHERE queue = 'handoff'")
        .await;
    assert_eq!(handoffs, 0);
}

pub const RECORDING: &str = "RE0123456789abcdef0123456789abcdef";

fn recording_path(format: &str) -> String {
    format!("/2010-04-01/Accounts/{ACCOUNT}/Recordings/{RECORDING}.{format}")
}

/// Half a second of a quiet tone as a WAV file: small, and something a browser can play.
pub fn tone() -> Vec<u8> {
    let rate: u32 = 8000;
    let samples: Vec<i16> = (0..rate / 2)
        .map(|i| ((i as f32 * 440.0 * std::f32::consts::TAU / rate as f32).sin() * 3000.0) as i16)
        .collect();
    let data_len = (samples.len() * 2) as u32;
    let mut wav = Vec::new();
    wav.extend(b"RIFF");
    wav.extend((36 + data_len).to_le_bytes());
    wav.extend(b"WAVEfmt ");
    wav.extend(16u32.to_le_bytes());
    wav.extend(1u16.to_le_bytes()); // PCM
    wav.extend(1u16.to_le_bytes()); // mono
    wav.extend(rate.to_le_bytes());
    wav.extend((rate * 2).to_le_bytes());
    wav.extend(2u16.to_le_bytes());
    wav.extend(16u16.to_le_bytes());
    wav.extend(b"data");
    wav.extend(data_len.to_le_bytes());
    for s in samples {
        wav.extend(s.to_le_bytes());
    }
    wav
}

/// Twilio's Recordings API, holding one recording until it is deleted.
pub async fn twilio_holds_the_recording(app: &TestApp) {
    Mock::given(method("GET"))
        .and(path(recording_path("mp3")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(tone(), "audio/wav"))
        .mount(&app.api)
        .await;
    Mock::given(method("DELETE"))
        .and(path(recording_path("json")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&app.api)
        .await;
}

/// A caller who chose English and groceries presses 0, speaks, and hangs up; Twilio then posts
/// that the recording is ready. Returns the hand-off's code.
pub async fn leave_a_message(app: &TestApp) -> String {
    let (mut call, _) = Call::dial(app, CALLER).await;
    call.press("1").await;
    call.press("1").await;
    let heard = call.press("0").await;
    assert!(
        heard
            .said()
            .starts_with("Please leave your message after the tone"),
        "{heard:?}"
    );
    let done = heard.record("action").unwrap().to_string();
    assert_eq!(heard.record("maxLength"), Some("120"));
    assert!(done.ends_with("&message=1"), "{done}");
    let ready = heard.record("recordingStatusCallback").unwrap();
    let named = format!("/webhooks/twilio/recording?call={}", call.id);
    assert_eq!(ready, app.url(&named));
    assert_eq!(
        heard.record("transcribeCallback"),
        Some(app.url("/webhooks/twilio/transcription").as_str())
    );

    // Recording ends: Twilio asks what next.
    call.next = done.strip_prefix(&app.url("")).unwrap().to_string();
    let after = call
        .post(vec![
            ("RecordingUrl", "https://api.twilio.com/x".into()),
            ("RecordingDuration", "7".into()),
        ])
        .await;
    assert!(
        after
            .said()
            .starts_with("Thank you. A person from the group will listen"),
        "{after:?}"
    );
    assert!(after.hangup);

    let ready = recording_callback(&call, "completed");
    let response = app.post_signed(&named, &ready).await;
    assert_eq!(response.status(), 204);
    let handoffs = app.requests().await;
    let handoff = handoffs
        .iter()
        .find(|r| r.queue == "handoff")
        .expect("a hand-off");
    handoff.code.clone()
}

pub const TRANSCRIPTION: &str = "TR0123456789abcdef0123456789abcdef";

/// Twilio's callback with the words of the message left on the line's one call.
pub async fn twilio_transcribes_the_message(app: &TestApp) {
    let call_sid: String = sqlx::query_scalar("SELECT call_id FROM calls")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let words: Vec<(String, String)> = [
        ("AccountSid", ACCOUNT),
        ("CallSid", call_sid.as_str()),
        ("RecordingSid", RECORDING),
        ("TranscriptionSid", TRANSCRIPTION),
        ("TranscriptionStatus", "completed"),
        ("TranscriptionText", "Hi, it's Rosa. I need milk and bread."),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let response = app
        .post_signed("/webhooks/twilio/transcription", &words)
        .await;
    assert_eq!(response.status(), 204);
}

/// Twilio's word that the recording of `call` is ready, or is not.
pub fn recording_callback(call: &Call<'_>, status: &str) -> Vec<(String, String)> {
    [
        ("AccountSid", ACCOUNT),
        ("CallSid", call.id.as_str()),
        ("RecordingSid", RECORDING),
        (
            "RecordingUrl",
            "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE",
        ),
        ("RecordingStatus", status),
        ("RecordingDuration", "7"),
        ("RecordingChannels", "1"),
        ("RecordingSource", "RecordVerb"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

on_both_databases! {
    async fn a_message_left_on_a_call_reaches_a_dispatcher_and_only_the_service_keeps_it(db) {
        let app = TestApp::spawn(db).await;
        twilio_holds_the_recording(&app).await;
        let code = leave_a_message(&app).await;
        let handoff = app.requests().await.into_iter().find(|r| r.code == code).unwrap();
        assert_eq!(handoff.fields["need"], "groceries", "the answers given before the message go with it");
        assert_eq!(handoff.fields["handoff_reason"], "left a message on a call");

        assert_eq!(app.copy_recordings().await, 1);
        assert_eq!(app.api_requests(&recording_path("mp3")).await.len(), 1);
        assert_eq!(app.api_requests(&recording_path("json")).await.len(), 1, "Twilio's copy is deleted");
        let kept = app.count("SELECT COUNT(*) FROM recordings WHERE state = 'kept' AND audio IS NOT NULL").await;
        assert_eq!(kept, 1);
        assert_eq!(app.copy_recordings().await, 0, "nothing more to do");

        let call_sid: String = sqlx::query_scalar("SELECT call_id FROM calls")
            .fetch_one(app.db.pool()).await.unwrap();
        let words: Vec<(String, String)> = [
            ("AccountSid", ACCOUNT), ("CallSid", call_sid.as_str()), ("RecordingSid", RECORDING),
            ("TranscriptionSid", "TR0123"), ("TranscriptionStatus", "completed"),
            ("TranscriptionText", "Hi, it's Rosa. I need milk and bread for my kids."),
        ].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(app.post_signed("/webhooks/twilio/transcription", &words).await.status(), 204);

        account(&app, "dina", "dispatcher").await;
        let dina = Browser::new(&app);
        dina.sign_in("dina", crate::pages::PASSWORD).await;
        let page = dina.get(&format!("/requests/{code}")).await;
        assert!(page.body.contains("Messages left on calls"), "{}", page.body);
        assert!(page.body.contains("I need milk and bread for my kids."));
        let src = format!("/requests/{code}/recordings/");
        assert!(page.body.contains(&src));
        assert!(!page.body.contains("api.twilio.com"), "never the provider's address");
        let id: i64 = sqlx::query_scalar("SELECT id FROM recordings").fetch_one(app.db.pool()).await.unwrap();
        let audio = dina.http.get(app.url(&format!("{src}{id}"))).send().await.unwrap();
        assert_eq!(audio.status(), 200);
        assert_eq!(audio.headers()["cache-control"], "no-store");
        assert_eq!(audio.bytes().await.unwrap().to_vec(), tone());
        let played = app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'played'").await;
        assert_eq!(played, 1, "each play is recorded");

        let stranger = Browser::new(&app);
        let refused = stranger.http.get(app.url(&format!("{src}{id}"))).send().await.unwrap();
        assert_eq!(refused.url().path(), "/signin", "someone not signed in is sent to sign in");
        assert_ne!(refused.bytes().await.unwrap().to_vec(), tone());
    }

    async fn a_recording_twilio_cannot_give_yet_is_fetched_later_and_nothing_is_lost(db) {
        let app = TestApp::spawn(db).await;
        Mock::given(method("GET"))
            .and(path(recording_path("mp3")))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&app.api)
            .await;
        twilio_holds_the_recording(&app).await;
        leave_a_message(&app).await;
        assert_eq!(app.copy_recordings().await, 1);
        let waiting = app.count("SELECT COUNT(*) FROM recordings WHERE state = 'to_fetch' AND attempts = 1").await;
        assert_eq!(waiting, 1, "a failed download waits for another try");
        assert_eq!(app.copy_recordings().await, 0, "not before its time");
        app.clock.advance(std::time::Duration::from_secs(61));
        assert_eq!(app.copy_recordings().await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM recordings WHERE state = 'kept'").await, 1);
    }

    async fn a_recording_callback_retried_by_twilio_makes_one_message(db) {
        let app = TestApp::spawn(db).await;
        twilio_holds_the_recording(&app).await;
        leave_a_message(&app).await;
        let call_sid: String = sqlx::query_scalar("SELECT call_id FROM calls")
            .fetch_one(app.db.pool()).await.unwrap();
        let again: Vec<(String, String)> = [
            ("AccountSid", ACCOUNT), ("CallSid", call_sid.as_str()), ("RecordingSid", RECORDING),
            ("RecordingStatus", "completed"), ("RecordingDuration", "7"),
        ].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(app.post_signed("/webhooks/twilio/recording", &again).await.status(), 204);
        assert_eq!(app.count("SELECT COUNT(*) FROM recordings").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 1);
    }

    async fn the_words_twilio_keeps_of_a_message_are_deleted_there_once_they_are_ours(db) {
        let app = TestApp::spawn(db).await;
        twilio_holds_the_recording(&app).await;
        let words_at = format!("/2010-04-01/Accounts/{ACCOUNT}/Transcriptions/{TRANSCRIPTION}.json");
        Mock::given(method("DELETE")).and(path(&words_at))
            .respond_with(ResponseTemplate::new(503)).up_to_n_times(1).with_priority(1)
            .mount(&app.api).await;
        Mock::given(method("DELETE")).and(path(&words_at))
            .respond_with(ResponseTemplate::new(204))
            .mount(&app.api).await;
        leave_a_message(&app).await;
        assert_eq!(app.copy_recordings().await, 1, "the recording is copied, then deleted");
        twilio_transcribes_the_message(&app).await;
        let kept = app.count("SELECT COUNT(*) FROM recordings WHERE transcript LIKE '%milk and bread%'").await;
        assert_eq!(kept, 1, "the words are ours first");

        assert_eq!(app.copy_recordings().await, 1);
        assert_eq!(app.api_requests(&words_at).await.len(), 1);
        let waiting = app.count("SELECT COUNT(*) FROM recordings WHERE transcription_state = 'to_delete' AND transcription_attempts = 1").await;
        assert_eq!(waiting, 1, "a refused delete waits for another try");
        assert_eq!(app.copy_recordings().await, 0, "not before its time");
        app.clock.advance(std::time::Duration::from_secs(61));
        assert_eq!(app.copy_recordings().await, 1);
        assert_eq!(app.api_requests(&words_at).await.len(), 2, "Twilio's transcription is deleted");
        let deleted = app.count("SELECT COUNT(*) FROM recordings WHERE transcription_state = 'deleted'").await;
        assert_eq!(deleted, 1);
        let words = app.count("SELECT COUNT(*) FROM recordings WHERE transcript LIKE '%milk and bread%'").await;
        assert_eq!(words, 1, "and the words stay with the service");
        assert_eq!(app.copy_recordings().await, 0, "nothing more to do");
    }

    async fn a_forged_recording_callback_is_refused(db) {
        let app = TestApp::spawn(db).await;
        let params = [("CallSid", "CAx"), ("RecordingSid", RECORDING), ("RecordingStatus", "completed")];
        let response = app.http.post(app.url("/webhooks/twilio/recording"))
            .header("X-Twilio-Signature", "bm8=").form(&params).send().await.unwrap();
        assert_eq!(response.status(), 403);
        assert_eq!(app.count("SELECT COUNT(*) FROM recordings").await, 0);
    }
}

//! A caller leaves a message: at any question 0 records one, the recording becomes a hand-off with
//! the answers given so far, its audio is copied from Twilio and deleted there, its transcription
//! is kept beside it, and dispatchers play it from the request page, never from Twilio.

use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use super::{CALLER, Call};
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, account};

const RECORDING: &str = "RE0123456789abcdef0123456789abcdef";

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
    assert_eq!(ready, app.url("/webhooks/twilio/recording"));
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
    let response = app.post_signed("/webhooks/twilio/recording", &ready).await;
    assert_eq!(response.status(), 204);
    let handoffs = app.requests().await;
    let handoff = handoffs
        .iter()
        .find(|r| r.queue == "handoff")
        .expect("a hand-off");
    handoff.code.clone()
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

    async fn a_forged_recording_callback_is_refused(db) {
        let app = TestApp::spawn(db).await;
        let params = [("CallSid", "CAx"), ("RecordingSid", RECORDING), ("RecordingStatus", "completed")];
        let response = app.http.post(app.url("/webhooks/twilio/recording"))
            .header("X-Twilio-Signature", "bm8=").form(&params).send().await.unwrap();
        assert_eq!(response.status(), 403);
        assert_eq!(app.count("SELECT COUNT(*) FROM recordings").await, 0);
    }
}

//! Forgetting reaches the providers: the texts a forgotten person sent and was sent are deleted
//! at the provider that carried them, tried again when it fails, and recorded as kept there
//! when the provider offers no way to delete them.

use std::time::Duration;

use aidline::phone::Phone;
use aidline::privacy::{self, Forgetting, Person};
use aidline::store::erasure::Reason;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, ResponseTemplate};

use crate::calls::CALLER;
use crate::calls::messages::{
    RECORDING, TRANSCRIPTION, leave_a_message, twilio_transcribes_the_message,
};
use crate::helpers::*;
use crate::on_both_databases;
use crate::providers::telnyx::Telnyx;
use crate::providers::vonage_sms::VonageSms;
use crate::providers::{self, Provider};

const NEIGHBOUR: &str = "+15557718001";
const MESSAGE_PATHS: &str = r"^/2010-04-01/Accounts/ACtest0000000000000000000000000000/Messages/";

/// The address a message is deleted at, at the mock Twilio API.
fn message_path(sid: &str) -> String {
    format!("{}/{sid}.json", MESSAGES_PATH.trim_end_matches(".json"))
}

/// Twilio deletes whatever it is asked to (refusing once first with `status` and `code`).
async fn twilio_deletes(app: &TestApp, first: Option<(u16, i64)>) {
    if let Some((status, code)) = first {
        let refusal = ResponseTemplate::new(status).set_body_json(serde_json::json!({
            "code": code, "message": "refused"
        }));
        Mock::given(method("DELETE"))
            .and(path_regex(MESSAGE_PATHS))
            .respond_with(refusal)
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&app.api)
            .await;
    }
    Mock::given(method("DELETE"))
        .and(path_regex(MESSAGE_PATHS))
        .respond_with(ResponseTemplate::new(204))
        .with_priority(10)
        .mount(&app.api)
        .await;
}

/// The paths the mock Twilio API was asked to delete, sorted.
async fn deleted_at_twilio(app: &TestApp) -> Vec<String> {
    let mut paths: Vec<String> = app
        .api
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == "DELETE")
        .map(|r| r.url.path().to_string())
        .collect();
    paths.sort();
    paths
}

/// The provider's ids of every text to and from `phone`, sorted.
async fn message_ids(app: &TestApp, phone: &str) -> Vec<String> {
    let mut ids: Vec<String> = sqlx::query_scalar(
        "SELECT i.gateway_id FROM inbound_messages i JOIN contacts c ON c.id = i.contact_id \
         WHERE c.phone = $1 \
         UNION SELECT o.gateway_id FROM outbound_messages o \
         WHERE o.to_phone = $1 AND o.gateway_id IS NOT NULL",
    )
    .bind(phone)
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    ids.sort();
    ids
}

async fn forget(app: &TestApp, phone: &str) {
    let phone = Phone::from_stored(phone.to_string());
    let by = Forgetting {
        actor: "cli",
        reason: Reason::Asked,
        now: app.clock.now_ms(),
    };
    let settings = &app.settings.dispatch;
    let forgotten = privacy::forget(&app.db, settings, Person::Number(&phone), by).await;
    assert!(forgotten.unwrap().is_some());
}

on_both_databases! {
    async fn a_forgotten_twilio_neighbours_texts_both_ways_are_deleted_at_twilio(db) {
        let app = TestApp::spawn(db).await;
        twilio_deletes(&app, None).await;
        for text in ["hi", "1"] {
            app.text(NEIGHBOUR, text).await;
        }
        app.send_due().await;
        let ids = message_ids(&app, NEIGHBOUR).await;
        assert_eq!(ids.len(), 4, "two texts in, two replies out: {ids:?}");

        forget(&app, NEIGHBOUR).await;
        assert_eq!(app.delete_at_providers().await, 4);

        let mut expected: Vec<String> = ids.iter().map(|id| message_path(id)).collect();
        expected.sort();
        assert_eq!(deleted_at_twilio(&app).await, expected);
        assert_eq!(app.count("SELECT COUNT(*) FROM provider_deletions").await, 0);
        assert_eq!(app.delete_at_providers().await, 0);
    }

    async fn a_deletion_twilio_fails_is_tried_again_later_and_then_done(db) {
        let app = TestApp::spawn(db).await;
        twilio_deletes(&app, Some((500, 20500))).await;
        app.text(NEIGHBOUR, "hi").await;
        app.send_due().await;

        forget(&app, NEIGHBOUR).await;
        assert_eq!(app.delete_at_providers().await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM provider_deletions WHERE state = 'pending'").await, 1);
        assert_eq!(app.delete_at_providers().await, 0, "not straight away");

        app.clock.advance(Duration::from_secs(2 * 60));
        assert_eq!(app.delete_at_providers().await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM provider_deletions").await, 0);
        assert_eq!(deleted_at_twilio(&app).await.len(), 3, "one refused, then all deleted");
    }

    async fn a_text_still_on_its_way_at_twilio_is_deleted_a_minute_later(db) {
        let app = TestApp::spawn(db).await;
        // The last text to someone who asked by text is deleted there too, once sent; Twilio
        // says it is still in progress at first.
        twilio_deletes(&app, None).await;
        app.text(NEIGHBOUR, "hi").await;
        app.text(NEIGHBOUR, "DELETE").await;
        app.send_due().await;
        app.text(NEIGHBOUR, "DELETE ME").await;
        assert_eq!(app.delete_at_providers().await, 5, "three texts in, two replies out");
        twilio_deletes(&app, Some((409, 20009))).await;
        app.send_due().await;
        let farewell = app.sent_to(NEIGHBOUR).await;
        assert!(farewell.last().unwrap().starts_with("Done:"), "{farewell:?}");

        assert_eq!(app.delete_at_providers().await, 1);
        assert_eq!(app.delete_at_providers().await, 0, "Twilio asked for a minute");
        app.clock.advance(Duration::from_secs(61));
        assert_eq!(app.delete_at_providers().await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM provider_deletions").await, 0);
        assert_eq!(deleted_at_twilio(&app).await.len(), 7);
    }

    async fn a_forgotten_callers_message_and_its_words_are_deleted_at_twilio_before_they_were_copied(db) {
        let app = TestApp::spawn(db).await;
        twilio_deletes(&app, None).await;
        let at = format!("/2010-04-01/Accounts/{ACCOUNT}");
        for resource in ["Recordings", "Transcriptions"] {
            Mock::given(method("DELETE"))
                .and(path_regex(format!("^{at}/{resource}/")))
                .respond_with(ResponseTemplate::new(204))
                .mount(&app.api)
                .await;
        }
        leave_a_message(&app).await;
        twilio_transcribes_the_message(&app).await;

        forget(&app, CALLER).await;
        app.delete_at_providers().await;

        let deleted = deleted_at_twilio(&app).await;
        let recording = format!("{at}/Recordings/{RECORDING}.json");
        let words = format!("{at}/Transcriptions/{TRANSCRIPTION}.json");
        assert!(deleted.contains(&recording), "{deleted:?}");
        assert!(deleted.contains(&words), "{deleted:?}");
        assert_eq!(app.count("SELECT COUNT(*) FROM provider_deletions").await, 0);
    }

    async fn a_forgotten_vonage_neighbours_texts_are_redacted_at_vonage_once_an_hour_has_passed(db) {
        let app = providers::spawn::<VonageSms>(db).await;
        providers::text::<VonageSms>(&app, NEIGHBOUR, "hi").await;
        app.send_due().await;
        let too_soon = ResponseTemplate::new(403).set_body_json(serde_json::json!({
            "type": "https://developer.nexmo.com/api-errors/redact#premature-redaction",
            "title": "Premature redaction request",
        }));
        Mock::given(method("POST"))
            .and(wiremock::matchers::path("/v1/redact/transaction"))
            .respond_with(too_soon)
            .up_to_n_times(2)
            .with_priority(1)
            .mount(&app.api)
            .await;
        Mock::given(method("POST"))
            .and(wiremock::matchers::path("/v1/redact/transaction"))
            .respond_with(ResponseTemplate::new(204))
            .with_priority(10)
            .mount(&app.api)
            .await;

        forget(&app, NEIGHBOUR).await;
        assert_eq!(app.delete_at_providers().await, 2);
        let waiting = app.count("SELECT COUNT(*) FROM provider_deletions WHERE state = 'pending'").await;
        assert_eq!(waiting, 2, "Vonage asked for an hour first");
        app.clock.advance(Duration::from_secs(30 * 60));
        assert_eq!(app.delete_at_providers().await, 0, "not before the hour");
        app.clock.advance(Duration::from_secs(31 * 60));
        assert_eq!(app.delete_at_providers().await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM provider_deletions").await, 0);

        let asked: Vec<serde_json::Value> = app.api.received_requests().await.unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path() == "/v1/redact/transaction")
            .map(|r| {
                let auth = r.headers.get("authorization").unwrap().to_str().unwrap().to_string();
                assert!(auth.starts_with("Basic "), "under the account's key: {auth}");
                serde_json::from_slice(&r.body).unwrap()
            })
            .collect();
        let ways: std::collections::BTreeSet<(String, String)> = asked.iter()
            .map(|a| (a["product"].as_str().unwrap().into(), a["type"].as_str().unwrap().into()))
            .collect();
        let both = [("sms".to_string(), "inbound".to_string()), ("sms".to_string(), "outbound".to_string())];
        assert_eq!(ways, both.into_iter().collect(), "{asked:?}");
    }

    async fn a_text_at_a_provider_with_no_way_to_delete_it_is_recorded_as_kept_there(db) {
        let app = providers::spawn::<Telnyx>(db).await;
        providers::text::<Telnyx>(&app, NEIGHBOUR, "hi").await;
        app.send_due().await;

        forget(&app, NEIGHBOUR).await;
        assert_eq!(app.delete_at_providers().await, 2);
        let kept: Vec<(String, String)> =
            sqlx::query_as("SELECT gateway, state FROM provider_deletions")
                .fetch_all(app.db.pool())
                .await
                .unwrap();
        let telnyx_kept = (Telnyx::GATEWAY.to_string(), "kept".to_string());
        assert_eq!(kept, vec![telnyx_kept.clone(), telnyx_kept]);

        app.clock.advance(Duration::from_secs(24 * 3600));
        assert_eq!(app.delete_at_providers().await, 0, "not tried again");
    }
}

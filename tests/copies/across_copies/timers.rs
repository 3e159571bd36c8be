//! Timers are rows in the database that a copy takes before acting on, so with every copy
//! looking for due timers each one still fires once: here an unclaimed request's wider wave of
//! offers, then the alert to the dispatchers.

use std::time::Duration;

use crate::harness::*;

const DESK: &str = "+14155550190";
const VOLUNTEERS: [(&str, &str); 3] = [
    ("+14155550121", "Ada"),
    ("+14155550122", "Ben"),
    ("+14155550123", "Cy"),
];

/// One volunteer is offered a request first, two more a second later, and the desk is alerted
/// two seconds in.
const IN_SECONDS: &str = r#"
[dispatch]
alert_to = ["+14155550190"]
[dispatch.queues.groceries]
dispatch = "offers"
first_wave = 1
escalate_after = "1s"
second_wave = 2
alert_after = "2s"
needs = []
"#;

/// Longer than the service waits between looks for due timers, so that every copy has looked
/// again after the alert.
const ANOTHER_LOOK: Duration = Duration::from_secs(6);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unclaimed_request_is_offered_wider_and_alerted_once_with_two_copies_watching_the_clock()
{
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let setup = Setup {
        tables: IN_SECONDS.into(),
        ..Setup::default()
    };
    let service = Service::start(db, setup, 2).await;
    service.volunteers(&VOLUNTEERS);
    service.file_request("+15557660001").await;

    within(Duration::from_secs(30), "the alert", || async {
        !service.api.sent_to(DESK).is_empty()
    })
    .await;
    tokio::time::sleep(ANOTHER_LOOK).await;

    let alerts = service.api.sent_to(DESK);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert!(alerts[0].starts_with("Request "), "{alerts:#?}");
    for (phone, name) in VOLUNTEERS {
        let offers = service.api.sent_to(phone);
        assert_eq!(offers.len(), 1, "{name} was offered it once: {offers:#?}");
        assert!(offers[0].contains("Reply YES"), "{offers:#?}");
    }
    let left = service
        .count("SELECT COUNT(*) FROM timers WHERE request_id IS NOT NULL AND done_at IS NULL")
        .await;
    assert_eq!(left, 0, "no timer left to fire");
}

//! Volunteers claiming one request through different copies at the same moment: the claim is one
//! conditional update in the database, so exactly one wins whichever copy each went through.

use futures::future::join_all;

use crate::harness::*;

const VOLUNTEERS: [(&str, &str); 4] = [
    ("+14155550101", "Ada"),
    ("+14155550102", "Ben"),
    ("+14155550103", "Cy"),
    ("+14155550104", "Di"),
];

/// Every new groceries request is offered to all four volunteers at once.
const EVERYONE_AT_ONCE: &str = r#"
[dispatch.queues.groceries]
dispatch = "offers"
first_wave = 4
escalate_after = "30m"
second_wave = 10
alert_after = "2h"
needs = []
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_volunteers_who_claim_through_different_copies_at_once_one_gets_the_job_and_the_rest_hear_it_was_taken()
 {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let setup = Setup {
        tables: EVERYONE_AT_ONCE.into(),
        ..Setup::default()
    };
    let service = Service::start(db, setup, 2).await;
    service.volunteers(&VOLUNTEERS);
    let neighbours: Vec<String> = (0..4).map(|i| format!("+1555764{i:04}")).collect();
    join_all(neighbours.iter().map(|n| service.file_request(n))).await;
    let codes: Vec<String> = sqlx::query_scalar("SELECT code FROM requests ORDER BY id")
        .fetch_all(service.db().await)
        .await
        .unwrap();
    assert_eq!(codes.len(), neighbours.len());

    for code in &codes {
        for (phone, _) in VOLUNTEERS {
            eventually(&format!("{phone}'s offer of {code}"), || async {
                let offer = format!("Reply YES {code} to take it.");
                service
                    .api
                    .sent_to(phone)
                    .iter()
                    .any(|t| t.ends_with(&offer))
            })
            .await;
        }
        let claim = format!("YES {code}");
        let claims = VOLUNTEERS.iter().enumerate();
        join_all(claims.map(|(i, (phone, _))| service.text(i % 2, phone, &claim))).await;

        let yours = format!("{code} is yours.");
        let taken = format!("Thanks! {code} was already taken by someone else.");
        let answer_to = |phone: &str| {
            let texts = service.api.sent_to(phone);
            let answers: Vec<String> = texts
                .into_iter()
                .filter(|t| t.starts_with(&yours) || *t == taken)
                .collect();
            answers
        };
        for (phone, _) in VOLUNTEERS {
            eventually(
                &format!("the answer to {phone}'s claim of {code}"),
                || async { !answer_to(phone).is_empty() },
            )
            .await;
        }
        let answers: Vec<Vec<String>> = VOLUNTEERS.iter().map(|(p, _)| answer_to(p)).collect();
        let winners = answers.iter().filter(|a| a[0].starts_with(&yours)).count();
        assert_eq!(winners, 1, "one winner of {code}: {answers:#?}");
        assert!(
            answers.iter().all(|a| a.len() == 1),
            "one answer each: {answers:#?}"
        );
    }

    let claimed = service
        .count("SELECT COUNT(*) FROM requests WHERE status = 'claimed'")
        .await;
    assert_eq!(claimed, codes.len() as i64);
    for neighbour in &neighbours {
        eventually(
            &format!("{neighbour} to hear a volunteer is coming"),
            || async {
                let told = service.api.sent_to(neighbour);
                told.iter().any(|t| t.starts_with("Good news"))
            },
        )
        .await;
        let told = service.api.sent_to(neighbour);
        let good_news = told.iter().filter(|t| t.starts_with("Good news")).count();
        assert_eq!(good_news, 1, "{neighbour} heard once: {told:#?}");
    }
}

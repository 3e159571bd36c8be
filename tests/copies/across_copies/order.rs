//! A neighbour's texts reach whichever copy the load balancer picks; each copy handles a
//! contact's texts under the same lock in the database, oldest stored first, so the conversation
//! goes as it would with one copy.

use futures::future::join_all;

use crate::harness::*;

/// What the intake asks after each of [`INTAKE`]'s texts but the last, in English.
const QUESTIONS: [&str; 9] = [
    "Hi, this is your neighbourhood mutual-aid line. Reply 1 for English. Responda 2 para español.",
    "What do you need? Reply 1 groceries, 2 prescription pickup, 3 another delivery.",
    "What should we bring? A short list is fine. (Reply SKIP to skip any question.)",
    "How many people is this for? Reply with a number.",
    "What is your zip code or neighbourhood?",
    "Where should we meet you? Cross streets or the nearest corner is enough.",
    "When is a good time?",
    "Anything we should know? Diet, allergies, stairs, pets.",
    "What name should the volunteer use for you?",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neighbours_whose_texts_alternate_between_copies_are_asked_each_question_once_in_turn() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let service = Service::start(db, Setup::default(), 2).await;
    let neighbours: Vec<String> = (0..6).map(|i| format!("+1555761{i:04}")).collect();

    // Each neighbour answers a question once it has arrived, every other text through the
    // other copy; all of them at once.
    join_all(neighbours.iter().enumerate().map(|(k, phone)| {
        let service = &service;
        async move {
            for (i, text) in INTAKE.iter().enumerate() {
                service.text((k + i) % 2, phone, text).await;
                eventually(&format!("the answer to text {i} from {phone}"), || async {
                    service.api.sent_to(phone).len() > i
                })
                .await;
            }
        }
    }))
    .await;

    for phone in &neighbours {
        let replies = service.api.sent_to(phone);
        let code: String = sqlx::query_scalar(
            "SELECT r.code FROM requests r JOIN contacts c ON c.id = r.contact_id WHERE c.phone = $1",
        )
        .bind(phone)
        .fetch_one(service.db().await)
        .await
        .unwrap();
        let mut expected: Vec<String> = QUESTIONS.iter().map(|q| q.to_string()).collect();
        expected.push(format!(
            "Thank you, Sam! Your request is {code}. A volunteer will text you soon."
        ));
        assert_eq!(replies, expected, "what {phone} was sent");
    }
    let texts = service.count("SELECT COUNT(*) FROM inbound_messages").await;
    assert_eq!(
        texts,
        (neighbours.len() * INTAKE.len()) as i64,
        "every text kept once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn texts_from_one_phone_that_reach_both_copies_at_once_are_answered_one_at_a_time_each_once()
{
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let setup = Setup {
        flows: "tests/flows",
        flow: "echo",
        ..Setup::default()
    };
    let service = Service::start(db, setup, 2).await;
    let phones: Vec<String> = (0..4).map(|i| format!("+1555762{i:04}")).collect();
    let texts: Vec<String> = (0..12).map(|i| format!("message {i}")).collect();

    // Every phone's texts go at once, half to each copy: nobody decides their order but the
    // database that keeps them.
    let posts = phones.iter().flat_map(|phone| {
        texts
            .iter()
            .enumerate()
            .map(move |(i, text)| (i % 2, phone.as_str(), text.as_str()))
    });
    join_all(posts.map(|(copy, phone, text)| service.text(copy, phone, text))).await;

    // The echo flow greets the first text it handles and repeats each later one, so two copies
    // handling one phone's texts side by side would greet it twice. Texts that arrive together
    // are not compared with their ids: PostgreSQL numbers rows as they are inserted, not as they
    // are committed, so the later id can be the first text the other copy sees.
    let db = service.db().await;
    for phone in &phones {
        let answered: Vec<(String, String)> = sqlx::query_as(
            "SELECT m.body, o.body FROM outbound_messages o \
             JOIN inbound_messages m ON m.id = o.inbound_id \
             JOIN contacts c ON c.id = m.contact_id WHERE c.phone = $1 ORDER BY o.id",
        )
        .bind(phone)
        .fetch_all(db)
        .await
        .unwrap();
        let (first, later) = answered.split_first().expect("an answer");
        assert_eq!(first.1, "Say anything.", "{phone} was greeted first");
        for (text, reply) in later {
            assert_eq!(reply, &format!("Got {text}."), "{phone}: {answered:#?}");
        }
        let mut kept: Vec<&String> = answered.iter().map(|(text, _)| text).collect();
        kept.sort();
        let mut sent: Vec<&String> = texts.iter().collect();
        sent.sort();
        assert_eq!(kept, sent, "each of {phone}'s texts kept and answered once");

        let mut queued: Vec<String> = answered.into_iter().map(|(_, reply)| reply).collect();
        eventually(&format!("every reply to {phone}"), || async {
            service.api.sent_to(phone).len() >= queued.len()
        })
        .await;
        let mut received = service.api.sent_to(phone);
        received.sort();
        queued.sort();
        assert_eq!(received, queued, "each reply to {phone} sent once");
    }
}

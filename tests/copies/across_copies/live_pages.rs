//! An open queue page hears of changes through `/events`, which asks the database, not the copy's
//! memory: a request filed through one copy reaches a dispatcher signed in on another.

use std::time::Duration;

use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_on_one_copy_sees_the_queue_change_when_a_request_is_texted_to_the_other() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let service = Service::start(db, Setup::default(), 2).await;
    service.command(
        &[
            "users",
            "add",
            "dana",
            "--name",
            "Dana",
            "--role",
            "dispatcher",
        ],
        &format!("{PASSWORD}\n"),
    );
    let copy_b = service.base(1).unwrap();
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let sign_in = browser
        .get(format!("{copy_b}/signin"))
        .send()
        .await
        .unwrap();
    let page = sign_in.text().await.unwrap();
    let at = page.find("name=\"csrf\" value=\"").expect("a form") + 19;
    let csrf = &page[at..at + page[at..].find('"').unwrap()];
    let form = [("username", "dana"), ("password", PASSWORD), ("csrf", csrf)];
    let signed_in = browser
        .post(format!("{copy_b}/signin"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.url().path(), "/", "signed in on copy B");

    let neighbour = "+15557670001";
    let (last, before) = INTAKE.split_last().unwrap();
    for text in before {
        service.text(0, neighbour, text).await;
    }
    let mut stream = browser
        .get(format!("{copy_b}/events"))
        .send()
        .await
        .unwrap();
    assert!(stream.status().is_success());
    service.text(0, neighbour, last).await;
    assert_eq!(service.count("SELECT COUNT(*) FROM requests").await, 1);

    let mut heard = String::new();
    let listening = async {
        while !heard.contains("event: queue") {
            let chunk = stream
                .chunk()
                .await
                .unwrap()
                .expect("the stream stays open");
            heard.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    let in_time = tokio::time::timeout(Duration::from_secs(5), listening).await;
    assert!(in_time.is_ok(), "no queue event on copy B: {heard:?}");
}

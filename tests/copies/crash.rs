//! A copy killed mid-load (SIGKILL: nothing flushed, nothing said goodbye to) and started again.
//! A webhook is only answered 200 once its text is stored and handled, and a provider re-posts one
//! that got no answer, here to the other copy when there is one; a text claimed for sending is
//! leased, so another copy, or the restarted one, sends it once the lease runs out.
//!
//! Afterwards every answered webhook is stored once and answered once, and the only texts the
//! provider got twice are those the killed copy had handed over without hearing back.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::future::join_all;
use reqwest::StatusCode;

use crate::harness::*;

const NUMBERS: usize = 60;
const TEXTS_EACH: usize = 6;
/// How long each number waits between its texts, at least, so the load is still coming during
/// the crash; numbers wait a little longer each, so that webhooks arrive all the time rather
/// than in waves, and some are in flight when the copy dies.
const PAUSE: Duration = Duration::from_millis(150);
/// The most texts one copy has handed to the provider at once: one claim of the outbox.
const MOST_IN_FLIGHT: usize = 64;
/// Sends that take a while to be answered, so that some are caught in flight by the kill.
const SEND_TIME: Duration = Duration::from_millis(50);
/// A claimed text's lease (a minute) and then some.
const DRAIN_TIME: Duration = Duration::from_secs(100);

/// Copies answering every text with the text itself, so each reply names what it answers.
pub fn setup() -> Setup {
    Setup {
        flows: "tests/flows",
        flow: "echo",
        send_delay: SEND_TIME,
        ..Setup::default()
    }
}

/// Texts from many numbers spread over the copies; copy `victim` is killed a third of the way
/// through and started again; then everything drains and is checked.
pub async fn kill_mid_load(service: &Service, victim: usize) {
    let total = NUMBERS * TEXTS_EACH;
    let answered = Mutex::new(Vec::new());
    let reposted = AtomicUsize::new(0);
    let started = Instant::now();
    let load = join_all((0..NUMBERS).map(|k| {
        let (answered, reposted) = (&answered, &reposted);
        async move {
            let phone = format!("+1555768{k:04}");
            for i in 0..TEXTS_EACH {
                let sid = new_sid();
                let body = format!("text {i}");
                let mut copy = (k + i) % service.copies();
                while service.post_text(copy, &phone, &body, &sid).await != Ok(StatusCode::OK) {
                    assert!(
                        started.elapsed() < Duration::from_secs(60),
                        "{phone} never got through"
                    );
                    reposted.fetch_add(1, Ordering::Relaxed);
                    copy = (copy + 1) % service.copies();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                answered.lock().unwrap().push(sid);
                tokio::time::sleep(PAUSE + Duration::from_millis(k as u64 * 37 % 200)).await;
            }
        }
    }));
    let crash = async {
        within(Duration::from_secs(60), "a third of the load", || async {
            answered.lock().unwrap().len() >= total / 3
        })
        .await;
        service.kill(victim);
        service.restart(victim).await;
    };
    tokio::join!(load, crash);
    println!(
        "{total} texts answered in {:?}, {} posts made again",
        started.elapsed(),
        reposted.load(Ordering::Relaxed)
    );

    within(
        DRAIN_TIME,
        "every text handled and every reply sent",
        || async {
            let waiting = service
                .count(
                    "SELECT (SELECT COUNT(*) FROM inbound_messages WHERE handled_at IS NULL) \
                 + (SELECT COUNT(*) FROM outbound_messages WHERE state <> 'sent')",
                )
                .await;
            waiting == 0
        },
    )
    .await;

    let db = service.db().await;
    let mut stored: Vec<String> = sqlx::query_scalar("SELECT gateway_id FROM inbound_messages")
        .fetch_all(db)
        .await
        .unwrap();
    stored.sort();
    let mut answered = answered.into_inner().unwrap();
    answered.sort();
    assert_eq!(
        stored, answered,
        "each answered text stored once, and no other"
    );
    let not_answered_once = service
        .count(
            "SELECT COUNT(*) FROM inbound_messages m \
             WHERE (SELECT COUNT(*) FROM outbound_messages o WHERE o.inbound_id = m.id) <> 1",
        )
        .await;
    assert_eq!(not_answered_once, 0, "each text answered once");

    let mut received: BTreeMap<(String, String), usize> = BTreeMap::new();
    for sent in service.api.sent() {
        *received.entry((sent.to, sent.body)).or_default() += 1;
    }
    let replies: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT to_phone, body, attempts FROM outbound_messages")
            .fetch_all(db)
            .await
            .unwrap();
    assert_eq!(
        received.len(),
        replies.len(),
        "the provider got every reply"
    );
    let mut twice = 0;
    for (to, body, attempts) in replies {
        match received[&(to.clone(), body.clone())] {
            1 => {}
            2 => {
                assert!(
                    attempts > 1,
                    "`{body}` to {to} went twice but was not in flight"
                );
                twice += 1;
            }
            n => panic!("`{body}` to {to} went {n} times"),
        }
    }
    let copies = service.copies();
    println!("texts sent twice after the crash: {twice} ({copies} running)");
    assert!(twice <= MOST_IN_FLIGHT, "{twice} texts went twice");
}

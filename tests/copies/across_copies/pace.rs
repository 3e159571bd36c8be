//! A line's sending pace is counted in the database, so two copies sending for one line keep
//! to it together: a burst of a second's worth after a pause, then one slot per segment.

use std::time::Duration;

use aidline::flow::segments;
use futures::future::join_all;

use crate::harness::*;

const PER_SECOND: f64 = 2.0;
/// How far ahead of its pace a line may run after a pause: a second's worth (the outbox's burst).
const BURST: Duration = Duration::from_secs(1);
/// How much the moments texts reach the provider may differ from when their slots opened: each
/// copy's send takes its own time on a busy machine.
const JITTER: Duration = Duration::from_millis(250);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_texted_through_both_copies_at_once_sends_no_faster_than_its_pace_and_each_text_once()
 {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let setup = Setup {
        flows: "tests/flows",
        flow: "echo",
        line: "segments_per_second = 2",
        ..Setup::default()
    };
    let service = Service::start(db, setup, 2).await;
    let neighbours: Vec<String> = (0..20).map(|i| format!("+1555765{i:04}")).collect();
    let texts = neighbours.iter().enumerate();
    join_all(texts.map(|(i, phone)| service.text(i % 2, phone, "hello"))).await;

    within(Duration::from_secs(30), "every reply", || async {
        service.api.sent().len() >= neighbours.len()
    })
    .await;
    let sent = service.api.sent();
    let mut to: Vec<&str> = sent.iter().map(|s| s.to.as_str()).collect();
    to.sort();
    assert_eq!(to, neighbours, "each neighbour answered once");

    // Between any two sends, no more segments than the pace allows over the time between them.
    let interval = Duration::from_secs_f64(1.0 / PER_SECOND);
    let mut busiest_second = 0;
    for (i, first) in sent.iter().enumerate() {
        let mut segments_since = 0;
        for later in &sent[i..] {
            segments_since += segments::count(&later.body).count;
            let window = later.at - first.at;
            let allowed = ((window + BURST - interval + JITTER).as_secs_f64()
                / interval.as_secs_f64())
            .floor() as usize
                + 1;
            assert!(
                segments_since <= allowed,
                "{segments_since} segments went in {window:?}; the pace allows {allowed}"
            );
            if window < Duration::from_secs(1) {
                busiest_second = busiest_second.max(segments_since);
            }
        }
    }
    let took = sent.last().unwrap().at - sent[0].at;
    println!(
        "{} texts at {PER_SECOND} a second through two copies took {took:?}; the busiest second held {busiest_second}",
        sent.len()
    );
}

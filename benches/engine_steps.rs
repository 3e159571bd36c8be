//! Engine benchmark: conversation steps per second on the shipped intake flow, on one core.
//!
//! Run: `cargo bench --bench engine_steps`. A step is one text taken by `Flow::advance` (or the
//! `Flow::start` that opens a conversation), effects and all: what the intake does per text once
//! the database work is set aside.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use aidline::flow::load_dir;

/// A whole intake, with a wrong answer and a skip along the way.
const CONVERSATION: [&str; 11] = [
    "1",
    "pizza",
    "1",
    "bread and milk",
    "3",
    "02139",
    "Oak and 3rd",
    "after 5",
    "skip",
    "Rosa",
    "",
];

fn main() {
    let region = "US".parse().unwrap();
    let flows = load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("flows"), region).unwrap();
    let flow = flows.get("intake").unwrap();
    let conversations: u64 = std::env::var("AIDLINE_BENCH_CONVERSATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);

    let started = Instant::now();
    let mut steps = 0u64;
    for _ in 0..conversations {
        let mut step = flow.start(None, Some("Rosa"));
        steps += 1;
        for text in &CONVERSATION[..CONVERSATION.len() - 1] {
            step = flow.advance(step.session, black_box(text), None);
            steps += 1;
        }
        assert!(step.ended.is_some(), "the scripted conversation finishes");
        black_box(&step);
    }
    let elapsed = started.elapsed();
    println!(
        "engine: {:.0} steps/s on one core ({steps} steps in {:.2} s, {conversations} whole intakes)",
        steps as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
}

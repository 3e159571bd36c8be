#![no_main]

use std::sync::LazyLock;

use aidline::flow::load::parse_files;
use aidline::roster::{self, Rules};
use aidline_fuzz::{SHIPPED_FLOWS, region, shipped_files};
use libfuzzer_sys::fuzz_target;

// The shipped flows' zones, so that a row naming one is checked all the way through.
static RULES: LazyLock<Rules> = LazyLock::new(|| {
    let names = SHIPPED_FLOWS.map(|(name, _)| name);
    let flows = parse_files(&shipped_files(&names), region()).expect("the shipped flows load");
    Rules::new(&flows, region())
});

fuzz_target!(|data: &[u8]| {
    let _ = roster::read(data, &RULES);
});

#![no_main]

use std::path::PathBuf;

use aidline::flow::load::parse_files;
use aidline_fuzz::{region, shipped_files};
use libfuzzer_sys::fuzz_target;

// Beside the shipped keywords and zones, as an organiser's new flow file would be.
fuzz_target!(|source: &str| {
    let mut files = shipped_files(&["keywords.toml", "zones.toml"]);
    files.push((PathBuf::from("flow.toml"), source.to_string()));
    let _ = parse_files(&files, region());
});

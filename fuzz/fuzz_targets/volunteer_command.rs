#![no_main]

use aidline::dispatch::commands;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = commands::parse(text);
});

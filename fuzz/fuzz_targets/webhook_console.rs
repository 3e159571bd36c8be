#![no_main]

use aidline::gateway::{Params, console};
use aidline_fuzz::{line_number, region};
use libfuzzer_sys::fuzz_target;

// The console line's form comes from this machine, but it is read like any other.
fuzz_target!(|data: &[u8]| {
    let _ = console::parse(&line_number(), &Params::from_form(data), region());
});

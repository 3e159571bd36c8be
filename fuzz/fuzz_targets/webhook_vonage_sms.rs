#![no_main]

use std::sync::LazyLock;

use aidline_fuzz::Line;
use libfuzzer_sys::fuzz_target;

static LINE: LazyLock<Line> = LazyLock::new(|| Line::configured("vonage"));

fuzz_target!(|data: &[u8]| LINE.receive(data));

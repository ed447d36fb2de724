//! `retry-after-ms`, `x-ms-retry-after-ms` and `Retry-After` values: any
//! bytes give a delay or none, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reqwest::header::{HeaderMap, HeaderValue};

const NAMES: [&str; 3] = ["retry-after-ms", "x-ms-retry-after-ms", "retry-after"];

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    // The input is up to three values separated by newlines, one per header
    // in order; a first byte picks which headers are present.
    let Some((&mask, rest)) = data.split_first() else {
        return;
    };
    for (i, value) in rest.split(|b| *b == b'\n').take(3).enumerate() {
        if mask & (1 << i) == 0 {
            continue;
        }
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.insert(NAMES[i], value);
        }
    }
    let _ = acs_chat::fuzzing::retry_after(&headers);
});

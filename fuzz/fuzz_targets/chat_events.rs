//! Event Grid and CloudEvents deliveries: parsed or refused with a typed
//! error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: [Option<&str>; 5] = [
    None,
    Some("application/json"),
    Some("application/cloudevents+json; charset=utf-8"),
    Some("application/cloudevents-batch+json"),
    Some("text/plain"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(pick) % CONTENT_TYPES.len()];
    if let Ok(events) = acs_chat::events::parse_events(content_type, body) {
        for event in events {
            let _ = format!("{event:?}");
        }
    }
});

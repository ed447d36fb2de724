//! Raw identifier parsing: never panics, and a parsed identifier's raw id
//! parses back to the same identifier.
#![no_main]

use acs_chat::CommunicationIdentifier;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    let parsed = CommunicationIdentifier::from_raw_id(raw);
    let again = CommunicationIdentifier::from_raw_id(&parsed.raw_id());
    assert_eq!(parsed, again, "raw id {raw:?} does not round-trip");
});

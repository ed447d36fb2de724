//! Connection strings: parsed or refused with an argument error, never a
//! panic; a parsed one's Debug output never shows the key.
#![no_main]

use acs_chat::identity::ConnectionString;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match ConnectionString::parse(text) {
        Ok(parsed) => {
            // The endpoint is shown; the key may happen to occur in it.
            let debug = format!("{parsed:?}").replace(&format!("{:?}", parsed.endpoint()), "");
            for part in text.split(';') {
                let Some((name, key)) = part.trim().split_once('=') else {
                    continue;
                };
                let key = key.trim();
                // Only keys long enough not to occur by chance in the text.
                if name.trim().eq_ignore_ascii_case("accesskey") && key.len() >= 12 {
                    assert!(!debug.contains(key), "the key leaked into {debug}");
                }
            }
        }
        Err(err) => assert!(err.is_invalid_argument(), "{err}"),
    }
});

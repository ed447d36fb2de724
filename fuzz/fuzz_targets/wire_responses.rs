//! Every response body the clients decode, then convert to the facade's
//! models; and error answers turned into errors. No panic (but the one that
//! reports a body read differently straight into the facade's models than
//! through the wire types), and an error's text never carries a run shaped
//! like a JWT.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reqwest::header::HeaderMap;

/// Three or more dot-separated base64url parts of 4+ characters, 32 or more
/// characters in all: the shape the client redacts.
fn looks_like_jwt(run: &str) -> bool {
    let parts: Vec<&str> = run.split('.').collect();
    run.len() >= 32 && parts.len() >= 3 && parts.iter().all(|p| p.len() >= 4)
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    acs_chat::fuzzing::decode_response(kind, body);
    let status = 400 + u16::from(kind) % 200;
    let text = acs_chat::fuzzing::error_from_response(status, &HeaderMap::new(), body);
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    for run in text.split(|c: char| !is_token_char(c)) {
        assert!(!looks_like_jwt(run), "{run:?} in {text:?}");
    }
});

//! The emulator's HMAC authentication: any request is refused with a typed
//! error, never a panic, unless it carries the right signature; and one
//! signed the way the official SDKs sign always passes, whatever its method,
//! path and body.
#![no_main]

use acs_chat_emulator::hmac_auth::{content_hash, verify, SignedRequest};
use acs_chat_emulator::keys::Keys;
use acs_chat_emulator::DEV_ACCESS_KEY;
use acs_chat_fuzz::{hmac_headers, HOST};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys::new(DEV_ACCESS_KEY).expect("the development key is valid base64"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    // Input: "METHOD\nPATH\nheader: value\n...\n\nBODY".
    let text = String::from_utf8_lossy(rest);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let method = lines.next().unwrap_or("POST");
    let path = lines.next().unwrap_or("/identities");
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value.trim()),
        ) {
            headers.append(name, value);
        }
    }
    let now = chrono::Utc::now();
    let request = |headers| SignedRequest {
        method,
        path_and_query: path,
        headers,
        authority: Some(HOST),
        body: body.as_bytes(),
    };
    // Whatever the fuzzer wrote, it cannot forge the signature.
    assert!(verify(keys().hmac_key(), &request(&headers), now).is_err());

    // Signed properly, with well-formed method and path, it always passes.
    let well_formed = !method.is_empty()
        && method.bytes().all(|b| b.is_ascii_alphabetic())
        && path.starts_with('/')
        && path.bytes().all(|b| b.is_ascii_graphic());
    if mode % 2 == 0 && well_formed {
        let method = method.to_ascii_uppercase();
        let (date, hash, authorization) =
            hmac_headers(DEV_ACCESS_KEY, &method, path, body.as_bytes(), now);
        assert_eq!(hash, content_hash(body.as_bytes()));
        let mut signed = HeaderMap::new();
        let value = |v: &str| HeaderValue::from_str(v).expect("ASCII header value");
        signed.insert("x-ms-date", value(&date));
        signed.insert("host", value(HOST));
        signed.insert("x-ms-content-sha256", value(&hash));
        signed.insert("authorization", value(&authorization));
        let request = SignedRequest {
            method: &method,
            ..request(&signed)
        };
        if let Err(err) = verify(keys().hmac_key(), &request, now) {
            panic!("a properly signed {method} {path} was refused: {err}");
        }
    }
});

//! The `exp` claim of a token: the credential either accepts it or answers
//! a credential error, never a panic.
#![no_main]

use acs_chat::CommunicationTokenCredential;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|token: &str| {
    let parsed = acs_chat::fuzzing::jwt_expiry(token);
    match CommunicationTokenCredential::new(token) {
        Ok(_) => assert!(
            parsed,
            "credential accepted a token whose exp does not parse"
        ),
        Err(err) => assert!(err.is_credential() || err.is_invalid_argument(), "{err}"),
    }
});

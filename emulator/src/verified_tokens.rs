//! Tokens whose signature this resource already checked, with what they
//! say: a request with a token seen before skips the base64 decoding, two
//! JSON parses and the HMAC check (about a quarter of a send's work). What
//! can change after issue is still checked on every request by the token
//! check itself: expiry, the user's existence and revocation.

use std::sync::{Arc, RwLock};

use crate::hashing::FastHashMap;
use crate::sync::{read, write};

/// How many tokens are kept before the cache starts over (a bound on memory
/// whatever the callers send: only signed tokens get in).
const CAPACITY: usize = 10_000;

/// What a checked token says, as the token check needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedClaims {
    /// User id without the `8:` prefix.
    pub skypeid: String,
    /// Comma-joined scopes.
    pub acs_scope: String,
    /// Issued-at, Unix seconds.
    pub iat: i64,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// The emulator's issue stamp (µs), for revocation.
    pub issued_stamp: u64,
}

/// The tokens of one resource whose signature was checked. Its `Debug`
/// shows how many, never a token.
#[derive(Default)]
pub struct VerifiedTokens {
    tokens: RwLock<FastHashMap<Box<str>, Arc<VerifiedClaims>>>,
}

impl std::fmt::Debug for VerifiedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedTokens")
            .field("count", &read(&self.tokens).len())
            .finish()
    }
}

impl VerifiedTokens {
    /// What `token` says, if its signature was checked before.
    pub fn get(&self, token: &str) -> Option<Arc<VerifiedClaims>> {
        read(&self.tokens).get(token).cloned()
    }

    /// Remembers a token whose signature checked out.
    pub fn insert(&self, token: &str, claims: Arc<VerifiedClaims>) {
        let mut tokens = write(&self.tokens);
        if tokens.len() >= CAPACITY {
            tokens.clear();
        }
        tokens.insert(token.into(), claims);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(user: &str) -> Arc<VerifiedClaims> {
        Arc::new(VerifiedClaims {
            skypeid: user.to_owned(),
            acs_scope: "chat".to_owned(),
            iat: 1,
            exp: 2,
            issued_stamp: 3,
        })
    }

    #[test]
    fn remembers_tokens_up_to_its_capacity() {
        let cache = VerifiedTokens::default();
        assert!(cache.get("a").is_none());
        cache.insert("a", claims("u"));
        assert_eq!(cache.get("a").as_deref(), Some(&*claims("u")));
        for i in 0..CAPACITY {
            cache.insert(&format!("t{i}"), claims("v"));
        }
        assert!(read(&cache.tokens).len() <= CAPACITY);
    }

    #[test]
    fn debug_shows_no_token() {
        let cache = VerifiedTokens::default();
        cache.insert("secret-token-text", claims("u"));
        let shown = format!("{cache:?}");
        assert!(!shown.contains("secret-token-text"), "{shown}");
        assert!(shown.contains("count: 1"), "{shown}");
    }
}

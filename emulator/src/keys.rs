//! The emulated resource's access key and what is derived from it.
//!
//! Like Azurite's well-known account key, the emulator ships a fixed,
//! documented development key, [`DEV_ACCESS_KEY`], used unless another key is
//! configured. From the access key the emulator derives:
//!
//! * the HMAC key for request signing: the base64-decoded access key itself
//!   (exactly as the SDKs use it);
//! * the chat-token signing key: `HMAC-SHA256(access key bytes,
//!   "acs-chat-emulator/chat-token-signing-key/v1")`, so tokens minted by one
//!   emulator process stay verifiable by another started with the same key;
//! * the resource id (a GUID): the first 16 bytes of
//!   `SHA-256("acs-chat-emulator/resource-id/v1" || access key bytes)`, with
//!   the UUID version/variant bits set. It appears in user ids
//!   (`8:acs:<resource id>_<suffix>`) and in the token's `resourceId` claim.

use aws_lc_rs::{digest, hmac};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// The well-known development access key (base64 of 64 random bytes).
///
/// **Public and not secret**: use it only against the emulator. Connection
/// string: `endpoint=<emulator endpoint>;accesskey=<DEV_ACCESS_KEY>`.
pub const DEV_ACCESS_KEY: &str =
    "2hkrMwkXnZiF2I/H6U3AlEMuSuAi7LlsMfi2O2+t8JDsj2Or561aQzatd3W2IP/LmkOHgjbyxGMl+8Jwi9Dvlg==";

const TOKEN_KEY_LABEL: &[u8] = b"acs-chat-emulator/chat-token-signing-key/v1";
const RESOURCE_ID_LABEL: &[u8] = b"acs-chat-emulator/resource-id/v1";

/// The access key was not valid base64 (or decoded to nothing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the access key must be non-empty standard base64")]
pub struct InvalidAccessKey;

/// Key material of one emulated resource.
pub struct Keys {
    access_key: String,
    hmac_key: hmac::Key,
    token_key: hmac::Key,
    resource_id: String,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("resource_id", &self.resource_id)
            .finish_non_exhaustive()
    }
}

impl Keys {
    /// Builds the key material from a base64 access key.
    pub fn new(access_key: &str) -> Result<Self, InvalidAccessKey> {
        let secret = STANDARD
            .decode(access_key.trim())
            .map_err(|_| InvalidAccessKey)?;
        if secret.is_empty() {
            return Err(InvalidAccessKey);
        }
        let hmac_key = hmac::Key::new(hmac::HMAC_SHA256, &secret);
        let derived = hmac::sign(&hmac_key, TOKEN_KEY_LABEL);
        let token_key = hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref());

        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(RESOURCE_ID_LABEL);
        ctx.update(&secret);
        let hash = ctx.finish();
        let mut bytes = [0u8; 16];
        // A SHA-256 digest is 32 bytes, so the first 16 always exist.
        bytes.copy_from_slice(&hash.as_ref()[..16]);
        let resource_id = uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .to_string();

        Ok(Self {
            access_key: access_key.trim().to_owned(),
            hmac_key,
            token_key,
            resource_id,
        })
    }

    /// The access key as configured (base64).
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// HMAC-SHA256 key for request signatures (the decoded access key).
    pub fn hmac_key(&self) -> &hmac::Key {
        &self.hmac_key
    }

    /// HMAC-SHA256 key for chat tokens (derived, see module docs).
    pub fn token_key(&self) -> &hmac::Key {
        &self.token_key
    }

    /// The emulated resource's id (a lowercase hyphenated GUID).
    pub fn resource_id(&self) -> &str {
        &self.resource_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_key_is_64_bytes() {
        assert_eq!(
            STANDARD.decode(DEV_ACCESS_KEY).map(|k| k.len()).ok(),
            Some(64)
        );
    }

    #[test]
    fn rejects_bad_keys() {
        assert!(Keys::new("not base64!").is_err());
        assert!(Keys::new("").is_err());
    }

    #[test]
    fn resource_id_is_stable_and_key_dependent() {
        let a = Keys::new(DEV_ACCESS_KEY)
            .map(|k| k.resource_id().to_owned())
            .ok();
        let b = Keys::new(DEV_ACCESS_KEY)
            .map(|k| k.resource_id().to_owned())
            .ok();
        let c = Keys::new("AAAA").map(|k| k.resource_id().to_owned()).ok();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.map(|id| id.len()), Some(36));
    }
}

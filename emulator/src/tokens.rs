//! Chat access tokens: JWTs the emulator issues (Identity routes,
//! `POST /admin/tokens`) and verifies (Chat routes).
//!
//! # Format
//!
//! `base64url(header) . base64url(claims) . base64url(signature)`, base64url
//! without padding, header `{"alg":"HS256","typ":"JWT"}`, signature
//! HMAC-SHA256 over `header.claims` with the key derived from the access key
//! (see [`crate::keys`]). Real ACS tokens are RS256 with `kid`/`x5t`; clients
//! never verify them, they only read `exp`, so HS256 is enough here.
//!
//! Claims, modelled on real ACS tokens (a sanitized real payload in the
//! Python SDK's tests reads `{"skypeid":"acs:…","scp":1792,"csi":"1657788332",
//! "exp":1657874732,"acsScope":"chat","resourceId":"…","iat":1657788332}`):
//!
//! | claim | value |
//! | --- | --- |
//! | `skypeid` | the user id without its `8:` prefix (`acs:<resource>_<suffix>`) |
//! | `scp` | `1792`, the value real chat tokens carry (its bit meaning is not public; the emulator does not interpret it) |
//! | `csi` | issued-at, Unix seconds, **as a string** (as real tokens) |
//! | `exp` | expiry, Unix seconds |
//! | `acsScope` | the scopes, comma-joined (`chat,voip`) — authoritative for the emulator |
//! | `resourceId` | the resource GUID |
//! | `resourceLocation` | the data location (`unitedstates` by default) |
//! | `iat` | issued-at, Unix seconds |
//! | `emulatorIssuedAtMicros` | emulator-only: a strictly increasing issue stamp (µs) so revocation is exact within a second |
//!
//! # Verification
//!
//! [`verify_bearer`] (and the [`VerifiedUser`] extractor) reject, with 401:
//! a missing or non-Bearer `Authorization`, a malformed token, a bad
//! signature, an expired token, a user that does not exist (deleted, or the
//! emulator was reset), a token issued before the user's revocation, and a
//! token without the `chat` scope. Teams users' tokens (`skypeid`
//! `orgid:<object id>`, from the Teams token exchange of [`crate::identity`])
//! are not looked up in the identity store; they carry only the `voip` scope,
//! so Chat routes refuse them as lacking `chat`. The real Chat service's 401 bodies are not
//! documented (older SDK issues show an empty body); the emulator answers in
//! the error shape with code `Unauthorized` and a message naming the reason,
//! plus `WWW-Authenticate: Bearer`.

use std::sync::Arc;

use aws_lc_rs::hmac;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::identity_store::{Stamp, TEAMS_USER_ID_PREFIX, USER_ID_PREFIX};
use crate::state::AppState;
use crate::verified_tokens::VerifiedClaims;

/// The `scp` claim value of real chat tokens.
pub const SCP_CLAIM: u32 = 1792;

/// Default token lifetime (24 hours), as the Identity service.
pub const DEFAULT_EXPIRES_IN_MINUTES: i64 = 1440;
/// Shortest lifetime the Identity service accepts.
pub const MIN_EXPIRES_IN_MINUTES: i64 = 60;
/// Longest lifetime the Identity service accepts.
pub const MAX_EXPIRES_IN_MINUTES: i64 = 1440;

/// base64url, no padding on output, padding tolerated on input.
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

const HEADER_JSON: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// A token scope (`CommunicationIdentityTokenScope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// `chat`: full chat access.
    #[serde(rename = "chat")]
    Chat,
    /// `voip`: calling.
    #[serde(rename = "voip")]
    Voip,
    /// `chat.join`: join existing chats.
    #[serde(rename = "chat.join")]
    ChatJoin,
    /// `chat.join.limited`: join chats, limited.
    #[serde(rename = "chat.join.limited")]
    ChatJoinLimited,
    /// `voip.join`: join calls.
    #[serde(rename = "voip.join")]
    VoipJoin,
}

impl Scope {
    /// Every scope, in spec order.
    pub const ALL: [Scope; 5] = [
        Scope::Chat,
        Scope::Voip,
        Scope::ChatJoin,
        Scope::ChatJoinLimited,
        Scope::VoipJoin,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Chat => "chat",
            Scope::Voip => "voip",
            Scope::ChatJoin => "chat.join",
            Scope::ChatJoinLimited => "chat.join.limited",
            Scope::VoipJoin => "voip.join",
        }
    }

    /// Parses a wire name (exact, case-sensitive like the service's enum).
    pub fn parse(name: &str) -> Option<Scope> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Parses a list, dropping duplicates; `Err(name)` for the first unknown.
    ///
    /// ```
    /// use acs_chat_emulator::tokens::Scope;
    /// assert_eq!(Scope::parse_list(["chat", "voip", "chat"]), Ok(vec![Scope::Chat, Scope::Voip]));
    /// assert_eq!(Scope::parse_list("chat,teams".split(',')), Err("teams".to_owned()));
    /// ```
    pub fn parse_list<S: AsRef<str>>(
        names: impl IntoIterator<Item = S>,
    ) -> Result<Vec<Scope>, String> {
        let mut scopes = Vec::new();
        for name in names {
            let name = name.as_ref();
            let scope = Scope::parse(name).ok_or_else(|| name.to_owned())?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        Ok(scopes)
    }
}

/// The token payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// User id without the `8:` prefix.
    pub skypeid: String,
    /// Scope bitmask as real tokens carry it (constant [`SCP_CLAIM`]).
    pub scp: u32,
    /// Issued-at seconds, as a string.
    pub csi: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Comma-joined scopes.
    #[serde(rename = "acsScope")]
    pub acs_scope: String,
    /// Resource GUID.
    #[serde(rename = "resourceId")]
    pub resource_id: String,
    /// Resource data location.
    #[serde(rename = "resourceLocation")]
    pub resource_location: String,
    /// Issued-at, Unix seconds.
    pub iat: i64,
    /// Emulator-only strictly increasing issue stamp (µs).
    #[serde(rename = "emulatorIssuedAtMicros")]
    pub issued_stamp: Stamp,
}

/// A freshly issued token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The JWT.
    pub token: String,
    /// When it expires.
    pub expires_on: DateTime<Utc>,
}

impl IssuedToken {
    /// `expiresOn` as the service formats it (`2022-09-07T14:34:56.2714874+00:00`).
    pub fn expires_on_string(&self) -> String {
        format_expires_on(self.expires_on)
    }
}

/// Formats a time like the Identity service's `expiresOn`: seven fractional
/// digits and a `+00:00` offset.
pub fn format_expires_on(time: DateTime<Utc>) -> String {
    format!(
        "{}.{:07}+00:00",
        time.format("%Y-%m-%dT%H:%M:%S"),
        time.timestamp_subsec_nanos() / 100
    )
}

/// Issues a token for `user_id` (`8:acs:...`, or `8:orgid:<object id>` for a
/// Teams user) valid for `lifetime` (may be negative, to mint already-expired
/// tokens for tests). Does not check that the user exists.
pub fn issue_token(
    state: &AppState,
    user_id: &str,
    scopes: &[Scope],
    lifetime: chrono::Duration,
) -> IssuedToken {
    let stamp = state.identities().next_stamp();
    let now = i64::try_from(stamp)
        .ok()
        .and_then(|micros| Utc.timestamp_micros(micros).single())
        .unwrap_or_else(Utc::now);
    let expires_on = now.checked_add_signed(lifetime).unwrap_or(now);
    let claims = TokenClaims {
        skypeid: user_id.strip_prefix("8:").unwrap_or(user_id).to_owned(),
        scp: SCP_CLAIM,
        csi: now.timestamp().to_string(),
        exp: expires_on.timestamp(),
        acs_scope: scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(","),
        resource_id: state.resource_id().to_owned(),
        resource_location: state.resource_location().to_owned(),
        iat: now.timestamp(),
        issued_stamp: stamp,
    };
    let token = encode(state.keys().token_key(), &claims);
    IssuedToken { token, expires_on }
}

/// The payload of a token shaped like a JWT: three non-empty base64url parts
/// (padding tolerated). `None` when the shape is wrong; `Some(Value::Null)`
/// when the payload is not JSON. The signature is not checked: this is how
/// the emulator reads a Teams user's Entra ID token, which it cannot verify.
pub fn unverified_jwt_payload(token: &str) -> Option<serde_json::Value> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let mut decoded = Vec::with_capacity(3);
    for part in [header, payload, signature] {
        if part.is_empty() {
            return None;
        }
        decoded.push(B64URL.decode(part).ok()?);
    }
    Some(serde_json::from_slice(&decoded[1]).unwrap_or(serde_json::Value::Null))
}

fn encode(key: &hmac::Key, claims: &TokenClaims) -> String {
    // Serializing a struct of strings and integers cannot fail.
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    let signing_input = format!("{}.{}", B64URL.encode(HEADER_JSON), B64URL.encode(payload));
    let signature = hmac::sign(key, signing_input.as_bytes());
    format!("{signing_input}.{}", B64URL.encode(signature.as_ref()))
}

/// The caller a valid token identifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedUser {
    /// The user id (`8:acs:...`, or `8:orgid:<object id>` for a Teams user).
    pub user_id: String,
    /// The token's scopes.
    pub scopes: Vec<Scope>,
    /// When the token was issued.
    pub issued_at: DateTime<Utc>,
    /// When it expires.
    pub expires_on: DateTime<Utc>,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header.
    #[error("The request has no Authorization header.")]
    MissingToken,
    /// `Authorization` is not `Bearer <token>`.
    #[error("The Authorization header is not a Bearer token.")]
    NotBearer,
    /// Not a JWT of the expected shape.
    #[error("The access token is malformed.")]
    Malformed,
    /// Signature does not match (not issued by this emulator/key).
    #[error("The access token signature is invalid.")]
    BadSignature,
    /// Past its `exp`.
    #[error("The access token has expired.")]
    Expired,
    /// Issued before the user's tokens were revoked.
    #[error("The access token has been revoked.")]
    Revoked,
    /// The user no longer exists (deleted, or the emulator was reset).
    #[error("The identity of the access token does not exist.")]
    UnknownUser,
    /// The token lacks the `chat` scope.
    #[error("The access token does not have the 'chat' scope.")]
    MissingChatScope,
}

impl AuthError {
    /// The error code sent (always `Unauthorized`; see module docs).
    pub fn code(self) -> &'static str {
        "Unauthorized"
    }

    /// The 401 answer for this error.
    pub fn to_api_error(self) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, self.code(), self.to_string())
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        err.to_api_error()
    }
}

/// Verifies an `Authorization` header value (`Bearer <jwt>`) and requires the
/// `chat` scope. This is what Chat routes call.
pub fn verify_bearer(
    state: &AppState,
    authorization: Option<&str>,
) -> Result<VerifiedUser, AuthError> {
    let value = authorization.ok_or(AuthError::MissingToken)?.trim();
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::NotBearer)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::NotBearer);
    }
    let user = verify_token(state, token.trim())?;
    if !user.scopes.contains(&Scope::Chat) {
        return Err(AuthError::MissingChatScope);
    }
    Ok(user)
}

/// Verifies a raw token (no scope requirement).
pub fn verify_token(state: &AppState, token: &str) -> Result<VerifiedUser, AuthError> {
    let claims = match state.verified_tokens().get(token) {
        Some(claims) => claims,
        None => {
            let decoded = decode(state.keys().token_key(), token)?;
            let claims = Arc::new(VerifiedClaims {
                skypeid: decoded.skypeid,
                acs_scope: decoded.acs_scope,
                iat: decoded.iat,
                exp: decoded.exp,
                issued_stamp: decoded.issued_stamp,
            });
            state.verified_tokens().insert(token, claims.clone());
            claims
        }
    };
    let now = Utc::now().timestamp();
    if now >= claims.exp {
        return Err(AuthError::Expired);
    }
    // Built by hand: `format!` costs several times as much, at every request.
    let mut user_id = String::with_capacity(2 + claims.skypeid.len());
    user_id.push_str("8:");
    user_id.push_str(&claims.skypeid);
    if let Some(object_id) = user_id.strip_prefix(TEAMS_USER_ID_PREFIX) {
        // A Teams user's token from `/teamsUser/:exchangeAccessToken`: such
        // users are not in the identity store (nothing to delete or revoke).
        if uuid::Uuid::parse_str(object_id).is_err() {
            return Err(AuthError::Malformed);
        }
    } else {
        if !user_id.starts_with(USER_ID_PREFIX) {
            return Err(AuthError::Malformed);
        }
        let revoked_before = state
            .identities()
            .revocation(&user_id)
            .ok_or(AuthError::UnknownUser)?;
        if revoked_before.is_some_and(|mark| claims.issued_stamp < mark) {
            return Err(AuthError::Revoked);
        }
    }
    // Read from the text as it is split, without collecting the names.
    let scopes = if claims.acs_scope.is_empty() {
        Vec::new()
    } else {
        Scope::parse_list(claims.acs_scope.split(',')).map_err(|_| AuthError::Malformed)?
    };
    let issued_at = Utc
        .timestamp_opt(claims.iat, 0)
        .single()
        .ok_or(AuthError::Malformed)?;
    let expires_on = Utc
        .timestamp_opt(claims.exp, 0)
        .single()
        .ok_or(AuthError::Malformed)?;
    Ok(VerifiedUser {
        user_id,
        scopes,
        issued_at,
        expires_on,
    })
}

#[derive(Deserialize)]
struct JwtHeader {
    alg: String,
}

/// Checks shape and signature and returns the claims.
fn decode(key: &hmac::Key, token: &str) -> Result<TokenClaims, AuthError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::Malformed);
    };
    if header.is_empty() || payload.is_empty() || signature.is_empty() {
        return Err(AuthError::Malformed);
    }
    let header_bytes = B64URL.decode(header).map_err(|_| AuthError::Malformed)?;
    let header: JwtHeader =
        serde_json::from_slice(&header_bytes).map_err(|_| AuthError::Malformed)?;
    if header.alg != "HS256" {
        return Err(AuthError::BadSignature);
    }
    let signature = B64URL.decode(signature).map_err(|_| AuthError::Malformed)?;
    let signing_input_len = header_len_plus_payload(token);
    let signing_input = token.get(..signing_input_len).ok_or(AuthError::Malformed)?;
    hmac::verify(key, signing_input.as_bytes(), &signature).map_err(|_| AuthError::BadSignature)?;
    let payload = B64URL.decode(payload).map_err(|_| AuthError::Malformed)?;
    serde_json::from_slice(&payload).map_err(|_| AuthError::Malformed)
}

/// Length of `header.payload` within `token` (everything before the last dot).
fn header_len_plus_payload(token: &str) -> usize {
    token.rfind('.').unwrap_or(0)
}

impl<S> FromRequestParts<S> for VerifiedUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        let authorization = match parts.headers.get(header::AUTHORIZATION) {
            None => None,
            Some(value) => Some(value.to_str().map_err(|_| AuthError::NotBearer)?),
        };
        Ok(verify_bearer(&app, authorization)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::DEV_ACCESS_KEY;

    fn state() -> AppState {
        match AppState::new(DEV_ACCESS_KEY) {
            Ok(state) => state,
            Err(err) => panic!("{err}"),
        }
    }

    fn hours(n: i64) -> chrono::Duration {
        chrono::Duration::hours(n)
    }

    #[test]
    fn round_trip_and_claims() {
        let state = state();
        let user = state.identities().create().expect("in memory");
        let issued = issue_token(&state, &user, &[Scope::Chat, Scope::Voip], hours(1));
        let verified = verify_bearer(&state, Some(&format!("Bearer {}", issued.token)));
        assert_eq!(
            verified.as_ref().map(|v| v.user_id.as_str()).ok(),
            Some(user.as_str())
        );
        assert_eq!(
            verified.map(|v| v.scopes).ok(),
            Some(vec![Scope::Chat, Scope::Voip])
        );

        let payload = issued.token.split('.').nth(1).unwrap_or_default();
        let claims: serde_json::Value =
            serde_json::from_slice(&B64URL.decode(payload).unwrap_or_default()).unwrap_or_default();
        assert_eq!(claims["skypeid"], user.trim_start_matches("8:"));
        assert_eq!(claims["scp"], 1792);
        assert_eq!(claims["acsScope"], "chat,voip");
        assert!(claims["csi"].is_string());
        assert_eq!(claims["resourceId"], state.resource_id());
        assert_eq!(claims["resourceLocation"], "unitedstates");
        assert!(!issued.token.contains('='));
    }

    #[test]
    fn rejections() {
        let state = state();
        let user = state.identities().create().expect("in memory");
        let bearer = |t: &str| format!("Bearer {t}");
        assert_eq!(verify_bearer(&state, None), Err(AuthError::MissingToken));
        assert_eq!(
            verify_bearer(&state, Some("Basic abc")),
            Err(AuthError::NotBearer)
        );
        assert_eq!(
            verify_bearer(&state, Some("Bearer a.b")),
            Err(AuthError::Malformed)
        );

        let good = issue_token(&state, &user, &[Scope::Chat], hours(1)).token;
        // Change the signature's first character: every value of it decodes
        // (unlike the last one, whose low bits must be zero), so only the
        // signature check can reject the token.
        let signature_start = good.rfind('.').map_or(0, |dot| dot + 1);
        let first = &good[signature_start..=signature_start];
        let replacement = if first == "A" { "B" } else { "A" };
        let mut tampered = good.clone();
        tampered.replace_range(signature_start..=signature_start, replacement);
        assert_eq!(
            verify_bearer(&state, Some(&bearer(&tampered))),
            Err(AuthError::BadSignature)
        );

        let expired = issue_token(&state, &user, &[Scope::Chat], hours(-1)).token;
        assert_eq!(
            verify_bearer(&state, Some(&bearer(&expired))),
            Err(AuthError::Expired)
        );

        let voip = issue_token(&state, &user, &[Scope::Voip], hours(1)).token;
        assert_eq!(
            verify_bearer(&state, Some(&bearer(&voip))),
            Err(AuthError::MissingChatScope)
        );

        assert!(state.identities().revoke(&user).expect("in memory"));
        assert_eq!(
            verify_bearer(&state, Some(&bearer(&good))),
            Err(AuthError::Revoked)
        );
        let fresh = issue_token(&state, &user, &[Scope::Chat], hours(1)).token;
        assert!(verify_bearer(&state, Some(&bearer(&fresh))).is_ok());

        assert!(state.identities().delete(&user).expect("in memory"));
        assert_eq!(
            verify_bearer(&state, Some(&bearer(&fresh))),
            Err(AuthError::UnknownUser)
        );
    }

    #[test]
    fn other_key_is_bad_signature() {
        let a = state();
        let Ok(b) = AppState::new("AAAAAAAAAAAAAAAAAAAAAA==") else {
            panic!("valid key");
        };
        let user = a.identities().create().expect("in memory");
        b.identities().ensure(&user).expect("in memory");
        let token = issue_token(&a, &user, &[Scope::Chat], hours(1)).token;
        assert_eq!(verify_token(&b, &token), Err(AuthError::BadSignature));
    }

    #[test]
    fn expires_on_format() {
        let t = Utc.timestamp_opt(1_662_561_296, 271_487_400).single();
        assert_eq!(
            t.map(format_expires_on).as_deref(),
            Some("2022-09-07T14:34:56.2714874+00:00")
        );
    }
}

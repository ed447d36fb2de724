//! ACS Identity data-plane routes (spec `CommunicationIdentity.json`,
//! api-version 2023-10-01; 2021-03-07, 2022-06-01, 2022-10-01 and
//! 2023-08-01 are accepted too), authenticated with HMAC
//! ([`crate::hmac_auth`]):
//!
//! | operation | answer |
//! | --- | --- |
//! | `POST /identities` body optional `{"createTokenWithScopes": [...], "expiresInMinutes": n}` | 201 `{"identity": {"id"}, "accessToken"?: {"token", "expiresOn"}}` |
//! | `POST /identities/{id}/:issueAccessToken` body `{"scopes": [...], "expiresInMinutes"?: n}` | 200 `{"token", "expiresOn"}` |
//! | `POST /identities/{id}/:revokeAccessTokens` | 204, tokens issued before now stop working |
//! | `DELETE /identities/{id}` | 204, the user and its tokens stop working |
//! | `POST /teamsUser/:exchangeAccessToken` body `{"token", "appId", "userId"}` | 200 `{"token", "expiresOn"}` for the Teams user `8:orgid:<userId>` |
//!
//! Validation, as the service: scopes among `chat`, `voip`, `chat.join`,
//! `chat.join.limited`, `voip.join`; `expiresInMinutes` in 60..=1440, default
//! 1440. Errors: an empty `scopes` list answers the real
//! `{"code":"ValidationError","message":"Invalid scopes - Scopes field is required.","target":"scopes"}`
//! (from the JS SDK's recordings); the messages for unknown scopes and for
//! out-of-range lifetimes are the emulator's (same code and target style).
//! An unknown user id answers 404 `IdentityNotFound` (code guessed). A
//! `createTokenWithScopes` that is absent or empty creates the identity
//! without a token.
//!
//! # Teams token exchange
//!
//! `POST /teamsUser/:exchangeAccessToken` (api-version 2022-06-01 and later,
//! where the spec has it) trades a Teams user's Microsoft Entra ID token for
//! an ACS token. The emulator cannot verify Entra tokens, so it **accepts any
//! well-formed token**: three non-empty base64url parts (a JWT's shape; the
//! signature and the `appid`/`oid` claims are not checked against `appId` and
//! `userId`). `appId` and `userId` must be GUIDs. The answer is a token of the
//! emulator for the Teams user `8:orgid:<userId>` (the raw id of a
//! `microsoftTeamsUser` identifier in the public cloud; `userId` lower-cased,
//! hyphenated), with the scope `voip` only: the emulator's Chat does not
//! serve Teams users and refuses the token for lacking `chat`. Its expiry
//! matches the Entra token's (as the service's, "a matching expiration
//! time"): the payload's `exp` claim when it is JSON with one, capped at 24
//! hours; 60 minutes when it has none. Errors, with the service's codes and
//! messages (from the JS SDK's recordings):
//!
//! | input | answer |
//! | --- | --- |
//! | `token` missing, empty, not JWT-shaped, or with an `exp` in the past | 401 `InvalidAccessToken` "Provided access token is not valid." |
//! | `appId` / `userId` missing or empty | 400 `ValidationError` "AppId: The AppId field is required." (target `AppId`; `UserId` alike) |
//! | `appId` / `userId` not a GUID | 400 `ValidationError` "Provided AppId has invalid format." (target `appId`; `userId` alike) |
//!
//! Required fields are checked first, then formats, then the token.

use axum::extract::rejection::PathRejection;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::Router;
use serde::{Deserialize, Serialize};

use crate::api_version::{check_api_version, with_supported_versions, IDENTITY_API_VERSIONS};
use crate::error::ApiError;
use crate::hmac_auth::hmac_middleware;
use crate::identity_store::TEAMS_USER_ID_PREFIX;
use crate::json::{json_response, JsonBody};
use crate::rate_limits::RateLimitedOperation;
use crate::state::AppState;
use crate::tokens::{
    issue_token, unverified_jwt_payload, IssuedToken, Scope, DEFAULT_EXPIRES_IN_MINUTES,
    MAX_EXPIRES_IN_MINUTES, MIN_EXPIRES_IN_MINUTES,
};

/// `POST /identities` body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateIdentityRequest {
    /// Scopes of a token to create along with the identity.
    pub create_token_with_scopes: Option<Vec<String>>,
    /// Token lifetime in minutes (60..=1440, default 1440).
    pub expires_in_minutes: Option<i64>,
}

/// `POST /identities/{id}/:issueAccessToken` body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueTokenRequest {
    /// Scopes of the token (required, non-empty).
    pub scopes: Option<Vec<String>>,
    /// Token lifetime in minutes (60..=1440, default 1440).
    pub expires_in_minutes: Option<i64>,
}

/// `POST /teamsUser/:exchangeAccessToken` body (`TeamsUserExchangeTokenRequest`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamsUserExchangeTokenRequest {
    /// The Teams user's Entra ID access token.
    pub token: Option<String>,
    /// Client id of the Entra application (a GUID).
    pub app_id: Option<String>,
    /// Object id of the Teams user (a GUID).
    pub user_id: Option<String>,
}

/// The Identity api-versions that have the Teams token exchange.
pub const TEAMS_EXCHANGE_API_VERSIONS: &[&str] =
    &["2022-06-01", "2022-10-01", "2023-08-01", "2023-10-01"];

/// Lifetime of an exchanged token whose Entra token has no `exp` claim.
pub const TEAMS_DEFAULT_EXPIRES_IN_MINUTES: i64 = 60;

/// `CommunicationIdentity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityBody {
    /// The user id.
    pub id: String,
}

/// `CommunicationIdentityAccessToken`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessTokenBody {
    /// The JWT.
    pub token: String,
    /// Expiry (`2023-10-10T21:39:39.3244584+00:00`).
    pub expires_on: String,
}

impl From<&IssuedToken> for AccessTokenBody {
    fn from(issued: &IssuedToken) -> Self {
        Self {
            token: issued.token.clone(),
            expires_on: issued.expires_on_string(),
        }
    }
}

/// `CommunicationIdentityAccessTokenResult`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityWithTokenBody {
    /// The identity.
    pub identity: IdentityBody,
    /// The token, when one was requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<AccessTokenBody>,
}

/// The Identity routes, HMAC-authenticated, with `api-supported-versions`.
pub fn router(state: &AppState) -> Router<AppState> {
    let routes = Router::new()
        .route("/identities", post(create_identity))
        .route("/identities/{id}", delete(delete_identity))
        .route("/identities/{id}/{action}", post(identity_action))
        .route("/teamsUser/{action}", post(teams_user_action))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            hmac_middleware,
        ));
    with_supported_versions(routes, IDENTITY_API_VERSIONS)
}

/// Counts an Identity request against the resource's budget (when rate
/// limits are on).
fn rate_limit(state: &AppState, operation: RateLimitedOperation) -> Result<(), ApiError> {
    state
        .rate_limits()
        .check(operation, "", None)
        .map_err(ApiError::too_many_requests)
}

async fn create_identity(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    body: JsonBody,
) -> Result<Response, ApiError> {
    check_api_version(uri.query(), IDENTITY_API_VERSIONS)?;
    rate_limit(&state, RateLimitedOperation::IssueIdentity)?;
    let request: CreateIdentityRequest = body.parse_optional()?.unwrap_or_default();
    let scopes = match request.create_token_with_scopes.as_deref() {
        None | Some([]) => None,
        Some(names) => Some(parse_scopes(names, "createTokenWithScopes")?),
    };
    let lifetime = match scopes {
        Some(_) => Some(lifetime(request.expires_in_minutes)?),
        None => None,
    };
    let id = state.identities().create()?;
    let access_token = match (scopes, lifetime) {
        (Some(scopes), Some(lifetime)) => Some(AccessTokenBody::from(&issue_token(
            &state, &id, &scopes, lifetime,
        ))),
        _ => None,
    };
    let body = IdentityWithTokenBody {
        identity: IdentityBody { id },
        access_token,
    };
    Ok(json_response(StatusCode::CREATED, &body))
}

async fn identity_action(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    path: Result<Path<(String, String)>, PathRejection>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let Path((id, action)) = path.map_err(path_error)?;
    match action.as_str() {
        ":issueAccessToken" => {
            check_api_version(uri.query(), IDENTITY_API_VERSIONS)?;
            rate_limit(&state, RateLimitedOperation::IssueIdentity)?;
            let request: IssueTokenRequest = body.parse()?;
            let scopes = parse_scopes(request.scopes.as_deref().unwrap_or_default(), "scopes")?;
            let lifetime = lifetime(request.expires_in_minutes)?;
            require_user(&state, &id)?;
            let issued = issue_token(&state, &id, &scopes, lifetime);
            Ok(json_response(
                StatusCode::OK,
                &AccessTokenBody::from(&issued),
            ))
        }
        ":revokeAccessTokens" => {
            check_api_version(uri.query(), IDENTITY_API_VERSIONS)?;
            rate_limit(&state, RateLimitedOperation::RevokeIdentity)?;
            if !state.identities().revoke(&id)? {
                return Err(identity_not_found(&id));
            }
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        _ => Err(ApiError::not_found(
            "NotFound",
            format!("The operation '{action}' does not exist."),
        )),
    }
}

async fn delete_identity(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path.map_err(path_error)?;
    check_api_version(uri.query(), IDENTITY_API_VERSIONS)?;
    rate_limit(&state, RateLimitedOperation::RevokeIdentity)?;
    if !state.identities().delete(&id)? {
        return Err(identity_not_found(&id));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn teams_user_action(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    path: Result<Path<String>, PathRejection>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let Path(action) = path.map_err(path_error)?;
    if action != ":exchangeAccessToken" {
        return Err(ApiError::not_found(
            "NotFound",
            format!("The operation '{action}' does not exist."),
        ));
    }
    check_api_version(uri.query(), TEAMS_EXCHANGE_API_VERSIONS)?;
    let request: TeamsUserExchangeTokenRequest = body.parse()?;
    let app_id = required(request.app_id.as_deref(), "AppId")?;
    let user_id = required(request.user_id.as_deref(), "UserId")?;
    guid(app_id, "AppId", "appId")?;
    let object_id = guid(user_id, "UserId", "userId")?;
    let lifetime = teams_token_lifetime(request.token.as_deref().unwrap_or_default())?;
    let issued = issue_token(
        &state,
        &format!("{TEAMS_USER_ID_PREFIX}{object_id}"),
        &[Scope::Voip],
        lifetime,
    );
    Ok(json_response(
        StatusCode::OK,
        &AccessTokenBody::from(&issued),
    ))
}

/// A required field of the Teams exchange, with the service's message.
fn required<'a>(value: Option<&'a str>, field: &str) -> Result<&'a str, ApiError> {
    match value {
        Some(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ApiError::validation(
            field,
            format!("{field}: The {field} field is required."),
        )),
    }
}

/// A GUID field of the Teams exchange, as the canonical lower-case hyphenated
/// text, with the service's message.
fn guid(value: &str, name: &str, target: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(value.trim())
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| ApiError::validation(target, format!("Provided {name} has invalid format.")))
}

/// How long the ACS token for this Entra token lives: until its `exp`
/// (capped at 24 hours), or 60 minutes without one.
fn teams_token_lifetime(token: &str) -> Result<chrono::Duration, ApiError> {
    let payload = unverified_jwt_payload(token.trim()).ok_or_else(invalid_access_token)?;
    let Some(exp) = payload.get("exp").and_then(serde_json::Value::as_i64) else {
        return Ok(chrono::Duration::minutes(TEAMS_DEFAULT_EXPIRES_IN_MINUTES));
    };
    let remaining = exp.saturating_sub(chrono::Utc::now().timestamp());
    if remaining <= 0 {
        return Err(invalid_access_token());
    }
    Ok(chrono::Duration::seconds(
        remaining.min(MAX_EXPIRES_IN_MINUTES * 60),
    ))
}

/// The service's answer to an Entra token it does not accept.
fn invalid_access_token() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "InvalidAccessToken",
        "Provided access token is not valid.",
    )
}

fn require_user(state: &AppState, id: &str) -> Result<(), ApiError> {
    if state.identities().contains(id) {
        Ok(())
    } else {
        Err(identity_not_found(id))
    }
}

fn identity_not_found(id: &str) -> ApiError {
    ApiError::not_found(
        "IdentityNotFound",
        format!("Identity '{id}' was not found."),
    )
    .with_target("id")
}

fn path_error(rejection: PathRejection) -> ApiError {
    ApiError::bad_request("BadRequest", rejection.body_text()).with_target("id")
}

/// Validates a scope list (non-empty, known names).
pub fn parse_scopes(names: &[String], target: &str) -> Result<Vec<Scope>, ApiError> {
    if names.is_empty() {
        return Err(ApiError::validation(
            target,
            "Invalid scopes - Scopes field is required.",
        ));
    }
    Scope::parse_list(names).map_err(|bad| {
        ApiError::validation(
            target,
            format!(
                "Invalid scopes - '{bad}' is not a valid scope. Valid scopes: chat, voip, chat.join, chat.join.limited, voip.join."
            ),
        )
    })
}

/// Validates `expiresInMinutes` (60..=1440, default 1440).
pub fn lifetime(expires_in_minutes: Option<i64>) -> Result<chrono::Duration, ApiError> {
    let minutes = expires_in_minutes.unwrap_or(DEFAULT_EXPIRES_IN_MINUTES);
    if !(MIN_EXPIRES_IN_MINUTES..=MAX_EXPIRES_IN_MINUTES).contains(&minutes) {
        return Err(ApiError::validation(
            "expiresInMinutes",
            format!(
                "Invalid expiresInMinutes - the value must be between {MIN_EXPIRES_IN_MINUTES} and {MAX_EXPIRES_IN_MINUTES} minutes."
            ),
        ));
    }
    Ok(chrono::Duration::minutes(minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_validation() {
        assert!(parse_scopes(&["chat".to_owned(), "voip".to_owned()], "scopes").is_ok());
        let empty = parse_scopes(&[], "scopes").err();
        assert_eq!(
            empty.map(|e| e.message),
            Some("Invalid scopes - Scopes field is required.".to_owned())
        );
        let bad = parse_scopes(&["Chat".to_owned()], "scopes").err();
        assert_eq!(bad.map(|e| e.code), Some("ValidationError".to_owned()));
    }

    #[test]
    fn teams_token_lifetime_follows_the_entra_tokens_exp() {
        use base64::Engine as _;
        let b64 = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
        let jwt = |payload: &str| format!("{}.{}.{}", b64("{}"), b64(payload), b64("sig"));
        let now = chrono::Utc::now().timestamp();
        let in_90 = teams_token_lifetime(&jwt(&format!(r#"{{"exp":{}}}"#, now + 5400)));
        assert!(in_90.is_ok_and(|d| (5390..=5400).contains(&d.num_seconds())));
        let in_2_days = teams_token_lifetime(&jwt(&format!(r#"{{"exp":{}}}"#, now + 172_800)));
        assert_eq!(in_2_days.ok(), Some(chrono::Duration::hours(24)));
        assert_eq!(
            teams_token_lifetime(&jwt("not json")).ok(),
            Some(chrono::Duration::minutes(60))
        );
        let expired = teams_token_lifetime(&jwt(&format!(r#"{{"exp":{}}}"#, now - 1)));
        assert_eq!(
            expired.err().map(|e| e.code),
            Some("InvalidAccessToken".to_owned())
        );
        for bad in [
            "",
            "a.b",
            "a..c",
            "a.b.c.d",
            "a.b!.c",
            "AzureActiveDirectoryAccessToken",
        ] {
            assert!(teams_token_lifetime(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lifetime_validation() {
        assert_eq!(lifetime(None).ok(), Some(chrono::Duration::minutes(1440)));
        assert!(lifetime(Some(60)).is_ok());
        assert!(lifetime(Some(59)).is_err());
        assert!(lifetime(Some(1441)).is_err());
    }
}

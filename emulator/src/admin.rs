//! Emulator-only admin routes under `/admin/` (not part of any ACS API).
//!
//! They need no authentication, and are therefore only mounted when the
//! server listens on a loopback address (see [`crate::EmulatorBuilder::allow_remote`]).
//! Fault injection never applies to them.
//!
//! | route | effect |
//! | --- | --- |
//! | `GET /admin/health` | 200 `{"status":"ok","resourceId":...}` |
//! | `POST /admin/reset` | 204; clears users, faults and everything registered with [`AppState::on_reset`] |
//! | `GET /admin/faults` | 200, the current [`FaultConfig`] |
//! | `POST /admin/faults` | body: a [`FaultConfig`] (missing fields take defaults); 200 with the installed config; re-seeds the generator |
//! | `DELETE /admin/faults` | 204; no more faults |
//! | `POST /admin/tokens` | mint a token without HMAC, see [`MintTokenRequest`]; 201 if a user was created, else 200; body like `POST /identities` |
//! | `GET /admin/identities` | 200 `{"identities":[{"id","createdAt","tokensRevoked"}]}` |
//! | `/admin/eventSubscriptions`, `/admin/eventDeliveries`, `/admin/deadLetters` | chat events, see [`crate::events`] |

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::faults::FaultConfig;
use crate::identity::{AccessTokenBody, IdentityBody, IdentityWithTokenBody};
use crate::identity_store::is_user_id;
use crate::json::{json_response, ApiJson, OptionalApiJson, BAD_REQUEST_CODE};
use crate::state::AppState;
use crate::tokens::{issue_token, Scope, DEFAULT_EXPIRES_IN_MINUTES};

/// Largest lifetime `POST /admin/tokens` accepts, either sign (ten years).
pub const MAX_ADMIN_LIFETIME_SECONDS: i64 = 10 * 365 * 24 * 3600;

/// `POST /admin/tokens` body (all fields optional; an empty body is fine).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MintTokenRequest {
    /// Existing or new user id (`8:acs:<guid>_<suffix>`); a new user with a
    /// fresh id when absent. An unknown but well-formed id is created.
    pub user_id: Option<String>,
    /// Scopes (default `["chat"]`; may be empty, to test scope checks).
    pub scopes: Option<Vec<String>>,
    /// Lifetime in minutes (default 1440; no 60..=1440 limit here).
    pub expires_in_minutes: Option<i64>,
    /// Lifetime in seconds; overrides `expiresInMinutes`; zero or negative
    /// mints an already-expired token.
    pub expires_in_seconds: Option<i64>,
}

/// One entry of `GET /admin/identities`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminIdentity {
    /// User id.
    pub id: String,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// True once its tokens were revoked at least once.
    pub tokens_revoked: bool,
}

/// `GET /admin/identities` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminIdentities {
    /// All users, oldest first.
    pub identities: Vec<AdminIdentity>,
}

/// The admin routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/health", get(health))
        .route("/admin/reset", post(reset))
        .route(
            "/admin/faults",
            get(get_faults).post(set_faults).delete(clear_faults),
        )
        .route("/admin/tokens", post(mint_token))
        .route("/admin/identities", get(list_identities))
        .merge(crate::events::router())
        .route_layer(axum::middleware::from_fn(loopback_only))
}

/// Whether `host` (a `Host` header or an origin's host, with or without a
/// port) names a loopback address.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The admin routes need no credentials, so a web page must not reach them
/// through the user's browser: requests whose `Host` is not a loopback name
/// (DNS rebinding) or whose `Origin` is another site (CSRF) are refused.
async fn loopback_only(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let headers = request.headers();
    let host_ok = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))
        .is_some_and(is_loopback_host);
    let origin_ok = match headers.get(axum::http::header::ORIGIN) {
        None => true,
        Some(origin) => origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .is_some_and(|(scheme, host)| {
                matches!(scheme, "http" | "https") && is_loopback_host(host)
            }),
    };
    if host_ok && origin_ok {
        next.run(request).await
    } else {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Admin routes answer only requests addressed to a loopback host from no foreign origin.",
        )
        .into_response()
    }
}

async fn health(State(state): State<AppState>) -> Response {
    json_response(
        StatusCode::OK,
        &serde_json::json!({"status": "ok", "resourceId": state.resource_id()}),
    )
}

async fn reset(State(state): State<AppState>) -> Result<StatusCode, ApiError> {
    state.reset()?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_faults(State(state): State<AppState>) -> ApiJson<FaultConfig> {
    ApiJson(state.faults().config())
}

async fn set_faults(
    State(state): State<AppState>,
    ApiJson(value): ApiJson<serde_json::Value>,
) -> Result<ApiJson<FaultConfig>, ApiError> {
    // Only a JSON object (serde would also map an array onto the fields).
    if !value.is_object() {
        return Err(ApiError::bad_request(
            BAD_REQUEST_CODE,
            "The fault configuration must be a JSON object.",
        ));
    }
    let config: FaultConfig = serde_json::from_value(value).map_err(|err| {
        ApiError::bad_request(
            BAD_REQUEST_CODE,
            format!("The request body is invalid: {err}"),
        )
    })?;
    state.faults().set(config)?;
    Ok(ApiJson(state.faults().config()))
}

async fn clear_faults(State(state): State<AppState>) -> StatusCode {
    state.faults().clear();
    StatusCode::NO_CONTENT
}

async fn mint_token(
    State(state): State<AppState>,
    OptionalApiJson(request): OptionalApiJson<MintTokenRequest>,
) -> Result<Response, ApiError> {
    let request = request.unwrap_or_default();
    let scopes = match &request.scopes {
        None => vec![Scope::Chat],
        Some(names) => Scope::parse_list(names).map_err(|bad| {
            ApiError::validation(
                "scopes",
                format!("Invalid scopes - '{bad}' is not a valid scope."),
            )
        })?,
    };
    let seconds = match (request.expires_in_seconds, request.expires_in_minutes) {
        (Some(seconds), _) => seconds,
        (None, Some(minutes)) => minutes.saturating_mul(60),
        (None, None) => DEFAULT_EXPIRES_IN_MINUTES * 60,
    };
    // `checked_abs`: `i64::MIN` has no absolute value (and used to panic).
    if seconds
        .checked_abs()
        .is_none_or(|seconds| seconds > MAX_ADMIN_LIFETIME_SECONDS)
    {
        return Err(ApiError::validation(
            "expiresInSeconds",
            "The token lifetime must be within ten years.",
        ));
    }
    let (id, created) = match request.user_id {
        Some(id) if !is_user_id(&id) => {
            return Err(ApiError::validation(
                "userId",
                "userId must look like 8:acs:<resource guid>_<suffix>.",
            ))
        }
        Some(id) => {
            let created = state.identities().ensure(&id)?;
            (id, created)
        }
        None => (state.identities().create()?, true),
    };
    let issued = issue_token(&state, &id, &scopes, chrono::Duration::seconds(seconds));
    let body = IdentityWithTokenBody {
        identity: IdentityBody { id },
        access_token: Some(AccessTokenBody::from(&issued)),
    };
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json_response(status, &body))
}

async fn list_identities(State(state): State<AppState>) -> impl IntoResponse {
    let identities = state
        .identities()
        .list()
        .into_iter()
        .map(|user| AdminIdentity {
            id: user.id,
            created_at: user.created_at.to_rfc3339(),
            tokens_revoked: user.revoked_before.is_some(),
        })
        .collect();
    ApiJson(AdminIdentities { identities })
}

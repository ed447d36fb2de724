//! Assembles the emulator's application: the routes, behind the front door
//! ([`crate::front_door::App`]).
//!
//! Layout (outermost first):
//!
//! ```text
//! front door (front_door::App, once per request, not per route):
//!   request log (tracing target acs_chat_emulator::requests)
//!   common headers (MS-CV, api-supported-versions, client request id, charset)
//!   body reader (the whole body first, size and time limited: request_body)
//!   panic catcher (an emulator bug answers 500 in the error shape)
//! └ router
//!   ├ spec routes ─ fault injection ─┬ identity::router (HMAC, api-supported-versions)
//!   │                                └ chat::router (bearer tokens, api-supported-versions)
//!   ├ admin::router (only on loopback binds)
//!   └ fallbacks: 404 NotFound / 405 MethodNotAllowed in the error shape
//! ```
//!
//! More spec routes plug in the same way as [`crate::chat::router`]: a
//! `Router<AppState>` merged in [`spec_router`]; tests can also pass extra
//! routes with [`AppOptions::extra_spec_routes`] /
//! [`crate::EmulatorBuilder::extra_routes`].

use axum::http::{HeaderValue, StatusCode};
use axum::Router;

use crate::admin;
use crate::api_version::{supported_versions_value, IDENTITY_API_VERSIONS};
use crate::chat::{self, CHAT_API_VERSIONS};
use crate::error::ApiError;
use crate::faults::FaultLayer;
use crate::front_door::{App, FrontDoor};
use crate::headers::CommonHeaders;
use crate::identity;
use crate::request_body::BodyLimits;
use crate::state::AppState;

/// What [`app`] includes.
#[derive(Debug, Default)]
pub struct AppOptions {
    /// Mount the `/admin/*` routes.
    pub admin: bool,
    /// More spec routes (behind fault injection), merged after the built-in ones.
    pub extra_spec_routes: Option<Router<AppState>>,
    /// Size and time limits of request bodies.
    pub body_limits: BodyLimits,
}

/// The ACS API routes: Identity and Chat.
pub fn spec_router(state: &AppState) -> Router<AppState> {
    identity::router(state).merge(chat::router(state))
}

/// The complete application for `state`.
pub fn app(state: AppState, options: AppOptions) -> App {
    let mut spec = spec_router(&state);
    if let Some(extra) = options.extra_spec_routes {
        spec = spec.merge(extra);
    }
    let mut app = spec.layer(FaultLayer::new(state.faults_handle()));
    if options.admin {
        app = app.merge(admin::router());
    }
    let all_versions: Vec<&str> = IDENTITY_API_VERSIONS
        .iter()
        .chain(CHAT_API_VERSIONS)
        .copied()
        .collect();
    let default_versions = HeaderValue::from_str(&supported_versions_value(&all_versions))
        .unwrap_or_else(|_| HeaderValue::from_static(""));
    let router = app
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    App::new(
        router,
        FrontDoor {
            body_limits: options.body_limits,
            headers: CommonHeaders {
                default_supported_versions: default_versions,
            },
        },
    )
}

async fn not_found() -> ApiError {
    ApiError::not_found("NotFound", "The requested resource does not exist.")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        "The requested resource does not support this HTTP method.",
    )
}

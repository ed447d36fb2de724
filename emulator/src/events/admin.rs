//! `/admin/eventSubscriptions`, `/admin/eventDeliveries` and
//! `/admin/deadLetters` (see the [module docs](super)).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get};
use axum::Router;

use crate::error::ApiError;
use crate::json::{json_response, ApiJson, BAD_REQUEST_CODE};
use crate::state::AppState;

use super::NewEventSubscription;

/// The event admin routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/eventSubscriptions",
            get(list_subscriptions).post(create_subscription),
        )
        .route(
            "/admin/eventSubscriptions/{id}",
            delete(delete_subscription),
        )
        .route("/admin/eventDeliveries", get(deliveries))
        .route("/admin/deadLetters", get(dead_letters))
}

async fn create_subscription(
    State(state): State<AppState>,
    ApiJson(new): ApiJson<NewEventSubscription>,
) -> Result<Response, ApiError> {
    let info = state
        .events()
        .subscribe(new)
        .await
        .map_err(|message| ApiError::bad_request(BAD_REQUEST_CODE, message))?;
    Ok(json_response(StatusCode::CREATED, &info))
}

async fn list_subscriptions(State(state): State<AppState>) -> Response {
    json_response(
        StatusCode::OK,
        &serde_json::json!({ "value": state.events().subscriptions() }),
    )
}

async fn delete_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.events().unsubscribe(&id)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(
            "NotFound",
            "No event subscription has this id.",
        ))
    }
}

async fn deliveries(State(state): State<AppState>) -> Response {
    json_response(StatusCode::OK, &state.events().delivery_report())
}

async fn dead_letters(State(state): State<AppState>) -> Response {
    json_response(StatusCode::OK, &state.events().dead_letters())
}

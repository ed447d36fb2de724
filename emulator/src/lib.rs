//! In-memory emulator of Azure Communication Services (ACS) Chat + Identity,
//! in the spirit of what Azurite is for Azure Storage.
//!
//! # Quick start
//!
//! ```no_run
//! # async fn demo() -> Result<(), acs_chat_emulator::EmulatorError> {
//! let emulator = acs_chat_emulator::Emulator::start().await?;
//! // e.g. "http://127.0.0.1:41234/" (always with a trailing slash)
//! println!("{}", emulator.endpoint());
//! // "endpoint=http://127.0.0.1:41234/;accesskey=<DEV_ACCESS_KEY>"
//! println!("{}", emulator.connection_string());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # What is served
//!
//! * **Identity** (spec paths, HMAC-SHA256 signed like the real service):
//!   `POST /identities`, `POST /identities/{id}/:issueAccessToken`,
//!   `POST /identities/{id}/:revokeAccessTokens`, `DELETE /identities/{id}`,
//!   and the Teams token exchange `POST /teamsUser/:exchangeAccessToken`
//!   (any well-formed, JWT-shaped Entra token is accepted: the emulator cannot
//!   verify it). See [`identity`] and [`hmac_auth`].
//! * **Chat** (spec paths under `/chat/threads`, bearer tokens issued by the
//!   emulator): every operation of the Chat API, in memory. See [`chat`].
//! * **Admin** (emulator-only, unauthenticated, only on loopback binds), under
//!   `/admin/`: reset, fault injection, token minting. See [`admin`].
//!
//! Every response carries `MS-CV`, `api-supported-versions`, a JSON
//! `Content-Type` with `charset=utf-8` for JSON bodies, and echoes
//! `x-ms-client-request-id` (see [`headers`]). Errors use the service's
//! `{"error": {"code", "message", "target"}}` shape (see [`error`]).
//!
//! # Module map
//!
//! | module | job |
//! | --- | --- |
//! | [`server`] | [`Emulator`], [`EmulatorBuilder`], the accept loop, graceful shutdown |
//! | [`router`] | assembles spec routes, admin routes and fault injection into the [`front_door::App`] |
//! | [`front_door`] | [`front_door::App`]: request log, body read, panic catch and common headers, once per request, around the routes |
//! | [`state`] | [`AppState`], shared by every route (identity store, keys, faults) |
//! | [`keys`] | the access key, [`DEV_ACCESS_KEY`], derived token key and resource id |
//! | [`identity`] | Identity routes |
//! | [`chat`] | Chat routes (threads, messages, participants, receipts, typing) |
//! | [`identity_store`] | in-memory users and revocation marks |
//! | [`hmac_auth`] | HMAC-SHA256 request verification (middleware) |
//! | [`tokens`] | chat access tokens (JWT HS256): mint and verify |
//! | [`events`] | chat events: subscriptions, fan-out, delivery, dead letters |
//! | [`faults`] | opt-in fault injection, a tower layer on the spec routes |
//! | [`connection`] | per-connection abort handle used to drop connections |
//! | [`admin`] | `/admin/*` routes |
//! | [`tls`] | HTTPS: self-signed development CA or user-provided PEM files |
//! | [`error`] | [`ApiError`], the service's error body |
//! | [`json`] | [`ApiJson`] extractor/responder |
//! | [`api_version`] | `api-version` checks |
//! | [`headers`] | the common response headers the front door adds |
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
pub mod api_version;
pub mod chat;
pub mod connection;
pub mod error;
pub mod events;
pub mod faults;
pub mod front_door;
mod hashing;
pub mod headers;
pub mod hmac_auth;
pub mod identity;
pub mod identity_store;
pub mod json;
pub mod keys;
pub mod persist;
pub mod rate_limits;
pub mod request_body;
pub mod request_log;
pub mod router;
pub mod server;
pub mod state;
pub mod tls;
pub mod tokens;
pub mod verified_tokens;

mod sync;

pub use api_version::check_api_version;
pub use error::ApiError;
pub use faults::FaultConfig;
pub use json::ApiJson;
pub use keys::DEV_ACCESS_KEY;
pub use server::{Emulator, EmulatorBuilder, EmulatorError, EmulatorResource};
pub use state::{AppState, StateError};
pub use tls::TlsConfig;
pub use tokens::{verify_bearer, AuthError, VerifiedUser};

//! [`AppState`]: the state every route shares (cheap to clone, an `Arc`).
//!
//! Holds the key material ([`Keys`]), the users ([`IdentityStore`]), the
//! fault configuration ([`FaultState`]) and the resource's location. Chat
//! routes get it through axum's `State<AppState>`; state they add themselves
//! (threads, messages...) either becomes a field here or registers a reset
//! hook with [`AppState::on_reset`] so `POST /admin/reset` clears it too.

use std::sync::{Arc, Mutex};

use crate::chat::store::ChatStore;
use crate::events::{EventDeliveryOptions, EventHub};
use crate::faults::{FaultConfig, FaultState};
use crate::identity_store::IdentityStore;
use crate::keys::{InvalidAccessKey, Keys};
use crate::persist::{Database, PersistError};
use crate::rate_limits::RateLimiter;
use crate::sync::lock;
use crate::verified_tokens::VerifiedTokens;

/// Default `resourceLocation` token claim (the data location real tokens name).
pub const DEFAULT_RESOURCE_LOCATION: &str = "unitedstates";

type ResetHook = Arc<dyn Fn() + Send + Sync>;

struct Inner {
    keys: Keys,
    identities: IdentityStore,
    faults: Arc<FaultState>,
    verified_tokens: VerifiedTokens,
    events: EventHub,
    rate_limits: RateLimiter,
    database: Option<Arc<Database>>,
    chat: Arc<ChatStore>,
    resource_location: String,
    reset_hooks: Mutex<Vec<ResetHook>>,
}

/// Why state could not be made.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The access key is not valid base64.
    #[error(transparent)]
    AccessKey(InvalidAccessKey),
    /// The event delivery options are invalid.
    #[error("invalid event delivery options: {0}")]
    Events(String),
    /// The data directory's database cannot be used.
    #[error(transparent)]
    Persist(#[from] PersistError),
}

/// Shared emulator state.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("keys", &self.inner.keys)
            .field("users", &self.inner.identities.len())
            .field("faults", &self.inner.faults)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State for a resource with this base64 access key and no faults.
    pub fn new(access_key: &str) -> Result<Self, StateError> {
        Self::with_options(
            access_key,
            FaultConfig::default(),
            DEFAULT_RESOURCE_LOCATION,
        )
    }

    /// State with an initial fault configuration (installed as is; validate
    /// it first with [`FaultConfig::validate`]) and a resource location.
    pub fn with_options(
        access_key: &str,
        faults: FaultConfig,
        resource_location: &str,
    ) -> Result<Self, StateError> {
        Self::with_event_options(
            access_key,
            faults,
            resource_location,
            EventDeliveryOptions::default(),
        )
    }

    /// State with fault settings, a resource location and event delivery
    /// options.
    pub fn with_event_options(
        access_key: &str,
        faults: FaultConfig,
        resource_location: &str,
        events: EventDeliveryOptions,
    ) -> Result<Self, StateError> {
        Self::build(access_key, faults, resource_location, events, None)
    }

    /// Like [`with_event_options`](Self::with_event_options), kept in the
    /// SQLite database `file` of `data_dir` (created if need be): the users
    /// it holds are loaded, every change is stored before it is answered,
    /// and the chat routes load their threads from it.
    pub fn persisted(
        access_key: &str,
        faults: FaultConfig,
        resource_location: &str,
        events: EventDeliveryOptions,
        data_dir: &std::path::Path,
        file: &str,
    ) -> Result<Self, StateError> {
        let keys = Keys::new(access_key).map_err(StateError::AccessKey)?;
        let database = Database::open(data_dir, file, keys.resource_id())?;
        Self::build(
            access_key,
            faults,
            resource_location,
            events,
            Some(Arc::new(database)),
        )
    }

    fn build(
        access_key: &str,
        faults: FaultConfig,
        resource_location: &str,
        events: EventDeliveryOptions,
        database: Option<Arc<Database>>,
    ) -> Result<Self, StateError> {
        let keys = Keys::new(access_key).map_err(StateError::AccessKey)?;
        let identities = match &database {
            Some(db) => IdentityStore::persisted(keys.resource_id(), Arc::clone(db))?,
            None => IdentityStore::new(keys.resource_id()),
        };
        let events = EventHub::new(events, keys.resource_id(), database.clone())
            .map_err(StateError::Events)?;
        let chat = match &database {
            Some(db) => ChatStore::persisted(Arc::clone(db))?,
            None => ChatStore::default(),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                keys,
                identities,
                faults: Arc::new(FaultState::new(faults)),
                verified_tokens: VerifiedTokens::default(),
                events,
                rate_limits: RateLimiter::default(),
                database,
                chat: Arc::new(chat),
                resource_location: resource_location.to_owned(),
                reset_hooks: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Key material (access key, HMAC and token keys, resource id).
    pub fn keys(&self) -> &Keys {
        &self.inner.keys
    }

    /// The users.
    pub fn identities(&self) -> &IdentityStore {
        &self.inner.identities
    }

    /// Fault injection settings.
    pub fn faults(&self) -> &FaultState {
        &self.inner.faults
    }

    /// Tokens whose signature was already checked.
    pub fn verified_tokens(&self) -> &VerifiedTokens {
        &self.inner.verified_tokens
    }

    /// The fault settings, shared (the fault layer holds them).
    pub fn faults_handle(&self) -> Arc<FaultState> {
        Arc::clone(&self.inner.faults)
    }

    /// Event subscriptions and deliveries.
    pub fn events(&self) -> &EventHub {
        &self.inner.events
    }

    /// The request rates enforced (none by default).
    pub fn rate_limits(&self) -> &RateLimiter {
        &self.inner.rate_limits
    }

    /// The database the state is kept in, with `--data-dir`.
    pub fn database(&self) -> Option<&Arc<Database>> {
        self.inner.database.as_ref()
    }

    /// The chat threads.
    pub(crate) fn chat_store(&self) -> &Arc<ChatStore> {
        &self.inner.chat
    }

    /// The emulated resource's id (GUID).
    pub fn resource_id(&self) -> &str {
        self.inner.keys.resource_id()
    }

    /// The emulated resource's data location (token claim `resourceLocation`).
    pub fn resource_location(&self) -> &str {
        &self.inner.resource_location
    }

    /// Registers `hook` to run on every [`reset`](Self::reset) (e.g. to clear
    /// chat threads).
    pub fn on_reset(&self, hook: impl Fn() + Send + Sync + 'static) {
        lock(&self.inner.reset_hooks).push(Arc::new(hook));
    }

    /// Clears all state: users, faults, and whatever reset hooks clear (in
    /// the database too: an error if that fails).
    pub fn reset(&self) -> Result<(), PersistError> {
        self.inner.identities.clear();
        self.inner.faults.clear();
        self.inner.events.clear();
        self.inner.rate_limits.clear();
        // Run hooks without holding the lock, so a hook may register hooks.
        let hooks: Vec<ResetHook> = lock(&self.inner.reset_hooks).clone();
        for hook in hooks {
            hook();
        }
        // The database last, so no save of the old state lands after it.
        match &self.inner.database {
            Some(db) => db.clear(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::DEV_ACCESS_KEY;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn reset_clears_users_and_runs_hooks() {
        let Ok(state) = AppState::new(DEV_ACCESS_KEY) else {
            panic!("dev key must be valid");
        };
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        state.on_reset(move || {
            seen.fetch_add(1, Ordering::SeqCst);
        });
        state.identities().create().expect("in memory");
        state.reset().expect("in memory");
        assert!(state.identities().is_empty());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}

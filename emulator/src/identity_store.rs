//! Communication users and their token revocation marks: in memory, and in
//! the [`Database`] too when the emulator persists its state (each change
//! is written before it is acknowledged).
//!
//! User ids follow the ACS format seen in the spec's examples
//! (`8:acs:2dee53b4-368b-45b4-ab52-8493fb117652_00000005-14a2-493b-8a72-5a3a0d000081`):
//! `8:acs:<resource id>_<guid-like suffix>`. The suffix's first group is a
//! fixed `00000025` (real ids start with zero-padded small numbers); the
//! other groups are random.
//!
//! Revocation uses [`Stamp`]s: strictly increasing microsecond timestamps
//! shared by token issuance and revocation, so "tokens issued before the
//! revocation" is exact even within the same second or microsecond.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::hashing::FastHashMap;
use crate::persist::{Database, PersistError, Table};
use crate::sync::lock;

/// Prefix of every communication user id.
pub const USER_ID_PREFIX: &str = "8:acs:";

/// Prefix of a Teams user's id (public cloud): `8:orgid:<Entra object id>`,
/// the raw id of a `microsoftTeamsUser` identifier.
pub const TEAMS_USER_ID_PREFIX: &str = "8:orgid:";

/// A strictly increasing point in time (microseconds since the Unix epoch).
pub type Stamp = u64;

/// One communication user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The full id (`8:acs:...`).
    pub id: String,
    /// When the user was created.
    pub created_at: DateTime<Utc>,
    /// Tokens issued strictly before this stamp are revoked.
    pub revoked_before: Option<Stamp>,
}

/// The users of the emulated resource.
#[derive(Debug)]
pub struct IdentityStore {
    resource_id: String,
    users: Mutex<FastHashMap<String, UserRecord>>,
    last_stamp: AtomicU64,
    database: Option<Arc<Database>>,
}

impl IdentityStore {
    /// An empty in-memory store for the resource `resource_id`.
    pub fn new(resource_id: impl Into<String>) -> Self {
        Self {
            resource_id: resource_id.into(),
            users: Mutex::new(FastHashMap::default()),
            last_stamp: AtomicU64::new(0),
            database: None,
        }
    }

    /// A store kept in `database`, starting with the users it holds.
    pub fn persisted(
        resource_id: impl Into<String>,
        database: Arc<Database>,
    ) -> Result<Self, PersistError> {
        let mut users = FastHashMap::default();
        for (id, json) in database.all(Table::Users)? {
            let user: UserRecord =
                serde_json::from_str(&json).map_err(|err| PersistError::Unusable {
                    path: database.path().to_owned(),
                    reason: format!("user {id}: {err}"),
                })?;
            users.insert(id, user);
        }
        let last = users
            .values()
            .filter_map(|u| u.revoked_before)
            .max()
            .unwrap_or(0);
        Ok(Self {
            resource_id: resource_id.into(),
            users: Mutex::new(users),
            last_stamp: AtomicU64::new(last),
            database: Some(database),
        })
    }

    fn save(&self, user: &UserRecord) -> Result<(), PersistError> {
        match &self.database {
            Some(db) => {
                let json = serde_json::to_string(user).map_err(|err| PersistError::Unusable {
                    path: db.path().to_owned(),
                    reason: err.to_string(),
                })?;
                db.put(Table::Users, &user.id, &json)
            }
            None => Ok(()),
        }
    }

    /// The next stamp: the current time in microseconds, bumped if needed so
    /// that every call returns a larger value than the previous one.
    pub fn next_stamp(&self) -> Stamp {
        let now = u64::try_from(Utc::now().timestamp_micros()).unwrap_or(0);
        let mut last = self.last_stamp.load(Ordering::Relaxed);
        loop {
            let next = now.max(last.saturating_add(1));
            match self.last_stamp.compare_exchange_weak(
                last,
                next,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return next,
                Err(actual) => last = actual,
            }
        }
    }

    /// Creates a user with a fresh id and returns the id.
    pub fn create(&self) -> Result<String, PersistError> {
        let id = self.new_user_id();
        self.ensure(&id)?;
        Ok(id)
    }

    /// Creates a user with the given id unless it exists. Returns `true` if
    /// it was created.
    pub fn ensure(&self, id: &str) -> Result<bool, PersistError> {
        let mut users = lock(&self.users);
        if users.contains_key(id) {
            return Ok(false);
        }
        let user = UserRecord {
            id: id.to_owned(),
            created_at: Utc::now(),
            revoked_before: None,
        };
        self.save(&user)?;
        users.insert(id.to_owned(), user);
        Ok(true)
    }

    /// The user with this id, if it exists.
    pub fn get(&self, id: &str) -> Option<UserRecord> {
        lock(&self.users).get(id).cloned()
    }

    /// Whether the user exists, and the stamp before which its tokens are
    /// revoked: what checking a token needs, without copying the record.
    pub fn revocation(&self, id: &str) -> Option<Option<Stamp>> {
        lock(&self.users).get(id).map(|user| user.revoked_before)
    }

    /// True if the user exists.
    pub fn contains(&self, id: &str) -> bool {
        lock(&self.users).contains_key(id)
    }

    /// Revokes every token issued to `id` before now. Returns `false` if the
    /// user does not exist.
    pub fn revoke(&self, id: &str) -> Result<bool, PersistError> {
        let stamp = self.next_stamp();
        let mut users = lock(&self.users);
        let Some(user) = users.get_mut(id) else {
            return Ok(false);
        };
        let revoked = UserRecord {
            revoked_before: Some(stamp),
            ..user.clone()
        };
        self.save(&revoked)?;
        *user = revoked;
        Ok(true)
    }

    /// Deletes the user (its tokens stop working). Returns `false` if it did
    /// not exist.
    pub fn delete(&self, id: &str) -> Result<bool, PersistError> {
        let mut users = lock(&self.users);
        if !users.contains_key(id) {
            return Ok(false);
        }
        if let Some(db) = &self.database {
            db.delete(Table::Users, id)?;
        }
        Ok(users.remove(id).is_some())
    }

    /// All users, ordered by creation time then id.
    pub fn list(&self) -> Vec<UserRecord> {
        let mut users: Vec<UserRecord> = lock(&self.users).values().cloned().collect();
        users.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        users
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        lock(&self.users).len()
    }

    /// True if there are no users.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes every user.
    pub fn clear(&self) {
        lock(&self.users).clear();
    }

    /// A fresh user id for this resource.
    pub fn new_user_id(&self) -> String {
        let hex = uuid::Uuid::new_v4().simple().to_string();
        // `simple()` is always 32 lowercase hex digits; take groups of
        // 4-4-4-12 from its last 24 digits.
        let tail = hex.get(8..).unwrap_or_default();
        let (a, rest) = tail.split_at(4.min(tail.len()));
        let (b, rest) = rest.split_at(4.min(rest.len()));
        let (c, d) = rest.split_at(4.min(rest.len()));
        format!(
            "{USER_ID_PREFIX}{}_00000025-{a}-{b}-{c}-{d}",
            self.resource_id
        )
    }
}

/// True if `id` looks like a communication user id (`8:acs:<guid>_<suffix>`).
pub fn is_user_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix(USER_ID_PREFIX) else {
        return false;
    };
    let Some((resource, suffix)) = rest.split_once('_') else {
        return false;
    };
    uuid::Uuid::parse_str(resource).is_ok()
        && !suffix.is_empty()
        && suffix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESOURCE: &str = "2dee53b4-368b-45b4-ab52-8493fb117652";

    #[test]
    fn ids_have_acs_format() {
        let store = IdentityStore::new(RESOURCE);
        let id = store.create().expect("in memory");
        assert!(id.starts_with("8:acs:2dee53b4-368b-45b4-ab52-8493fb117652_00000025-"));
        assert_eq!(id.len(), "8:acs:".len() + 36 + 1 + 36);
        assert!(is_user_id(&id));
        assert!(is_user_id(
            "8:acs:2dee53b4-368b-45b4-ab52-8493fb117652_00000005-14a2-493b-8a72-5a3a0d000081"
        ));
        assert!(!is_user_id("8:acs:nope"));
        assert!(!is_user_id("4:+14255550123"));
    }

    #[test]
    fn stamps_strictly_increase() {
        let store = IdentityStore::new(RESOURCE);
        let mut last = 0;
        for _ in 0..1000 {
            let s = store.next_stamp();
            assert!(s > last);
            last = s;
        }
    }

    #[test]
    fn revoke_and_delete() {
        let store = IdentityStore::new(RESOURCE);
        let id = store.create().expect("in memory");
        let before = store.next_stamp();
        assert!(store.revoke(&id).expect("in memory"));
        let mark = store.get(&id).and_then(|u| u.revoked_before);
        assert!(mark.is_some_and(|m| m > before));
        assert!(store.delete(&id).expect("in memory"));
        assert!(!store.delete(&id).expect("in memory"));
        assert!(!store.revoke(&id).expect("in memory"));
        assert!(store.is_empty());
    }
}

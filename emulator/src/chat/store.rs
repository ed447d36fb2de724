//! The chat state of the emulated resource: threads (a sharded map of
//! per-thread locks), an index of each user's threads, and the
//! `repeatability-request-id` results; with `--data-dir`, also kept in the
//! [`Database`] (each change stored before it is answered, everything
//! loaded at start).
//!
//! Locking: a shard's `RwLock` is held only to find or insert a thread's
//! `Arc`; the work happens under that thread's own `Mutex`, so requests on
//! different threads never wait on each other. The user index is updated
//! while the thread's lock is held (lock order: thread, then index), and
//! read without holding any thread lock. No lock is held across an await.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, RwLock};

use crate::sync::{lock, read, write};

use acs_chat_rest::types::CreateChatThreadResult;
use serde::{Deserialize, Serialize};

use crate::persist::{Database, PersistError, Table};

use super::thread_state::ThreadState;

const SHARDS: usize = 16;

/// A thread behind its own lock.
pub(crate) type ThreadHandle = Arc<Mutex<ThreadState>>;

/// What a `repeatability-request-id` maps to: the first answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredCreate {
    /// The created thread's id.
    pub(crate) thread_id: String,
    /// The body sent the first time.
    pub(crate) result: CreateChatThreadResult,
}

/// All chat state.
#[derive(Debug)]
pub(crate) struct ChatStore {
    shards: Vec<RwLock<HashMap<String, ThreadHandle>>>,
    user_threads: RwLock<HashMap<String, HashSet<String>>>,
    repeatability: Mutex<HashMap<(String, String), StoredCreate>>,
    database: Option<Arc<Database>>,
}

impl Default for ChatStore {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect(),
            user_threads: RwLock::new(HashMap::new()),
            repeatability: Mutex::new(HashMap::new()),
            database: None,
        }
    }
}

/// A stored document that does not decode: the database is not usable.
fn undecodable(database: &Database, what: &str, err: serde_json::Error) -> PersistError {
    PersistError::Unusable {
        path: database.path().to_owned(),
        reason: format!("{what}: {err}"),
    }
}

impl ChatStore {
    /// A store kept in `database`, starting with the threads, messages and
    /// repeatability records it holds.
    pub(crate) fn persisted(database: Arc<Database>) -> Result<Self, PersistError> {
        let mut store = Self {
            database: None,
            ..Self::default()
        };
        for (id, header) in database.all(Table::Threads)? {
            let messages = database.messages(&id)?;
            let thread = ThreadState::restore(&header, &messages)
                .map_err(|err| undecodable(&database, &format!("thread {id}"), err))?;
            store.insert(thread, None)?;
        }
        for (key, json) in database.all(Table::Repeatability)? {
            let stored: StoredCreate = serde_json::from_str(&json)
                .map_err(|err| undecodable(&database, "a repeatability record", err))?;
            if let Some((creator, request_id)) = key.split_once('\n') {
                lock(&store.repeatability)
                    .insert((creator.to_owned(), request_id.to_owned()), stored);
            }
        }
        store.database = Some(database);
        Ok(store)
    }

    /// Stores what changed in `thread` since it was last saved (nothing
    /// without a database). Call with the thread locked.
    pub(crate) fn save(&self, thread: &mut ThreadState) -> Result<(), PersistError> {
        self.save_with(thread, None)
    }

    /// [`save`](Self::save), with the `repeatability-request-id` record of
    /// a new thread in the same transaction. What changed stays marked
    /// unsaved unless the commit succeeds.
    fn save_with(
        &self,
        thread: &mut ThreadState,
        repeatability: Option<(&str, &str, &StoredCreate)>,
    ) -> Result<(), PersistError> {
        let Some(database) = &self.database else {
            return Ok(());
        };
        let stored = thread
            .unsaved()
            .map_err(|err| undecodable(database, "a thread", err))?;
        let record = match repeatability {
            Some((creator, key, created)) => Some((
                format!("{creator}\n{key}"),
                serde_json::to_string(created)
                    .map_err(|err| undecodable(database, "a repeatability record", err))?,
            )),
            None => None,
        };
        database.put_thread(
            &thread.id,
            stored.header.as_deref(),
            &stored.messages,
            record
                .as_ref()
                .map(|(key, json)| (Table::Repeatability, key.as_str(), json.as_str())),
        )?;
        thread.mark_saved();
        Ok(())
    }

    fn shard(&self, thread_id: &str) -> &RwLock<HashMap<String, ThreadHandle>> {
        let mut hasher = DefaultHasher::new();
        thread_id.hash(&mut hasher);
        let index = usize::try_from(hasher.finish() % SHARDS as u64).unwrap_or(0);
        // `index < SHARDS == self.shards.len()`.
        &self.shards[index]
    }

    /// The thread with this id, if it exists.
    pub(crate) fn get(&self, thread_id: &str) -> Option<ThreadHandle> {
        read(self.shard(thread_id)).get(thread_id).cloned()
    }

    /// Stores a new thread (with its `repeatability-request-id` record
    /// `(creator, key, answer)`, in one transaction) and indexes its
    /// members.
    pub(crate) fn insert(
        &self,
        mut thread: ThreadState,
        repeatability: Option<(&str, &str, &StoredCreate)>,
    ) -> Result<ThreadHandle, PersistError> {
        self.save_with(&mut thread, repeatability)?;
        let id = thread.id.clone();
        let members: Vec<String> = thread.listed_for().cloned().collect();
        let handle = Arc::new(Mutex::new(thread));
        write(self.shard(&id)).insert(id.clone(), handle.clone());
        let mut index = write(&self.user_threads);
        for member in members {
            index.entry(member).or_default().insert(id.clone());
        }
        Ok(handle)
    }

    /// Removes a thread (the caller holds its lock and has marked it
    /// deleted) and unindexes `members`: everyone it was listed for.
    pub(crate) fn remove(&self, thread_id: &str, members: &[String]) -> Result<(), PersistError> {
        if let Some(database) = &self.database {
            database.delete(Table::Threads, thread_id)?;
        }
        write(self.shard(thread_id)).remove(thread_id);
        let mut index = write(&self.user_threads);
        for member in members {
            unindex(&mut index, member, thread_id);
        }
        Ok(())
    }

    /// Records that `users` joined `thread_id` (call with the thread locked).
    pub(crate) fn index_members(&self, thread_id: &str, users: &[String]) {
        let mut index = write(&self.user_threads);
        for user in users {
            index
                .entry(user.clone())
                .or_default()
                .insert(thread_id.to_owned());
        }
    }

    /// The threads `user` is or was in (a snapshot).
    pub(crate) fn threads_of(&self, user: &str) -> Vec<ThreadHandle> {
        let ids: Vec<String> = read(&self.user_threads)
            .get(user)
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default();
        ids.iter().filter_map(|id| self.get(id)).collect()
    }

    /// Runs `create` unless `(creator, key)` was seen, in which case the
    /// first answer is returned. Concurrent requests with the same key wait
    /// for each other, so exactly one thread is created.
    pub(crate) fn create_once<E>(
        &self,
        creator: &str,
        key: &str,
        create: impl FnOnce() -> Result<StoredCreate, E>,
    ) -> Result<StoredCreate, E> {
        let mut seen = lock(&self.repeatability);
        let entry = (creator.to_owned(), key.to_owned());
        if let Some(first) = seen.get(&entry) {
            return Ok(first.clone());
        }
        // `create` stores the record with the thread (see `insert`).
        let created = create()?;
        seen.insert(entry, created.clone());
        Ok(created)
    }

    /// Forgets everything (`POST /admin/reset`).
    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            write(shard).clear();
        }
        write(&self.user_threads).clear();
        lock(&self.repeatability).clear();
    }

    /// Number of threads.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| read(s).len()).sum()
    }
}

fn unindex(index: &mut HashMap<String, HashSet<String>>, user: &str, thread_id: &str) {
    if let Some(set) = index.get_mut(user) {
        set.remove(thread_id);
        if set.is_empty() {
            index.remove(user);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::thread_state::NewThread;

    fn thread(id: &str, creator: &str) -> ThreadState {
        ThreadState::create(
            NewThread {
                id: id.to_owned(),
                topic: "t".to_owned(),
                creator: creator.to_owned(),
                participants: Vec::new(),
                metadata: HashMap::new(),
                retention_policy: None,
            },
            1,
        )
    }

    #[test]
    fn insert_index_remove_clear() {
        let store = ChatStore::default();
        store.insert(thread("a", "u1"), None).expect("in memory");
        store.insert(thread("b", "u1"), None).expect("in memory");
        assert_eq!(store.threads_of("u1").len(), 2);
        store.index_members("a", &["u2".to_owned()]);
        assert_eq!(store.threads_of("u2").len(), 1);
        store.remove("a", &["u1".to_owned()]).expect("in memory");
        assert!(store.get("a").is_none());
        assert_eq!(store.threads_of("u1").len(), 1);
        store.clear();
        assert_eq!(store.len(), 0);
    }

    #[test]
    fn create_once_runs_once() {
        let store = ChatStore::default();
        let mut calls = 0;
        for _ in 0..3 {
            let stored = store
                .create_once("u", "k", || {
                    calls += 1;
                    Ok::<_, PersistError>(StoredCreate {
                        thread_id: "t".to_owned(),
                        result: CreateChatThreadResult::default(),
                    })
                })
                .expect("in memory");
            assert_eq!(stored.thread_id, "t");
        }
        assert_eq!(calls, 1);
    }
}

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
//! Saves of different threads share the index's lock only for the moment a
//! save changes a thread's place in it (a new message, a new member).
//!
//! The user index keeps each user's threads ordered by last activity (newest
//! first), updated whenever a change to a thread is saved, so that a page of
//! `GET /chat/threads` costs O(page + log threads) however many threads the
//! user has.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher as _;
use std::ops::Bound;
use std::sync::{Arc, Mutex, RwLock};

use crate::hashing::{FastHashMap, FastState};
use crate::sync::{lock, read, write};

use acs_chat_rest::types::CreateChatThreadResult;
use serde::{Deserialize, Serialize};

use crate::persist::{Database, PersistError, Table};

use super::json_cache::MessageJsonCache;
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
    shards: Vec<RwLock<FastHashMap<String, ThreadHandle>>>,
    /// Picks a thread's shard.
    shard_hasher: FastState,
    user_threads: RwLock<UserThreads>,
    repeatability: Mutex<HashMap<(String, String), StoredCreate>>,
    database: Option<Arc<Database>>,
    message_json: MessageJsonCache,
}

impl Default for ChatStore {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| RwLock::new(FastHashMap::default()))
                .collect(),
            shard_hasher: FastState::default(),
            user_threads: RwLock::new(UserThreads::default()),
            repeatability: Mutex::new(HashMap::new()),
            database: None,
            message_json: MessageJsonCache::default(),
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
        // The index follows what is in memory, even if the database write
        // below fails (the change stays marked unsaved; see `save_with`).
        // Most saves change nothing it holds: a read lock tells.
        if !read(&self.user_threads).is_current(thread) {
            write(&self.user_threads).index(thread);
        }
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
            // Nothing to store: forget what changed, or the list of changed
            // messages would grow with every message.
            thread.mark_saved();
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

    /// The JSON of recently answered messages.
    pub(crate) fn message_json(&self) -> &MessageJsonCache {
        &self.message_json
    }

    fn shard(&self, thread_id: &str) -> &RwLock<FastHashMap<String, ThreadHandle>> {
        // The high half: the maps within a shard use the low bits.
        let hash = self.shard_hasher.hash_one(thread_id);
        let index = usize::try_from((hash >> 32) % SHARDS as u64).unwrap_or(0);
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
        write(&self.user_threads).index(&thread);
        let handle = Arc::new(Mutex::new(thread));
        write(self.shard(&id)).insert(id, handle.clone());
        Ok(handle)
    }

    /// Removes a thread (the caller holds its lock and has marked it
    /// deleted) and unindexes `members`: everyone it was listed for.
    pub(crate) fn remove(&self, thread_id: &str, members: &[String]) -> Result<(), PersistError> {
        if let Some(database) = &self.database {
            database.delete(Table::Threads, thread_id)?;
        }
        write(self.shard(thread_id)).remove(thread_id);
        write(&self.user_threads).remove(thread_id, members);
        Ok(())
    }

    /// Up to `limit` of `user`'s threads, newest activity first, after
    /// `after` (an earlier page's last `(activity, id)`), with activity at or
    /// after `since`: `(activity, id, handle)`, the handle `None` for a
    /// thread deleted since it was listed. Fewer than `limit` means there
    /// are no more.
    pub(crate) fn threads_page(
        &self,
        user: &str,
        after: Option<(u64, String)>,
        since: Option<u64>,
        limit: usize,
    ) -> Vec<(u64, String, Option<ThreadHandle>)> {
        let ids: Vec<(u64, String)> = read(&self.user_threads).page(user, after, since, limit);
        ids.into_iter()
            .map(|(activity, id)| {
                let handle = self.get(&id);
                (activity, id, handle)
            })
            .collect()
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
        *write(&self.user_threads) = UserThreads::default();
        lock(&self.repeatability).clear();
        self.message_json.clear();
    }

    /// Number of threads.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| read(s).len()).sum()
    }
}

/// Each user's threads by last activity, newest first.
#[derive(Debug, Default)]
struct UserThreads {
    by_user: FastHashMap<String, BTreeSet<(Reverse<u64>, String)>>,
    /// What each thread is indexed under: its activity, and how many users
    /// it is listed for (a change of either means indexing it again).
    indexed: FastHashMap<String, (u64, usize)>,
}

impl UserThreads {
    /// Whether `thread` is indexed at its current activity for everyone it
    /// is listed for.
    fn is_current(&self, thread: &ThreadState) -> bool {
        self.indexed.get(&thread.id).copied()
            == Some((thread.activity(), thread.listed_for().count()))
    }

    /// (Re)indexes `thread` for everyone it is listed for, at its current
    /// activity. Cheap when neither changed since the last time.
    fn index(&mut self, thread: &ThreadState) {
        let activity = thread.activity();
        let listed = thread.listed_for().count();
        let previous = self.indexed.get(&thread.id).copied();
        if previous == Some((activity, listed)) {
            return;
        }
        // Every send moves its thread in each member's index: the entries
        // taken out are put back under the new activity with their own
        // strings, and a lookup key is made once, not once per member.
        let old_key = previous.map(|(old, _)| (Reverse(old), thread.id.clone()));
        for user in thread.listed_for() {
            let threads = match self.by_user.get_mut(user.as_str()) {
                Some(threads) => threads,
                None => self.by_user.entry(user.clone()).or_default(),
            };
            let moved = old_key.as_ref().and_then(|key| threads.take(key));
            let entry = match moved {
                Some((_, id)) => (Reverse(activity), id),
                None => (Reverse(activity), thread.id.clone()),
            };
            threads.insert(entry);
        }
        match self.indexed.get_mut(thread.id.as_str()) {
            Some(indexed) => *indexed = (activity, listed),
            None => {
                self.indexed.insert(thread.id.clone(), (activity, listed));
            }
        }
    }

    fn remove(&mut self, thread_id: &str, members: &[String]) {
        let Some((activity, _)) = self.indexed.remove(thread_id) else {
            return;
        };
        let key = (Reverse(activity), thread_id.to_owned());
        for member in members {
            if let Some(threads) = self.by_user.get_mut(member) {
                threads.remove(&key);
                if threads.is_empty() {
                    self.by_user.remove(member);
                }
            }
        }
    }

    fn page(
        &self,
        user: &str,
        after: Option<(u64, String)>,
        since: Option<u64>,
        limit: usize,
    ) -> Vec<(u64, String)> {
        let Some(threads) = self.by_user.get(user) else {
            return Vec::new();
        };
        let start = match after {
            Some((activity, id)) => Bound::Excluded((Reverse(activity), id)),
            None => Bound::Unbounded,
        };
        threads
            .range((start, Bound::Unbounded))
            // Newest first: once one is older than `since`, all the rest are.
            .take_while(|(Reverse(activity), _)| since.is_none_or(|since| *activity >= since))
            .take(limit)
            .map(|(Reverse(activity), id)| (*activity, id.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread(id: &str, creator: &str) -> ThreadState {
        ThreadState::of_one(id, creator)
    }

    /// `u1` sends `text` in `thread` at `at`, and the store saves it.
    fn send_and_save(store: &ChatStore, thread: &mut ThreadState, text: String, at: u64) {
        thread.send_message(
            "u1",
            crate::chat::thread_state::UserMessageKind::Text,
            text,
            None,
            HashMap::new(),
            at,
        );
        store.save(thread).expect("in memory");
    }

    #[test]
    fn insert_index_remove_clear() {
        let store = ChatStore::default();
        store.insert(thread("a", "u1"), None).expect("in memory");
        store.insert(thread("b", "u1"), None).expect("in memory");
        let page = |user: &str| {
            let listed = store.threads_page(user, None, None, 10);
            assert!(listed.iter().all(|(_, _, handle)| handle.is_some()));
            listed.len()
        };
        assert_eq!(page("u1"), 2);
        store.remove("a", &["u1".to_owned()]).expect("in memory");
        assert!(store.get("a").is_none());
        assert_eq!(page("u1"), 1);
        store.clear();
        assert_eq!(store.len(), 0);
    }

    #[test]
    fn a_send_moves_its_thread_first_for_every_member_once() {
        let store = ChatStore::default();
        let older = store
            .insert(thread("older", "u1"), None)
            .expect("in memory");
        let newer = store
            .insert(thread("newer", "u1"), None)
            .expect("in memory");
        {
            let mut older = lock(&older);
            let u2 = crate::chat::thread_state::ParticipantRecord {
                raw_id: "u2".to_owned(),
                display_name: None,
                share_history_time: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
                metadata: HashMap::new(),
            };
            older.add_participants("u1", vec![u2], 1_700_000_000_001);
            store.save(&mut older).expect("in memory");
        }
        let ids = |user: &str| -> Vec<String> {
            let listed = store.threads_page(user, None, None, 10);
            listed.into_iter().map(|(_, id, _)| id).collect()
        };
        send_and_save(
            &store,
            &mut lock(&newer),
            "first".to_owned(),
            1_700_000_000_050,
        );
        assert_eq!(ids("u1"), ["newer", "older"]);
        for i in 0..3 {
            send_and_save(
                &store,
                &mut lock(&older),
                format!("m{i}"),
                1_700_000_000_100 + i,
            );
            assert_eq!(ids("u1"), ["older", "newer"], "after send {i}");
            assert_eq!(ids("u2"), ["older"], "after send {i}");
        }
    }

    #[test]
    fn in_memory_saves_keep_no_list_of_changes() {
        let store = ChatStore::default();
        let handle = store.insert(thread("a", "u1"), None).expect("in memory");
        let mut thread = lock(&handle);
        for i in 0..100 {
            send_and_save(&store, &mut thread, format!("m{i}"), 1_700_000_000_010 + i);
        }
        let stored = thread.unsaved().expect("stored form");
        assert!(stored.header.is_none());
        assert!(stored.messages.is_empty(), "{}", stored.messages.len());
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

//! The JSON of recently answered messages, so that a page listed again and
//! again (every participant polling the newest messages of a thread) is
//! copied out rather than serialized anew.
//!
//! An entry is keyed by the thread's in-memory serial number, the message's
//! version and the answer's [`Shape`]: every change of a message gives it a
//! new version, so an entry never goes stale; it just stops being asked for
//! and ages out. The cache holds at most [`MESSAGE_JSON_CACHE_BYTES`] of
//! JSON in all, least recently used first out, so memory per stored message
//! does not grow with it however many messages are stored.
//!
//! Locking: sixteen shards, a thread's entries all in one (a page takes one
//! shard lock), never held while serializing or while taking another lock.

use std::sync::Mutex;

use bytes::Bytes;
use hashlink::LruCache;

use crate::sync::lock;

use super::wire::Shape;

/// Most bytes of message JSON the cache holds, in all.
pub(crate) const MESSAGE_JSON_CACHE_BYTES: usize = 16 * 1024 * 1024;

const SHARDS: usize = 16;

/// What an entry costs beyond its JSON (key, handle, links and table slot,
/// roughly), so that many tiny entries still respect the budget.
const ENTRY_OVERHEAD: usize = 96;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    thread: u64,
    version: u64,
    shape: Shape,
}

#[derive(Debug)]
struct Shard {
    entries: LruCache<Key, Bytes>,
    bytes: usize,
}

/// Message JSON by thread serial, version and shape (see the module docs).
#[derive(Debug)]
pub(crate) struct MessageJsonCache {
    shards: Vec<Mutex<Shard>>,
    shard_budget: usize,
}

impl Default for MessageJsonCache {
    fn default() -> Self {
        Self::with_budget(MESSAGE_JSON_CACHE_BYTES)
    }
}

impl MessageJsonCache {
    /// A cache holding at most `budget` bytes (JSON plus per-entry cost).
    pub(crate) fn with_budget(budget: usize) -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        entries: LruCache::new_unbounded(),
                        bytes: 0,
                    })
                })
                .collect(),
            shard_budget: budget / SHARDS,
        }
    }

    fn shard(&self, thread: u64) -> &Mutex<Shard> {
        // `thread % SHARDS < SHARDS == self.shards.len()`.
        &self.shards[usize::try_from(thread % SHARDS as u64).unwrap_or(0)]
    }

    /// The cached JSON of each of `versions` of the thread `thread` at
    /// `shape`, in order (`None` where not cached), under one lock.
    pub(crate) fn get_all(
        &self,
        thread: u64,
        shape: Shape,
        versions: impl Iterator<Item = u64>,
    ) -> Vec<Option<Bytes>> {
        let mut shard = lock(self.shard(thread));
        versions
            .map(|version| {
                shard
                    .entries
                    .get(&Key {
                        thread,
                        version,
                        shape,
                    })
                    .cloned()
            })
            .collect()
    }

    /// Caches `(version, json)` of the thread `thread` at `shape`, evicting
    /// the least recently used entries over the budget.
    pub(crate) fn insert_all(&self, thread: u64, shape: Shape, entries: Vec<(u64, Bytes)>) {
        if entries.is_empty() {
            return;
        }
        let mut shard = lock(self.shard(thread));
        for (version, json) in entries {
            let cost = json.len() + ENTRY_OVERHEAD;
            if cost > self.shard_budget {
                continue;
            }
            let key = Key {
                thread,
                version,
                shape,
            };
            if let Some(old) = shard.entries.insert(key, json) {
                shard.bytes -= old.len() + ENTRY_OVERHEAD;
            }
            shard.bytes += cost;
            while shard.bytes > self.shard_budget {
                let Some((_, evicted)) = shard.entries.remove_lru() else {
                    break;
                };
                shard.bytes -= evicted.len() + ENTRY_OVERHEAD;
            }
        }
    }

    /// Forgets everything (the emulator was reset: its threads are gone).
    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            let mut shard = lock(shard);
            shard.entries.clear();
            shard.bytes = 0;
        }
    }

    /// Bytes held (JSON plus per-entry cost), for tests.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.shards.iter().map(|s| lock(s).bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> Shape {
        Shape::of("2025-03-15")
    }

    #[test]
    fn hits_only_the_same_thread_version_and_shape() {
        let cache = MessageJsonCache::default();
        cache.insert_all(
            7,
            shape(),
            vec![(100, Bytes::from_static(b"{\"id\":\"100\"}"))],
        );
        let found = cache.get_all(7, shape(), [100, 101].into_iter());
        assert_eq!(found[0].as_deref(), Some(&b"{\"id\":\"100\"}"[..]));
        assert_eq!(found[1], None);
        assert_eq!(cache.get_all(8, shape(), [100].into_iter()), vec![None]);
        let old_shape = Shape::of("2021-09-07");
        assert_eq!(cache.get_all(7, old_shape, [100].into_iter()), vec![None]);
    }

    #[test]
    fn stays_within_its_budget_evicting_the_least_recently_used() {
        // One shard's share of the budget holds three 100-byte entries.
        let cache = MessageJsonCache::with_budget(SHARDS * 3 * (100 + ENTRY_OVERHEAD));
        let json = Bytes::from(vec![b'x'; 100]);
        cache.insert_all(1, shape(), (1..=3).map(|v| (v, json.clone())).collect());
        // Version 1 is used again, so version 2 is the least recently used.
        assert!(cache.get_all(1, shape(), [1].into_iter())[0].is_some());
        cache.insert_all(1, shape(), vec![(4, json.clone())]);
        let found = cache.get_all(1, shape(), 1..=4);
        let cached: Vec<bool> = found.iter().map(Option::is_some).collect();
        assert_eq!(cached, [true, false, true, true]);
        assert_eq!(cache.bytes(), 3 * (100 + ENTRY_OVERHEAD));
    }

    #[test]
    fn an_entry_larger_than_a_shard_is_not_cached() {
        let cache = MessageJsonCache::with_budget(SHARDS * 200);
        cache.insert_all(1, shape(), vec![(1, Bytes::from(vec![b'x'; 500]))]);
        assert_eq!(cache.get_all(1, shape(), [1].into_iter()), vec![None]);
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn replacing_an_entry_counts_it_once() {
        let cache = MessageJsonCache::default();
        let json = Bytes::from(vec![b'x'; 10]);
        cache.insert_all(1, shape(), vec![(1, json.clone())]);
        cache.insert_all(1, shape(), vec![(1, json)]);
        assert_eq!(cache.bytes(), 10 + ENTRY_OVERHEAD);
        cache.clear();
        assert_eq!(cache.bytes(), 0);
        assert_eq!(cache.get_all(1, shape(), [1].into_iter()), vec![None]);
    }
}

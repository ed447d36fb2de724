//! The hash tables on every request's path (threads by id, a thread's
//! members, verified tokens, users) hash with foldhash rather than the
//! standard library's SipHash: keys here are long (user ids, tokens) and
//! SipHash cost several thousand instructions per request. foldhash is
//! seeded at random per process, which makes collisions hard to choose from
//! outside, though it claims only minimal resistance to such attacks: fine
//! for an emulator, which serves developers and tests, not the internet.

use std::collections::{HashMap, HashSet};

/// What the tables below hash with.
pub(crate) type FastState = foldhash::fast::RandomState;

/// A `HashMap` hashing with [`FastState`].
pub(crate) type FastHashMap<K, V> = HashMap<K, V, FastState>;

/// A `HashSet` hashing with [`FastState`].
pub(crate) type FastHashSet<T> = HashSet<T, FastState>;

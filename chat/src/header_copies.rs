//! Per-thread copies of the header values every request sends (the bearer
//! token, and a user agent naming an application: the default one is
//! static, see `transport::ChatUserAgent`, and needs no copy).
//!
//! Cloning a `HeaderValue` bumps a reference count kept beside its bytes.
//! With one value shared by every request, the cores running requests take
//! turns owning that count's cache line, twice per clone. A thread instead
//! clones its own copy of a value it sends often.
//!
//! A value is known by a key never given to another value ([`new_key`], or
//! [`key_of_text`] for a value that is the same for every client built
//! alike, like a user agent), so a replaced value (a refreshed token) is never mistaken
//! for its successor.
//!
//! A thread remembers its last [`KEPT`] keys, least recently used first out,
//! and copies a value the second time it meets its key among them: a
//! process cycling through more values than that (a bridge acting for many
//! users) makes no copies and pays only the clone it paid before.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderValue;

use crate::sync::lock;

/// Keys remembered per thread: a few clients and credentials per thread are
/// the common case.
const KEPT: usize = 16;

/// Texts given a key by [`key_of_text`] that are remembered: more distinct
/// user agents than this only cost more copies.
const TEXTS_KEPT: usize = 64;

struct Kept {
    key: u64,
    /// Made at the key's second sighting.
    copy: Option<HeaderValue>,
    /// When the value stops being handed out (a token's refresh point).
    until: Option<DateTime<Utc>>,
}

impl Kept {
    fn usable(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

thread_local! {
    static KEPT_HERE: RefCell<Vec<Kept>> = const { RefCell::new(Vec::new()) };
}

/// A key no value had before.
pub(crate) fn new_key() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The key of a value that is the same text wherever it is used (clients
/// built alike send the same user agent, and share its copies).
pub(crate) fn key_of_text(value: &HeaderValue) -> u64 {
    static TEXTS: Mutex<Vec<(HeaderValue, u64)>> = Mutex::new(Vec::new());
    let mut texts = lock(&TEXTS);
    if let Some((_, key)) = texts.iter().find(|(text, _)| text == value) {
        return *key;
    }
    let key = new_key();
    if texts.len() >= TEXTS_KEPT {
        texts.remove(0);
    }
    texts.push((value.clone(), key));
    key
}

/// This thread's copy of the value known by `key`, if it has one usable at
/// `now`.
pub(crate) fn get(key: u64, now: DateTime<Utc>) -> Option<HeaderValue> {
    KEPT_HERE
        .try_with(|kept| {
            let mut kept = kept.try_borrow_mut().ok()?;
            let at = kept.iter().position(|entry| entry.key == key)?;
            let copy = kept[at].copy.clone().filter(|_| kept[at].usable(now))?;
            let entry = kept.remove(at);
            kept.push(entry);
            Some(copy)
        })
        .ok()
        .flatten()
}

/// `value`, known by `key` and usable until `until`, to send from this
/// thread: its copy if the thread has one (made now if this is the second
/// sighting of `key`), else a clone.
///
/// The caller has checked that `value` is usable now.
pub(crate) fn get_or_copy(
    key: u64,
    value: &HeaderValue,
    until: Option<DateTime<Utc>>,
) -> HeaderValue {
    let kept = KEPT_HERE.try_with(|kept| {
        let mut kept = kept.try_borrow_mut().ok()?;
        match kept.iter().position(|entry| entry.key == key) {
            Some(at) => {
                let mut entry = kept.remove(at);
                let copy = entry.copy.get_or_insert_with(|| copy_of(value)).clone();
                kept.push(entry);
                Some(copy)
            }
            None => {
                let now = Utc::now();
                // Expired tokens go first, so that none stays here longer
                // than it could be used.
                kept.retain(|entry| entry.usable(now));
                if kept.len() >= KEPT {
                    kept.remove(0);
                }
                kept.push(Kept {
                    key,
                    copy: None,
                    until,
                });
                None
            }
        }
    });
    kept.ok().flatten().unwrap_or_else(|| value.clone())
}

/// `value` in a buffer of its own, as sensitive as the original.
fn copy_of(value: &HeaderValue) -> HeaderValue {
    match HeaderValue::from_bytes(value.as_bytes()) {
        Ok(mut copy) => {
            copy.set_sensitive(value.is_sensitive());
            copy
        }
        // Cannot happen (the bytes came from a header value); sharing the
        // original is still correct.
        Err(_) => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn buffer(value: &HeaderValue) -> usize {
        value.as_bytes().as_ptr() as usize
    }

    #[test]
    fn a_value_is_copied_at_its_second_sighting_then_its_copy_is_kept() {
        let mut value = HeaderValue::from_str("Bearer abc.def").unwrap();
        value.set_sensitive(true);
        let key = new_key();
        let first = get_or_copy(key, &value, None);
        assert_eq!(buffer(&first), buffer(&value), "a clone the first time");
        assert!(get(key, Utc::now()).is_none());
        let copy = get_or_copy(key, &value, None);
        assert_eq!(copy, value);
        assert!(copy.is_sensitive());
        assert_ne!(buffer(&copy), buffer(&value), "a buffer of its own");
        assert_eq!(buffer(&get_or_copy(key, &value, None)), buffer(&copy));
        assert_eq!(buffer(&get(key, Utc::now()).unwrap()), buffer(&copy));
    }

    #[test]
    fn keys_are_never_reused_and_an_unknown_key_has_no_copy() {
        let (a, b) = (new_key(), new_key());
        assert_ne!(a, b);
        assert!(get(a, Utc::now()).is_none());
        for _ in 0..2 {
            get_or_copy(a, &HeaderValue::from_static("one"), None);
        }
        assert!(get(b, Utc::now()).is_none());
        assert_eq!(get(a, Utc::now()).unwrap(), "one");
    }

    #[test]
    fn equal_texts_share_a_key_and_different_ones_do_not() {
        let agent = HeaderValue::from_static("acs-chat/0.1 acs-chat-rest/0.1");
        let same = HeaderValue::from_str("acs-chat/0.1 acs-chat-rest/0.1").unwrap();
        let other = HeaderValue::from_static("contoso/2 acs-chat/0.1 acs-chat-rest/0.1");
        assert_eq!(key_of_text(&agent), key_of_text(&same));
        assert_ne!(key_of_text(&agent), key_of_text(&other));
    }

    #[test]
    fn a_copy_is_not_handed_out_from_its_deadline_on() {
        let now = Utc::now() + TimeDelta::hours(1);
        let key = new_key();
        for _ in 0..2 {
            get_or_copy(key, &HeaderValue::from_static("t"), Some(now));
        }
        assert!(get(key, now - TimeDelta::seconds(1)).is_some());
        assert!(get(key, now).is_none());
        assert!(get(key, now + TimeDelta::seconds(1)).is_none());
    }

    #[test]
    fn expired_copies_are_dropped_when_a_new_key_comes() {
        let key = new_key();
        let past = Utc::now() - TimeDelta::seconds(1);
        for _ in 0..2 {
            get_or_copy(key, &HeaderValue::from_static("old token"), Some(past));
        }
        get_or_copy(new_key(), &HeaderValue::from_static("next"), None);
        KEPT_HERE.with(|kept| assert!(kept.borrow().iter().all(|entry| entry.key != key)));
    }

    #[test]
    fn the_least_recently_used_key_goes_first() {
        let value = HeaderValue::from_static("v");
        let keys: Vec<u64> = (0..KEPT).map(|_| new_key()).collect();
        for key in &keys {
            for _ in 0..2 {
                get_or_copy(*key, &value, None);
            }
        }
        // The oldest key, used again, outlives the second oldest.
        assert!(get(keys[0], Utc::now()).is_some());
        get_or_copy(new_key(), &value, None);
        KEPT_HERE.with(|kept| assert_eq!(kept.borrow().len(), KEPT));
        assert!(get(keys[0], Utc::now()).is_some());
        assert!(get(keys[1], Utc::now()).is_none());
        assert!(keys[2..].iter().all(|key| get(*key, Utc::now()).is_some()));
    }

    #[test]
    fn cycling_through_more_keys_than_are_kept_makes_no_copies() {
        let values: Vec<(u64, HeaderValue)> = (0..KEPT + 1)
            .map(|i| {
                (
                    new_key(),
                    HeaderValue::from_str(&format!("user {i}")).unwrap(),
                )
            })
            .collect();
        for _ in 0..3 {
            for (key, value) in &values {
                assert_eq!(buffer(&get_or_copy(*key, value, None)), buffer(value));
            }
        }
    }

    #[test]
    fn each_thread_has_its_own_copy() {
        let value = HeaderValue::from_static("shared");
        let key = new_key();
        get_or_copy(key, &value, None);
        let here = buffer(&get_or_copy(key, &value, None));
        let there = std::thread::spawn(move || {
            assert!(get(key, Utc::now()).is_none());
            get_or_copy(key, &value, None);
            buffer(&get_or_copy(key, &value, None))
        })
        .join()
        .unwrap();
        assert_ne!(here, there);
    }
}

//! Per-thread copies of the header values every request sends (the bearer
//! token, the user agent).
//!
//! Cloning a `HeaderValue` bumps a reference count kept beside its bytes.
//! With one value shared by every request, the cores running requests take
//! turns owning that count's cache line, twice per clone: under load on
//! several cores that costs more than the clone itself. Each thread instead
//! clones its own copy, made once per value.
//!
//! A value is known by a key from [`new_key`], never reused, so a replaced
//! value (a refreshed token) is never mistaken for its successor. A thread
//! keeps the copies of its last [`KEPT`] keys.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use reqwest::header::HeaderValue;

/// Copies kept per thread: a few clients and credentials per process are
/// the common case; more only cost a copy now and then.
const KEPT: usize = 8;

struct Copy {
    key: u64,
    value: HeaderValue,
    /// When the copy stops being handed out (a token's refresh point).
    until: Option<DateTime<Utc>>,
}

thread_local! {
    static COPIES: RefCell<Vec<Copy>> = const { RefCell::new(Vec::new()) };
}

/// A key no value had before.
pub(crate) fn new_key() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// This thread's copy of the value known by `key`, if it has one usable at
/// `now`.
pub(crate) fn get(key: u64, now: DateTime<Utc>) -> Option<HeaderValue> {
    COPIES
        .try_with(|copies| {
            let copies = copies.try_borrow().ok()?;
            let copy = copies.iter().find(|copy| copy.key == key)?;
            copy.until
                .is_none_or(|until| now < until)
                .then(|| copy.value.clone())
        })
        .ok()
        .flatten()
}

/// This thread's copy of `value`, known by `key` and usable until `until`:
/// the kept one, or a new one kept from now on. A thread that cannot keep
/// one (it is exiting) gets a clone of `value`.
pub(crate) fn get_or_copy(
    key: u64,
    value: &HeaderValue,
    until: Option<DateTime<Utc>>,
) -> HeaderValue {
    let kept = COPIES.try_with(|copies| {
        let mut copies = copies.try_borrow_mut().ok()?;
        if let Some(copy) = copies.iter().find(|copy| copy.key == key) {
            return Some(copy.value.clone());
        }
        let copy = copy_of(value);
        if copies.len() >= KEPT {
            copies.remove(0);
        }
        copies.push(Copy {
            key,
            value: copy.clone(),
            until,
        });
        Some(copy)
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

    #[test]
    fn a_copy_has_the_same_bytes_in_its_own_buffer() {
        let mut value = HeaderValue::from_str("Bearer abc.def").unwrap();
        value.set_sensitive(true);
        let key = new_key();
        let copy = get_or_copy(key, &value, None);
        assert_eq!(copy, value);
        assert!(copy.is_sensitive());
        assert_ne!(copy.as_bytes().as_ptr(), value.as_bytes().as_ptr());
        // The second time, the kept copy: the same buffer again.
        let again = get_or_copy(key, &value, None);
        assert_eq!(again.as_bytes().as_ptr(), copy.as_bytes().as_ptr());
        assert_eq!(
            get(key, Utc::now()).unwrap().as_bytes().as_ptr(),
            copy.as_bytes().as_ptr()
        );
    }

    #[test]
    fn keys_are_never_reused_and_an_unknown_key_has_no_copy() {
        let (a, b) = (new_key(), new_key());
        assert_ne!(a, b);
        assert!(get(a, Utc::now()).is_none());
        get_or_copy(a, &HeaderValue::from_static("one"), None);
        assert!(get(b, Utc::now()).is_none());
        assert_eq!(get(a, Utc::now()).unwrap(), "one");
    }

    #[test]
    fn a_copy_is_not_handed_out_from_its_deadline_on() {
        let now = Utc::now();
        let key = new_key();
        get_or_copy(key, &HeaderValue::from_static("t"), Some(now));
        assert!(get(key, now - TimeDelta::seconds(1)).is_some());
        assert!(get(key, now).is_none());
        assert!(get(key, now + TimeDelta::seconds(1)).is_none());
    }

    #[test]
    fn a_thread_keeps_its_last_copies_only() {
        let keys: Vec<u64> = (0..KEPT + 3).map(|_| new_key()).collect();
        for (i, key) in keys.iter().enumerate() {
            get_or_copy(*key, &HeaderValue::from_str(&i.to_string()).unwrap(), None);
        }
        COPIES.with(|copies| assert_eq!(copies.borrow().len(), KEPT));
        assert!(keys[..3].iter().all(|key| get(*key, Utc::now()).is_none()));
        for (i, key) in keys.iter().enumerate().skip(3) {
            assert_eq!(get(*key, Utc::now()).unwrap(), i.to_string().as_str());
        }
    }

    #[test]
    fn each_thread_has_its_own_copy() {
        let value = HeaderValue::from_static("shared");
        let key = new_key();
        let here = get_or_copy(key, &value, None).as_bytes().as_ptr() as usize;
        let there = std::thread::spawn(move || {
            assert!(get(key, Utc::now()).is_none());
            get_or_copy(key, &value, None).as_bytes().as_ptr() as usize
        })
        .join()
        .unwrap();
        assert_ne!(here, there);
    }
}

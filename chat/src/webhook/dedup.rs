//! Dropping duplicate deliveries: Event Grid delivers at least once, so the
//! same event id can arrive again (after a timeout, a 5xx, or in a batch
//! retried because another event of it failed).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

/// An error of a deduplication store (e.g. a shared database that is down).
pub type DedupError = Box<dyn std::error::Error + Send + Sync>;

/// What a deduplicator knows of an event id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// Not seen before (or its handling failed): the caller handles it now.
    New,
    /// Already handled: drop this delivery.
    Handled,
    /// Being handled by another delivery right now: answer so that Event
    /// Grid retries later, in case that handling fails.
    InFlight,
}

/// Remembers which event ids were handled, so that a duplicate delivery is
/// handled once. The receiver calls [`claim`](Self::claim) before the
/// handler and [`finish`](Self::finish) after it.
///
/// The default, [`InMemoryDeduplicator`], works per process. Implement this
/// trait over a shared store (Redis, a database) when several instances
/// receive the same subscription.
///
/// ```
/// use acs_chat::webhook::{Claim, DedupError, DeliveryDeduplicator};
/// use futures::future::BoxFuture;
///
/// /// Treats every delivery as new (no deduplication).
/// struct Nothing;
/// impl DeliveryDeduplicator for Nothing {
///     fn claim<'a>(&'a self, _id: &'a str) -> BoxFuture<'a, Result<Claim, DedupError>> {
///         Box::pin(async { Ok(Claim::New) })
///     }
///     fn finish<'a>(&'a self, _id: &'a str, _handled: bool) -> BoxFuture<'a, Result<(), DedupError>> {
///         Box::pin(async { Ok(()) })
///     }
/// }
/// ```
pub trait DeliveryDeduplicator: Send + Sync {
    /// Claims `event_id` for handling.
    fn claim<'a>(&'a self, event_id: &'a str) -> BoxFuture<'a, Result<Claim, DedupError>>;
    /// Ends a claim: `handled` marks the id as handled; `false` releases it
    /// so that a later delivery handles it again.
    fn finish<'a>(
        &'a self,
        event_id: &'a str,
        handled: bool,
    ) -> BoxFuture<'a, Result<(), DedupError>>;
}

#[derive(Clone, Copy)]
enum State {
    InFlight,
    Handled,
}

#[derive(Default)]
struct Seen {
    states: HashMap<String, State>,
    /// Handled ids in the order they were handled, for expiry and the cap.
    order: VecDeque<(Instant, String)>,
}

/// The default deduplicator: event ids handled in this process, kept for a
/// bounded time (default 24 hours, Event Grid's longest retry period) and
/// up to a bounded number (default 100,000), oldest dropped first.
///
/// ```
/// use std::time::Duration;
/// let dedup = acs_chat::webhook::InMemoryDeduplicator::new(Duration::from_secs(3600), 10_000);
/// ```
pub struct InMemoryDeduplicator {
    window: Duration,
    capacity: usize,
    seen: Mutex<Seen>,
}

impl Default for InMemoryDeduplicator {
    fn default() -> Self {
        Self::new(Duration::from_secs(24 * 60 * 60), 100_000)
    }
}

impl std::fmt::Debug for InMemoryDeduplicator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryDeduplicator")
            .field("window", &self.window)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl InMemoryDeduplicator {
    /// Remembers handled ids for `window`, at most `capacity` of them
    /// (at least 1).
    ///
    /// ```
    /// let dedup = acs_chat::webhook::InMemoryDeduplicator::new(std::time::Duration::from_secs(60), 100);
    /// ```
    pub fn new(window: Duration, capacity: usize) -> Self {
        Self {
            window,
            capacity: capacity.max(1),
            seen: Mutex::new(Seen::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        // A panic while holding this lock cannot leave the maps inconsistent
        // beyond a stale entry, so a poisoned lock is still usable.
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn claim_now(&self, event_id: &str, now: Instant) -> Claim {
        let mut seen = self.lock();
        Self::expire(&mut seen, now, self.window);
        match seen.states.get(event_id) {
            Some(State::InFlight) => Claim::InFlight,
            Some(State::Handled) => Claim::Handled,
            None => {
                seen.states.insert(event_id.to_owned(), State::InFlight);
                Claim::New
            }
        }
    }

    fn finish_now(&self, event_id: &str, handled: bool, now: Instant) {
        let mut seen = self.lock();
        if !handled {
            seen.states.remove(event_id);
            return;
        }
        seen.states.insert(event_id.to_owned(), State::Handled);
        seen.order.push_back((now, event_id.to_owned()));
        while seen.order.len() > self.capacity {
            if let Some((_, oldest)) = seen.order.pop_front() {
                Self::forget_if_handled(&mut seen, &oldest);
            }
        }
    }

    fn expire(seen: &mut Seen, now: Instant, window: Duration) {
        while let Some((at, _)) = seen.order.front() {
            if now.saturating_duration_since(*at) < window {
                break;
            }
            if let Some((_, id)) = seen.order.pop_front() {
                Self::forget_if_handled(seen, &id);
            }
        }
    }

    fn forget_if_handled(seen: &mut Seen, id: &str) {
        if matches!(seen.states.get(id), Some(State::Handled)) {
            seen.states.remove(id);
        }
    }
}

impl DeliveryDeduplicator for InMemoryDeduplicator {
    fn claim<'a>(&'a self, event_id: &'a str) -> BoxFuture<'a, Result<Claim, DedupError>> {
        let claim = self.claim_now(event_id, Instant::now());
        Box::pin(async move { Ok(claim) })
    }

    fn finish<'a>(
        &'a self,
        event_id: &'a str,
        handled: bool,
    ) -> BoxFuture<'a, Result<(), DedupError>> {
        self.finish_now(event_id, handled, Instant::now());
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handled_id_is_a_duplicate_and_a_failed_one_is_not() {
        let dedup = InMemoryDeduplicator::new(Duration::from_secs(60), 10);
        let now = Instant::now();
        assert_eq!(dedup.claim_now("a", now), Claim::New);
        assert_eq!(dedup.claim_now("a", now), Claim::InFlight);
        dedup.finish_now("a", true, now);
        assert_eq!(dedup.claim_now("a", now), Claim::Handled);
        assert_eq!(dedup.claim_now("b", now), Claim::New);
        dedup.finish_now("b", false, now);
        assert_eq!(dedup.claim_now("b", now), Claim::New);
    }

    #[test]
    fn ids_expire_after_the_window_and_beyond_the_capacity() {
        let dedup = InMemoryDeduplicator::new(Duration::from_secs(60), 2);
        let start = Instant::now();
        for id in ["a", "b", "c"] {
            assert_eq!(dedup.claim_now(id, start), Claim::New);
            dedup.finish_now(id, true, start);
        }
        // "a" fell out by capacity; "b" and "c" are still known.
        assert_eq!(dedup.claim_now("a", start), Claim::New);
        assert_eq!(dedup.claim_now("c", start), Claim::Handled);
        let later = start + Duration::from_secs(61);
        assert_eq!(dedup.claim_now("c", later), Claim::New);
    }
}

//! What delivery leaves behind for users to inspect: the attempt log and the
//! dead letters, both bounded.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::sync::lock;

/// Most attempts kept in the log (oldest dropped first).
pub const MAX_LOGGED_ATTEMPTS: usize = 10_000;
/// Most dead letters kept (oldest dropped first, counted in `droppedDeadLetters`).
pub const MAX_DEAD_LETTERS: usize = 100_000;

/// One delivery attempt of one request (a batch of events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttempt {
    /// The subscription.
    pub subscription_id: String,
    /// The ids of the events in the request.
    pub event_ids: Vec<uuid::Uuid>,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The endpoint's status, or none when the request failed.
    pub status: Option<u16>,
    /// Why it failed without a status (timeout, connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When the attempt ended (RFC 3339).
    pub at: String,
}

/// An event that will not be delivered, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// The subscription.
    pub subscription_id: String,
    /// The event, in the subscription's schema.
    pub event: serde_json::Value,
    /// Why: `"RejectedByEndpoint"` (400/401/403/413), `"MaxDeliveryAttemptsExceeded"`,
    /// `"TimeToLiveExceeded"` or `"QueueFull"`.
    pub reason: String,
    /// Attempts made.
    pub attempts: u32,
    /// The last answer's status, if any.
    pub last_status: Option<u16>,
    /// When it was dead-lettered (RFC 3339).
    pub dead_lettered_at: String,
}

/// `GET /admin/eventDeliveries` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryReport {
    /// Events published to subscriptions (one per event and subscription).
    pub published: u64,
    /// Events delivered (answered 2xx).
    pub delivered: u64,
    /// Events not yet delivered or dead-lettered.
    pub pending: u64,
    /// Events dead-lettered.
    pub dead_lettered: u64,
    /// Dead letters dropped from the list beyond [`MAX_DEAD_LETTERS`].
    pub dropped_dead_letters: u64,
    /// The latest attempts, oldest first (at most [`MAX_LOGGED_ATTEMPTS`]).
    pub attempts: Vec<DeliveryAttempt>,
}

/// `GET /admin/deadLetters` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetters {
    /// Oldest first.
    pub dead_letters: Vec<DeadLetter>,
}

/// Counters, the log and the dead letters.
#[derive(Debug, Default)]
pub(crate) struct DeliveryRecords {
    pub(crate) published: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) dead_lettered: AtomicU64,
    dropped_dead_letters: AtomicU64,
    attempts: Mutex<VecDeque<DeliveryAttempt>>,
    dead_letters: Mutex<VecDeque<DeadLetter>>,
}

impl DeliveryRecords {
    pub(crate) fn attempt(&self, attempt: DeliveryAttempt) {
        let mut log = lock(&self.attempts);
        if log.len() == MAX_LOGGED_ATTEMPTS {
            log.pop_front();
        }
        log.push_back(attempt);
    }

    pub(crate) fn dead_letter(&self, letter: DeadLetter) {
        self.dead_lettered.fetch_add(1, Ordering::Relaxed);
        let mut letters = lock(&self.dead_letters);
        if letters.len() == MAX_DEAD_LETTERS {
            letters.pop_front();
            self.dropped_dead_letters.fetch_add(1, Ordering::Relaxed);
        }
        letters.push_back(letter);
    }

    /// The report; `pending` is the hub's own count of events in flight
    /// (not a difference of counters that a reset or a race could skew).
    pub(crate) fn report(&self, pending: u64) -> DeliveryReport {
        let published = self.published.load(Ordering::Relaxed);
        let delivered = self.delivered.load(Ordering::Relaxed);
        let dead_lettered = self.dead_lettered.load(Ordering::Relaxed);
        DeliveryReport {
            published,
            delivered,
            pending,
            dead_lettered,
            dropped_dead_letters: self.dropped_dead_letters.load(Ordering::Relaxed),
            attempts: lock(&self.attempts).iter().cloned().collect(),
        }
    }

    pub(crate) fn dead_letters(&self) -> DeadLetters {
        DeadLetters {
            dead_letters: lock(&self.dead_letters).iter().cloned().collect(),
        }
    }

    pub(crate) fn clear(&self) {
        self.published.store(0, Ordering::Relaxed);
        self.delivered.store(0, Ordering::Relaxed);
        self.dead_lettered.store(0, Ordering::Relaxed);
        self.dropped_dead_letters.store(0, Ordering::Relaxed);
        lock(&self.attempts).clear();
        lock(&self.dead_letters).clear();
    }
}

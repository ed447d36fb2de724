//! The service's documented request rates, enforced on demand.
//!
//! Off by default (load tests must not be throttled). With
//! [`RateLimits::service`] (binary: `--rate-limits service`) every Chat and
//! Identity request counts against the rules of the service-limits table
//! (learn.microsoft.com, Azure Communication Services "Service limits",
//! sections Chat and Identity), each a budget of requests in a sliding
//! window, per user, per thread, per user and thread, or per resource. A
//! request over any budget answers 429 `TooManyRequests` with `Retry-After`
//! (whole seconds, rounded up) and `retry-after-ms` (exact): the time until
//! the oldest counted request leaves the window. Refused requests do not
//! count.
//!
//! [`RateLimits::window_scale`] shrinks every window (e.g. 0.01 turns 10 s
//! into 100 ms) so tests can ride through a throttle quickly.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::Method;

use crate::sync::lock;

/// An operation the table names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateLimitedOperation {
    /// `POST /chat/threads`.
    CreateThread,
    /// `DELETE /chat/threads/{id}`.
    DeleteThread,
    /// `PATCH /chat/threads/{id}`.
    UpdateThread,
    /// `GET /chat/threads/{id}` and `GET /chat/threads`.
    GetThread,
    /// `POST .../participants/:add`.
    AddParticipants,
    /// `POST .../participants/:remove`.
    RemoveParticipant,
    /// `GET .../participants`.
    ListParticipants,
    /// `GET .../messages/{id}`.
    GetMessage,
    /// `GET .../messages`.
    ListMessages,
    /// `POST .../messages`, `PATCH` and `DELETE .../messages/{id}`.
    WriteMessage,
    /// `POST .../readReceipts`.
    SendReadReceipt,
    /// `GET .../readReceipts`.
    GetReadReceipts,
    /// `POST .../typing`.
    Typing,
    /// `POST /identities`, `:issueAccessToken`.
    IssueIdentity,
    /// `:revokeAccessTokens`, `DELETE /identities/{id}`.
    RevokeIdentity,
}

/// Whose budget a rule counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scope {
    User,
    Thread,
    UserAndThread,
    Resource,
}

/// One rule: `limit` requests per `window` per `scope`.
#[derive(Debug, Clone, Copy)]
struct Rule {
    operations: &'static [RateLimitedOperation],
    scope: Scope,
    limit: usize,
    window: Duration,
}

const fn rule(
    operations: &'static [RateLimitedOperation],
    scope: Scope,
    limit: usize,
    window_secs: u64,
) -> Rule {
    Rule {
        operations,
        scope,
        limit,
        window: Duration::from_secs(window_secs),
    }
}

use RateLimitedOperation as Op;

/// The service-limits table, as documented.
const SERVICE_RULES: &[Rule] = &[
    rule(&[Op::CreateThread], Scope::User, 10, 10),
    rule(&[Op::CreateThread], Scope::Resource, 3000, 60),
    rule(&[Op::DeleteThread], Scope::User, 10, 10),
    rule(&[Op::UpdateThread], Scope::Thread, 5, 10),
    rule(
        &[Op::AddParticipants, Op::RemoveParticipant],
        Scope::Thread,
        10,
        10,
    ),
    rule(
        &[Op::AddParticipants, Op::RemoveParticipant],
        Scope::Thread,
        30,
        60,
    ),
    rule(&[Op::AddParticipants], Scope::Resource, 3000, 60),
    rule(&[Op::GetThread], Scope::User, 50, 10),
    rule(&[Op::GetMessage], Scope::UserAndThread, 50, 10),
    rule(&[Op::GetMessage], Scope::Thread, 250, 10),
    rule(&[Op::ListMessages], Scope::UserAndThread, 50, 10),
    rule(&[Op::ListMessages], Scope::UserAndThread, 200, 60),
    rule(&[Op::ListMessages], Scope::Thread, 250, 10),
    rule(&[Op::ListMessages], Scope::Thread, 400, 60),
    rule(&[Op::GetReadReceipts], Scope::UserAndThread, 5, 10),
    rule(&[Op::GetReadReceipts], Scope::Thread, 100, 10),
    rule(&[Op::ListParticipants], Scope::UserAndThread, 10, 10),
    rule(&[Op::ListParticipants], Scope::Thread, 250, 10),
    rule(&[Op::WriteMessage], Scope::Thread, 10, 10),
    rule(&[Op::WriteMessage], Scope::Thread, 30, 60),
    rule(&[Op::SendReadReceipt], Scope::UserAndThread, 10, 10),
    rule(&[Op::SendReadReceipt], Scope::UserAndThread, 30, 60),
    rule(&[Op::Typing], Scope::UserAndThread, 5, 10),
    rule(&[Op::Typing], Scope::UserAndThread, 15, 60),
    rule(&[Op::Typing], Scope::Thread, 10, 10),
    rule(&[Op::Typing], Scope::Thread, 30, 60),
    rule(&[Op::IssueIdentity], Scope::Resource, 1000, 30),
    rule(&[Op::RevokeIdentity], Scope::Resource, 500, 30),
];

/// Which request rates the emulator enforces.
///
/// ```
/// use acs_chat_emulator::rate_limits::RateLimits;
///
/// let off = RateLimits::off();
/// let real = RateLimits::service();
/// let fast = RateLimits::service().window_scale(0.01); // 10 s windows last 100 ms
/// assert_ne!(off, real);
/// # let _ = fast;
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    enforced: bool,
    window_scale: f64,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self::off()
    }
}

impl RateLimits {
    /// No rate limits (the default).
    pub fn off() -> Self {
        Self {
            enforced: false,
            window_scale: 1.0,
        }
    }

    /// The service's documented table.
    pub fn service() -> Self {
        Self {
            enforced: true,
            window_scale: 1.0,
        }
    }

    /// Every window multiplied by `scale` (clamped to `0.001..=1000`; a
    /// value that is not a number keeps 1).
    #[must_use]
    pub fn window_scale(mut self, scale: f64) -> Self {
        self.window_scale = if scale.is_nan() {
            1.0
        } else {
            scale.clamp(0.001, 1000.0)
        };
        self
    }

    /// Whether any limit is enforced.
    pub fn is_enforced(&self) -> bool {
        self.enforced
    }
}

/// The counters of every budget, and the mode.
#[derive(Debug, Default)]
pub struct RateLimiter {
    limits: Mutex<RateLimits>,
    /// `limits.is_enforced()`, read by every request without a lock.
    enforced: AtomicBool,
    windows: Mutex<Windows>,
}

#[derive(Debug, Default)]
struct Windows {
    counts: HashMap<(usize, String), VecDeque<Instant>>,
    /// Budgets are pruned when there are more than this many.
    prune_at: usize,
}

/// Budgets kept before idle ones are pruned (bounds memory).
const PRUNE_ABOVE: usize = 10_000;
/// The longest window of the table.
const LONGEST_WINDOW: Duration = Duration::from_secs(60);

impl RateLimiter {
    /// Sets the mode (and forgets every count).
    pub fn set(&self, limits: RateLimits) {
        let mut current = lock(&self.limits);
        *current = limits;
        self.enforced
            .store(limits.is_enforced(), AtomicOrdering::Release);
        drop(current);
        lock(&self.windows).counts.clear();
    }

    /// Whether any limit is enforced now (no lock: every request asks).
    pub fn is_enforced(&self) -> bool {
        self.enforced.load(AtomicOrdering::Acquire)
    }

    /// The mode.
    pub fn limits(&self) -> RateLimits {
        *lock(&self.limits)
    }

    /// Forgets every count.
    pub fn clear(&self) {
        lock(&self.windows).counts.clear();
    }

    /// Counts a request of `operation` by `user` in `thread`, or returns
    /// how long to wait when a budget is spent.
    pub fn check(
        &self,
        operation: RateLimitedOperation,
        user: &str,
        thread: Option<&str>,
    ) -> Result<(), Duration> {
        if !self.is_enforced() {
            return Ok(());
        }
        let limits = self.limits();
        if !limits.enforced {
            return Ok(());
        }
        self.check_at(limits, operation, user, thread, Instant::now())
    }

    fn check_at(
        &self,
        limits: RateLimits,
        operation: RateLimitedOperation,
        user: &str,
        thread: Option<&str>,
        now: Instant,
    ) -> Result<(), Duration> {
        let thread = thread.unwrap_or("");
        let applying: Vec<(usize, &Rule, String, Duration)> = SERVICE_RULES
            .iter()
            .enumerate()
            .filter(|(_, rule)| rule.operations.contains(&operation))
            .map(|(i, rule)| {
                let key = match rule.scope {
                    Scope::User => user.to_owned(),
                    Scope::Thread => thread.to_owned(),
                    Scope::UserAndThread => format!("{user}\n{thread}"),
                    Scope::Resource => String::new(),
                };
                let window = rule.window.mul_f64(limits.window_scale);
                (i, rule, key, window)
            })
            .collect();
        let mut windows = lock(&self.windows);
        let mut wait = Duration::ZERO;
        for (i, rule, key, window) in &applying {
            let Some(times) = windows.counts.get_mut(&(*i, key.clone())) else {
                continue;
            };
            while times
                .front()
                .is_some_and(|t| now.duration_since(*t) >= *window)
            {
                times.pop_front();
            }
            if times.len() >= rule.limit {
                if let Some(oldest) = times.front() {
                    wait = wait.max(*window - now.duration_since(*oldest));
                }
            }
        }
        if !wait.is_zero() {
            return Err(wait);
        }
        if windows.counts.len() > windows.prune_at.max(PRUNE_ABOVE) {
            // Budgets idle for the longest window count nothing any more;
            // if most are busy, prune again only once their number doubled.
            let longest = LONGEST_WINDOW.mul_f64(limits.window_scale);
            windows.counts.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < longest)
            });
            windows.prune_at = windows.counts.len().saturating_mul(2);
        }
        for (i, _, key, _) in applying {
            windows.counts.entry((i, key)).or_default().push_back(now);
        }
        Ok(())
    }
}

/// The table's operation for a Chat request, from its method and path
/// (`/chat/threads/...`), with the thread id when there is one.
pub fn chat_operation<'a>(
    method: &Method,
    path: &'a str,
) -> Option<(RateLimitedOperation, Option<&'a str>)> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let op = match (method, segments.as_slice()) {
        (&Method::POST, ["chat", "threads"]) => (Op::CreateThread, None),
        (&Method::GET, ["chat", "threads"]) => (Op::GetThread, None),
        (m, ["chat", "threads", t]) => match *m {
            Method::GET => (Op::GetThread, Some(*t)),
            Method::PATCH => (Op::UpdateThread, Some(*t)),
            Method::DELETE => (Op::DeleteThread, Some(*t)),
            _ => return None,
        },
        (&Method::POST, ["chat", "threads", t, "messages"]) => (Op::WriteMessage, Some(*t)),
        (&Method::GET, ["chat", "threads", t, "messages"]) => (Op::ListMessages, Some(*t)),
        (m, ["chat", "threads", t, "messages", _]) => match *m {
            Method::GET => (Op::GetMessage, Some(*t)),
            Method::PATCH | Method::DELETE => (Op::WriteMessage, Some(*t)),
            _ => return None,
        },
        (&Method::GET, ["chat", "threads", t, "participants"]) => (Op::ListParticipants, Some(*t)),
        (&Method::POST, ["chat", "threads", t, "participants", ":add"]) => {
            (Op::AddParticipants, Some(*t))
        }
        (&Method::POST, ["chat", "threads", t, "participants", ":remove"]) => {
            (Op::RemoveParticipant, Some(*t))
        }
        (&Method::POST, ["chat", "threads", t, "readReceipts"]) => (Op::SendReadReceipt, Some(*t)),
        (&Method::GET, ["chat", "threads", t, "readReceipts"]) => (Op::GetReadReceipts, Some(*t)),
        (&Method::POST, ["chat", "threads", t, "typing"]) => (Op::Typing, Some(*t)),
        _ => return None,
    };
    Some(op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_refuses_the_next_request_until_the_window_moves() {
        let limiter = RateLimiter::default();
        let limits = RateLimits::service();
        let start = Instant::now();
        for i in 0..10 {
            let at = start + Duration::from_millis(i * 100);
            assert!(limiter
                .check_at(limits, Op::WriteMessage, "u", Some("t"), at)
                .is_ok());
        }
        let wait = limiter
            .check_at(
                limits,
                Op::WriteMessage,
                "u",
                Some("t"),
                start + Duration::from_secs(1),
            )
            .expect_err("the 11th in 10 s");
        assert_eq!(wait, Duration::from_secs(9));
        // Another thread has its own budget.
        assert!(limiter
            .check_at(limits, Op::WriteMessage, "u", Some("other"), start)
            .is_ok());
        // Once the first request leaves the window, one more fits.
        let later = start + Duration::from_secs(10);
        assert!(limiter
            .check_at(limits, Op::WriteMessage, "u", Some("t"), later)
            .is_ok());
        assert!(limiter
            .check_at(limits, Op::WriteMessage, "u", Some("t"), later)
            .is_err());
    }

    #[test]
    fn the_minute_budget_also_counts() {
        let limiter = RateLimiter::default();
        let limits = RateLimits::service();
        let start = Instant::now();
        for i in 0..30 {
            let at = start + Duration::from_millis(i * 1_100);
            assert!(
                limiter
                    .check_at(limits, Op::WriteMessage, "u", Some("t"), at)
                    .is_ok(),
                "request {i}"
            );
        }
        let at = start + Duration::from_secs(34);
        let wait = limiter
            .check_at(limits, Op::WriteMessage, "u", Some("t"), at)
            .expect_err("31st in a minute");
        assert_eq!(wait, Duration::from_secs(26));
    }

    #[test]
    fn scaled_windows_and_off() {
        let limiter = RateLimiter::default();
        let fast = RateLimits::service().window_scale(0.01);
        let start = Instant::now();
        for _ in 0..5 {
            assert!(limiter
                .check_at(fast, Op::Typing, "u", Some("t"), start)
                .is_ok());
        }
        let wait = limiter
            .check_at(fast, Op::Typing, "u", Some("t"), start)
            .expect_err("6th typing in 100 ms");
        assert_eq!(wait, Duration::from_millis(100));
        let off = RateLimiter::default();
        for _ in 0..1000 {
            assert!(off.check(Op::Typing, "u", Some("t")).is_ok());
        }
    }

    #[test]
    fn idle_budgets_are_pruned() {
        let limiter = RateLimiter::default();
        let limits = RateLimits::service();
        let start = Instant::now();
        // One budget per thread (update thread: per thread only).
        for i in 0..=PRUNE_ABOVE {
            let thread = format!("old{i}");
            assert!(limiter
                .check_at(limits, Op::UpdateThread, "u", Some(&thread), start)
                .is_ok());
        }
        // All busy when pruned: kept, and the next pruning waits for twice
        // as many. A minute later they are idle and go at that pruning.
        let later = start + Duration::from_secs(61);
        let mut pruned_to = None;
        for i in 0..=2 * PRUNE_ABOVE + 2 {
            let thread = format!("new{i}");
            assert!(limiter
                .check_at(limits, Op::UpdateThread, "u", Some(&thread), later)
                .is_ok());
            let budgets = lock(&limiter.windows).counts.len();
            if budgets <= i + 1 {
                pruned_to = Some(budgets);
                break;
            }
        }
        assert!(pruned_to.is_some(), "the idle budgets were never pruned");
    }

    #[test]
    fn operations_from_paths() {
        let t = Some("19:a@thread.v2");
        assert_eq!(
            chat_operation(&Method::POST, "/chat/threads/19:a@thread.v2/messages"),
            Some((Op::WriteMessage, t))
        );
        assert_eq!(
            chat_operation(&Method::DELETE, "/chat/threads/19:a@thread.v2/messages/1"),
            Some((Op::WriteMessage, t))
        );
        assert_eq!(
            chat_operation(
                &Method::POST,
                "/chat/threads/19:a@thread.v2/participants/:add"
            ),
            Some((Op::AddParticipants, t))
        );
        assert_eq!(
            chat_operation(&Method::GET, "/chat/threads"),
            Some((Op::GetThread, None))
        );
        assert_eq!(chat_operation(&Method::PUT, "/chat/threads/x"), None);
    }
}

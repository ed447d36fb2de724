//! Delivery, off the request path: one dispatcher task per subscription
//! drains its queue into requests of up to `maxEventsPerBatch` events, each
//! sent (and retried on Event Grid's schedule) in its own task, at most
//! [`EventDeliveryOptions::max_concurrent_deliveries`] at a time.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::envelope::{render_batch, render_one, PendingEvent};
use super::records::{DeadLetter, DeliveryAttempt, DeliveryRecords};
use super::subscription::{short, Subscription};

/// Event Grid's retry schedule: the wait before attempts 2, 3, ...; after
/// the listed ones, every 12 hours.
pub const RETRY_SCHEDULE_SECONDS: [u64; 9] = [10, 30, 60, 300, 600, 1800, 3600, 10_800, 21_600];
const LATER_RETRY_SECONDS: u64 = 43_200;

/// How the emulator delivers events.
///
/// ```
/// use std::time::Duration;
/// let options = acs_chat_emulator::events::EventDeliveryOptions {
///     retry_time_scale: 0.001, // 10 s → 10 ms
///     ..Default::default()
/// };
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EventDeliveryOptions {
    /// Multiplies every retry wait and the time to live (1.0: Event Grid's
    /// real schedule; 0.001 turns 10 s into 10 ms, for tests). Must be
    /// finite and greater than 0.
    pub retry_time_scale: f64,
    /// Most attempts per event (Event Grid's default 30).
    pub max_attempts: u32,
    /// Longest time an event is retried, before scaling (Event Grid's
    /// default 1440 minutes).
    pub time_to_live: Duration,
    /// How long one request may take before it counts as failed.
    pub request_timeout: Duration,
    /// Most events waiting for delivery, over all subscriptions; beyond it,
    /// new events are dead-lettered with reason `QueueFull`.
    pub queue_capacity: usize,
    /// Most requests in flight per subscription (default 16). Events that
    /// arrive meanwhile wait and go out together, up to the subscription's
    /// `maxEventsPerBatch`.
    pub max_concurrent_deliveries: usize,
    /// For subscriptions with `maxEventsPerBatch` above 1: how long a
    /// request waits for more events to fill its batch (default 5 ms).
    /// Event Grid batches on a best-effort basis too.
    pub batch_linger: Duration,
}

impl Default for EventDeliveryOptions {
    fn default() -> Self {
        Self {
            retry_time_scale: 1.0,
            max_attempts: 30,
            time_to_live: Duration::from_secs(1440 * 60),
            request_timeout: Duration::from_secs(30),
            queue_capacity: 100_000,
            max_concurrent_deliveries: 16,
            batch_linger: Duration::from_millis(5),
        }
    }
}

impl EventDeliveryOptions {
    /// Checks the values; `Err` names the bad one.
    ///
    /// ```
    /// let mut options = acs_chat_emulator::events::EventDeliveryOptions::default();
    /// options.retry_time_scale = f64::NAN;
    /// assert!(options.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), String> {
        if !(self.retry_time_scale.is_finite()
            && self.retry_time_scale > 0.0
            && self.retry_time_scale <= 1000.0)
        {
            return Err("retry_time_scale must be greater than 0 and at most 1000".into());
        }
        if self.max_attempts == 0 || self.max_attempts > 30 {
            return Err("max_attempts must be between 1 and 30".into());
        }
        if self.queue_capacity == 0 || self.max_concurrent_deliveries == 0 {
            return Err("queue_capacity and max_concurrent_deliveries must be at least 1".into());
        }
        Ok(())
    }

    /// The wait after failed attempt `attempt` (1-based), scaled.
    fn retry_delay(&self, attempt: u32) -> Duration {
        let index = attempt.saturating_sub(1) as usize;
        let seconds = RETRY_SCHEDULE_SECONDS
            .get(index)
            .copied()
            .unwrap_or(LATER_RETRY_SECONDS);
        scale(Duration::from_secs(seconds), self.retry_time_scale)
    }
}

fn scale(duration: Duration, factor: f64) -> Duration {
    // validate() keeps the factor finite and positive; the product of at
    // most 1000 and a day fits, and a failure still cannot panic here.
    Duration::try_from_secs_f64(duration.as_secs_f64() * factor).unwrap_or(Duration::MAX)
}

/// What every delivery task shares.
#[derive(Debug)]
pub(crate) struct DeliveryContext {
    pub(crate) options: EventDeliveryOptions,
    pub(crate) client: reqwest::Client,
    pub(crate) records: Arc<DeliveryRecords>,
    /// Events accepted and neither delivered nor dead-lettered.
    pub(crate) pending: AtomicUsize,
    /// Set on shutdown: tasks stop before their next attempt.
    pub(crate) closed: AtomicBool,
    /// Bumped by a reset: deliveries of an older generation stop before
    /// their next attempt and are forgotten.
    pub(crate) generation: AtomicU64,
}

impl DeliveryContext {
    fn finish(&self, count: usize) {
        self.pending.fetch_sub(count, Ordering::AcqRel);
    }

    /// Dead-letters an event after `attempts` requests (0: it never got
    /// one), the last answered `last_status`.
    pub(crate) fn dead_letter(
        &self,
        subscription: &Subscription,
        event: &PendingEvent,
        reason: &str,
        attempts: u32,
        last_status: Option<u16>,
    ) {
        self.records.dead_letter(DeadLetter {
            subscription_id: subscription.id.clone(),
            event: render_one(event, subscription.schema),
            reason: reason.into(),
            attempts,
            last_status,
            dead_lettered_at: now(),
        });
    }
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Drains a subscription's queue until the hub drops its sender. A request
/// is only formed once a delivery slot is free, so that events queue up
/// meanwhile and go out in batches of up to `maxEventsPerBatch`.
pub(crate) async fn dispatch(
    subscription: Arc<Subscription>,
    mut queue: mpsc::Receiver<Arc<PendingEvent>>,
    context: Arc<DeliveryContext>,
) {
    let permits = Arc::new(Semaphore::new(context.options.max_concurrent_deliveries));
    loop {
        // The first event, then a free slot: an idle dispatcher holds no
        // slot, so retries sleeping without one always get one back.
        let Some(first) = queue.recv().await else {
            return;
        };
        // Never closed: the semaphore lives as long as this loop.
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            return;
        };
        let mut batch = vec![first];
        if queue.len() + 1 < subscription.max_events_per_batch {
            // Not enough for a full batch yet: wait once for more, rather
            // than wake up for every event queued meanwhile.
            tokio::time::sleep(context.options.batch_linger).await;
        }
        while batch.len() < subscription.max_events_per_batch {
            match queue.try_recv() {
                Ok(event) => batch.push(event),
                Err(_) => break,
            }
        }
        tokio::spawn(deliver(
            Arc::clone(&subscription),
            batch,
            Arc::clone(&context),
            Arc::clone(&permits),
            permit,
        ));
    }
}

/// Answers Event Grid does not retry.
fn is_final_rejection(status: u16) -> bool {
    matches!(status, 400 | 401 | 403 | 413)
}

/// Sends one batch until it is delivered or dead-lettered. `first_permit`
/// is the slot the dispatcher took for the first attempt; retries wait
/// without a slot and take a new one.
async fn deliver(
    subscription: Arc<Subscription>,
    batch: Vec<Arc<PendingEvent>>,
    context: Arc<DeliveryContext>,
    permits: Arc<Semaphore>,
    first_permit: OwnedSemaphorePermit,
) {
    let mut permit = Some(first_permit);
    let generation = context.generation.load(Ordering::Acquire);
    let (content_type, body) = render_batch(&batch, subscription.schema);
    let event_ids: Vec<uuid::Uuid> = batch.iter().map(|e| e.id).collect();
    let started = Instant::now();
    let time_to_live = scale(
        context.options.time_to_live,
        context.options.retry_time_scale,
    );
    let mut attempt: u32 = 1;
    loop {
        if context.closed.load(Ordering::Acquire) {
            return;
        }
        if context.generation.load(Ordering::Acquire) != generation {
            // Reset since: forgotten, not delivered or dead-lettered.
            context.finish(batch.len());
            return;
        }
        let outcome = {
            let _slot = match permit.take() {
                Some(slot) => slot,
                // Never closed: the dispatcher's loop holds the semaphore.
                None => match Arc::clone(&permits).acquire_owned().await {
                    Ok(slot) => slot,
                    Err(_) => return,
                },
            };
            context
                .client
                .post(subscription.url.clone())
                .headers(subscription.headers.clone())
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .header("aeg-event-type", "Notification")
                .header("aeg-subscription-name", subscription.id.as_str())
                .header("aeg-delivery-count", (attempt - 1).to_string())
                .header("aeg-data-version", "1.0")
                .header("aeg-metadata-version", "1")
                .body(body.clone())
                .timeout(context.options.request_timeout)
                .send()
                .await
        };
        let (status, error) = match &outcome {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(err) => (None, Some(short(err).to_owned())),
        };
        context.records.attempt(DeliveryAttempt {
            subscription_id: subscription.id.clone(),
            event_ids: event_ids.clone(),
            attempt,
            status,
            error,
            at: now(),
        });
        let reason = match status {
            Some(code) if (200..300).contains(&code) => {
                context
                    .records
                    .delivered
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                context.finish(batch.len());
                return;
            }
            Some(code) if is_final_rejection(code) => Some("RejectedByEndpoint"),
            _ if attempt >= context.options.max_attempts => Some("MaxDeliveryAttemptsExceeded"),
            _ => {
                let delay = context.options.retry_delay(attempt);
                if started.elapsed().saturating_add(delay) > time_to_live {
                    Some("TimeToLiveExceeded")
                } else {
                    tokio::time::sleep(delay).await;
                    None
                }
            }
        };
        if let Some(reason) = reason {
            for event in &batch {
                context.dead_letter(&subscription, event, reason, attempt, status);
            }
            context.finish(batch.len());
            return;
        }
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_event_grids_scaled() {
        let options = EventDeliveryOptions {
            retry_time_scale: 0.001,
            ..Default::default()
        };
        assert_eq!(options.retry_delay(1), Duration::from_millis(10));
        assert_eq!(options.retry_delay(2), Duration::from_millis(30));
        assert_eq!(options.retry_delay(3), Duration::from_millis(60));
        assert_eq!(options.retry_delay(4), Duration::from_millis(300));
        assert_eq!(options.retry_delay(20), Duration::from_millis(43_200));
    }

    #[test]
    fn final_rejections_are_not_retried() {
        for status in [400, 401, 403, 413] {
            assert!(is_final_rejection(status));
        }
        for status in [404, 408, 429, 500, 503] {
            assert!(!is_final_rejection(status));
        }
    }
}

//! Chat events, emitted like the service emits them through Event Grid:
//! subscriptions to webhooks, fan-out per the service's chat events
//! documentation, at-least-once delivery off the request path with Event
//! Grid's retry schedule, dead letters and an attempt log.
//!
//! # Subscriptions
//!
//! Created with `POST /admin/eventSubscriptions` (body:
//! [`NewEventSubscription`]), [`crate::EmulatorBuilder::event_subscription`]
//! or `--event-subscription URL`. Creating one first performs the
//! validation handshake of its schema, as Event Grid does: the Event Grid
//! schema's `SubscriptionValidationEvent` (the endpoint must answer 200 with
//! the `validationResponse`), or the CloudEvents `OPTIONS` abuse-protection
//! request (the endpoint must allow origin `eventgrid.azure.net`). If the
//! endpoint does not answer it, the subscription is refused (400).
//!
//! | route | effect |
//! | --- | --- |
//! | `POST /admin/eventSubscriptions` | 201 [`EventSubscriptionInfo`]; 400 if invalid or the handshake fails |
//! | `GET /admin/eventSubscriptions` | 200 `{"value": [EventSubscriptionInfo]}` (secrets masked) |
//! | `DELETE /admin/eventSubscriptions/{id}` | 204, or 404 |
//! | `GET /admin/eventDeliveries` | 200 [`DeliveryReport`]: counters and the latest attempts (event ids, subscription, attempt, status) |
//! | `GET /admin/deadLetters` | 200 [`DeadLetters`]: events with the reason and attempt count |
//!
//! # Delivery
//!
//! A chat request never waits for a webhook: events go to a bounded queue
//! and are delivered by background tasks. Answers 200–299 count as
//! delivered; 400, 401, 403 and 413 are dead-lettered at once; anything
//! else (other statuses, timeouts, connection errors) is retried after 10 s,
//! 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, 3 h, 6 h, then every 12 h, up
//! to 30 attempts or 24 hours, all multiplied by
//! [`EventDeliveryOptions::retry_time_scale`]. When the queue is full, new
//! events are dead-lettered with reason `QueueFull`: never dropped silently.
//! `POST /admin/reset` removes subscriptions, dead letters and the log.

mod admin;
mod delivery;
mod envelope;
mod json_text;
mod records;
mod subscription;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use tokio::sync::mpsc;

pub(crate) use admin::router;
pub use delivery::{EventDeliveryOptions, RETRY_SCHEDULE_SECONDS};
pub(crate) use envelope::PendingEvent;
pub(crate) use json_text::{JsonObject, JsonText};
pub use records::{
    DeadLetter, DeadLetters, DeliveryAttempt, DeliveryReport, MAX_DEAD_LETTERS, MAX_LOGGED_ATTEMPTS,
};
pub use subscription::{
    DeliveryAttribute, DeliverySchema, EventSubscriptionInfo, NewEventSubscription,
    MAX_EVENTS_PER_BATCH,
};

use delivery::{dispatch, DeliveryContext};
use records::DeliveryRecords;
use subscription::{validate_endpoint, Subscription};

use crate::persist::{Database, PersistError, Table};
use crate::sync::{read, write};

struct Slot {
    subscription: Arc<Subscription>,
    queue: mpsc::Sender<Arc<PendingEvent>>,
}

/// The emulator's event subscriptions and their deliveries.
pub struct EventHub {
    context: Arc<DeliveryContext>,
    topic: Arc<str>,
    /// The topic as a JSON string, escaped once for every event.
    topic_json: JsonText,
    slots: RwLock<Vec<Slot>>,
    /// Whether any subscription exists: chat requests skip building events
    /// when none does.
    active: AtomicBool,
    next_id: AtomicU64,
    database: Option<Arc<Database>>,
}

impl std::fmt::Debug for EventHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventHub")
            .field("subscriptions", &read(&self.slots).len())
            .finish_non_exhaustive()
    }
}

impl EventHub {
    /// A hub with no subscriptions, whose events name `resource_id` in
    /// their topic.
    pub(crate) fn new(
        options: EventDeliveryOptions,
        resource_id: &str,
        database: Option<Arc<Database>>,
    ) -> Result<Self, String> {
        options.validate()?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| format!("cannot build the delivery client: {e}"))?;
        let topic = format!(
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/acs-emulator/providers/Microsoft.Communication/communicationServices/{resource_id}"
        );
        Ok(Self {
            topic_json: JsonText::string(&topic),
            topic: topic.into(),
            context: Arc::new(DeliveryContext {
                options,
                client,
                records: Arc::new(DeliveryRecords::default()),
                pending: Default::default(),
                closed: AtomicBool::new(false),
                generation: AtomicU64::new(0),
            }),
            slots: RwLock::new(Vec::new()),
            active: AtomicBool::new(false),
            next_id: AtomicU64::new(1),
            database,
        })
    }

    /// Starts delivering to the subscriptions stored in the database (they
    /// passed their validation handshake when they were made), keeping
    /// their ids.
    pub(crate) fn restore(&self) -> Result<Vec<NewEventSubscription>, PersistError> {
        let mut restored = Vec::new();
        let Some(database) = &self.database else {
            return Ok(restored);
        };
        for (id, json) in database.all(Table::Subscriptions)? {
            let unusable = |reason: String| PersistError::Unusable {
                path: database.path().to_owned(),
                reason: format!("event subscription {id}: {reason}"),
            };
            let new: NewEventSubscription =
                serde_json::from_str(&json).map_err(|e| unusable(e.to_string()))?;
            let number = id
                .strip_prefix("sub-")
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
            self.next_id
                .fetch_max(number.saturating_add(1), Ordering::AcqRel);
            let subscription =
                Arc::new(Subscription::new(id.clone(), new.clone()).map_err(unusable)?);
            self.start(subscription);
            restored.push(new);
        }
        Ok(restored)
    }

    fn start(&self, subscription: Arc<Subscription>) {
        let (queue, receiver) = mpsc::channel(self.context.options.queue_capacity);
        tokio::spawn(dispatch(
            Arc::clone(&subscription),
            receiver,
            Arc::clone(&self.context),
        ));
        write(&self.slots).push(Slot {
            subscription,
            queue,
        });
        self.active.store(true, Ordering::Release);
    }

    /// The `topic` (Event Grid) / `source` (CloudEvents) of every event.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The topic as a JSON string, shared by the events of one hub.
    pub(crate) fn topic_json(&self) -> JsonText {
        self.topic_json.clone()
    }

    /// Whether any subscription exists.
    pub(crate) fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// Validates `new` (handshake included) and starts delivering to it.
    pub async fn subscribe(
        &self,
        new: NewEventSubscription,
    ) -> Result<EventSubscriptionInfo, String> {
        let id = format!("sub-{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let stored = serde_json::to_string(&new).map_err(|e| e.to_string())?;
        let subscription = Arc::new(Subscription::new(id.clone(), new)?);
        validate_endpoint(&self.context.client, &subscription, &self.topic).await?;
        if let Some(database) = &self.database {
            database
                .put(Table::Subscriptions, &id, &stored)
                .map_err(|e| format!("the subscription could not be stored: {e}"))?;
        }
        let info = subscription.info();
        self.start(subscription);
        Ok(info)
    }

    /// Removes a subscription (events already queued are still delivered).
    pub fn unsubscribe(&self, id: &str) -> Result<bool, PersistError> {
        // Stored first: a removal that was not stored does not happen.
        if let Some(database) = &self.database {
            database.delete(Table::Subscriptions, id)?;
        }
        let mut slots = write(&self.slots);
        let before = slots.len();
        slots.retain(|slot| slot.subscription.id != id);
        self.active.store(!slots.is_empty(), Ordering::Release);
        Ok(slots.len() != before)
    }

    /// Every subscription, secrets masked.
    pub fn subscriptions(&self) -> Vec<EventSubscriptionInfo> {
        read(&self.slots)
            .iter()
            .map(|slot| slot.subscription.info())
            .collect()
    }

    /// Events published and neither delivered nor dead-lettered yet.
    pub fn pending_events(&self) -> u64 {
        self.context.pending.load(Ordering::Acquire) as u64
    }

    /// Counters and the latest delivery attempts.
    pub fn delivery_report(&self) -> DeliveryReport {
        self.context
            .records
            .report(self.context.pending.load(Ordering::Acquire) as u64)
    }

    /// Events that will not be delivered.
    pub fn dead_letters(&self) -> DeadLetters {
        self.context.records.dead_letters()
    }

    /// Removes every subscription and forgets the log and dead letters.
    pub fn clear(&self) {
        self.context.generation.fetch_add(1, Ordering::AcqRel);
        write(&self.slots).clear();
        self.active.store(false, Ordering::Release);
        self.context.records.clear();
    }

    /// Stops delivering: tasks end before their next attempt.
    pub(crate) fn close(&self) {
        self.context.closed.store(true, Ordering::Release);
        write(&self.slots).clear();
        self.active.store(false, Ordering::Release);
    }

    /// Queues the events of one chat action for every subscription that
    /// wants them. Never blocks: a full queue dead-letters.
    pub(crate) fn publish(&self, events: Vec<PendingEvent>) {
        if events.is_empty() {
            return;
        }
        let events: Vec<Arc<PendingEvent>> = events.into_iter().map(Arc::new).collect();
        let slots = read(&self.slots);
        let capacity = self.context.options.queue_capacity;
        for slot in slots.iter() {
            for event in &events {
                if !slot.subscription.wants(event.event_type) {
                    continue;
                }
                self.context
                    .records
                    .published
                    .fetch_add(1, Ordering::Relaxed);
                let accepted = self
                    .context
                    .pending
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                        (n < capacity).then_some(n + 1)
                    })
                    .is_ok();
                if !accepted {
                    self.context
                        .dead_letter(&slot.subscription, event, "QueueFull", 0, None);
                    continue;
                }
                if slot.queue.try_send(Arc::clone(event)).is_err() {
                    self.context.pending.fetch_sub(1, Ordering::AcqRel);
                    self.context
                        .dead_letter(&slot.subscription, event, "QueueFull", 0, None);
                }
            }
        }
    }
}

//! One chat thread: properties, participants, messages, read receipts, and
//! the operations on them. Always used under the thread's own lock (see
//! [`super::store`]); nothing here blocks or awaits.
//!
//! Messages live in a [`ChunkedVec`] indexed by sequence id − 1. Ids come from the
//! thread's [`MessageClock`] while the lock is held, so ids and sequence ids
//! increase together and creation times never decrease: lookups by id and
//! by time are binary searches, and a page of messages costs
//! O(page + log n).

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use acs_chat_rest::types::{ChatMessageType, ChatRetentionPolicy};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::hashing::FastHashSet;

use super::chunked::ChunkedVec;
use super::ids::MessageClock;
use super::version_index::VersionIndex;

/// A participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ParticipantRecord {
    /// Communication user id (`8:acs:...`).
    pub(crate) raw_id: String,
    /// Display name, if one was given.
    pub(crate) display_name: Option<String>,
    /// Whole seconds; the Unix epoch when none was given (as the service).
    pub(crate) share_history_time: DateTime<Utc>,
    /// Participant metadata.
    pub(crate) metadata: HashMap<String, String>,
}

/// What a message holds, by type. System messages, few, are boxed so that
/// the many user messages stay small (their stored JSON is the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum MessageBody {
    /// `text` or `html`: the content (`None` once deleted).
    User {
        /// `text` or `html`.
        kind: UserMessageKind,
        /// The content.
        content: Option<Box<str>>,
    },
    /// `participantAdded` / `participantRemoved`.
    Participants(Box<ParticipantsChange>),
    /// `topicUpdated`.
    Topic(Box<TopicChange>),
}

/// The type of a message a user sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum UserMessageKind {
    /// `text`
    Text,
    /// `html`
    Html,
}

impl From<UserMessageKind> for ChatMessageType {
    fn from(kind: UserMessageKind) -> Self {
        match kind {
            UserMessageKind::Text => Self::Text,
            UserMessageKind::Html => Self::Html,
        }
    }
}

/// The body of `participantAdded` / `participantRemoved`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ParticipantsChange {
    /// `true` for added, `false` for removed.
    pub(crate) added: bool,
    /// Who did it.
    pub(crate) initiator: String,
    /// Who was added or removed.
    pub(crate) participants: Vec<ParticipantRecord>,
}

/// The body of `topicUpdated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TopicChange {
    /// Who did it.
    pub(crate) initiator: String,
    /// The new topic.
    pub(crate) topic: String,
}

/// A message's metadata: most messages have none, and an empty map would
/// still take 48 bytes in each. Stored as a map (`{}` when empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
// The box is the point: 8 bytes in every message instead of an empty map's
// 48; the allocation is made only for the few messages with metadata.
#[allow(clippy::box_collection)]
pub(crate) struct MessageMetadata(Option<Box<HashMap<String, String>>>);

impl MessageMetadata {
    /// The metadata `map`.
    pub(crate) fn new(map: HashMap<String, String>) -> Self {
        Self((!map.is_empty()).then(|| Box::new(map)))
    }

    /// A copy, as a map.
    pub(crate) fn to_map(&self) -> HashMap<String, String> {
        self.0.as_deref().cloned().unwrap_or_default()
    }
}

impl Serialize for MessageMetadata {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Some(map) => map.serialize(serializer),
            None => serializer.collect_map(std::iter::empty::<(&str, &str)>()),
        }
    }
}

impl<'de> Deserialize<'de> for MessageMetadata {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        HashMap::deserialize(deserializer).map(Self::new)
    }
}

/// The names a thread's messages carry (senders, display names), each held
/// once however many messages carry it.
#[derive(Debug, Default)]
struct Names(FastHashSet<Arc<str>>);

impl Names {
    fn intern(&mut self, name: &str) -> Arc<str> {
        if let Some(known) = self.0.get(name) {
            return known.clone();
        }
        let name: Arc<str> = Arc::from(name);
        self.0.insert(name.clone());
        name
    }
}

/// A message. Kept small: a thread may hold hundreds of thousands (112
/// bytes here, plus the content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MessageRecord {
    /// Id: epoch milliseconds (ahead of the clock only during bursts of
    /// more than one message per millisecond in one thread).
    pub(crate) id: u64,
    /// Creation time, epoch milliseconds (never decreasing in a thread).
    pub(crate) created_at: u64,
    /// 1-based position in the thread.
    pub(crate) sequence_id: u64,
    /// Equal to `id` until edited.
    pub(crate) version: u64,
    /// Sender of a user message.
    pub(crate) sender: Option<Arc<str>>,
    /// Sender display name of a user message (`""` when none was given).
    pub(crate) sender_display_name: Option<Arc<str>>,
    /// Content.
    pub(crate) body: MessageBody,
    /// Message metadata.
    pub(crate) metadata: MessageMetadata,
    /// Last edit, epoch milliseconds.
    #[serde(default, deserialize_with = "stored_millis")]
    pub(crate) edited_at: Option<NonZeroU64>,
    /// Deletion, epoch milliseconds.
    #[serde(default, deserialize_with = "stored_millis")]
    pub(crate) deleted_at: Option<NonZeroU64>,
}

impl MessageRecord {
    /// The wire type of the message.
    pub(crate) fn kind(&self) -> ChatMessageType {
        match &self.body {
            MessageBody::User { kind, .. } => (*kind).into(),
            MessageBody::Participants(change) if change.added => ChatMessageType::ParticipantAdded,
            MessageBody::Participants(_) => ChatMessageType::ParticipantRemoved,
            MessageBody::Topic(_) => ChatMessageType::TopicUpdated,
        }
    }
}

/// The latest read receipt of one participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ReceiptRecord {
    /// Who read.
    pub(crate) reader: String,
    /// The message read.
    pub(crate) message_id: u64,
    /// Its sequence id (receipts only move forward).
    pub(crate) sequence_id: u64,
    /// When, epoch milliseconds.
    pub(crate) read_at: u64,
}

/// Why a message edit or deletion was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MessageError {
    /// No such message.
    NotFound,
    /// Not the caller's message (or a system message).
    NotSender,
}

/// A chat thread.
#[derive(Debug)]
pub(crate) struct ThreadState {
    /// Thread id.
    pub(crate) id: String,
    /// Unique in this process among threads in memory, new for a thread
    /// restored from the database: keys the thread's cached message JSON.
    pub(crate) serial: u64,
    /// Topic.
    pub(crate) topic: String,
    /// Creation time, epoch milliseconds.
    pub(crate) created_at: u64,
    /// The creator's user id.
    pub(crate) created_by: String,
    /// Thread metadata.
    pub(crate) metadata: HashMap<String, String>,
    /// Retention policy, stored and returned (never enforced).
    pub(crate) retention_policy: Option<ChatRetentionPolicy>,
    /// Set once deleted: holders of a stale handle then see 404.
    pub(crate) deleted: bool,
    participants: Vec<ParticipantRecord>,
    members: FastHashSet<String>,
    /// Removed participants: the thread stays in their thread list.
    former_members: HashSet<String>,
    messages: ChunkedVec<MessageRecord>,
    /// Senders and display names of `messages`.
    names: Names,
    receipts: Vec<ReceiptRecord>,
    clock: MessageClock,
    /// Message indexes by version: the list order.
    by_version: VersionIndex,
    /// Indexes of messages changed since the last [`ThreadState::unsaved`].
    unsaved: Vec<usize>,
    /// Whether anything but messages changed since then (a send changes
    /// only its message: the clock is recomputed from the messages on
    /// restore).
    header_changed: bool,
}

/// A time of an edit or deletion: never the epoch itself (a clock there is
/// a millisecond later), so that `Option` of it takes no more room.
fn nonzero_millis(millis: u64) -> NonZeroU64 {
    NonZeroU64::new(millis).unwrap_or(NonZeroU64::MIN)
}

/// An edit or deletion time as stored: a 0 (which [`nonzero_millis`] never
/// writes, but a database from before it might hold) reads as the epoch's
/// first millisecond rather than failing the whole thread.
fn stored_millis<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<NonZeroU64>, D::Error> {
    Ok(Option::<u64>::deserialize(deserializer)?.map(nonzero_millis))
}

/// The next [`ThreadState::serial`].
fn next_serial() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Everything of a thread but its messages, as stored with `--data-dir`.
#[derive(Serialize, Deserialize)]
struct StoredHeader {
    id: String,
    topic: String,
    created_at: u64,
    created_by: String,
    metadata: HashMap<String, String>,
    retention_policy: Option<ChatRetentionPolicy>,
    participants: Vec<ParticipantRecord>,
    former_members: HashSet<String>,
    receipts: Vec<ReceiptRecord>,
    clock: MessageClock,
}

/// A thread as stored: its header and its changed messages by sequence id.
pub(crate) struct StoredThread {
    /// The header (JSON), when it changed.
    pub(crate) header: Option<String>,
    /// `(sequence id, message JSON)` of every message changed since the
    /// last save.
    pub(crate) messages: Vec<(u64, String)>,
}

/// What a new thread starts with.
#[derive(Debug, Clone)]
pub(crate) struct NewThread {
    /// Thread id.
    pub(crate) id: String,
    /// Topic.
    pub(crate) topic: String,
    /// Creator's user id.
    pub(crate) creator: String,
    /// Initial participants (deduplicated, may include the creator).
    pub(crate) participants: Vec<ParticipantRecord>,
    /// Metadata.
    pub(crate) metadata: HashMap<String, String>,
    /// Retention policy.
    pub(crate) retention_policy: Option<ChatRetentionPolicy>,
}

impl ThreadState {
    /// Creates the thread: the creator (first, from `participants` if listed
    /// there) and the participants join, then the service's system
    /// messages are written: `participantAdded` (sequence 1) and
    /// `topicUpdated` (sequence 2).
    pub(crate) fn create(new: NewThread, now_millis: u64) -> Self {
        let created_at = now_millis;
        let mut thread = Self {
            id: new.id,
            serial: next_serial(),
            topic: new.topic.clone(),
            created_at,
            created_by: new.creator.clone(),
            metadata: new.metadata,
            retention_policy: new.retention_policy,
            deleted: false,
            participants: Vec::new(),
            members: FastHashSet::default(),
            former_members: HashSet::new(),
            messages: ChunkedVec::default(),
            names: Names::default(),
            receipts: Vec::new(),
            clock: MessageClock::default(),
            by_version: VersionIndex::default(),
            unsaved: Vec::new(),
            header_changed: true,
        };
        let creator = new
            .participants
            .iter()
            .find(|p| p.raw_id == new.creator)
            .cloned()
            .unwrap_or_else(|| ParticipantRecord {
                raw_id: new.creator.clone(),
                display_name: None,
                share_history_time: DateTime::<Utc>::UNIX_EPOCH,
                metadata: HashMap::new(),
            });
        let mut joined = vec![creator];
        joined.extend(
            new.participants
                .into_iter()
                .filter(|p| p.raw_id != new.creator),
        );
        for participant in &joined {
            thread.members.insert(participant.raw_id.clone());
        }
        thread.participants = joined.clone();
        thread.push_message(
            None,
            None,
            MessageBody::Participants(Box::new(ParticipantsChange {
                added: true,
                initiator: new.creator.clone(),
                participants: joined,
            })),
            MessageMetadata::default(),
            now_millis,
        );
        thread.push_message(
            None,
            None,
            MessageBody::Topic(Box::new(TopicChange {
                initiator: new.creator,
                topic: new.topic,
            })),
            MessageMetadata::default(),
            now_millis,
        );
        thread
    }

    /// True if `user` is a participant.
    pub(crate) fn is_member(&self, user: &str) -> bool {
        self.members.contains(user)
    }

    /// The participants, in joining order.
    pub(crate) fn participants(&self) -> &[ParticipantRecord] {
        &self.participants
    }

    /// Number of participants.
    pub(crate) fn participant_count(&self) -> usize {
        self.participants.len()
    }

    /// When the thread last changed for its list order: its newest
    /// message, or its creation, epoch milliseconds.
    pub(crate) fn activity(&self) -> u64 {
        self.last_message_at().unwrap_or(self.created_at)
    }

    /// Creation time of the newest message, epoch milliseconds.
    pub(crate) fn last_message_at(&self) -> Option<u64> {
        self.messages.last().map(|m| m.created_at)
    }

    fn push_message(
        &mut self,
        sender: Option<Arc<str>>,
        sender_display_name: Option<Arc<str>>,
        body: MessageBody,
        metadata: MessageMetadata,
        now_millis: u64,
    ) -> u64 {
        let id = self.clock.next(now_millis);
        let created_at = self
            .messages
            .last()
            .map_or(now_millis, |last| last.created_at.max(now_millis));
        let sequence_id = u64::try_from(self.messages.len()).unwrap_or(u64::MAX - 1) + 1;
        self.unsaved.push(self.messages.len());
        self.by_version.insert(id, self.messages.len());
        self.messages.push(MessageRecord {
            id,
            created_at,
            sequence_id,
            version: id,
            sender,
            sender_display_name,
            body,
            metadata,
            edited_at: None,
            deleted_at: None,
        });
        id
    }

    /// Appends a user message; returns its id.
    pub(crate) fn send_message(
        &mut self,
        sender: &str,
        kind: UserMessageKind,
        content: String,
        sender_display_name: Option<String>,
        metadata: HashMap<String, String>,
        now_millis: u64,
    ) -> u64 {
        let sender = self.names.intern(sender);
        let sender_display_name = self
            .names
            .intern(sender_display_name.as_deref().unwrap_or_default());
        self.push_message(
            Some(sender),
            Some(sender_display_name),
            MessageBody::User {
                kind,
                content: Some(content.into_boxed_str()),
            },
            MessageMetadata::new(metadata),
            now_millis,
        )
    }

    fn index_of(&self, message_id: u64) -> Option<usize> {
        self.messages
            .binary_search_by_key(&message_id, |m| m.id)
            .ok()
    }

    /// The message with this id.
    pub(crate) fn message(&self, message_id: u64) -> Option<&MessageRecord> {
        self.index_of(message_id).and_then(|i| self.messages.get(i))
    }

    fn own_message(
        &mut self,
        user: &str,
        message_id: u64,
    ) -> Result<&mut MessageRecord, MessageError> {
        let index = self.index_of(message_id).ok_or(MessageError::NotFound)?;
        let message = self.messages.get_mut(index).ok_or(MessageError::NotFound)?;
        if message.sender.as_deref() != Some(user) {
            return Err(MessageError::NotSender);
        }
        // Asked for to change it (a repeated delete changes nothing, and
        // saving it again is harmless).
        self.unsaved.push(index);
        Ok(message)
    }

    /// Edits the caller's message: new content and/or metadata; a new
    /// version and `editedOn`. A deleted message is not found.
    pub(crate) fn edit_message(
        &mut self,
        user: &str,
        message_id: u64,
        content: Option<String>,
        metadata: Option<HashMap<String, String>>,
        now_millis: u64,
    ) -> Result<(), MessageError> {
        if self.own_message(user, message_id)?.deleted_at.is_some() {
            return Err(MessageError::NotFound);
        }
        // The clock is past every id and version handed out in this thread.
        let next_version = self.clock.next(now_millis);
        let message = self.own_message(user, message_id)?;
        if let (Some(new_content), MessageBody::User { content, .. }) = (content, &mut message.body)
        {
            *content = Some(new_content.into_boxed_str());
        }
        if let Some(metadata) = metadata {
            message.metadata = MessageMetadata::new(metadata);
        }
        let old_version = std::mem::replace(&mut message.version, next_version);
        message.edited_at = Some(nonzero_millis(now_millis));
        self.reversion(old_version, next_version);
        Ok(())
    }

    /// Deletes the caller's message (idempotent): its content goes,
    /// `deletedOn` is set, the rest stays listed.
    pub(crate) fn delete_message(
        &mut self,
        user: &str,
        message_id: u64,
        now_millis: u64,
    ) -> Result<(), MessageError> {
        if self.own_message(user, message_id)?.deleted_at.is_some() {
            return Ok(());
        }
        // A deletion is a new version, as the service shows it.
        let next_version = self.clock.next(now_millis);
        let message = self.own_message(user, message_id)?;
        message.deleted_at = Some(nonzero_millis(now_millis));
        let old_version = std::mem::replace(&mut message.version, next_version);
        if let MessageBody::User { content, .. } = &mut message.body {
            *content = None;
        }
        self.reversion(old_version, next_version);
        Ok(())
    }

    /// Moves a message from `old` to `new` in the list order.
    fn reversion(&mut self, old: u64, new: u64) {
        self.by_version.reversion(old, new);
    }

    /// A page of messages, newest version first (an edited or deleted
    /// message moves to the top, as the service lists them): created at or
    /// after `since` (epoch ms), with a version below `before_version`, at
    /// most `size`. Returns the page and whether more matching messages
    /// remain.
    pub(crate) fn page_messages(
        &self,
        since: Option<u64>,
        before_version: Option<u64>,
        size: usize,
    ) -> (Vec<&MessageRecord>, bool) {
        let mut page = Vec::with_capacity(size.min(self.messages.len()));
        let candidates = self
            .by_version
            .newest_first(before_version)
            .filter_map(|index| self.messages.get(index))
            .filter(|m| since.is_none_or(|t| m.created_at >= t));
        for message in candidates {
            if page.len() == size {
                return (page, true);
            }
            page.push(message);
        }
        (page, false)
    }

    /// Sets the topic and writes `topicUpdated`.
    pub(crate) fn update_topic(&mut self, initiator: &str, topic: String, now_millis: u64) {
        self.header_changed = true;
        self.topic = topic.clone();
        self.push_message(
            None,
            None,
            MessageBody::Topic(Box::new(TopicChange {
                initiator: initiator.to_owned(),
                topic,
            })),
            MessageMetadata::default(),
            now_millis,
        );
    }

    /// Adds the participants that are not members yet (existing ones are
    /// left unchanged) and writes `participantAdded` for them. Returns the
    /// ids added.
    pub(crate) fn add_participants(
        &mut self,
        initiator: &str,
        candidates: Vec<ParticipantRecord>,
        now_millis: u64,
    ) -> Vec<String> {
        let mut added = Vec::new();
        for candidate in candidates {
            if self.members.insert(candidate.raw_id.clone()) {
                added.push(candidate);
            }
        }
        if added.is_empty() {
            return Vec::new();
        }
        self.header_changed = true;
        self.participants.extend(added.iter().cloned());
        let ids = added.iter().map(|p| p.raw_id.clone()).collect();
        self.push_message(
            None,
            None,
            MessageBody::Participants(Box::new(ParticipantsChange {
                added: true,
                initiator: initiator.to_owned(),
                participants: added,
            })),
            MessageMetadata::default(),
            now_millis,
        );
        ids
    }

    /// How many of `ids` are not members yet.
    pub(crate) fn count_new(&self, ids: &[&str]) -> usize {
        ids.iter().filter(|id| !self.members.contains(**id)).count()
    }

    /// Removes a participant (and its read receipt) and writes
    /// `participantRemoved`. Returns `false` if it was not a member.
    pub(crate) fn remove_participant(
        &mut self,
        initiator: &str,
        raw_id: &str,
        now_millis: u64,
    ) -> bool {
        if !self.members.remove(raw_id) {
            return false;
        }
        self.header_changed = true;
        self.former_members.insert(raw_id.to_owned());
        let mut removed = Vec::new();
        self.participants.retain(|p| {
            if p.raw_id == raw_id {
                removed.push(p.clone());
                false
            } else {
                true
            }
        });
        self.receipts.retain(|r| r.reader != raw_id);
        self.push_message(
            None,
            None,
            MessageBody::Participants(Box::new(ParticipantsChange {
                added: false,
                initiator: initiator.to_owned(),
                participants: removed,
            })),
            MessageMetadata::default(),
            now_millis,
        );
        true
    }

    /// Records that `reader` read up to `message_id`. A receipt for an
    /// older message than the reader's current one is ignored (receipts
    /// only move forward). Returns `false` for an unknown message.
    pub(crate) fn send_receipt(&mut self, reader: &str, message_id: u64, now_millis: u64) -> bool {
        let Some(sequence_id) = self.message(message_id).map(|m| m.sequence_id) else {
            return false;
        };
        self.header_changed = true;
        let receipt = ReceiptRecord {
            reader: reader.to_owned(),
            message_id,
            sequence_id,
            read_at: now_millis,
        };
        match self.receipts.iter().position(|r| r.reader == reader) {
            Some(i)
                if self
                    .receipts
                    .get(i)
                    .is_some_and(|r| r.sequence_id > sequence_id) => {}
            Some(i) => {
                self.receipts.remove(i);
                self.receipts.push(receipt);
            }
            None => self.receipts.push(receipt),
        }
        true
    }

    /// The latest receipt per participant, oldest update first.
    pub(crate) fn receipts(&self) -> &[ReceiptRecord] {
        &self.receipts
    }

    /// Everyone whose thread list shows the thread: current and former
    /// members (for the user index, and to unindex them all on deletion).
    pub(crate) fn listed_for(&self) -> impl Iterator<Item = &String> {
        self.members.iter().chain(&self.former_members)
    }

    /// Marks the properties (topic, metadata, retention policy) changed.
    pub(crate) fn touch_header(&mut self) {
        self.header_changed = true;
    }

    /// The header (if it changed) and the messages changed since the last
    /// [`mark_saved`](Self::mark_saved), to store.
    pub(crate) fn unsaved(&mut self) -> serde_json::Result<StoredThread> {
        let header = if self.header_changed {
            Some(self.header_json()?)
        } else {
            None
        };
        self.unsaved.sort_unstable();
        self.unsaved.dedup();
        let indexes = self.unsaved.clone();
        let mut messages = Vec::with_capacity(indexes.len());
        for index in indexes {
            if let Some(message) = self.messages.get(index) {
                messages.push((message.sequence_id, serde_json::to_string(message)?));
            }
        }
        Ok(StoredThread { header, messages })
    }

    /// What [`unsaved`](Self::unsaved) gave is stored: forget it.
    pub(crate) fn mark_saved(&mut self) {
        self.header_changed = false;
        self.unsaved.clear();
    }

    fn header_json(&self) -> serde_json::Result<String> {
        serde_json::to_string(&StoredHeader {
            id: self.id.clone(),
            topic: self.topic.clone(),
            created_at: self.created_at,
            created_by: self.created_by.clone(),
            metadata: self.metadata.clone(),
            retention_policy: self.retention_policy.clone(),
            participants: self.participants.clone(),
            former_members: self.former_members.clone(),
            receipts: self.receipts.clone(),
            clock: self.clock,
        })
    }

    /// A thread back from its stored header and messages (in sequence
    /// order).
    pub(crate) fn restore(header: &str, messages: &[String]) -> serde_json::Result<Self> {
        let header: StoredHeader = serde_json::from_str(header)?;
        let mut names = Names::default();
        let messages = messages
            .iter()
            .map(|json| {
                let mut message: MessageRecord = serde_json::from_str(json)?;
                message.sender = message.sender.map(|name| names.intern(&name));
                message.sender_display_name =
                    message.sender_display_name.map(|name| names.intern(&name));
                Ok(message)
            })
            .collect::<serde_json::Result<ChunkedVec<MessageRecord>>>()?;
        let mut clock = header.clock;
        let mut versions = Vec::with_capacity(messages.len());
        for (index, message) in messages.iter().enumerate() {
            clock.observe(message.id.max(message.version));
            versions.push((message.version, index));
        }
        let by_version = VersionIndex::from_pairs(versions);
        Ok(Self {
            members: header
                .participants
                .iter()
                .map(|p| p.raw_id.clone())
                .collect(),
            id: header.id,
            serial: next_serial(),
            topic: header.topic,
            created_at: header.created_at,
            created_by: header.created_by,
            metadata: header.metadata,
            retention_policy: header.retention_policy,
            deleted: false,
            participants: header.participants,
            former_members: header.former_members,
            messages,
            names,
            receipts: header.receipts,
            clock,
            by_version,
            unsaved: Vec::new(),
            header_changed: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str =
        "8:acs:2dee53b4-368b-45b4-ab52-8493fb117652_00000005-0000-0000-0000-00000000000a";
    const B: &str =
        "8:acs:2dee53b4-368b-45b4-ab52-8493fb117652_00000005-0000-0000-0000-00000000000b";

    fn participant(id: &str) -> ParticipantRecord {
        ParticipantRecord {
            raw_id: id.to_owned(),
            display_name: Some("n".to_owned()),
            share_history_time: DateTime::<Utc>::UNIX_EPOCH,
            metadata: HashMap::new(),
        }
    }

    fn thread() -> ThreadState {
        ThreadState::create(
            NewThread {
                id: "19:x@thread.v2".to_owned(),
                topic: "t".to_owned(),
                creator: A.to_owned(),
                participants: vec![participant(B), participant(A)],
                metadata: HashMap::new(),
                retention_policy: None,
            },
            1_700_000_000_000,
        )
    }

    #[test]
    fn creation_writes_system_messages() {
        let t = thread();
        assert_eq!(t.participant_count(), 2);
        assert_eq!(t.participants()[0].raw_id, A);
        assert_eq!(t.participants()[0].display_name.as_deref(), Some("n"));
        let (page, more) = t.page_messages(None, None, 10);
        assert!(!more);
        assert_eq!(page.len(), 2);
        assert_eq!(page[1].kind(), ChatMessageType::ParticipantAdded);
        assert_eq!(page[1].sequence_id, 1);
        assert_eq!(page[1].id, 1_700_000_000_000);
        assert_eq!(page[0].kind(), ChatMessageType::TopicUpdated);
        assert!(page[0].id > page[1].id);
    }

    #[test]
    fn a_removed_participant_is_still_listed_for_but_no_longer_a_member() {
        let mut t = thread();
        assert!(t.remove_participant(A, B, 1_700_000_000_500));
        assert!(!t.is_member(B));
        let listed: HashSet<&String> = t.listed_for().collect();
        assert!(listed.contains(&B.to_owned()) && listed.contains(&A.to_owned()));
    }

    #[test]
    fn paging_is_newest_first_without_gaps() {
        let mut t = thread();
        for i in 0..25 {
            t.send_message(
                A,
                UserMessageKind::Text,
                format!("m{i}"),
                None,
                HashMap::new(),
                1_700_000_000_000,
            );
        }
        let mut seen = Vec::new();
        let mut before = None;
        for _ in 0..10 {
            let (page, more) = t.page_messages(None, before, 10);
            seen.extend(page.iter().map(|m| m.sequence_id));
            before = page.last().map(|m| m.version);
            if !more {
                break;
            }
        }
        assert_eq!(seen, (1..=27).rev().collect::<Vec<_>>());
    }

    #[test]
    fn edited_and_deleted_messages_move_to_the_top() {
        let mut t = thread();
        let now = 1_700_000_000_000;
        let ids: Vec<u64> = (0..3)
            .map(|i| {
                t.send_message(
                    A,
                    UserMessageKind::Text,
                    format!("m{i}"),
                    None,
                    HashMap::new(),
                    now,
                )
            })
            .collect();
        t.edit_message(A, ids[0], Some("edited".into()), None, now + 10)
            .expect("edit");
        t.delete_message(A, ids[1], now + 20).expect("delete");
        let order: Vec<u64> = t
            .page_messages(None, None, 10)
            .0
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(&order[..3], &[ids[1], ids[0], ids[2]]);
        // Paged two at a time, nothing is missed or repeated.
        let (first, more) = t.page_messages(None, None, 2);
        assert!(more);
        let (rest, _) = t.page_messages(None, first.last().map(|m| m.version), 10);
        let mut all: Vec<u64> = first.iter().chain(&rest).map(|m| m.id).collect();
        assert_eq!(all.len(), 5);
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 5);
    }

    #[test]
    fn bursts_keep_ids_unique_and_times_real() {
        let mut t = thread();
        let now = 1_700_000_000_000;
        let ids: Vec<u64> = (0..5)
            .map(|_| {
                t.send_message(
                    A,
                    UserMessageKind::Text,
                    "m".into(),
                    None,
                    HashMap::new(),
                    now,
                )
            })
            .collect();
        assert!(ids.windows(2).all(|w| w[1] == w[0] + 1));
        let (page, _) = t.page_messages(Some(now), None, 10);
        assert_eq!(page.len(), 7);
        assert!(page.iter().all(|m| m.created_at == now));
        // A clock going backwards does not make times decrease.
        t.send_message(
            A,
            UserMessageKind::Text,
            "m".into(),
            None,
            HashMap::new(),
            now - 5000,
        );
        assert_eq!(t.last_message_at(), Some(now));
    }

    #[test]
    fn edits_deletes_receipts() {
        let mut t = thread();
        let id = t.send_message(
            A,
            UserMessageKind::Text,
            "hi".into(),
            None,
            HashMap::new(),
            1,
        );
        assert_eq!(
            t.edit_message(B, id, Some("x".into()), None, 2),
            Err(MessageError::NotSender)
        );
        assert!(t.edit_message(A, id, Some("x".into()), None, 2).is_ok());
        let edited = t.message(id).cloned();
        assert!(edited
            .as_ref()
            .is_some_and(|m| m.version > id && m.edited_at.is_some()));
        assert!(t.delete_message(A, id, 3).is_ok());
        assert!(t.message(id).is_some_and(|m| m.deleted_at.is_some()));
        assert_eq!(
            t.edit_message(A, id, None, None, 4),
            Err(MessageError::NotFound)
        );
        assert!(t.send_receipt(B, id, 5));
        assert!(!t.send_receipt(B, 42, 5));
        assert_eq!(t.receipts().len(), 1);
        assert!(t.remove_participant(A, B, 6));
        assert!(t.receipts().is_empty());
        assert!(!t.is_member(B));
    }
}

#[cfg(test)]
impl ThreadState {
    /// A thread `id` that `creator` created alone, at a fixed time.
    pub(crate) fn of_one(id: &str, creator: &str) -> Self {
        Self::create(
            NewThread {
                id: id.to_owned(),
                topic: "t".to_owned(),
                creator: creator.to_owned(),
                participants: Vec::new(),
                metadata: HashMap::new(),
                retention_policy: None,
            },
            1_700_000_000_000,
        )
    }
}

#[cfg(test)]
mod stored_form {
    use super::*;

    /// Messages as `--data-dir` has stored them since persistence began
    /// (written by the earlier, larger form of these types).
    const STORED: [&str; 3] = [
        r#"{"id":1700000000001,"created_at":1700000000001,"sequence_id":1,"version":1700000000001,"sender":null,"sender_display_name":null,"body":{"Participants":{"added":true,"initiator":"8:acs:a","participants":[{"raw_id":"8:acs:a","display_name":null,"share_history_time":"1970-01-01T00:00:00Z","metadata":{}}]}},"metadata":{},"edited_at":null,"deleted_at":null}"#,
        r#"{"id":1700000000002,"created_at":1700000000001,"sequence_id":2,"version":1700000000002,"sender":null,"sender_display_name":null,"body":{"Topic":{"initiator":"8:acs:a","topic":"t"}},"metadata":{},"edited_at":null,"deleted_at":null}"#,
        r#"{"id":1700000000003,"created_at":1700000000002,"sequence_id":3,"version":1700000000009,"sender":"8:acs:a","sender_display_name":"","body":{"User":{"kind":"html","content":"<p>hi</p>"}},"metadata":{"k":"v"},"edited_at":1700000000009,"deleted_at":null}"#,
    ];

    #[test]
    fn stored_messages_read_back_and_are_written_the_same() {
        for json in STORED {
            let message: MessageRecord = serde_json::from_str(json).expect(json);
            assert_eq!(serde_json::to_string(&message).expect("serializes"), json);
        }
        let user: MessageRecord = serde_json::from_str(STORED[2]).expect("user message");
        assert_eq!(user.kind(), ChatMessageType::Html);
        assert_eq!(user.metadata.to_map()["k"], "v");
        assert_eq!(user.sender.as_deref(), Some("8:acs:a"));
        // A time of 0 (never written now) still reads.
        let at_epoch = STORED[2].replace("\"edited_at\":1700000000009", "\"edited_at\":0");
        let message: MessageRecord = serde_json::from_str(&at_epoch).expect("reads");
        assert_eq!(message.edited_at, Some(NonZeroU64::MIN));
    }

    #[test]
    fn a_restored_thread_holds_each_sender_once() {
        let mut thread = ThreadState::of_one("19:x@thread.v2", "8:acs:a");
        for i in 0..3 {
            thread.send_message(
                "8:acs:a",
                UserMessageKind::Text,
                format!("m{i}"),
                None,
                HashMap::new(),
                1_700_000_000_100 + i,
            );
        }
        let stored = thread.unsaved().expect("stored form");
        let messages: Vec<String> = stored.messages.into_iter().map(|(_, json)| json).collect();
        let header = stored.header.expect("a new thread has a header");
        let restored = ThreadState::restore(&header, &messages).expect("restores");
        let senders: Vec<&Arc<str>> = restored
            .messages
            .iter()
            .filter_map(|m| m.sender.as_ref())
            .collect();
        assert_eq!(senders.len(), 3);
        assert!(senders.windows(2).all(|w| Arc::ptr_eq(w[0], w[1])));
    }

    #[test]
    fn a_message_stays_small() {
        // 100,000 messages must stay within 300 bytes each with their
        // content and the thread's indexes (the emulator bench measures it).
        assert!(std::mem::size_of::<MessageRecord>() <= 112);
    }
}

//! Conversions between the raw crate's wire types and the facade's models.
//! The raw types stop here: nothing public in the facade exposes them.
//!
//! Messages and list pages are not converted: the clients read them
//! straight into the models (see `pipeline::paging::ServicePage`). Their
//! conversions are kept in `reference` (tests and fuzzing only), which
//! checks that both readings agree.

use acs_chat_rest::types as wire;

use crate::error::ChatError;
use crate::identifier::{
    CommunicationCloudEnvironment, CommunicationIdentifier, CommunicationUserIdentifier,
    MicrosoftTeamsAppIdentifier, MicrosoftTeamsUserIdentifier, PhoneNumberIdentifier,
    TeamsExtensionUserIdentifier, UnknownIdentifier,
};
use crate::models::{
    ChatMessageType, ChatParticipant, ChatRetentionPolicy, ChatThreadProperties, FailedParticipant,
};

fn cloud_to_wire(
    cloud: &CommunicationCloudEnvironment,
) -> wire::CommunicationCloudEnvironmentModel {
    wire::CommunicationCloudEnvironmentModel::from(cloud.as_str())
}

fn cloud_from_wire(
    cloud: Option<wire::CommunicationCloudEnvironmentModel>,
) -> CommunicationCloudEnvironment {
    cloud.map_or(CommunicationCloudEnvironment::Public, |c| {
        CommunicationCloudEnvironment::from(c.as_str())
    })
}

/// The wire model of an identifier: its kind, raw id and kind-specific part.
pub(crate) fn identifier_to_wire(
    identifier: &CommunicationIdentifier,
) -> wire::CommunicationIdentifierModel {
    use wire::CommunicationIdentifierModelKind as Kind;
    let mut model = wire::CommunicationIdentifierModel {
        communication_user: None,
        kind: Some(Kind::from(identifier.kind())),
        microsoft_teams_app: None,
        microsoft_teams_user: None,
        phone_number: None,
        raw_id: Some(identifier.raw_id()),
        teams_extension_user: None,
    };
    match identifier {
        CommunicationIdentifier::CommunicationUser(user) => {
            model.communication_user = Some(wire::CommunicationUserIdentifierModel {
                id: user.id.clone(),
            });
        }
        CommunicationIdentifier::PhoneNumber(phone) => {
            model.phone_number = Some(Box::new(wire::PhoneNumberIdentifierModel {
                asserted_id: phone.asserted_id.clone(),
                is_anonymous: phone.is_anonymous.then_some(true),
                value: phone.phone_number.clone(),
            }));
        }
        CommunicationIdentifier::MicrosoftTeamsUser(user) => {
            model.microsoft_teams_user = Some(Box::new(wire::MicrosoftTeamsUserIdentifierModel {
                cloud: Some(cloud_to_wire(&user.cloud)),
                is_anonymous: Some(user.is_anonymous),
                user_id: user.user_id.clone(),
            }));
        }
        CommunicationIdentifier::MicrosoftTeamsApp(app) => {
            model.microsoft_teams_app = Some(Box::new(wire::MicrosoftTeamsAppIdentifierModel {
                app_id: app.app_id.clone(),
                cloud: Some(cloud_to_wire(&app.cloud)),
            }));
        }
        CommunicationIdentifier::TeamsExtensionUser(user) => {
            model.teams_extension_user = Some(Box::new(wire::TeamsExtensionUserIdentifierModel {
                cloud: Some(cloud_to_wire(&user.cloud)),
                resource_id: user.resource_id.clone(),
                tenant_id: user.tenant_id.clone(),
                user_id: user.user_id.clone(),
            }));
        }
        _ => {}
    }
    model
}

/// An identifier from its wire model (as the service sends it, or as the
/// `Deserialize` impls read it). The kind-specific part wins when it is there
/// (with the raw id kept as sent, when it differs from the one computed from
/// that part). Without one, an object whose `kind` is `unknown` stays
/// unknown, as the official SDKs read it (and so an [`UnknownIdentifier`]
/// written and read back is unchanged); otherwise the raw id is parsed.
pub(crate) fn identifier_from_wire(
    model: wire::CommunicationIdentifierModel,
) -> CommunicationIdentifier {
    let says_unknown = model
        .kind
        .as_ref()
        .is_some_and(|kind| kind.as_str() == "unknown");
    let raw_id = model.raw_id;
    // An explicit raw id equal to the computed one adds nothing, and leaving
    // it out makes a decoded identifier equal to the one built from its parts.
    macro_rules! keep_differing_raw_id {
        ($identifier:ident) => {
            if raw_id.as_deref() != Some($identifier.raw_id().as_str()) {
                $identifier.raw_id = raw_id;
            }
        };
    }
    if let Some(user) = model.communication_user {
        return CommunicationIdentifier::CommunicationUser(CommunicationUserIdentifier::new(
            user.id,
        ));
    }
    if let Some(phone) = model.phone_number {
        let mut identifier = PhoneNumberIdentifier::new(phone.value);
        identifier.is_anonymous = phone.is_anonymous.unwrap_or(false);
        identifier.asserted_id = phone.asserted_id;
        keep_differing_raw_id!(identifier);
        return CommunicationIdentifier::PhoneNumber(identifier);
    }
    if let Some(user) = model.microsoft_teams_user {
        let mut identifier = MicrosoftTeamsUserIdentifier::new(user.user_id);
        identifier.is_anonymous = user.is_anonymous.unwrap_or(false);
        identifier.cloud = cloud_from_wire(user.cloud);
        keep_differing_raw_id!(identifier);
        return CommunicationIdentifier::MicrosoftTeamsUser(identifier);
    }
    if let Some(app) = model.microsoft_teams_app {
        let mut identifier = MicrosoftTeamsAppIdentifier::new(app.app_id);
        identifier.cloud = cloud_from_wire(app.cloud);
        keep_differing_raw_id!(identifier);
        return CommunicationIdentifier::MicrosoftTeamsApp(identifier);
    }
    if let Some(user) = model.teams_extension_user {
        let mut identifier =
            TeamsExtensionUserIdentifier::new(user.user_id, user.tenant_id, user.resource_id);
        identifier.cloud = cloud_from_wire(user.cloud);
        keep_differing_raw_id!(identifier);
        return CommunicationIdentifier::TeamsExtensionUser(identifier);
    }
    match raw_id {
        Some(raw_id) if !says_unknown => CommunicationIdentifier::from_raw_id(&raw_id),
        raw_id => {
            CommunicationIdentifier::Unknown(UnknownIdentifier::new(raw_id.unwrap_or_default()))
        }
    }
}

pub(crate) fn retention_to_wire(policy: &ChatRetentionPolicy) -> wire::ChatRetentionPolicy {
    match policy {
        ChatRetentionPolicy::ThreadCreationDate {
            delete_thread_after_days,
        } => wire::ChatRetentionPolicy {
            delete_thread_after_days: Some(*delete_thread_after_days),
            kind: wire::RetentionPolicyKind::ThreadCreationDate,
        },
        ChatRetentionPolicy::None => wire::ChatRetentionPolicy {
            delete_thread_after_days: None,
            kind: wire::RetentionPolicyKind::None,
        },
        ChatRetentionPolicy::Unknown(kind) => wire::ChatRetentionPolicy {
            delete_thread_after_days: None,
            kind: wire::RetentionPolicyKind::from(kind.as_str()),
        },
    }
}

pub(crate) fn retention_from_wire(policy: wire::ChatRetentionPolicy) -> ChatRetentionPolicy {
    match (policy.kind, policy.delete_thread_after_days) {
        (wire::RetentionPolicyKind::ThreadCreationDate, Some(days)) => {
            ChatRetentionPolicy::ThreadCreationDate {
                delete_thread_after_days: days,
            }
        }
        (wire::RetentionPolicyKind::None, _) => ChatRetentionPolicy::None,
        (kind, _) => ChatRetentionPolicy::Unknown(kind.as_str().to_string()),
    }
}

pub(crate) fn participant_to_wire(participant: &ChatParticipant) -> wire::ChatParticipant {
    wire::ChatParticipant {
        communication_identifier: identifier_to_wire(&participant.identifier),
        display_name: participant.display_name.clone(),
        metadata: participant.metadata.clone(),
        share_history_time: participant.share_history_time,
    }
}

pub(crate) fn thread_from_wire(thread: wire::ChatThreadProperties) -> ChatThreadProperties {
    ChatThreadProperties {
        id: thread.id,
        topic: thread.topic,
        created_on: thread.created_on,
        created_by: identifier_from_wire(thread.created_by_communication_identifier),
        deleted_on: thread.deleted_on,
        metadata: thread.metadata,
        retention_policy: thread.retention_policy.map(retention_from_wire),
    }
}

pub(crate) fn message_type_to_wire(message_type: &ChatMessageType) -> wire::ChatMessageType {
    wire::ChatMessageType::from(message_type.as_str())
}

/// Pairs each error the service reported with the participant it is about,
/// by matching the error's `target` with the participant's raw id. An error
/// whose target matches no participant is kept, paired with a participant
/// built from the target, so no error is lost.
pub(crate) fn pair_participant_errors(
    participants: &[ChatParticipant],
    errors: Vec<wire::CommunicationError>,
) -> Vec<FailedParticipant> {
    errors
        .into_iter()
        .map(|error| {
            let error = ChatError::from(error);
            let target = error.target.clone().unwrap_or_default();
            let participant = participants
                .iter()
                .find(|p| p.identifier.raw_id() == target)
                .cloned()
                .unwrap_or_else(|| {
                    ChatParticipant::new(CommunicationIdentifier::from_raw_id(&target))
                });
            FailedParticipant::new(participant, error)
        })
        .collect()
}

/// The conversions of the models the clients read straight from the
/// service's JSON (messages, participants, thread items, read receipts; see
/// `pipeline::paging::ServicePage`): kept as the reference that direct
/// reading is checked against, in the tests and by the `wire_responses`
/// fuzz target, so that both read every response alike.
#[cfg(any(test, fuzzing))]
pub(crate) mod reference {
    use super::*;
    use crate::models::{
        ChatAttachment, ChatAttachmentType, ChatMessage, ChatMessageContent,
        ChatMessageReadReceipt, ChatParticipant, ChatThreadItem,
    };
    use crate::pager::Page;
    use crate::pipeline::paging::ServicePage;

    /// Reads `body` the clients' way (straight into `D`) and the reference
    /// way (the wire type `W`, converted), and says how they differ, if they
    /// do: in whether the body is valid, or in what it says. `Ok(true)` when
    /// both read it.
    pub(crate) fn read_alike<D, W, V>(
        body: &[u8],
        direct: impl FnOnce(D) -> V,
        reference: impl FnOnce(W) -> V,
    ) -> Result<bool, String>
    where
        D: serde::de::DeserializeOwned,
        W: serde::de::DeserializeOwned,
        V: PartialEq + std::fmt::Debug,
    {
        if !arrays_only_where_lists_are(body) {
            return Ok(false);
        }
        let read = serde_json::from_slice::<D>(body).map(direct);
        let expected = serde_json::from_slice::<W>(body).map(reference);
        match (read, expected) {
            (Ok(read), Ok(expected)) if read == expected => Ok(true),
            (Err(_), Err(_)) => Ok(false),
            (read, expected) => Err(format!("read {read:?}, reference {expected:?}")),
        }
    }

    /// Whether `body` is JSON whose arrays are only lists of objects under
    /// `value`, `participants` or `attachments`, the only lists these
    /// responses have. serde's derives also read a struct written as an
    /// array, field by field in declaration order, and the models declare
    /// their fields in another order than the wire types (with defaults on
    /// other fields): such a body, which no service sends, may read one way
    /// and not the other, and is left out.
    fn arrays_only_where_lists_are(body: &[u8]) -> bool {
        fn check(value: &serde_json::Value, key: Option<&str>) -> bool {
            match value {
                serde_json::Value::Array(items) => {
                    matches!(key, Some("value" | "participants" | "attachments"))
                        && items
                            .iter()
                            .all(|item| item.is_object() && check(item, None))
                }
                serde_json::Value::Object(map) => map.iter().all(|(k, v)| check(v, Some(k))),
                _ => true,
            }
        }
        serde_json::from_slice(body).is_ok_and(|value| check(&value, None))
    }

    /// Checks that `body` reads alike both ways as each of the responses
    /// the clients read straight into the facade's models: a message, and a
    /// page of messages, participants, thread items or read receipts.
    /// Returns how many of these read it.
    pub(crate) fn every_direct_read_alike(body: &[u8]) -> Result<usize, String> {
        // A page of `$item`s as the clients read it, against the wire
        // `$collection` with each item converted by `$convert`.
        macro_rules! page_alike {
            ($item:ty, $collection:ident, $convert:ident) => {
                read_alike(
                    body,
                    |page: ServicePage<$item>| Page::from(page),
                    |page: wire::$collection| Page {
                        items: page.value.into_iter().map($convert).collect(),
                        continuation_token: page.next_link,
                    },
                )?
            };
        }
        let read = [
            read_alike(body, |m: ChatMessage| m, message_from_wire)?,
            page_alike!(ChatMessage, ChatMessagesCollection, message_from_wire),
            page_alike!(
                ChatParticipant,
                ChatParticipantsCollection,
                participant_from_wire
            ),
            page_alike!(
                ChatThreadItem,
                ChatThreadsItemCollection,
                thread_item_from_wire
            ),
            page_alike!(
                ChatMessageReadReceipt,
                ChatMessageReadReceiptsCollection,
                read_receipt_from_wire
            ),
        ];
        Ok(read.into_iter().filter(|&both| both).count())
    }

    pub(crate) fn participant_from_wire(participant: wire::ChatParticipant) -> ChatParticipant {
        ChatParticipant {
            identifier: identifier_from_wire(participant.communication_identifier),
            display_name: participant.display_name,
            share_history_time: participant.share_history_time,
            metadata: participant.metadata,
        }
    }

    pub(crate) fn thread_item_from_wire(item: wire::ChatThreadItem) -> ChatThreadItem {
        ChatThreadItem {
            id: item.id,
            topic: item.topic,
            deleted_on: item.deleted_on,
            last_message_received_on: item.last_message_received_on,
        }
    }

    pub(crate) fn message_from_wire(message: wire::ChatMessage) -> ChatMessage {
        ChatMessage {
            id: message.id,
            message_type: ChatMessageType::from(message.type_.as_str()),
            sequence_id: message.sequence_id,
            version: message.version,
            content: message.content.map(|content| ChatMessageContent {
                message: content.message,
                topic: content.topic,
                participants: content
                    .participants
                    .into_iter()
                    .map(participant_from_wire)
                    .collect(),
                initiator: content
                    .initiator_communication_identifier
                    .map(identifier_from_wire),
                attachments: content
                    .attachments
                    .into_iter()
                    .map(|attachment| ChatAttachment {
                        id: attachment.id,
                        attachment_type: ChatAttachmentType::from(
                            attachment.attachment_type.as_str(),
                        ),
                        name: attachment.name,
                        url: attachment.url,
                        preview_url: attachment.preview_url,
                    })
                    .collect(),
            }),
            sender_display_name: message.sender_display_name,
            created_on: message.created_on,
            sender: message
                .sender_communication_identifier
                .map(identifier_from_wire),
            deleted_on: message.deleted_on,
            edited_on: message.edited_on,
            metadata: message.metadata,
        }
    }

    pub(crate) fn read_receipt_from_wire(
        receipt: wire::ChatMessageReadReceipt,
    ) -> ChatMessageReadReceipt {
        ChatMessageReadReceipt {
            sender: identifier_from_wire(receipt.sender_communication_identifier),
            chat_message_id: receipt.chat_message_id,
            read_on: receipt.read_on,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reference::every_direct_read_alike;
    use crate::identifier::CommunicationIdentifier;
    use crate::models::ChatMessage;

    /// Every body in the `wire_responses` fuzz corpus (3,000 inputs found by
    /// coverage: valid, nearly valid and broken responses) reads alike
    /// straight into the models and through the wire types.
    #[test]
    fn the_models_read_every_corpus_response_as_the_wire_types_do() {
        let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus/wire_responses");
        let (mut checked, mut read, mut differences) = (0, 0, Vec::new());
        for entry in std::fs::read_dir(corpus).unwrap() {
            let data = std::fs::read(entry.unwrap().path()).unwrap();
            let Some((_, body)) = data.split_first() else {
                continue;
            };
            checked += 1;
            match every_direct_read_alike(body) {
                Ok(readings) => read += readings,
                Err(difference) => differences.push(difference),
            }
        }
        assert!(checked > 1000, "{checked} inputs");
        assert!(read > 20, "only {read} readings succeeded");
        assert!(
            differences.is_empty(),
            "{:#?}",
            &differences[..differences.len().min(5)]
        );
    }

    /// Every JSON value in the recorded traffic of the official SDKs and in
    /// the service's examples (response bodies, also those kept as strings)
    /// reads alike both ways.
    #[test]
    fn the_models_read_recorded_responses_as_the_wire_types_do() {
        fn each_value(value: &serde_json::Value, visit: &mut dyn FnMut(&serde_json::Value)) {
            visit(value);
            match value {
                serde_json::Value::Array(items) => items.iter().for_each(|v| each_value(v, visit)),
                serde_json::Value::Object(map) => map.values().for_each(|v| each_value(v, visit)),
                serde_json::Value::String(text) => {
                    if let Ok(inner @ serde_json::Value::Object(_)) = serde_json::from_str(text) {
                        each_value(&inner, visit);
                    }
                }
                _ => {}
            }
        }
        fn json_files(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    json_files(&path, found);
                } else if path.extension().is_some_and(|e| e == "json") {
                    found.push(path);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for dir in [
            "tests/data/recordings",
            "tests/data/examples",
            "emulator/tests/data/recordings-js",
        ] {
            json_files(&root.join(dir), &mut files);
        }
        let (mut read, mut differences) = (0, Vec::new());
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            each_value(&value, &mut |value| {
                let body = serde_json::to_vec(value).unwrap();
                match every_direct_read_alike(&body) {
                    Ok(readings) => read += readings,
                    Err(difference) => {
                        differences.push(format!("{}: {difference}", file.display()))
                    }
                }
            });
        }
        assert!(
            differences.is_empty(),
            "{:#?}",
            &differences[..differences.len().min(5)]
        );
        assert!(read > 40, "only {read} readings in {} files", files.len());
    }

    #[test]
    fn the_models_read_edge_cases_as_the_wire_types_do() {
        let sender = |identifier: &str| {
            format!(
                r#"{{"id":"1","type":"text","sequenceId":"1","version":"1","createdOn":"2024-01-01T00:00:00Z","senderCommunicationIdentifier":{identifier}}}"#
            )
        };
        // (body, whether it is a valid response of some kind)
        for (body, valid) in [
            (sender(r#"{"rawId":"8:acs:r_x","kind":"unknown"}"#), true),
            (sender(r#"{"rawId":"8:acs:r_x"}"#), true),
            (sender(r#"{"rawId":"4:+15550100","phoneNumber":{"value":"+15550100"}}"#), true),
            (sender(r#"{"kind":"communicationUser"}"#), true),
            (sender("null"), true),
            (sender(r#"{"rawId":7}"#), false),
            (r#"{"id":"1","type":"newKind","sequenceId":"1","version":"1","createdOn":"2024-01-01T00:00:00Z","metadata":null}"#.into(), false),
            (r#"{"id":"1","type":"participantAdded","sequenceId":"1","version":"1","createdOn":"2024-01-01T00:00:00Z","content":{"participants":[{"communicationIdentifier":{"rawId":"8:acs:r_y"},"displayName":null}],"initiatorCommunicationIdentifier":{"rawId":"8:acs:r_z","communicationUser":{"id":"8:acs:r_z"}},"attachments":[{"id":"a","attachmentType":"image","name":"n"}]}}"#.into(), true),
            (r#"{"value":[{"id":"19:t","topic":"t","lastMessageReceivedOn":"2024-01-01T00:00:00Z"}],"nextLink":null}"#.into(), true),
            (r#"{"value":[{"senderCommunicationIdentifier":{"rawId":"8:acs:r_y"},"chatMessageId":"1","readOn":"2024-01-01T00:00:00Z"}]}"#.into(), true),
            (r#"{"value":[]}"#.into(), true),
            (r#"{"nextLink":"x"}"#.into(), false),
            // Structs written as arrays are left out (see
            // `arrays_only_where_lists_are`): they would read differently.
            (r#"[[]]"#.into(), false),
            (r#"{"id":"1","type":"text","sequenceId":"1","version":"1","createdOn":"2024-01-01T00:00:00Z","content":[]}"#.into(), false),
            (r#"{"value":[["19:t","t"]]}"#.into(), false),
        ] {
            let readings = every_direct_read_alike(body.as_bytes());
            assert_eq!(readings.map(|n| n > 0), Ok(valid), "{body}");
        }
    }

    /// The service's `kind: unknown` is kept, as the official SDKs keep it,
    /// even when the raw id would parse as another kind.
    #[test]
    fn an_identifier_the_service_calls_unknown_stays_unknown() {
        let message: ChatMessage = serde_json::from_str(
            r#"{"id":"1","type":"text","sequenceId":"1","version":"1","createdOn":"2024-01-01T00:00:00Z","senderCommunicationIdentifier":{"rawId":"8:acs:r_x","kind":"unknown"}}"#,
        )
        .unwrap();
        assert!(
            matches!(&message.sender, Some(CommunicationIdentifier::Unknown(unknown)) if unknown.id == "8:acs:r_x"),
            "{:?}",
            message.sender
        );
    }
}

//! Conversions between the raw crate's wire types and the facade's models.
//! The raw types stop here: nothing public in the facade exposes them.

use acs_chat_rest::types as wire;

use crate::error::ChatError;
use crate::identifier::{
    CommunicationCloudEnvironment, CommunicationIdentifier, CommunicationUserIdentifier,
    MicrosoftTeamsAppIdentifier, MicrosoftTeamsUserIdentifier, PhoneNumberIdentifier,
    TeamsExtensionUserIdentifier, UnknownIdentifier,
};
use crate::models::{
    ChatAttachment, ChatAttachmentType, ChatMessage, ChatMessageContent, ChatMessageReadReceipt,
    ChatMessageType, ChatParticipant, ChatRetentionPolicy, ChatThreadItem, ChatThreadProperties,
    FailedParticipant,
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

/// An identifier from its wire model. The kind-specific part wins when it is
/// there (with the raw id kept as sent, when it differs from the one computed
/// from that part); otherwise the raw id is parsed.
pub(crate) fn identifier_from_wire(
    model: wire::CommunicationIdentifierModel,
) -> CommunicationIdentifier {
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
        Some(raw_id) => CommunicationIdentifier::from_raw_id(&raw_id),
        None => CommunicationIdentifier::Unknown(UnknownIdentifier::new(String::new())),
    }
}

/// An identifier read back from JSON (the `Deserialize` impls): as
/// [`identifier_from_wire`], except that an object whose `kind` is
/// `unknown` and that has no kind-specific part stays unknown, so that
/// serializing an [`UnknownIdentifier`] and reading it back is lossless.
pub(crate) fn identifier_from_serialized(
    model: wire::CommunicationIdentifierModel,
) -> CommunicationIdentifier {
    let only_raw_id = model.communication_user.is_none()
        && model.phone_number.is_none()
        && model.microsoft_teams_user.is_none()
        && model.microsoft_teams_app.is_none()
        && model.teams_extension_user.is_none();
    let says_unknown = model
        .kind
        .as_ref()
        .is_some_and(|kind| kind.as_str() == "unknown");
    if only_raw_id && says_unknown {
        return CommunicationIdentifier::Unknown(UnknownIdentifier::new(
            model.raw_id.unwrap_or_default(),
        ));
    }
    identifier_from_wire(model)
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

pub(crate) fn participant_from_wire(participant: wire::ChatParticipant) -> ChatParticipant {
    ChatParticipant {
        identifier: identifier_from_wire(participant.communication_identifier),
        display_name: participant.display_name,
        share_history_time: participant.share_history_time,
        metadata: participant.metadata,
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

pub(crate) fn thread_item_from_wire(item: wire::ChatThreadItem) -> ChatThreadItem {
    ChatThreadItem {
        id: item.id,
        topic: item.topic,
        deleted_on: item.deleted_on,
        last_message_received_on: item.last_message_received_on,
    }
}

pub(crate) fn message_type_to_wire(message_type: &ChatMessageType) -> wire::ChatMessageType {
    wire::ChatMessageType::from(message_type.as_str())
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
                    attachment_type: ChatAttachmentType::from(attachment.attachment_type.as_str()),
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

//! The service reports participants it could not add as errors whose
//! `target` is the participant's raw id; the facade pairs each error with the
//! participant it is about, for every kind of identifier, and loses none.

use acs_chat::{
    ChatParticipant, CommunicationIdentifier, CommunicationUserIdentifier, FailedParticipant,
    MicrosoftTeamsAppIdentifier, MicrosoftTeamsUserIdentifier, PhoneNumberIdentifier,
    TeamsExtensionUserIdentifier,
};
use httpmock::prelude::*;
use serde_json::{json, Value};

use crate::common::*;

/// One participant of every identifier kind, with display names.
fn everyone() -> Vec<ChatParticipant> {
    vec![
        ChatParticipant::new(CommunicationUserIdentifier::new(
            "8:acs:bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd_00000018-f95c-0cc4",
        ))
        .display_name("ACS user"),
        ChatParticipant::new(PhoneNumberIdentifier::new("+14255550123")).display_name("Phone"),
        ChatParticipant::new(MicrosoftTeamsUserIdentifier::new(
            "45ab2481-1c1c-4005-be24-0ffb879b1130",
        ))
        .display_name("Teams user"),
        ChatParticipant::new(MicrosoftTeamsAppIdentifier::new(
            "01234567-89ab-cdef-0123-456789abcdef",
        ))
        .display_name("Teams app"),
        ChatParticipant::new(TeamsExtensionUserIdentifier::new("user", "tenant", "res"))
            .display_name("Teams extension user"),
        ChatParticipant::new(CommunicationIdentifier::from_raw_id("99:new:thing"))
            .display_name("Unknown kind"),
    ]
}

/// The raw ids the service uses as error targets, in the order of [`everyone`].
const TARGETS: [&str; 6] = [
    "8:acs:bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd_00000018-f95c-0cc4",
    "4:+14255550123",
    "8:orgid:45ab2481-1c1c-4005-be24-0ffb879b1130",
    "28:orgid:01234567-89ab-cdef-0123-456789abcdef",
    "8:acs:res_tenant_user",
    "99:new:thing",
];

const STRANGER: &str = "8:acs:res_stranger";

/// One error per participant (in reverse order, to show pairing is by
/// target, not position), plus one about nobody we sent.
fn invalid_participants() -> Value {
    let mut errors: Vec<Value> = TARGETS
        .iter()
        .rev()
        .map(|target| {
            json!({"code": "403", "message": format!("cannot add {target}"), "target": target})
        })
        .collect();
    errors.push(json!({"code": "404", "message": "who is this?", "target": STRANGER}));
    Value::Array(errors)
}

fn assert_paired(errors: &[FailedParticipant]) {
    let sent = everyone();
    assert_eq!(
        errors.len(),
        sent.len() + 1,
        "no error is lost: {errors:#?}"
    );
    for FailedParticipant {
        participant, error, ..
    } in errors
    {
        let target = error.target.as_deref().expect("every error has its target");
        if target == STRANGER {
            continue;
        }
        let expected = sent
            .iter()
            .find(|p| p.identifier.raw_id() == target)
            .unwrap_or_else(|| panic!("no participant has raw id {target}"));
        assert_eq!(participant, expected, "error about {target}");
        assert_eq!(error.message, format!("cannot add {target}"));
    }
    // Every participant we sent is reported once.
    for participant in &sent {
        let count = errors
            .iter()
            .filter(|f| &f.participant == participant)
            .count();
        assert_eq!(count, 1, "{participant:?}");
    }
    let stranger = errors
        .iter()
        .find(|f| f.error.target.as_deref() == Some(STRANGER))
        .expect("the error about an unknown participant is still returned");
    assert_eq!(stranger.participant.identifier.raw_id(), STRANGER);
    assert_eq!(stranger.participant.display_name, None);
    assert_eq!(stranger.error.code, "404");
}

#[test]
fn the_targets_are_the_participants_raw_ids() {
    let raw_ids: Vec<String> = everyone().iter().map(|p| p.identifier.raw_id()).collect();
    assert_eq!(raw_ids, TARGETS);
}

#[tokio::test]
async fn create_chat_thread_pairs_each_invalid_participant_with_its_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/chat/threads");
            then.status(201).json_body(json!({
                "chatThread": {
                    "id": "19:t@thread.v2",
                    "topic": "t",
                    "createdOn": "2024-01-02T03:04:05Z",
                    "createdByCommunicationIdentifier": acs_user_model("8:acs:res_me")
                },
                "invalidParticipants": invalid_participants()
            }));
        })
        .await;
    let (client, _) = client(&server);

    let created = client
        .create_chat_thread("t")
        .participants(everyone())
        .await
        .unwrap();

    assert_eq!(created.chat_thread.id, "19:t@thread.v2");
    assert_paired(&created.errors);
}

#[tokio::test]
async fn add_participants_pairs_each_invalid_participant_with_its_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(thread_path("/participants/:add"));
            then.status(201)
                .json_body(json!({ "invalidParticipants": invalid_participants() }));
        })
        .await;
    let (client, _) = client(&server);

    let failures = client
        .get_chat_thread_client(THREAD)
        .add_participants(everyone())
        .await
        .unwrap();

    assert_paired(&failures);
}

#[tokio::test]
async fn an_error_without_a_target_is_still_returned() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(thread_path("/participants/:add"));
            then.status(201).json_body(json!({
                "invalidParticipants": [{"code": "500", "message": "something failed"}]
            }));
        })
        .await;
    let (client, _) = client(&server);

    let failures = client
        .get_chat_thread_client(THREAD)
        .add_participants(everyone())
        .await
        .unwrap();

    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].error.message, "something failed");
    assert_eq!(failures[0].error.target, None);
}

#[tokio::test]
async fn a_participant_with_an_explicit_raw_id_is_paired_by_that_raw_id() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(thread_path("/participants/:add"));
            then.status(201).json_body(json!({
                "invalidParticipants": [{"code": "403", "message": "no", "target": "4:14255550123"}]
            }));
        })
        .await;
    let (client, _) = client(&server);
    let phone = ChatParticipant::new(
        PhoneNumberIdentifier::new("+14255550123").with_raw_id("4:14255550123"),
    )
    .display_name("Legacy phone");

    let failures = client
        .get_chat_thread_client(THREAD)
        .add_participants([phone.clone()])
        .await
        .unwrap();

    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].participant, phone);
}

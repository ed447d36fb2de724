//! Communication identifiers: reading the ones clients send, writing the
//! ones the service returns.
//!
//! Requests (`CommunicationIdentifierModel`) may name the kind explicitly
//! (`kind`), through a kind-specific property (`communicationUser`,
//! `phoneNumber`, ...), or only through `rawId`; the official SDKs send
//! `rawId` plus the kind-specific property. An identifier with none of these
//! is a 400. For a communication user, the id (`communicationUser.id`, else
//! `rawId`) must be well formed (`8:acs:<resource guid>_<suffix>`), and must
//! agree with `rawId` when both are sent; otherwise 400.
//!
//! Responses carry `rawId` and the kind-specific property, without `kind`:
//! that is what the service sends in every recording available (api-versions
//! 2021-09-07 and 2023-11-15-preview) and in the spec's 2025-03-15 examples.

use acs_chat_rest::types::{
    CommunicationIdentifierModel, CommunicationIdentifierModelKind as Kind,
    CommunicationUserIdentifierModel,
};

use crate::error::ApiError;
use crate::identity_store::{is_user_id, USER_ID_PREFIX};

use super::errors::bad_request;
use super::ids::printable;

/// Prefixes of communication users of other clouds or of other services
/// (well formed, but never users of the emulated resource).
const FOREIGN_USER_PREFIXES: &[&str] = &["8:spool:", "8:dod-acs:", "8:gcch-acs:"];

/// What a request identifier designates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Identified {
    /// A well-formed communication user id (`8:acs:...`), of this resource
    /// or not.
    AcsUser(String),
    /// Any other participant kind (phone number, Teams user or app, Teams
    /// extension user, a communication user of another cloud, unknown):
    /// its raw id and kind name. The emulator cannot add these.
    Other {
        /// The raw id.
        raw_id: String,
        /// The kind's wire name.
        kind: String,
    },
}

impl Identified {
    /// The raw id (for `invalidParticipants[].target` and messages).
    pub(crate) fn raw_id(&self) -> &str {
        match self {
            Self::AcsUser(id) => id,
            Self::Other { raw_id, .. } => raw_id,
        }
    }
}

/// Reads a request identifier; `target` names it in 400 answers.
pub(crate) fn identify(
    model: &CommunicationIdentifierModel,
    target: &str,
) -> Result<Identified, ApiError> {
    let raw_id = model.raw_id.as_deref().filter(|id| !id.is_empty());
    let kind = kind_of(model, raw_id).ok_or_else(|| {
        bad_request(
            target,
            "The identifier has no kind, no rawId and no kind-specific property.",
        )
    })?;
    match kind {
        Kind::CommunicationUser => communication_user(model, raw_id, target),
        Kind::PhoneNumber => {
            let raw = raw_id.map(str::to_owned).or_else(|| {
                model
                    .phone_number
                    .as_ref()
                    .map(|phone| format!("4:{}", phone.value))
            });
            other(raw, "phoneNumber", target)
        }
        Kind::MicrosoftTeamsUser => {
            let raw = raw_id.map(str::to_owned).or_else(|| {
                model
                    .microsoft_teams_user
                    .as_ref()
                    .map(|user| format!("8:orgid:{}", user.user_id))
            });
            other(raw, "microsoftTeamsUser", target)
        }
        Kind::MicrosoftTeamsApp => {
            let raw = raw_id.map(str::to_owned).or_else(|| {
                model
                    .microsoft_teams_app
                    .as_ref()
                    .map(|app| format!("28:orgid:{}", app.app_id))
            });
            other(raw, "microsoftTeamsApp", target)
        }
        Kind::TeamsExtensionUser => {
            let raw = raw_id.map(str::to_owned).or_else(|| {
                model.teams_extension_user.as_ref().map(|user| {
                    format!(
                        "8:acs:{}_{}_{}",
                        user.resource_id, user.tenant_id, user.user_id
                    )
                })
            });
            other(raw, "teamsExtensionUser", target)
        }
        Kind::Unknown(name) => other(raw_id.map(str::to_owned), &name, target),
    }
}

/// The kind: explicit, else from the kind-specific property, else from the
/// raw id's prefix.
fn kind_of(model: &CommunicationIdentifierModel, raw_id: Option<&str>) -> Option<Kind> {
    if let Some(kind) = &model.kind {
        return Some(kind.clone());
    }
    if model.communication_user.is_some() {
        return Some(Kind::CommunicationUser);
    }
    if model.phone_number.is_some() {
        return Some(Kind::PhoneNumber);
    }
    if model.microsoft_teams_user.is_some() {
        return Some(Kind::MicrosoftTeamsUser);
    }
    if model.microsoft_teams_app.is_some() {
        return Some(Kind::MicrosoftTeamsApp);
    }
    if model.teams_extension_user.is_some() {
        return Some(Kind::TeamsExtensionUser);
    }
    let raw = raw_id?;
    Some(if raw.starts_with("4:") {
        Kind::PhoneNumber
    } else if raw.starts_with("28:") {
        Kind::MicrosoftTeamsApp
    } else if ["8:orgid:", "8:dod:", "8:gcch:", "8:teamsvisitor:"]
        .iter()
        .any(|p| raw.starts_with(p))
    {
        Kind::MicrosoftTeamsUser
    } else if raw.starts_with(USER_ID_PREFIX)
        || FOREIGN_USER_PREFIXES.iter().any(|p| raw.starts_with(p))
    {
        Kind::CommunicationUser
    } else {
        Kind::Unknown("unknown".to_owned())
    })
}

fn communication_user(
    model: &CommunicationIdentifierModel,
    raw_id: Option<&str>,
    target: &str,
) -> Result<Identified, ApiError> {
    let id = model
        .communication_user
        .as_ref()
        .map(|user| user.id.as_str())
        .filter(|id| !id.is_empty());
    let id = match (id, raw_id) {
        (Some(id), Some(raw)) if id != raw => {
            return Err(bad_request(
                target,
                format!(
                    "The rawId '{}' does not match the communication user id '{}'.",
                    printable(raw),
                    printable(id)
                ),
            ))
        }
        (Some(id), _) | (None, Some(id)) => id,
        (None, None) => {
            return Err(bad_request(
                target,
                "The communication user identifier has no id.",
            ))
        }
    };
    if is_user_id(id) {
        return Ok(Identified::AcsUser(id.to_owned()));
    }
    if FOREIGN_USER_PREFIXES.iter().any(|p| id.starts_with(p)) {
        return Ok(Identified::Other {
            raw_id: id.to_owned(),
            kind: "communicationUser".to_owned(),
        });
    }
    Err(bad_request(
        target,
        format!("'{}' is not a valid communication user id.", printable(id)),
    ))
}

fn other(raw_id: Option<String>, kind: &str, target: &str) -> Result<Identified, ApiError> {
    match raw_id.filter(|id| !id.is_empty()) {
        Some(raw_id) => Ok(Identified::Other {
            raw_id,
            kind: kind.to_owned(),
        }),
        None => Err(bad_request(
            target,
            format!("The '{}' identifier has no rawId.", printable(kind)),
        )),
    }
}

/// The resource GUID of a well-formed communication user id.
pub(crate) fn resource_of(user_id: &str) -> Option<&str> {
    user_id
        .strip_prefix(USER_ID_PREFIX)
        .and_then(|rest| rest.split_once('_'))
        .map(|(resource, _)| resource)
}

/// The wire identifier of a communication user, as the service returns it.
pub(crate) fn user_model(user_id: &str) -> CommunicationIdentifierModel {
    CommunicationIdentifierModel {
        raw_id: Some(user_id.to_owned()),
        communication_user: Some(CommunicationUserIdentifierModel {
            id: user_id.to_owned(),
        }),
        ..CommunicationIdentifierModel::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str =
        "8:acs:2dee53b4-368b-45b4-ab52-8493fb117652_00000005-14a2-493b-8a72-5a3a0d000081";

    fn model(json: serde_json::Value) -> CommunicationIdentifierModel {
        match serde_json::from_value(json) {
            Ok(model) => model,
            Err(err) => panic!("{err}"),
        }
    }

    #[test]
    fn communication_users() {
        let both = model(serde_json::json!({"rawId": USER, "communicationUser": {"id": USER}}));
        assert_eq!(
            identify(&both, "p").ok(),
            Some(Identified::AcsUser(USER.to_owned()))
        );
        let raw_only = model(serde_json::json!({"rawId": USER}));
        assert_eq!(
            identify(&raw_only, "p").ok(),
            Some(Identified::AcsUser(USER.to_owned()))
        );
        let kind_raw = model(serde_json::json!({"kind": "communicationUser", "rawId": USER}));
        assert!(identify(&kind_raw, "p").is_ok());
        assert_eq!(
            resource_of(USER),
            Some("2dee53b4-368b-45b4-ab52-8493fb117652")
        );
    }

    #[test]
    fn invalid_identifiers() {
        for bad in [
            serde_json::json!({}),
            serde_json::json!({"rawId": ""}),
            serde_json::json!({"communicationUser": {"id": "nope"}}),
            serde_json::json!({"rawId": "8:acs:x", "communicationUser": {"id": "8:acs:x"}}),
            serde_json::json!({"rawId": USER, "communicationUser": {"id": format!("{USER}0")}}),
            serde_json::json!({"kind": "communicationUser"}),
            serde_json::json!({"kind": "microsoftTeamsApp"}),
        ] {
            assert!(identify(&model(bad.clone()), "p").is_err(), "{bad}");
        }
    }

    #[test]
    fn other_kinds() {
        let phone = model(serde_json::json!({"phoneNumber": {"value": "+14255550123"}}));
        assert_eq!(
            identify(&phone, "p").ok(),
            Some(Identified::Other {
                raw_id: "4:+14255550123".to_owned(),
                kind: "phoneNumber".to_owned()
            })
        );
        let teams =
            model(serde_json::json!({"rawId": "8:orgid:45ab2481-1c1c-4005-be24-0ffb879b1130"}));
        assert!(matches!(
            identify(&teams, "p"),
            Ok(Identified::Other { kind, .. }) if kind == "microsoftTeamsUser"
        ));
        let odd = model(serde_json::json!({"rawId": "something"}));
        assert!(matches!(
            identify(&odd, "p"),
            Ok(Identified::Other { kind, .. }) if kind == "unknown"
        ));
    }
}

//! The serde shapes of the models whose JSON is the REST API's own (an
//! identifier object, a retention policy): each goes through its wire type,
//! so that what this crate writes is what the service reads and sends.
//! Kept apart from the models so that they need not import the conversions.

use crate::identifier::{
    CommunicationIdentifier, CommunicationUserIdentifier, MicrosoftTeamsAppIdentifier,
    MicrosoftTeamsUserIdentifier, PhoneNumberIdentifier, TeamsExtensionUserIdentifier,
    UnknownIdentifier,
};
use crate::models::ChatRetentionPolicy;

impl serde::Serialize for CommunicationIdentifier {
    /// Writes the REST API's identifier object: `rawId`, `kind`, and the
    /// kind's own object (`communicationUser`, `phoneNumber`, ...).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        crate::wire::identifier_to_wire(self).serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for CommunicationIdentifier {
    /// Reads the REST API's identifier object (as the service sends it, or as
    /// written by `Serialize`). The kind's own object wins when there is one,
    /// with the `rawId` kept as the explicit raw id only when it differs from
    /// the one computed from that object (so an explicit raw id equal to the
    /// computed one reads back as none, which changes nothing but `==`);
    /// otherwise the `rawId` is parsed, unless `kind` is `unknown`.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let model = acs_chat_rest::types::CommunicationIdentifierModel::deserialize(deserializer)?;
        Ok(crate::wire::identifier_from_wire(model))
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for CommunicationIdentifier {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        <acs_chat_rest::types::CommunicationIdentifierModel as schemars::JsonSchema>::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <acs_chat_rest::types::CommunicationIdentifierModel as schemars::JsonSchema>::json_schema(
            generator,
        )
    }
}

/// Serde for each concrete identifier kind, in the same wire shape as
/// [`CommunicationIdentifier`].
macro_rules! kind_serde {
    ($($variant:ident($ty:ident) = $kind:literal),* $(,)?) => {$(
        impl serde::Serialize for $ty {
            /// Writes the same object as [`CommunicationIdentifier`] does.
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                crate::wire::identifier_to_wire(&CommunicationIdentifier::$variant(self.clone()))
                    .serialize(serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            /// Reads an identifier object as [`CommunicationIdentifier`] does,
            /// and fails unless it is of this kind.
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                match <CommunicationIdentifier as serde::Deserialize>::deserialize(deserializer)? {
                    CommunicationIdentifier::$variant(identifier) => Ok(identifier),
                    other => Err(<D::Error as serde::de::Error>::custom(format_args!(
                        "expected a {} identifier, found a {} one ({})",
                        $kind,
                        other.kind(),
                        other.raw_id()
                    ))),
                }
            }
        }

        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                <CommunicationIdentifier as schemars::JsonSchema>::schema_name()
            }
            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                <CommunicationIdentifier as schemars::JsonSchema>::json_schema(generator)
            }
        }
    )*};
}

kind_serde!(
    CommunicationUser(CommunicationUserIdentifier) = "communicationUser",
    PhoneNumber(PhoneNumberIdentifier) = "phoneNumber",
    MicrosoftTeamsUser(MicrosoftTeamsUserIdentifier) = "microsoftTeamsUser",
    MicrosoftTeamsApp(MicrosoftTeamsAppIdentifier) = "microsoftTeamsApp",
    TeamsExtensionUser(TeamsExtensionUserIdentifier) = "teamsExtensionUser",
    Unknown(UnknownIdentifier) = "unknown",
);

impl serde::Serialize for ChatRetentionPolicy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        crate::wire::retention_to_wire(self).serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for ChatRetentionPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = acs_chat_rest::types::ChatRetentionPolicy::deserialize(deserializer)?;
        Ok(crate::wire::retention_from_wire(wire))
    }
}

//! Identifiers for the participants of Azure Communication Services.
//!
//! Every participant (a Communication Services user, a phone number, a
//! Microsoft Teams user or app, ...) has a *raw id*: one string that encodes
//! both the kind of participant and its properties. The raw id is what the
//! service uses as a stable key, and it is the form to store in a database.
//! [`CommunicationIdentifier::from_raw_id`] and
//! [`CommunicationIdentifier::raw_id`] convert between the two forms with the
//! same rules as Microsoft's official SDKs.
//!
//! ```
//! use acs_chat::identifier::{
//!     CommunicationCloudEnvironment, CommunicationIdentifier, MicrosoftTeamsUserIdentifier,
//! };
//!
//! let id = CommunicationIdentifier::from_raw_id("8:gcch:45ab2481-1c1c-4005-be24-0ffb879b1130");
//! match &id {
//!     CommunicationIdentifier::MicrosoftTeamsUser(user) => {
//!         assert_eq!(user.user_id, "45ab2481-1c1c-4005-be24-0ffb879b1130");
//!         assert_eq!(user.cloud, CommunicationCloudEnvironment::Gcch);
//!     }
//!     other => panic!("unexpected kind {}", other.kind()),
//! }
//!
//! // Building an identifier and asking for its raw id goes the other way.
//! let user = MicrosoftTeamsUserIdentifier::new("45ab2481-1c1c-4005-be24-0ffb879b1130")
//!     .with_cloud(CommunicationCloudEnvironment::Gcch);
//! assert_eq!(CommunicationIdentifier::from(user), id);
//! assert_eq!(id.to_string(), "8:gcch:45ab2481-1c1c-4005-be24-0ffb879b1130");
//! ```

#![forbid(unsafe_code)]

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

const PHONE_NUMBER_PREFIX: &str = "4:";
const PHONE_NUMBER_ANONYMOUS: &str = "anonymous";
const TEAMS_APP_PUBLIC_CLOUD_PREFIX: &str = "28:orgid:";
const TEAMS_APP_DOD_CLOUD_PREFIX: &str = "28:dod:";
const TEAMS_APP_GCCH_CLOUD_PREFIX: &str = "28:gcch:";
const TEAMS_USER_ANONYMOUS_PREFIX: &str = "8:teamsvisitor:";
const TEAMS_USER_PUBLIC_CLOUD_PREFIX: &str = "8:orgid:";
const TEAMS_USER_DOD_CLOUD_PREFIX: &str = "8:dod:";
const TEAMS_USER_GCCH_CLOUD_PREFIX: &str = "8:gcch:";
const ACS_USER_PREFIX: &str = "8:acs:";
const ACS_USER_DOD_CLOUD_PREFIX: &str = "8:dod-acs:";
const ACS_USER_GCCH_CLOUD_PREFIX: &str = "8:gcch-acs:";
const SPOOL_USER_PREFIX: &str = "8:spool:";

/// The Microsoft cloud a Teams user, Teams app or Teams Phone extension user
/// belongs to.
///
/// The set of clouds is open: a value this version does not know is kept in
/// [`CommunicationCloudEnvironment::Unknown`] so that it survives a round
/// trip through the wire format.
///
/// ```
/// use acs_chat::identifier::CommunicationCloudEnvironment;
///
/// assert_eq!(CommunicationCloudEnvironment::from("dod"), CommunicationCloudEnvironment::Dod);
/// assert_eq!(CommunicationCloudEnvironment::Gcch.as_str(), "gcch");
/// let future = CommunicationCloudEnvironment::from("sovereign-2");
/// assert_eq!(future.as_str(), "sovereign-2");
/// // Serialized as its wire name.
/// assert_eq!(serde_json::to_string(&CommunicationCloudEnvironment::Dod).unwrap(), r#""dod""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum CommunicationCloudEnvironment {
    /// The public (commercial) cloud; the default.
    #[default]
    Public,
    /// The US Department of Defense cloud.
    Dod,
    /// The US Government Community Cloud High.
    Gcch,
    /// A cloud this version of the crate does not know, with its wire name.
    Unknown(String),
}

impl CommunicationCloudEnvironment {
    /// The wire name of the cloud: `"public"`, `"dod"`, `"gcch"`, or the
    /// stored name of an unknown cloud.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Public => "public",
            Self::Dod => "dod",
            Self::Gcch => "gcch",
            Self::Unknown(name) => name,
        }
    }
}

impl From<&str> for CommunicationCloudEnvironment {
    /// Maps a wire name to a cloud. The known names match without regard to
    /// ASCII case, as the official SDKs treat this as a case-insensitive
    /// extensible enum; anything else becomes `Unknown` unchanged.
    fn from(name: &str) -> Self {
        if name.eq_ignore_ascii_case("public") {
            Self::Public
        } else if name.eq_ignore_ascii_case("dod") {
            Self::Dod
        } else if name.eq_ignore_ascii_case("gcch") {
            Self::Gcch
        } else {
            Self::Unknown(name.to_owned())
        }
    }
}

impl From<String> for CommunicationCloudEnvironment {
    fn from(name: String) -> Self {
        match Self::from(name.as_str()) {
            // Reuse the caller's allocation for the open case.
            Self::Unknown(_) => Self::Unknown(name),
            known => known,
        }
    }
}

impl fmt::Display for CommunicationCloudEnvironment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for CommunicationCloudEnvironment {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for CommunicationCloudEnvironment {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::from(<String as serde::Deserialize>::deserialize(
            deserializer,
        )?))
    }
}

/// A user of Azure Communication Services, as issued by the Identity service.
///
/// The id is itself the raw id (for example `8:acs:<resource>_<user>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CommunicationUserIdentifier {
    /// The full id of the user as returned by the Identity service.
    pub id: String,
}

impl CommunicationUserIdentifier {
    /// Creates a Communication Services user identifier from its id.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }

    /// The raw id: the user id itself.
    pub fn raw_id(&self) -> String {
        self.id.clone()
    }
}

/// A phone number participant.
///
/// Raw ids of phone numbers are `4:` followed by the number exactly as given
/// (the official SDKs stopped adding or removing a leading `+`). A number of
/// the form `<number>_<assertedId>` carries an asserted id that tells apart
/// several connections made through the same number, and `4:anonymous`
/// stands for a hidden caller id.
///
/// ```
/// use acs_chat::identifier::{CommunicationIdentifier, PhoneNumberIdentifier};
///
/// let phone = PhoneNumberIdentifier::new("+14255550123");
/// assert_eq!(phone.raw_id(), "4:+14255550123");
///
/// let CommunicationIdentifier::PhoneNumber(leg) =
///     CommunicationIdentifier::from_raw_id("4:+14255550123_leg-2")
/// else {
///     unreachable!()
/// };
/// assert_eq!(leg.asserted_id.as_deref(), Some("leg-2"));
/// assert!(!leg.is_anonymous);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PhoneNumberIdentifier {
    /// The phone number, normally in E.164 format. When parsed from a raw id
    /// this is everything after `4:`, asserted id included.
    pub phone_number: String,
    /// An explicit raw id; when set it is returned by
    /// [`raw_id`](Self::raw_id) instead of the computed one.
    pub raw_id: Option<String>,
    /// Whether the number is the anonymous (hidden caller id) number.
    pub is_anonymous: bool,
    /// The asserted id, set on a number that is already in the same call to
    /// tell apart connections made through that number.
    pub asserted_id: Option<String>,
}

impl PhoneNumberIdentifier {
    /// Creates a phone number identifier.
    ///
    /// `is_anonymous` and `asserted_id` are derived from the number with the
    /// rules used when parsing a raw id, so that
    /// `from_raw_id(x.raw_id())` gives back `x`.
    pub fn new(phone_number: impl Into<String>) -> Self {
        let phone_number = phone_number.into();
        let (is_anonymous, asserted_id) = phone_number_details(&phone_number);
        Self {
            phone_number,
            raw_id: None,
            is_anonymous,
            asserted_id,
        }
    }

    /// Sets an explicit raw id, which then wins over the computed one.
    pub fn with_raw_id(mut self, raw_id: impl Into<String>) -> Self {
        self.raw_id = Some(raw_id.into());
        self
    }

    /// The raw id: the explicit one if set, else `4:` followed by the number.
    pub fn raw_id(&self) -> String {
        match &self.raw_id {
            Some(raw_id) => raw_id.clone(),
            None => format!("{PHONE_NUMBER_PREFIX}{}", self.phone_number),
        }
    }
}

/// Derives `(is_anonymous, asserted_id)` from the part of a phone number raw
/// id after `4:`.
fn phone_number_details(number: &str) -> (bool, Option<String>) {
    if number == PHONE_NUMBER_ANONYMOUS {
        return (true, None);
    }
    // The asserted id is what follows the last `_`, and only when that is
    // not empty; a leading `_` still counts (`_123` asserts `123`).
    let asserted_id = number
        .rfind('_')
        .map(|underscore| &number[underscore + 1..])
        .filter(|rest| !rest.is_empty())
        .map(str::to_owned);
    (false, asserted_id)
}

/// A Microsoft Teams user, or an anonymous Teams meeting guest.
///
/// ```
/// use acs_chat::identifier::{CommunicationCloudEnvironment, MicrosoftTeamsUserIdentifier};
///
/// let user = MicrosoftTeamsUserIdentifier::new("45ab2481").with_cloud(CommunicationCloudEnvironment::Dod);
/// assert_eq!(user.raw_id(), "8:dod:45ab2481");
/// assert_eq!(MicrosoftTeamsUserIdentifier::anonymous("guest-1").raw_id(), "8:teamsvisitor:guest-1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MicrosoftTeamsUserIdentifier {
    /// The Entra ID object id of the user, or the guest id of an anonymous user.
    pub user_id: String,
    /// Whether the user is an anonymous meeting guest (joined with a link).
    pub is_anonymous: bool,
    /// The cloud the user belongs to. Ignored in the raw id of anonymous users.
    pub cloud: CommunicationCloudEnvironment,
    /// An explicit raw id; when set it is returned by
    /// [`raw_id`](Self::raw_id) instead of the computed one.
    pub raw_id: Option<String>,
}

impl MicrosoftTeamsUserIdentifier {
    /// Creates a non-anonymous Teams user in the public cloud.
    pub fn new(user_id: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            is_anonymous: false,
            cloud: CommunicationCloudEnvironment::Public,
            raw_id: None,
        }
    }

    /// Creates an anonymous Teams meeting guest.
    pub fn anonymous(user_id: impl Into<String>) -> Self {
        Self {
            is_anonymous: true,
            ..Self::new(user_id)
        }
    }

    /// Sets the cloud.
    pub fn with_cloud(mut self, cloud: CommunicationCloudEnvironment) -> Self {
        self.cloud = cloud;
        self
    }

    /// Sets an explicit raw id, which then wins over the computed one.
    pub fn with_raw_id(mut self, raw_id: impl Into<String>) -> Self {
        self.raw_id = Some(raw_id.into());
        self
    }

    /// The raw id: the explicit one if set; `8:teamsvisitor:<id>` for an
    /// anonymous user; else `8:dod:`, `8:gcch:` or (public and unknown
    /// clouds) `8:orgid:` followed by the user id.
    pub fn raw_id(&self) -> String {
        if let Some(raw_id) = &self.raw_id {
            return raw_id.clone();
        }
        let prefix = if self.is_anonymous {
            TEAMS_USER_ANONYMOUS_PREFIX
        } else {
            match self.cloud {
                CommunicationCloudEnvironment::Dod => TEAMS_USER_DOD_CLOUD_PREFIX,
                CommunicationCloudEnvironment::Gcch => TEAMS_USER_GCCH_CLOUD_PREFIX,
                CommunicationCloudEnvironment::Public
                | CommunicationCloudEnvironment::Unknown(_) => TEAMS_USER_PUBLIC_CLOUD_PREFIX,
            }
        };
        format!("{prefix}{}", self.user_id)
    }
}

/// A Microsoft Teams app (for example a bot or a Teams voice application).
///
/// ```
/// use acs_chat::identifier::MicrosoftTeamsAppIdentifier;
///
/// assert_eq!(MicrosoftTeamsAppIdentifier::new("01234567").raw_id(), "28:orgid:01234567");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MicrosoftTeamsAppIdentifier {
    /// The Teams app id.
    pub app_id: String,
    /// The cloud the app belongs to.
    pub cloud: CommunicationCloudEnvironment,
    /// An explicit raw id; when set it is returned by
    /// [`raw_id`](Self::raw_id) instead of the computed one.
    pub raw_id: Option<String>,
}

impl MicrosoftTeamsAppIdentifier {
    /// Creates a Teams app identifier in the public cloud.
    pub fn new(app_id: impl Into<String>) -> Self {
        Self {
            app_id: app_id.into(),
            cloud: CommunicationCloudEnvironment::Public,
            raw_id: None,
        }
    }

    /// Sets the cloud.
    pub fn with_cloud(mut self, cloud: CommunicationCloudEnvironment) -> Self {
        self.cloud = cloud;
        self
    }

    /// Sets an explicit raw id, which then wins over the computed one.
    pub fn with_raw_id(mut self, raw_id: impl Into<String>) -> Self {
        self.raw_id = Some(raw_id.into());
        self
    }

    /// The raw id: the explicit one if set; else `28:dod:`, `28:gcch:` or
    /// (public and unknown clouds) `28:orgid:` followed by the app id.
    pub fn raw_id(&self) -> String {
        if let Some(raw_id) = &self.raw_id {
            return raw_id.clone();
        }
        let prefix = match self.cloud {
            CommunicationCloudEnvironment::Dod => TEAMS_APP_DOD_CLOUD_PREFIX,
            CommunicationCloudEnvironment::Gcch => TEAMS_APP_GCCH_CLOUD_PREFIX,
            CommunicationCloudEnvironment::Public | CommunicationCloudEnvironment::Unknown(_) => {
                TEAMS_APP_PUBLIC_CLOUD_PREFIX
            }
        };
        format!("{prefix}{}", self.app_id)
    }
}

/// A Microsoft Teams Phone user who uses a Communication Services resource to
/// extend their Teams Phone set-up.
///
/// Its raw id shares the `8:acs:` family of prefixes with Communication
/// Services users and is told apart by a suffix of exactly three
/// `_`-separated parts: `<resourceId>_<tenantId>_<userId>`.
///
/// ```
/// use acs_chat::identifier::TeamsExtensionUserIdentifier;
///
/// let user = TeamsExtensionUserIdentifier::new("user", "tenant", "resource");
/// assert_eq!(user.raw_id(), "8:acs:resource_tenant_user");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TeamsExtensionUserIdentifier {
    /// The Entra ID object id of the user.
    pub user_id: String,
    /// The Entra ID tenant id of the user.
    pub tenant_id: String,
    /// The id of the Communication Services resource.
    pub resource_id: String,
    /// The cloud the user belongs to.
    pub cloud: CommunicationCloudEnvironment,
    /// An explicit raw id; when set it is returned by
    /// [`raw_id`](Self::raw_id) instead of the computed one.
    pub raw_id: Option<String>,
}

impl TeamsExtensionUserIdentifier {
    /// Creates a Teams Phone extension user in the public cloud. The argument
    /// order (user, tenant, resource) follows the official SDKs'
    /// constructors; the raw id lists them the other way round.
    pub fn new(
        user_id: impl Into<String>,
        tenant_id: impl Into<String>,
        resource_id: impl Into<String>,
    ) -> Self {
        Self {
            user_id: user_id.into(),
            tenant_id: tenant_id.into(),
            resource_id: resource_id.into(),
            cloud: CommunicationCloudEnvironment::Public,
            raw_id: None,
        }
    }

    /// Sets the cloud.
    pub fn with_cloud(mut self, cloud: CommunicationCloudEnvironment) -> Self {
        self.cloud = cloud;
        self
    }

    /// Sets an explicit raw id, which then wins over the computed one.
    pub fn with_raw_id(mut self, raw_id: impl Into<String>) -> Self {
        self.raw_id = Some(raw_id.into());
        self
    }

    /// The raw id: the explicit one if set; else `8:dod-acs:`, `8:gcch-acs:`
    /// or (public and unknown clouds) `8:acs:` followed by
    /// `<resourceId>_<tenantId>_<userId>`.
    pub fn raw_id(&self) -> String {
        if let Some(raw_id) = &self.raw_id {
            return raw_id.clone();
        }
        let prefix = match self.cloud {
            CommunicationCloudEnvironment::Dod => ACS_USER_DOD_CLOUD_PREFIX,
            CommunicationCloudEnvironment::Gcch => ACS_USER_GCCH_CLOUD_PREFIX,
            CommunicationCloudEnvironment::Public | CommunicationCloudEnvironment::Unknown(_) => {
                ACS_USER_PREFIX
            }
        };
        format!(
            "{prefix}{}_{}_{}",
            self.resource_id, self.tenant_id, self.user_id
        )
    }
}

/// An identifier of a kind this version of the crate does not recognise.
///
/// Rely on its raw id rather than on its kind: an id that is unknown today
/// may get a kind of its own in a later version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct UnknownIdentifier {
    /// The raw id.
    pub id: String,
}

impl UnknownIdentifier {
    /// Creates an unknown identifier from its raw id.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }

    /// The raw id: the id itself.
    pub fn raw_id(&self) -> String {
        self.id.clone()
    }
}

/// A participant of Azure Communication Services.
///
/// Equality is structural: two values are equal when they are the same kind
/// with the same fields, including an explicit `raw_id`. Compare
/// [`raw_id`](Self::raw_id)s to ask whether two identifiers name the same
/// participant.
///
/// `Display` writes the raw id; [`FromStr`] parses one and never fails.
///
/// ```
/// use acs_chat::identifier::{CommunicationIdentifier, PhoneNumberIdentifier};
///
/// let phone: CommunicationIdentifier = PhoneNumberIdentifier::new("+14255550123").into();
/// assert_eq!(phone.kind(), "phoneNumber");
/// assert_eq!(phone.raw_id(), "4:+14255550123");
///
/// let parsed: CommunicationIdentifier = "4:+14255550123".parse().unwrap();
/// assert_eq!(parsed, phone);
///
/// let odd = CommunicationIdentifier::from_raw_id("48:45ab2481");
/// assert_eq!(odd.kind(), "unknown");
/// assert_eq!(odd.to_string(), "48:45ab2481");
/// ```
///
/// An identifier compares with its concrete kinds (both ways), and serializes
/// as the REST API's identifier object (`rawId`, `kind` and the kind's own
/// object), which reads back into the same value. The concrete kinds
/// serialize the same way, and print their raw id.
///
/// ```
/// use acs_chat::identifier::{CommunicationIdentifier, CommunicationUserIdentifier};
/// use serde_json::json;
///
/// let bob = CommunicationUserIdentifier::new("8:acs:r_bob");
/// let id = CommunicationIdentifier::from_raw_id("8:acs:r_bob");
/// assert_eq!(id, bob);
/// assert_eq!(bob, id);
/// assert_eq!(bob.to_string(), "8:acs:r_bob");
///
/// let value = serde_json::to_value(&id).unwrap();
/// assert_eq!(value, json!({
///     "rawId": "8:acs:r_bob",
///     "kind": "communicationUser",
///     "communicationUser": {"id": "8:acs:r_bob"}
/// }));
/// assert_eq!(serde_json::from_value::<CommunicationIdentifier>(value).unwrap(), id);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommunicationIdentifier {
    /// A Communication Services user.
    CommunicationUser(CommunicationUserIdentifier),
    /// A phone number.
    PhoneNumber(PhoneNumberIdentifier),
    /// A Microsoft Teams user or anonymous meeting guest.
    MicrosoftTeamsUser(MicrosoftTeamsUserIdentifier),
    /// A Microsoft Teams app.
    MicrosoftTeamsApp(MicrosoftTeamsAppIdentifier),
    /// A Teams Phone user extended through a Communication Services resource.
    TeamsExtensionUser(TeamsExtensionUserIdentifier),
    /// An identifier of a kind this version does not recognise.
    Unknown(UnknownIdentifier),
}

impl CommunicationIdentifier {
    /// Parses a raw id. Never fails: a raw id that matches no known kind
    /// becomes [`CommunicationIdentifier::Unknown`].
    ///
    /// The identifiers returned carry no explicit `raw_id`; their computed
    /// raw id equals the input for every string, so
    /// `from_raw_id(s).raw_id() == s` always holds.
    ///
    /// The rules (matching is case-sensitive):
    /// - `4:<rest>`: a phone number `<rest>`; anonymous when `<rest>` is
    ///   `anonymous`; otherwise its asserted id is what follows the last `_`
    ///   of `<rest>`, when that is not empty.
    /// - Any other string must split on `:` into exactly three parts
    ///   `<a>:<b>:<suffix>`, else it is unknown. Then by `<a>:<b>:`:
    ///   - `8:teamsvisitor:` anonymous Teams user `<suffix>`;
    ///   - `8:orgid:`, `8:dod:`, `8:gcch:` Teams user `<suffix>` in the
    ///     public, DoD or GCCH cloud;
    ///   - `8:acs:`, `8:dod-acs:`, `8:gcch-acs:` a Teams Phone extension user
    ///     in the public, DoD or GCCH cloud when `<suffix>` splits on `_` into
    ///     exactly three parts `<resourceId>_<tenantId>_<userId>`, else a
    ///     Communication Services user whose id is the whole raw id;
    ///   - `8:spool:` a Communication Services user whose id is the whole raw id;
    ///   - `28:orgid:`, `28:dod:`, `28:gcch:` Teams app `<suffix>` in the
    ///     public, DoD or GCCH cloud (other `28:` forms are unknown);
    ///   - anything else is unknown.
    ///
    /// ```
    /// use acs_chat::identifier::CommunicationIdentifier;
    ///
    /// let ext = CommunicationIdentifier::from_raw_id("8:dod-acs:resource_tenant_user");
    /// let CommunicationIdentifier::TeamsExtensionUser(user) = &ext else { unreachable!() };
    /// assert_eq!((user.resource_id.as_str(), user.tenant_id.as_str(), user.user_id.as_str()),
    ///            ("resource", "tenant", "user"));
    ///
    /// let acs = CommunicationIdentifier::from_raw_id("8:acs:resource_user");
    /// assert_eq!(acs.kind(), "communicationUser");
    /// ```
    pub fn from_raw_id(raw_id: &str) -> Self {
        if let Some(number) = raw_id.strip_prefix(PHONE_NUMBER_PREFIX) {
            return Self::PhoneNumber(PhoneNumberIdentifier::new(number));
        }

        let mut segments = raw_id.split(':');
        let (Some(scope), Some(kind), Some(suffix), None) = (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) else {
            return Self::unknown(raw_id);
        };
        // The prefix ends right after the second `:`, which sits at
        // `scope.len() + 1 + kind.len()`.
        let prefix = &raw_id[..scope.len() + kind.len() + 2];

        let teams_user = |cloud| {
            Self::MicrosoftTeamsUser(MicrosoftTeamsUserIdentifier::new(suffix).with_cloud(cloud))
        };
        let teams_app = |cloud| {
            Self::MicrosoftTeamsApp(MicrosoftTeamsAppIdentifier::new(suffix).with_cloud(cloud))
        };
        let acs_user = |cloud| Self::teams_extension_or_communication_user(raw_id, suffix, cloud);

        match prefix {
            TEAMS_USER_ANONYMOUS_PREFIX => {
                Self::MicrosoftTeamsUser(MicrosoftTeamsUserIdentifier::anonymous(suffix))
            }
            TEAMS_USER_PUBLIC_CLOUD_PREFIX => teams_user(CommunicationCloudEnvironment::Public),
            TEAMS_USER_DOD_CLOUD_PREFIX => teams_user(CommunicationCloudEnvironment::Dod),
            TEAMS_USER_GCCH_CLOUD_PREFIX => teams_user(CommunicationCloudEnvironment::Gcch),
            ACS_USER_PREFIX => acs_user(CommunicationCloudEnvironment::Public),
            ACS_USER_DOD_CLOUD_PREFIX => acs_user(CommunicationCloudEnvironment::Dod),
            ACS_USER_GCCH_CLOUD_PREFIX => acs_user(CommunicationCloudEnvironment::Gcch),
            SPOOL_USER_PREFIX => Self::CommunicationUser(CommunicationUserIdentifier::new(raw_id)),
            TEAMS_APP_PUBLIC_CLOUD_PREFIX => teams_app(CommunicationCloudEnvironment::Public),
            TEAMS_APP_DOD_CLOUD_PREFIX => teams_app(CommunicationCloudEnvironment::Dod),
            TEAMS_APP_GCCH_CLOUD_PREFIX => teams_app(CommunicationCloudEnvironment::Gcch),
            _ => Self::unknown(raw_id),
        }
    }

    fn unknown(raw_id: &str) -> Self {
        Self::Unknown(UnknownIdentifier::new(raw_id))
    }

    fn teams_extension_or_communication_user(
        raw_id: &str,
        suffix: &str,
        cloud: CommunicationCloudEnvironment,
    ) -> Self {
        let mut parts = suffix.split('_');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(resource_id), Some(tenant_id), Some(user_id), None) => Self::TeamsExtensionUser(
                TeamsExtensionUserIdentifier::new(user_id, tenant_id, resource_id)
                    .with_cloud(cloud),
            ),
            _ => Self::CommunicationUser(CommunicationUserIdentifier::new(raw_id)),
        }
    }

    /// The raw id of this identifier. An explicit `raw_id` stored in the
    /// variant always wins; otherwise it is computed from the fields (see
    /// each variant's `raw_id`).
    pub fn raw_id(&self) -> String {
        match self {
            Self::CommunicationUser(id) => id.raw_id(),
            Self::PhoneNumber(id) => id.raw_id(),
            Self::MicrosoftTeamsUser(id) => id.raw_id(),
            Self::MicrosoftTeamsApp(id) => id.raw_id(),
            Self::TeamsExtensionUser(id) => id.raw_id(),
            Self::Unknown(id) => id.raw_id(),
        }
    }

    /// The wire name of the identifier's kind: `"communicationUser"`,
    /// `"phoneNumber"`, `"microsoftTeamsUser"`, `"microsoftTeamsApp"`,
    /// `"teamsExtensionUser"` or `"unknown"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CommunicationUser(_) => "communicationUser",
            Self::PhoneNumber(_) => "phoneNumber",
            Self::MicrosoftTeamsUser(_) => "microsoftTeamsUser",
            Self::MicrosoftTeamsApp(_) => "microsoftTeamsApp",
            Self::TeamsExtensionUser(_) => "teamsExtensionUser",
            Self::Unknown(_) => "unknown",
        }
    }
}

impl fmt::Display for CommunicationIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw_id())
    }
}

impl FromStr for CommunicationIdentifier {
    type Err = Infallible;

    /// Same as [`CommunicationIdentifier::from_raw_id`].
    fn from_str(raw_id: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_raw_id(raw_id))
    }
}

/// For each concrete kind: `From` it into [`CommunicationIdentifier`],
/// `Display` as the raw id, and `PartialEq` with [`CommunicationIdentifier`]
/// both ways. (Serde, in the same wire shape, is in `crate::wire_serde`.)
macro_rules! impl_kind {
    ($($variant:ident($ty:ident) = $kind:literal),* $(,)?) => {$(
        impl From<$ty> for CommunicationIdentifier {
            fn from(identifier: $ty) -> Self {
                Self::$variant(identifier)
            }
        }

        impl fmt::Display for $ty {
            /// Writes the raw id.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.raw_id())
            }
        }

        impl PartialEq<$ty> for CommunicationIdentifier {
            /// Whether this is the same kind with equal fields.
            fn eq(&self, other: &$ty) -> bool {
                matches!(self, Self::$variant(inner) if inner == other)
            }
        }

        impl PartialEq<CommunicationIdentifier> for $ty {
            /// Whether `other` is this kind with equal fields.
            fn eq(&self, other: &CommunicationIdentifier) -> bool {
                other == self
            }
        }

    )*};
}

impl_kind!(
    CommunicationUser(CommunicationUserIdentifier) = "communicationUser",
    PhoneNumber(PhoneNumberIdentifier) = "phoneNumber",
    MicrosoftTeamsUser(MicrosoftTeamsUserIdentifier) = "microsoftTeamsUser",
    MicrosoftTeamsApp(MicrosoftTeamsAppIdentifier) = "microsoftTeamsApp",
    TeamsExtensionUser(TeamsExtensionUserIdentifier) = "teamsExtensionUser",
    Unknown(UnknownIdentifier) = "unknown",
);

#[cfg(test)]
mod tests {
    use super::CommunicationCloudEnvironment::{Dod, Gcch, Public};
    use super::*;

    const USER: &str = "45ab2481-1c1c-4005-be24-0ffb879b1130";
    const RESOURCE: &str = "bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd";
    const TENANT: &str = "45ab2481-1c1c-4005-be24-0ffb879b1130";
    const EXT_USER: &str = "207ffef6-9444-41fb-92ab-20eacaae2768";
    const APP: &str = "01234567-89ab-cdef-0123-456789abcdef";

    fn parse(raw_id: &str) -> CommunicationIdentifier {
        CommunicationIdentifier::from_raw_id(raw_id)
    }

    /// Parses, checks the expected value, and checks both round trips.
    fn assert_parses_to(raw_id: &str, expected: impl Into<CommunicationIdentifier>) {
        let expected = expected.into();
        let parsed = parse(raw_id);
        assert_eq!(parsed, expected, "parsing {raw_id:?}");
        assert_eq!(parsed.raw_id(), raw_id, "raw id of parsed {raw_id:?}");
        assert_eq!(parse(&expected.raw_id()), expected, "struct round trip");
        assert_eq!(parsed.to_string(), raw_id);
    }

    fn phone(number: &str, is_anonymous: bool, asserted_id: Option<&str>) -> PhoneNumberIdentifier {
        PhoneNumberIdentifier {
            phone_number: number.to_owned(),
            raw_id: None,
            is_anonymous,
            asserted_id: asserted_id.map(str::to_owned),
        }
    }

    #[test]
    fn communication_user_prefixes() {
        for prefix in ["8:acs:", "8:spool:", "8:dod-acs:", "8:gcch-acs:"] {
            for suffix in [
                format!("{RESOURCE}_{USER}"),
                "something".to_owned(),
                String::new(),
                "a_b".to_owned(),
                "a_b_c_d".to_owned(),
            ] {
                let raw = format!("{prefix}{suffix}");
                assert_parses_to(&raw, CommunicationUserIdentifier::new(raw.clone()));
            }
        }
        // Communication users never compute a prefix: the id is the raw id.
        assert_eq!(
            CommunicationUserIdentifier::new("someFutureFormat").raw_id(),
            "someFutureFormat"
        );
    }

    #[test]
    fn spool_with_three_parts_stays_a_communication_user() {
        let raw = "8:spool:a_b_c";
        assert_parses_to(raw, CommunicationUserIdentifier::new(raw));
    }

    #[test]
    fn teams_extension_user_prefixes() {
        for (prefix, cloud) in [
            ("8:acs:", Public),
            ("8:dod-acs:", Dod),
            ("8:gcch-acs:", Gcch),
        ] {
            let raw = format!("{prefix}{RESOURCE}_{TENANT}_{EXT_USER}");
            let expected =
                TeamsExtensionUserIdentifier::new(EXT_USER, TENANT, RESOURCE).with_cloud(cloud);
            assert_parses_to(&raw, expected.clone());
            assert_eq!(expected.raw_id(), raw);
        }
        // Empty parts still make three parts.
        assert_parses_to("8:acs:__", TeamsExtensionUserIdentifier::new("", "", ""));
    }

    #[test]
    fn teams_extension_user_unknown_cloud_uses_public_prefix() {
        let user = TeamsExtensionUserIdentifier::new("u", "t", "r")
            .with_cloud(CommunicationCloudEnvironment::from("elsewhere"));
        assert_eq!(user.raw_id(), "8:acs:r_t_u");
    }

    #[test]
    fn teams_user_prefixes() {
        for (prefix, cloud) in [("8:orgid:", Public), ("8:dod:", Dod), ("8:gcch:", Gcch)] {
            let raw = format!("{prefix}{USER}");
            assert_parses_to(
                &raw,
                MicrosoftTeamsUserIdentifier::new(USER).with_cloud(cloud),
            );
        }
        assert_parses_to(
            "8:orgid:legacyFormat",
            MicrosoftTeamsUserIdentifier::new("legacyFormat"),
        );
    }

    #[test]
    fn teams_visitor_is_anonymous() {
        let raw = format!("8:teamsvisitor:{USER}");
        let expected = MicrosoftTeamsUserIdentifier::anonymous(USER);
        assert!(expected.is_anonymous);
        assert_eq!(expected.cloud, Public);
        assert_parses_to(&raw, expected);
        // The cloud does not show in an anonymous user's raw id.
        let dod_guest = MicrosoftTeamsUserIdentifier::anonymous(USER).with_cloud(Dod);
        assert_eq!(dod_guest.raw_id(), raw);
    }

    #[test]
    fn teams_user_unknown_cloud_uses_orgid() {
        let user = MicrosoftTeamsUserIdentifier::new(USER).with_cloud("future".into());
        assert_eq!(user.raw_id(), format!("8:orgid:{USER}"));
    }

    #[test]
    fn teams_app_prefixes() {
        for (prefix, cloud) in [("28:orgid:", Public), ("28:dod:", Dod), ("28:gcch:", Gcch)] {
            let raw = format!("{prefix}{APP}");
            assert_parses_to(
                &raw,
                MicrosoftTeamsAppIdentifier::new(APP).with_cloud(cloud),
            );
        }
        let app = MicrosoftTeamsAppIdentifier::new(APP).with_cloud("future".into());
        assert_eq!(app.raw_id(), format!("28:orgid:{APP}"));
    }

    #[test]
    fn other_teams_app_forms_are_unknown() {
        for raw in [
            format!("28:{APP}"),
            format!("28:gcch-global:{APP}"),
            format!("28:dod-global:{APP}"),
            format!("28:ag08-global:{APP}"),
            format!("28:ag09-global:{APP}"),
            format!("28:gal-global:{APP}"),
            format!("28:ORGID:{APP}"),
        ] {
            assert_parses_to(&raw, UnknownIdentifier::new(raw.clone()));
        }
    }

    #[test]
    fn phone_numbers() {
        assert_parses_to("4:112345556789", phone("112345556789", false, None));
        assert_parses_to("4:+112345556789", phone("+112345556789", false, None));
        assert_parses_to(&format!("4:{EXT_USER}"), phone(EXT_USER, false, None));
        assert_parses_to(
            &format!("4:{EXT_USER}_{EXT_USER}"),
            phone(&format!("{EXT_USER}_{EXT_USER}"), false, Some(EXT_USER)),
        );
        assert_parses_to(
            &format!("4:+112345556789_{EXT_USER}"),
            phone(&format!("+112345556789_{EXT_USER}"), false, Some(EXT_USER)),
        );
        assert_parses_to(
            &format!("4:+112345556789_{EXT_USER}_123"),
            phone(&format!("+112345556789_{EXT_USER}_123"), false, Some("123")),
        );
        // A trailing `_` asserts nothing; a leading one does.
        assert_parses_to(
            &format!("4:{EXT_USER}_"),
            phone(&format!("{EXT_USER}_"), false, None),
        );
        assert_parses_to("4:_123", phone("_123", false, Some("123")));
        assert_parses_to("4:_", phone("_", false, None));
        assert_parses_to("4:", phone("", false, None));
        // Colons after `4:` belong to the number.
        assert_parses_to("4:1:2:3", phone("1:2:3", false, None));
    }

    #[test]
    fn anonymous_phone_numbers() {
        assert_parses_to("4:anonymous", phone("anonymous", true, None));
        assert_parses_to(
            "4:anonymous_123",
            phone("anonymous_123", false, Some("123")),
        );
        assert_parses_to(
            "4:_anonymous",
            phone("_anonymous", false, Some("anonymous")),
        );
        assert_parses_to("4:Anonymous", phone("Anonymous", false, None));
        assert!(PhoneNumberIdentifier::new("anonymous").is_anonymous);
    }

    #[test]
    fn phone_number_keeps_plus_sign_both_ways() {
        assert_eq!(
            PhoneNumberIdentifier::new("+112345556789").raw_id(),
            "4:+112345556789"
        );
        assert_eq!(
            PhoneNumberIdentifier::new("112345556789").raw_id(),
            "4:112345556789"
        );
    }

    #[test]
    fn explicit_raw_id_wins() {
        let cases: Vec<(CommunicationIdentifier, &str)> = vec![
            (
                PhoneNumberIdentifier::new("+112345556789")
                    .with_raw_id("4:112345556789")
                    .into(),
                "4:112345556789",
            ),
            (
                PhoneNumberIdentifier::new("otherFormat")
                    .with_raw_id(format!("4:{EXT_USER}"))
                    .into(),
                "4:207ffef6-9444-41fb-92ab-20eacaae2768",
            ),
            (
                MicrosoftTeamsUserIdentifier::new(USER)
                    .with_raw_id("8:orgid:legacyFormat")
                    .into(),
                "8:orgid:legacyFormat",
            ),
            (
                MicrosoftTeamsUserIdentifier::anonymous(USER)
                    .with_raw_id("8:orgid:x")
                    .into(),
                "8:orgid:x",
            ),
            (
                MicrosoftTeamsAppIdentifier::new(APP)
                    .with_cloud(Dod)
                    .with_raw_id("28:orgid:other")
                    .into(),
                "28:orgid:other",
            ),
            (
                TeamsExtensionUserIdentifier::new(EXT_USER, TENANT, RESOURCE)
                    .with_raw_id("8:acs:resource_tenant_user")
                    .into(),
                "8:acs:resource_tenant_user",
            ),
        ];
        for (identifier, expected) in cases {
            assert_eq!(identifier.raw_id(), expected);
            assert_eq!(identifier.to_string(), expected);
        }
    }

    #[test]
    fn unknown_forms() {
        for raw in [
            "",
            ":",
            "::",
            ":::",
            "8",
            "8:",
            "8:acs",
            "48:45ab2481-1c1c-4005-be24-0ffb879b1130",
            "8:orgid:a:b",
            "8:acs:a_b_c:d",
            "8:ACS:a_b_c",
            "8:unknown:x",
            "x:y:z",
            " 4:123",
            "4",
            "0:4:1",
        ] {
            assert_parses_to(raw, UnknownIdentifier::new(raw));
        }
    }

    #[test]
    fn prefix_only_inputs() {
        assert_parses_to("8:orgid:", MicrosoftTeamsUserIdentifier::new(""));
        assert_parses_to(
            "8:teamsvisitor:",
            MicrosoftTeamsUserIdentifier::anonymous(""),
        );
        assert_parses_to(
            "28:gcch:",
            MicrosoftTeamsAppIdentifier::new("").with_cloud(Gcch),
        );
        assert_parses_to("8:acs:", CommunicationUserIdentifier::new("8:acs:"));
    }

    #[test]
    fn unicode_inputs() {
        assert_parses_to(
            "8:orgid:ユーザー",
            MicrosoftTeamsUserIdentifier::new("ユーザー"),
        );
        assert_parses_to("4:☎_é", phone("☎_é", false, Some("é")));
        assert_parses_to(
            "8:gcch-acs:ü_ß_😀",
            TeamsExtensionUserIdentifier::new("😀", "ß", "ü").with_cloud(Gcch),
        );
        assert_parses_to("😀:😀:😀", UnknownIdentifier::new("😀:😀:😀"));
        assert_parses_to("8：orgid：x", UnknownIdentifier::new("8：orgid：x"));
    }

    #[test]
    fn kinds() {
        let cases = [
            ("8:acs:x", "communicationUser"),
            ("4:1", "phoneNumber"),
            ("8:orgid:x", "microsoftTeamsUser"),
            ("28:orgid:x", "microsoftTeamsApp"),
            ("8:acs:a_b_c", "teamsExtensionUser"),
            ("nope", "unknown"),
        ];
        for (raw, kind) in cases {
            assert_eq!(parse(raw).kind(), kind);
        }
    }

    #[test]
    fn from_str_matches_from_raw_id() {
        let parsed: CommunicationIdentifier = "8:dod:abc".parse().unwrap_or_else(|e| match e {});
        assert_eq!(parsed, parse("8:dod:abc"));
    }

    #[test]
    fn cloud_environment_names() {
        assert_eq!(CommunicationCloudEnvironment::from("public"), Public);
        assert_eq!(CommunicationCloudEnvironment::from("DoD"), Dod);
        assert_eq!(CommunicationCloudEnvironment::from("GCCH".to_owned()), Gcch);
        let other = CommunicationCloudEnvironment::from("Other".to_owned());
        assert_eq!(
            other,
            CommunicationCloudEnvironment::Unknown("Other".into())
        );
        assert_eq!(other.as_str(), "Other");
        assert_eq!(other.to_string(), "Other");
        for cloud in [Public, Dod, Gcch] {
            assert_eq!(CommunicationCloudEnvironment::from(cloud.as_str()), cloud);
        }
        assert_eq!(CommunicationCloudEnvironment::default(), Public);
    }

    /// Raw ids survive parsing unchanged for any input, so a cheap
    /// deterministic generator over the interesting characters covers far
    /// more shapes than hand-written cases.
    #[test]
    fn raw_id_round_trips_for_generated_inputs() {
        const PIECES: &[&str] = &[
            "4",
            "8",
            "28",
            ":",
            ":",
            "_",
            "_",
            "acs",
            "spool",
            "dod",
            "gcch",
            "dod-acs",
            "gcch-acs",
            "orgid",
            "teamsvisitor",
            "anonymous",
            "+1",
            "é",
            "😀",
            "-",
            "",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            // xorshift64: deterministic, no dependency.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 8) as usize;
            let raw: String = (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            let parsed = parse(&raw);
            assert_eq!(parsed.raw_id(), raw);
            assert_eq!(parse(&parsed.raw_id()), parsed);
        }
    }
}

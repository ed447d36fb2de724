//! The credential-backed request policy of the raw client a
//! [`ChatClient::raw`](crate::ChatClient::raw) user gets: the raw crate's
//! [`StandardPolicy`], signing with the [`CommunicationTokenCredential`].
//! (The facade's own attempts sign explicitly; see [`crate::pipeline`].)

use acs_chat_rest::{BoxError, BoxFuture, StandardPolicy, TokenSource};

use crate::credential::CommunicationTokenCredential;

/// Serves the credential's tokens to the raw client's standard policy.
struct CredentialTokens(CommunicationTokenCredential);

impl TokenSource for CredentialTokens {
    fn token(&self) -> BoxFuture<'_, std::result::Result<String, BoxError>> {
        Box::pin(async move {
            match self.0.get_token().await {
                Ok(token) => Ok(token.token().to_string()),
                Err(error) => Err(Box::new(error) as BoxError),
            }
        })
    }
}

/// The policy of the raw client of a facade client.
pub(crate) fn raw_client_policy(
    credential: CommunicationTokenCredential,
    user_agent: &str,
) -> StandardPolicy {
    StandardPolicy::new(CredentialTokens(credential)).with_user_agent_prefix(user_agent)
}

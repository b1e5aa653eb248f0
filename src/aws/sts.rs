//! STS AssumeRole: the credentials of a role in another account, for a resource's `RoleArn` (docs/reference.md,
//! sections 4 and 5). One call, reported to the request's [`Progress`] like every other, so a request
//! whose AssumeRole hangs says so when it runs out of time.

use std::time::{Duration, SystemTime};

use aws_sdk_ssm::config::Credentials;
use aws_sdk_sts::Client;

use crate::Error;
use crate::error::Bug;
use crate::progress::Progress;

/// The session that is asked for: STS's shortest (15 minutes), which covers the function's longest
/// request (5 minutes) with room to reuse the credentials for later ones.
pub const SESSION_LENGTH: Duration = Duration::from_secs(900);

/// What AssumeRole is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleSession {
    /// The role's ARN.
    pub role_arn: String,
    /// The external id the role's trust policy may require.
    pub external_id: Option<String>,
    /// The session name, which CloudTrail shows in the role's account (STS: 2 to 64 of `[\w+=,.@-]`).
    pub session_name: String,
}

/// STS in the function's region, for one request. It changes nothing.
pub struct Sts<'a> {
    client: Client,
    region: &'a str,
    progress: &'a Progress,
}

impl<'a> Sts<'a> {
    /// STS in `region` through `client`.
    pub fn new(client: Client, region: &'a str, progress: &'a Progress) -> Self {
        Sts {
            client,
            region,
            progress,
        }
    }

    /// AssumeRole for [`SESSION_LENGTH`]: the session's credentials, which expire when STS says.
    pub async fn assume_role(&self, session: &RoleSession) -> Result<Credentials, Error> {
        let _step = self.progress.step(format!("AssumeRole of {}", session.role_arn));
        let output = self
            .client
            .assume_role()
            .role_arn(&session.role_arn)
            .role_session_name(&session.session_name)
            .set_external_id(session.external_id.clone())
            .duration_seconds(SESSION_LENGTH.as_secs() as i32)
            .send()
            .await
            .map_err(|err| Error::aws("AssumeRole", self.region, err))?;
        let credentials = output.credentials.ok_or_else(|| Bug::NoCredentials {
            role_arn: session.role_arn.clone(),
        })?;
        let expires = SystemTime::try_from(credentials.expiration).map_err(|_| Bug::ExpiryOutOfRange {
            role_arn: session.role_arn.clone(),
        })?;
        Ok(Credentials::new(
            credentials.access_key_id,
            credentials.secret_access_key,
            Some(credentials.session_token),
            Some(expires),
            "AssumeRole",
        ))
    }
}

//! What an AWS error means, read once where the SDK's error is wrapped into an [`Error`]: the
//! operations' typed errors differ per operation and leave out what every AWS service may answer
//! (access denied, throttling), so the meaning is read from the error code here, behind one predicate
//! per meaning, and nowhere else.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::Error;
use crate::error::Fault;

/// The codes that say "too many calls": SSM's and KMS's (`ThrottlingException`), and those of the AWS
/// SDKs' throttling list that an AWS JSON or query service may answer.
pub const THROTTLING_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
];

/// The code of a call that was throttled.
pub fn is_throttling(code: &str) -> bool {
    THROTTLING_CODES.contains(&code)
}

/// The code SSM answers to a call that changes a parameter (its value or its tags) while another call
/// changes it: two stacks that share a name, or a retry that overlaps its first attempt. Waiting and
/// trying again is what SSM asks for; it says nothing about the rate.
pub fn is_conflict(code: &str) -> bool {
    code == "TooManyUpdates"
}

/// The code of a call the caller's role may not make: KMS's and SSM's `AccessDeniedException`,
/// STS's `AccessDenied`.
pub fn is_access_denied(code: &str) -> bool {
    matches!(code, "AccessDeniedException" | "AccessDenied")
}

/// The code of credentials that the region does not know (a region not enabled in the account).
pub fn is_unrecognized_client(code: &str) -> bool {
    code == "UnrecognizedClientException"
}

/// The code of an account quota that was reached.
pub fn is_quota_reached(code: &str) -> bool {
    matches!(code, "LimitExceededException" | "ParameterLimitExceeded")
}

/// SSM's code for a `KeyId` it cannot use.
pub fn is_invalid_key_id(code: &str) -> bool {
    code == "InvalidKeyId"
}

/// KMS's codes for a region that multi-Region keys cannot be replicated into.
pub fn is_unsupported_region(code: &str) -> bool {
    matches!(code, "UnsupportedRegionException" | "UnsupportedOperationException")
}

/// The code given to a call that timed out.
const TIMEOUT: &str = "TimeoutError";
/// The code given to a call that could not be sent.
const NETWORK: &str = "NetworkError";

/// What `code` means for the user.
pub fn fault_of(code: &str) -> Fault {
    match code {
        _ if is_access_denied(code) => Fault::AccessDenied,
        _ if is_unrecognized_client(code) => Fault::UnrecognizedClient,
        _ if is_throttling(code) || is_conflict(code) => Fault::Throttled,
        _ if is_quota_reached(code) => Fault::QuotaReached,
        TIMEOUT | NETWORK => Fault::Unreachable,
        _ if is_invalid_key_id(code) => Fault::InvalidKeyId,
        _ if is_unsupported_region(code) => Fault::UnsupportedRegion,
        _ => Fault::Other,
    }
}

impl Error {
    /// Wraps a failed AWS SDK call, keeping its error code and what it means ([`fault_of`]), whose
    /// hint the user can act on.
    pub fn aws<E, R>(operation: &'static str, region: &str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug,
    {
        let (code, message) = match &err {
            SdkError::ServiceError(service) => (
                service.err().code().unwrap_or("UnknownError").to_string(),
                service
                    .err()
                    .message()
                    .map(str::to_string)
                    .unwrap_or_else(|| DisplayErrorContext(service.err()).to_string()),
            ),
            SdkError::TimeoutError(_) => (TIMEOUT.into(), "the call timed out".into()),
            SdkError::DispatchFailure(_) => (
                NETWORK.into(),
                format!("the request could not be sent ({})", DisplayErrorContext(&err)),
            ),
            _ => ("UnknownError".into(), DisplayErrorContext(&err).to_string()),
        };
        Error::Aws {
            operation,
            region: region.to_string(),
            fault: fault_of(&code),
            code,
            message: message.trim_end_matches('.').to_string(),
        }
    }
}

#[cfg(test)]
mod tests;

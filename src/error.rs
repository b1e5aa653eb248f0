//! The errors a user can read in the CloudFormation console.
//!
//! Every message is one sentence that says what failed, where, and what to do about it.

use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// An error that ends a request with `FAILED`; its `Display` text becomes the response's `Reason`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The event is not a CloudFormation custom-resource request that can be handled.
    #[error("invalid request: {0}")]
    InvalidRequest(String),

    /// A property that the resource type does not define (usually a typo).
    #[error("unknown property '{property}' for {resource_type}")]
    UnknownProperty {
        /// Path of the property, e.g. `Alias` or `Tags[0].Keyy`.
        property: String,
        /// The resource type, e.g. `Custom::ReplicaKey`.
        resource_type: &'static str,
    },

    /// A required property is absent.
    #[error("missing required property '{property}' for {resource_type}")]
    MissingProperty {
        /// Name of the property.
        property: &'static str,
        /// The resource type.
        resource_type: &'static str,
    },

    /// A property is present but its value is not acceptable.
    #[error("invalid property '{property}' for {resource_type}: {reason}")]
    InvalidProperty {
        /// Path of the property.
        property: String,
        /// The resource type.
        resource_type: &'static str,
        /// What is wrong and what is expected.
        reason: String,
    },

    /// The function's own configuration (environment variables) is wrong.
    #[error("mrk-provider is misconfigured: {0}")]
    Configuration(String),

    /// An AWS API call failed.
    #[error("{operation} in {region} failed ({code}): {message}{hint}")]
    Aws {
        /// The API operation, e.g. `ReplicateKey`.
        operation: &'static str,
        /// The region the call was sent to.
        region: String,
        /// The AWS error code, e.g. `AccessDeniedException`.
        code: String,
        /// The AWS error message.
        message: String,
        /// A suggestion for the user, starting with `. ` or empty.
        hint: &'static str,
    },

    /// The request's stack could not be confirmed as its sender (docs/reference.md, section 7): which check failed.
    #[error("the request was refused and nothing was changed: {0}")]
    UnverifiedCaller(String),

    /// A `RoleArn` that STS would not let the provider assume; the text names the role, the
    /// provider's role and what the trust policy needs.
    #[error("{0}")]
    RoleNotAssumable(String),

    /// A key or parameter exists and another owner (or no owner) holds it; the text names the owner
    /// and what to do.
    #[error("{0}")]
    NotOwned(String),

    /// `PrimaryKeyArn` names a key that cannot be replicated: missing, not a multi-Region primary, or
    /// pending deletion.
    #[error("{0}")]
    UnusablePrimaryKey(String),

    /// The alias exists and points at another key.
    #[error("{0}")]
    AliasTaken(String),

    /// Something changed in AWS between two calls of this request (deleted and recreated, retargeted).
    #[error("{0}")]
    ChangedConcurrently(String),

    /// A new replica stayed in `Creating` longer than the provider waits.
    #[error("{0}")]
    StillCreating(String),

    /// Parameters the reader was asked for do not exist.
    #[error("parameters not found in {region}: {names}; create them first or fix Names")]
    ParametersNotFound {
        /// The region read from.
        region: String,
        /// The missing names, comma-separated.
        names: String,
    },

    /// A reader's `Path` holds no parameter (as `Names` fails on a missing name).
    #[error("no parameter under {path} in {region}; create them first or fix Path")]
    NothingUnderPath {
        /// The path read.
        path: String,
        /// The region read from.
        region: String,
    },

    /// A reader's `Path` holds more parameters than one reader reads: nothing is answered, never a
    /// partial set.
    #[error(
        "more than {bound} parameters under {path} in {region} ({seen} read when the provider stopped); \
         read a deeper path, set Recursive to false, or split the values over several readers"
    )]
    TooManyUnderPath {
        /// The path read.
        path: String,
        /// The region read from.
        region: String,
        /// How many were read before the provider stopped.
        seen: usize,
        /// The most one reader reads.
        bound: usize,
    },

    /// The parameters under a reader's `Path` are too large for one answer's attributes.
    #[error(
        "the {count} parameters under {path} in {region} make {bytes} bytes of attributes, over the {limit} \
         bytes CloudFormation accepts in an answer; read a deeper path or split the values over several readers"
    )]
    PathTooLargeToAnswer {
        /// The path read.
        path: String,
        /// The region read from.
        region: String,
        /// How many parameters were read.
        count: usize,
        /// The size of their attributes as JSON.
        bytes: usize,
        /// CloudFormation's limit on an answer.
        limit: usize,
    },

    /// A state the code should never reach; a bug to report.
    #[error("internal error: {0}; this is a bug in mrk-provider, please report it")]
    Internal(String),

    /// A failure about one SSM parameter; the inner error says what failed and where.
    #[error("parameter {name}: {source}")]
    Parameter {
        /// The parameter's name.
        name: String,
        /// What failed.
        #[source]
        source: Box<Error>,
    },

    /// Several calls in one region failed; each inner error says what failed.
    #[error("{} failures in {region}: {}", .errors.len(), join(.errors))]
    FailuresInRegion {
        /// The region.
        region: String,
        /// The failures, at least two.
        errors: Vec<Error>,
    },

    /// Several regions failed; each inner error names its region.
    #[error("{}", join_failures(.0))]
    Regions(Vec<Error>),
}

fn join_failures(errors: &[Error]) -> String {
    match errors {
        [one] => one.to_string(),
        many => format!("{} regions failed: {}", many.len(), join(many)),
    }
}

fn join(errors: &[Error]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

impl Error {
    /// Wraps a failed AWS SDK call, keeping its error code and adding a hint the user can act on.
    pub fn aws<E, R>(
        operation: &'static str,
        region: &str,
        err: aws_smithy_runtime_api::client::result::SdkError<E, R>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug,
    {
        use aws_smithy_runtime_api::client::result::SdkError;
        let (code, message) = match &err {
            SdkError::ServiceError(service) => (
                service.err().code().unwrap_or("UnknownError").to_string(),
                service
                    .err()
                    .message()
                    .map(str::to_string)
                    .unwrap_or_else(|| DisplayErrorContext(service.err()).to_string()),
            ),
            SdkError::TimeoutError(_) => ("TimeoutError".into(), "the call timed out".into()),
            SdkError::DispatchFailure(_) => (
                "NetworkError".into(),
                format!("the request could not be sent ({})", DisplayErrorContext(&err)),
            ),
            _ => ("UnknownError".into(), DisplayErrorContext(&err).to_string()),
        };
        let message = message.trim_end_matches('.').to_string();
        let hint = hint_for(&code);
        Error::Aws {
            operation,
            region: region.to_string(),
            code,
            message,
            hint,
        }
    }

    /// An invalid property of `resource_type`, with what is wrong and what is expected.
    pub fn invalid(resource_type: &'static str, property: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidProperty {
            property: property.into(),
            resource_type,
            reason: reason.into(),
        }
    }

    /// A required property of `resource_type` that is absent.
    pub fn missing(resource_type: &'static str, property: &'static str) -> Self {
        Error::MissingProperty {
            property,
            resource_type,
        }
    }

    /// The AWS error code, when this error came from AWS.
    pub fn aws_code(&self) -> Option<&str> {
        match self {
            Error::Aws { code, .. } => Some(code),
            Error::Parameter { source, .. } => source.aws_code(),
            _ => None,
        }
    }

    /// `Ok` when no region failed; else one error naming every failure (a single one unchanged).
    pub fn from_regions(mut errors: Vec<Error>) -> Result<(), Self> {
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(Error::Regions(errors)),
        }
    }
}

fn hint_for(code: &str) -> &'static str {
    match code {
        "AccessDeniedException" | "AccessDenied" | "UnrecognizedClientException" => {
            ". Check that the region is in the provider's AllowedRegions and that its role allows this action"
        }
        "ThrottlingException" | "Throttling" | "TooManyUpdates" | "ThrottledException" => {
            ". AWS kept throttling after retries; deploy again or lower the number of concurrent deployments"
        }
        "LimitExceededException" | "ParameterLimitExceeded" => {
            ". An account quota was reached; request a higher quota or remove unused resources"
        }
        "NetworkError" | "TimeoutError" => ". Check that the function can reach the AWS endpoint of that region",
        "InvalidKeyId" => {
            ". Check KeyId: the key must exist in that region (a multi-Region key's alias works in every region)"
        }
        "UnsupportedRegionException" | "UnsupportedOperationException" => {
            ". Multi-Region keys cannot be replicated into that region; remove it from the list"
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_region_failures_are_counted_and_listed() {
        let err = Error::from_regions(vec![
            Error::StillCreating("eu-west-1: first".into()),
            Error::StillCreating("ap-southeast-2: second".into()),
        ])
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "2 regions failed: eu-west-1: first; ap-southeast-2: second"
        );
    }

    #[test]
    fn a_single_region_failure_reads_as_itself() {
        let err = Error::from_regions(vec![Error::StillCreating("only one".into())]).unwrap_err();
        assert_eq!(err.to_string(), "only one");
    }

    #[test]
    fn no_region_failure_is_ok() {
        assert!(Error::from_regions(Vec::new()).is_ok());
    }

    use aws_sdk_kms::operation::describe_key::DescribeKeyError;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::client::result::{ConnectorError, SdkError};
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    fn service_error(metadata: ErrorMetadata) -> SdkError<DescribeKeyError, HttpResponse> {
        let response = HttpResponse::new(StatusCode::try_from(400).expect("a status"), SdkBody::empty());
        SdkError::service_error(DescribeKeyError::generic(metadata), response)
    }

    /// `Error::aws` of a service error with `code` and the message "the call failed."
    fn aws_error(code: &str) -> Error {
        let metadata = ErrorMetadata::builder().code(code).message("the call failed.").build();
        Error::aws("DescribeKey", "eu-west-1", service_error(metadata))
    }

    #[test]
    fn each_aws_error_code_gets_its_hint_and_an_unknown_code_none() {
        const ROLE: &str =
            ". Check that the region is in the provider's AllowedRegions and that its role allows this action";
        const THROTTLED: &str =
            ". AWS kept throttling after retries; deploy again or lower the number of concurrent deployments";
        const QUOTA: &str = ". An account quota was reached; request a higher quota or remove unused resources";
        const NETWORK: &str = ". Check that the function can reach the AWS endpoint of that region";
        const KEY_ID: &str =
            ". Check KeyId: the key must exist in that region (a multi-Region key's alias works in every region)";
        const REGION: &str = ". Multi-Region keys cannot be replicated into that region; remove it from the list";
        let cases = [
            ("AccessDeniedException", ROLE),
            ("AccessDenied", ROLE),
            ("UnrecognizedClientException", ROLE),
            ("ThrottlingException", THROTTLED),
            ("Throttling", THROTTLED),
            ("TooManyUpdates", THROTTLED),
            ("ThrottledException", THROTTLED),
            ("LimitExceededException", QUOTA),
            ("ParameterLimitExceeded", QUOTA),
            ("NetworkError", NETWORK),
            ("TimeoutError", NETWORK),
            ("InvalidKeyId", KEY_ID),
            ("UnsupportedRegionException", REGION),
            ("UnsupportedOperationException", REGION),
            ("KMSInvalidStateException", ""),
        ];
        for (code, hint) in cases {
            // GIVEN an AWS error with that code WHEN it is wrapped THEN the sentence ends with its hint
            assert_eq!(
                aws_error(code).to_string(),
                format!("DescribeKey in eu-west-1 failed ({code}): the call failed{hint}"),
                "{code}"
            );
        }
    }

    #[test]
    fn a_service_error_without_a_code_or_a_message_still_reads_as_a_sentence() {
        let err = Error::aws(
            "DescribeKey",
            "eu-west-1",
            service_error(ErrorMetadata::builder().build()),
        );
        let Error::Aws {
            code, message, hint, ..
        } = &err
        else {
            panic!("an AWS error: {err:?}")
        };
        assert_eq!((code.as_str(), *hint), ("UnknownError", ""));
        assert!(
            !message.is_empty(),
            "the error's own description stands in for the message"
        );
    }

    #[test]
    fn a_timeout_and_an_unsent_request_are_named_with_the_network_hint() {
        // GIVEN a call that timed out, and one that could not be sent
        let timeout: SdkError<DescribeKeyError, HttpResponse> = SdkError::timeout_error("too slow");
        let unsent: SdkError<DescribeKeyError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io("connection refused".into()));

        // WHEN each is wrapped THEN its code is the one its hint is keyed on
        let timeout = Error::aws("PutParameter", "ap-southeast-2", timeout);
        assert_eq!(timeout.aws_code(), Some("TimeoutError"));
        assert_eq!(
            timeout.to_string(),
            "PutParameter in ap-southeast-2 failed (TimeoutError): the call timed out. \
             Check that the function can reach the AWS endpoint of that region"
        );
        let unsent = Error::aws("PutParameter", "ap-southeast-2", unsent);
        assert_eq!(unsent.aws_code(), Some("NetworkError"));
        let text = unsent.to_string();
        assert!(
            text.starts_with("PutParameter in ap-southeast-2 failed (NetworkError): the request could not be sent (")
                && text.ends_with(". Check that the function can reach the AWS endpoint of that region"),
            "{text}"
        );
    }

    #[test]
    fn the_aws_code_is_found_through_a_parameter_and_only_on_aws_errors() {
        let wrapped = Error::Parameter {
            name: "/app/key-arn".into(),
            source: Box::new(aws_error("ParameterLimitExceeded")),
        };
        assert_eq!(wrapped.aws_code(), Some("ParameterLimitExceeded"));
        assert_eq!(aws_error("AccessDenied").aws_code(), Some("AccessDenied"));
        let not_aws = Error::Parameter {
            name: "/app/key-arn".into(),
            source: Box::new(Error::Internal("no code".into())),
        };
        assert_eq!(not_aws.aws_code(), None);
        assert_eq!(Error::StillCreating("eu-west-1".into()).aws_code(), None);
    }

    #[test]
    fn a_single_region_failure_is_returned_as_it_is_with_its_aws_code() {
        // GIVEN one region that failed with an AWS error WHEN the regions' errors are joined
        let err = Error::from_regions(vec![aws_error("ThrottlingException")]).unwrap_err();
        // THEN it is that error, not a list of one: its code is still logged (`aws_error_code`) and checked
        assert!(matches!(err, Error::Aws { .. }), "{err:?}");
        assert_eq!(err.aws_code(), Some("ThrottlingException"));
    }

    #[test]
    fn invalid_and_missing_properties_name_the_property_and_the_resource_type() {
        assert_eq!(
            Error::invalid("Custom::ReplicaKey", "Alias", "must start with alias/").to_string(),
            "invalid property 'Alias' for Custom::ReplicaKey: must start with alias/"
        );
        assert_eq!(
            Error::missing("Custom::ReplicaKey", "PrimaryKeyArn").to_string(),
            "missing required property 'PrimaryKeyArn' for Custom::ReplicaKey"
        );
    }
}

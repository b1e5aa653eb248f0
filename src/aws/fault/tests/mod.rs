use aws_sdk_kms::operation::describe_key::DescribeKeyError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::{ConnectorError, SdkError};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::ErrorMetadata;

use super::*;

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
        ("TooManyRequestsException", THROTTLED),
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
fn only_a_refusal_of_the_role_counts_as_access_denied() {
    assert!(aws_error("AccessDeniedException").is_access_denied());
    assert!(aws_error("AccessDenied").is_access_denied());
    assert!(!aws_error("UnrecognizedClientException").is_access_denied());
    assert!(!aws_error("ThrottlingException").is_access_denied());
}

#[test]
fn a_service_error_without_a_code_or_a_message_still_reads_as_a_sentence() {
    let err = Error::aws(
        "DescribeKey",
        "eu-west-1",
        service_error(ErrorMetadata::builder().build()),
    );
    let Error::Aws {
        code, message, fault, ..
    } = &err
    else {
        panic!("an AWS error: {err:?}")
    };
    assert_eq!((code.as_str(), fault.hint()), ("UnknownError", None));
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

use aws_sdk_cloudformation::operation::describe_stack_resource::DescribeStackResourceError;
use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError;
use aws_smithy_mocks::{mock, mock_client};
use aws_smithy_types::error::ErrorMetadata;

use super::*;

#[tokio::test]
async fn only_a_validation_error_that_says_does_not_exist_means_no_stack() {
    let cases = [
        ("ValidationError", "Stack with id x does not exist", true),
        (
            "ValidationError",
            "1 validation error detected: Value at 'stackName' failed",
            false,
        ),
        (
            "AccessDenied",
            "not authorized: the stack does not exist or you may not see it",
            false,
        ),
    ];
    for (code, message, gone) in cases {
        let error = move || ErrorMetadata::builder().code(code).message(message).build();
        let stacks = mock!(Client::describe_stacks).then_error(move || DescribeStacksError::generic(error()));
        let resource =
            mock!(Client::describe_stack_resource).then_error(move || DescribeStackResourceError::generic(error()));
        let progress = Progress::default();
        let client = mock_client!(aws_sdk_cloudformation, [&stacks, &resource]);
        let cfn = CloudFormation::new(client, "us-east-1", &progress);
        let stack = "arn:aws:cloudformation:us-east-1:1:stack/s/1";
        let (status, found_type) = (cfn.stack_status(stack).await, cfn.stack_resource(stack, "Key").await);
        match gone {
            true => assert_eq!(
                (status.unwrap(), found_type.unwrap()),
                (None, None),
                "{code}: {message}"
            ),
            false => assert!(status.is_err() && found_type.is_err(), "{code}: {message}"),
        }
    }
}

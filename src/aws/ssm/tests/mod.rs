//! SSM operations on a mocked client where the handler tests cannot tell the difference: which
//! error means "no such parameter" and which fails.

use aws_sdk_ssm::operation::list_tags_for_resource::{ListTagsForResourceError, ListTagsForResourceOutput};
use aws_sdk_ssm::types::error::InvalidResourceId;
use aws_smithy_mocks::mock;
use aws_smithy_types::error::ErrorMetadata;

use super::*;
use crate::aws::{SSM_BURST, SSM_CALLS_PER_SECOND};
use crate::test_support::{ssm_client, within_real_time};

const REGION: &str = "eu-west-1";

#[tokio::test(start_paused = true)]
async fn tags_of_a_missing_parameter_are_none_and_a_refusal_fails() {
    // GIVEN SSM with a tagged parameter, no parameter /app/gone, and a parameter it refuses to show
    let tagged = mock!(Client::list_tags_for_resource)
        .match_requests(|r| r.resource_id() == Some("/app/a"))
        .then_output(|| {
            let tag = Tag::builder()
                .key("team")
                .value("x")
                .build()
                .expect("key and value are set");
            ListTagsForResourceOutput::builder().tag_list(tag).build()
        });
    let missing = mock!(Client::list_tags_for_resource)
        .match_requests(|r| r.resource_id() == Some("/app/gone"))
        .then_error(|| ListTagsForResourceError::InvalidResourceId(InvalidResourceId::builder().build()));
    let refused = mock!(Client::list_tags_for_resource)
        .match_requests(|r| r.resource_id() == Some("/app/secret"))
        .then_error(|| {
            ListTagsForResourceError::generic(ErrorMetadata::builder().code("AccessDeniedException").build())
        });
    let (progress, gate) = (Progress::default(), WriteGate::open());
    let limiter = Arc::new(RateLimiter::new(SSM_CALLS_PER_SECOND, SSM_BURST));
    let ssm = Ssm::new(
        ssm_client(&[&tagged, &missing, &refused]),
        limiter,
        REGION,
        &progress,
        &gate,
    );

    // WHEN the tags of each are listed THEN the tags, None, and an error with SSM's code
    assert_eq!(
        within_real_time(ssm.list_tags("/app/a")).await.expect("the tags"),
        Some(vec![("team".to_string(), "x".to_string())])
    );
    assert!(matches!(within_real_time(ssm.list_tags("/app/gone")).await, Ok(None)));
    let err = within_real_time(ssm.list_tags("/app/secret"))
        .await
        .expect_err("AccessDenied is a failure");
    assert_eq!(err.aws_code(), Some("AccessDeniedException"));
}

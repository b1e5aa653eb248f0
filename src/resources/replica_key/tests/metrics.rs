//! Metrics: what a ReplicaKey Create cost, counted by the AWS layer into the request's counters.

use std::sync::Arc;

use super::*;
use crate::metrics::{self, Counters, Counts};
use crate::test_support::{calling_stack_rules, stack_id};

#[tokio::test(start_paused = true)]
async fn a_create_counts_each_attempt_the_throttled_one_its_retry_and_the_replica_wait() {
    // GIVEN the caller check's two calls, and KMS where ReplicateKey is throttled once and the replica
    // stays Creating for one poll
    let caller = calling_stack_rules("CREATE_IN_PROGRESS", "Custom::ReplicaKey", "CREATE_IN_PROGRESS", None);
    let into_eu = mock!(Client::replicate_key)
        .sequence()
        .error(|| ReplicateKeyError::generic(aws_error("ThrottlingException")))
        .output(|| {
            ReplicateKeyOutput::builder()
                .replica_key_metadata(replica(KeyState::Creating))
                .build()
        })
        .build();
    let (consent, primary, policy) = (primary_consents(), describe_primary(), get_policy());
    let polled = describe_replica(&[Some(KeyState::Creating), Some(KeyState::Enabled)]);
    let app = TestApp::new()
        .cloudformation("us-east-1", caller.clone())
        .kms(
            "us-east-1",
            vec![consent.clone(), primary.clone(), policy.clone(), into_eu.clone()],
        )
        .kms("eu-west-1", vec![polled.clone()]);
    assert!(stack_id().starts_with("arn:aws:cloudformation:us-east-1:"));

    // WHEN the resource is created under the request's counters
    let counters = Arc::new(Counters::default());
    let properties = props(json!({"ReplicaRegions": ["eu-west-1"], "Alias": null}));
    let request = request("create", properties, None);
    success(metrics::measured(counters.clone(), app.answer(request)).await);

    // THEN every call any rule answered is one AWS call, the throttled ReplicateKey was retried once,
    // and the wait for the replica is the one poll
    let calls: usize = caller
        .iter()
        .chain([&consent, &primary, &policy, &into_eu, &polled])
        .map(Rule::num_calls)
        .sum();
    assert_eq!((into_eu.num_calls(), polled.num_calls()), (2, 2));
    let counts = counters.counts();
    assert_eq!(
        counts,
        Counts {
            aws_calls: calls as u64,
            throttled_calls: 1,
            retried_calls: 1,
            replica_wait_ms: counts.replica_wait_ms,
        }
    );
    assert!((500..1000).contains(&counts.replica_wait_ms), "{counts:?}");
}

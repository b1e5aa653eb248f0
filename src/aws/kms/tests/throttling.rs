//! Every KMS call under throttling: retried through its operation's limiter until it goes through,
//! each operation slowed on its own, a fleet sharing one quota, and a request that KMS throttles until
//! its deadline answering FAILED in time, saying so.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
use aws_sdk_kms::operation::get_key_policy::GetKeyPolicyOutput;
use aws_sdk_kms::operation::list_resource_tags::ListResourceTagsOutput;
use aws_sdk_kms::types::{KeyState, MultiRegionConfiguration, MultiRegionKeyType};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use serde_json::json;
use tokio::time::Instant;

use super::*;
use crate::aws::retry::TRANSIENT_ATTEMPTS;
use crate::protocol::Deadline;
use crate::resources::replica_key::REPLICABLE_TAG;
use crate::test_support::{TestApp, failure, success, typed_request, within_real_time};

const PRIMARY: &str = "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab";

fn http(status: u16, body: &'static str) -> HttpResponse {
    HttpResponse::new(
        StatusCode::try_from(status).expect("a valid status"),
        SdkBody::from(body),
    )
}

/// KMS's answer to a call over its quota.
fn throttled() -> HttpResponse {
    http(
        400,
        r#"{"__type":"ThrottlingException","message":"You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls."}"#,
    )
}

/// An empty success: every operation the provider calls accepts it.
fn answered() -> HttpResponse {
    http(200, "{}")
}

/// A rule for `$operation` that KMS throttles `$times` times, then answers.
macro_rules! throttled_then_answered {
    ($operation:ident, $times:expr) => {
        mock!(Client::$operation)
            .sequence()
            .http_response(throttled)
            .times($times)
            .http_response(answered)
            .build()
    };
}

#[tokio::test(start_paused = true)]
async fn every_operation_is_retried_while_throttled_and_slows_only_its_own_limiter() {
    // GIVEN KMS throttling each operation the provider calls 3 times before it answers
    let rules = [
        (
            Operation::CancelKeyDeletion,
            throttled_then_answered!(cancel_key_deletion, 3),
        ),
        (Operation::CreateAlias, throttled_then_answered!(create_alias, 3)),
        (Operation::DeleteAlias, throttled_then_answered!(delete_alias, 3)),
        (Operation::DescribeKey, throttled_then_answered!(describe_key, 3)),
        (Operation::DisableKey, throttled_then_answered!(disable_key, 3)),
        (Operation::EnableKey, throttled_then_answered!(enable_key, 3)),
        (Operation::GetKeyPolicy, throttled_then_answered!(get_key_policy, 3)),
        (
            Operation::ListResourceTags,
            throttled_then_answered!(list_resource_tags, 3),
        ),
        (Operation::PutKeyPolicy, throttled_then_answered!(put_key_policy, 3)),
        (Operation::ReplicateKey, throttled_then_answered!(replicate_key, 3)),
        (
            Operation::ScheduleKeyDeletion,
            throttled_then_answered!(schedule_key_deletion, 3),
        ),
        (Operation::TagResource, throttled_then_answered!(tag_resource, 3)),
        (Operation::UntagResource, throttled_then_answered!(untag_resource, 3)),
        (Operation::UpdateAlias, throttled_then_answered!(update_alias, 3)),
        (
            Operation::UpdateKeyDescription,
            throttled_then_answered!(update_key_description, 3),
        ),
    ];
    let all: Vec<&Rule> = rules.iter().map(|(_, rule)| rule).collect();
    let (progress, gate) = (Progress::default(), WriteGate::open());
    let kms = Kms::new(client(&all), Arc::default(), REGION, &progress, &gate);
    let tags = [("team".to_string(), "x".to_string())];

    for (operation, rule) in &rules {
        // WHEN the operation is called
        let result = within_real_time(async {
            match operation {
                Operation::CancelKeyDeletion => kms.cancel_key_deletion(KEY_ID).await,
                Operation::CreateAlias => kms.create_alias(ALIAS, KEY_ID).await.map(drop),
                Operation::DeleteAlias => kms.delete_alias(ALIAS).await,
                Operation::DescribeKey => kms.describe_key(KEY_ID).await.map(drop),
                Operation::DisableKey => kms.disable_key(KEY_ID).await,
                Operation::EnableKey => kms.enable_key(KEY_ID).await,
                Operation::GetKeyPolicy => kms.get_key_policy(KEY_ID).await.map(drop),
                Operation::ListResourceTags => kms.list_tags(KEY_ID).await.map(drop),
                Operation::PutKeyPolicy => kms.put_key_policy(KEY_ID, POLICY, false).await,
                Operation::ReplicateKey => kms
                    .replicate_key(KEY_ID, "ap-southeast-2", &NewReplica::default())
                    .await
                    .map(drop),
                Operation::ScheduleKeyDeletion => kms.schedule_key_deletion(KEY_ID, 7).await,
                Operation::TagResource => kms.tag_resource(KEY_ID, &tags).await,
                Operation::UntagResource => kms.untag_resource(KEY_ID, &["team".to_string()]).await,
                Operation::UpdateAlias => kms.update_alias(ALIAS, KEY_ID).await,
                Operation::UpdateKeyDescription => kms.update_description(KEY_ID, "d").await,
            }
        })
        .await;
        // THEN it went through on the fourth attempt, and its limiter was cut below its quota while the
        // limiters of the operations not called yet are untouched
        let name = operation.name();
        assert!(result.is_ok(), "{name}: {result:?}");
        assert_eq!(rule.num_calls(), 4, "{name}");
        assert!(
            kms.limiters.get(*operation).rate() < f64::from(operation.quota()),
            "{name}"
        );
        let later = Operation::ALL.iter().skip_while(|other| *other != operation).skip(1);
        for other in later {
            assert_eq!(
                kms.limiters.get(*other).rate(),
                f64::from(other.quota()),
                "{} after {name}",
                other.name()
            );
        }
        assert!(
            progress.describe().ends_with("(throttled 3 times)"),
            "{}",
            progress.describe()
        );
    }
}

#[test]
fn each_operation_has_its_own_limiter_at_kms_default_quota() {
    // GIVEN KMS's default request quotas (calls a second per account and region) of the operations the
    // provider calls, as AWS's "Request quotas" page gives them (DeleteAlias, PutKeyPolicy and
    // ScheduleKeyDeletion at their earlier 5)
    let defaults = [
        ("CancelKeyDeletion", 5),
        ("CreateAlias", 5),
        ("DeleteAlias", 5),
        ("DescribeKey", 2000),
        ("DisableKey", 5),
        ("EnableKey", 5),
        ("GetKeyPolicy", 1000),
        ("ListResourceTags", 2000),
        ("PutKeyPolicy", 5),
        ("ReplicateKey", 5),
        ("ScheduleKeyDeletion", 5),
        ("TagResource", 10),
        ("UntagResource", 5),
        ("UpdateAlias", 5),
        ("UpdateKeyDescription", 5),
    ];
    // THEN every operation is named as in KMS's API, has its default, and a limiter of its own at it
    let limiters = Limiters::new();
    let named: Vec<_> = Operation::ALL
        .iter()
        .map(|operation| (operation.name(), operation.quota()))
        .collect();
    assert_eq!(named, defaults);
    for operation in Operation::ALL {
        assert_eq!(operation.name(), format!("{operation:?}"));
        assert_eq!(limiters.get(operation).rate(), f64::from(operation.quota()));
    }
}

#[tokio::test(start_paused = true)]
async fn calls_go_at_once_until_kms_throttles_one() {
    // GIVEN a primary replicated into 12 regions at once (more than ReplicateKey's quota of 5 a second)
    let replicate = mock!(Client::replicate_key).then_http_response(answered);
    let (progress, gate) = (Progress::default(), WriteGate::open());
    let kms = Kms::new(client(&[&replicate]), Arc::default(), REGION, &progress, &gate);
    let started = Instant::now();
    // WHEN nothing is throttled
    let calls = (0..12).map(|n| {
        let region = format!("region-{n}");
        let kms = &kms;
        async move { kms.replicate_key(KEY_ID, &region, &NewReplica::default()).await }
    });
    let results = within_real_time(futures::future::join_all(calls)).await;
    // THEN all 12 were sent at once, once each
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(replicate.num_calls(), 12);
    assert_eq!(Instant::now() - started, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_kms_server_error_gets_the_transient_attempts() {
    // GIVEN KMS answering DependencyTimeoutException (HTTP 500, "you can retry") twice, and another
    // operation answering KMSInternalException to every attempt
    let describe = mock!(Client::describe_key)
        .sequence()
        .http_response(|| http(500, r#"{"__type":"DependencyTimeoutException","message":"timed out"}"#))
        .times(2)
        .http_response(answered)
        .build();
    let internal = mock!(Client::enable_key)
        .sequence()
        .http_response(|| http(500, r#"{"__type":"KMSInternalException","message":"oops"}"#))
        .times(TRANSIENT_ATTEMPTS as usize)
        .build();
    let (progress, gate) = (Progress::default(), WriteGate::open());
    let kms = Kms::new(
        client(&[&describe, &internal]),
        Arc::default(),
        REGION,
        &progress,
        &gate,
    );
    // WHEN both are called
    let described = within_real_time(kms.describe_key(KEY_ID)).await;
    let enabled = within_real_time(kms.enable_key(KEY_ID)).await;
    // THEN the first went through on its third attempt; the second failed after TRANSIENT_ATTEMPTS,
    // with KMS's code, and neither slowed its operation down
    assert!(described.is_ok(), "{described:?}");
    assert_eq!(describe.num_calls(), 3);
    let err = enabled.expect_err("a lasting server error fails");
    assert_eq!(err.aws_code(), Some("KMSInternalException"));
    assert_eq!(internal.num_calls(), TRANSIENT_ATTEMPTS as usize);
    assert_eq!(kms.limiters.get(Operation::DescribeKey).rate(), 2000.0);
}

/// ReplicateKey as KMS answers it at a quota of `per_second` calls in any one second (of the paused
/// clock): the calls over it are throttled, counted in `throttled`. Share one rule among clients to
/// share the quota.
fn replicate_key_at_quota(per_second: usize, over_quota: Arc<Mutex<usize>>) -> Rule {
    let recent: Arc<Mutex<VecDeque<Instant>>> = Arc::default();
    mock!(Client::replicate_key).then_http_response(move || {
        let now = Instant::now();
        let mut recent = recent.lock().unwrap();
        while recent.front().is_some_and(|at| now - *at >= Duration::from_secs(1)) {
            recent.pop_front();
        }
        if recent.len() >= per_second {
            *over_quota.lock().unwrap() += 1;
            throttled()
        } else {
            recent.push_back(now);
            answered()
        }
    })
}

/// What a fleet did: calls that failed, calls KMS answered, calls it throttled, and how long from the
/// start to the last answer.
struct Fleet {
    failed: usize,
    replicated: usize,
    throttled: usize,
    took: Duration,
}

/// `instances` instances (each a process with its own limiters), each replicating its key into 3
/// regions, all at once, from one primary region whose ReplicateKey quota is 5 calls a second.
async fn replicate_as_a_fleet(instances: usize) -> Fleet {
    let over_quota = Arc::new(Mutex::new(0));
    let rule = replicate_key_at_quota(5, over_quota.clone());
    let client = client(&[&rule]);
    let started = Instant::now();
    let instances: Vec<_> = (0..instances)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let (progress, gate, limiters) = (Progress::default(), WriteGate::open(), Arc::default());
                let kms = Kms::new(client, limiters, "us-east-1", &progress, &gate);
                let (regions, replica) = (["eu-west-1", "ap-southeast-2", "us-west-2"], NewReplica::default());
                let calls = regions.map(|region| kms.replicate_key(KEY_ID, region, &replica));
                let results = futures::future::join_all(calls).await;
                (results.iter().filter(|result| result.is_err()).count(), Instant::now())
            })
        })
        .collect();
    let (mut failed, mut finished) = (0, started);
    for instance in instances {
        let (errors, at) = within_real_time(instance).await.expect("the instance ran to its end");
        failed += errors;
        finished = finished.max(at);
    }
    let throttled = *over_quota.lock().unwrap();
    Fleet {
        failed,
        replicated: rule.num_calls() - throttled,
        throttled,
        took: finished - started,
    }
}

#[tokio::test(start_paused = true)]
async fn a_fleet_replicating_from_one_region_at_its_quota_replicates_everything_near_the_quota() {
    for (instances, bound) in [(15, 9.0), (30, 18.0)] {
        // GIVEN 15 (then 30) instances replicating their keys into 3 regions each from one region
        // WHEN they all start at once
        let fleet = replicate_as_a_fleet(instances).await;
        // THEN every replica was made, though KMS throttled calls on the way, within 1.5 times the
        // time that 3 calls an instance take at 5 a second (a quota of 5 in any one-second window
        // wastes the moments between a call's second running out and the next attempt; the local
        // AWS's token bucket, where make bench holds the fleet to 1.3 times, keeps them)
        assert_eq!(fleet.failed, 0, "{instances}");
        assert_eq!(fleet.replicated, instances * 3);
        assert!(fleet.throttled > 0, "{instances}");
        assert!(
            fleet.took <= Duration::from_secs_f64(1.5 * bound),
            "{instances}: {:?}",
            fleet.took
        );
    }
}

/// DescribeKey, ListResourceTags and GetKeyPolicy of a usable primary (an enabled multi-Region primary
/// key whose owner consents to its replication); DescribeKey answers it for any key id, so it serves
/// the replica's region too.
fn usable_primary() -> Vec<Rule> {
    let describe = mock!(Client::describe_key).then_output(|| {
        let primary = KeyMetadata::builder()
            .key_id(KEY_ID)
            .key_state(KeyState::Enabled)
            .multi_region(true)
            .multi_region_configuration(
                MultiRegionConfiguration::builder()
                    .multi_region_key_type(MultiRegionKeyType::Primary)
                    .build(),
            )
            .build()
            .expect("the key id is set");
        DescribeKeyOutput::builder().key_metadata(primary).build()
    });
    let consents = mock!(Client::list_resource_tags).then_output(|| {
        let consent = Tag::builder()
            .tag_key(REPLICABLE_TAG)
            .tag_value("true")
            .build()
            .expect("key and value are set");
        ListResourceTagsOutput::builder().tags(consent).build()
    });
    let policy = mock!(Client::get_key_policy).then_output(|| GetKeyPolicyOutput::builder().policy(POLICY).build());
    vec![describe, consents, policy]
}

/// A Create of a replica key of [`PRIMARY`] into eu-west-1, without an alias.
fn create_into_eu_west_1() -> crate::protocol::Request {
    let properties = json!({
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:mrk-provider",
        "PrimaryKeyArn": PRIMARY,
        "ReplicaRegions": ["eu-west-1"],
    });
    typed_request("Custom::ReplicaKey", "AppKeyReplicas", "create", properties, None)
}

#[tokio::test(start_paused = true)]
async fn a_replicate_key_throttled_until_the_deadline_fails_in_time_saying_it_was_throttled() {
    // GIVEN a usable primary whose region throttles every ReplicateKey, and a function with 60 s left
    let replicate = mock!(Client::replicate_key).then_http_response(throttled);
    let mut primary_region = usable_primary();
    primary_region.push(replicate.clone());
    let started = Instant::now();
    // WHEN the replica key is created
    let answer = TestApp::new()
        .kms("us-east-1", primary_region)
        .answer_within(create_into_eu_west_1(), Deadline::after(Duration::from_secs(60)))
        .await;
    // THEN ReplicateKey was tried until the deadline guard's margin (54 s), then the request answered
    // FAILED in time, naming the call and how often KMS throttled it
    assert_eq!(Instant::now() - started, Duration::from_secs(54));
    let (_, reason) = failure(answer);
    assert!(
        reason.contains("ran out of time during ReplicateKey into eu-west-1 (throttled "),
        "{reason}"
    );
    assert!(replicate.num_calls() > 12, "{}", replicate.num_calls());
}

#[tokio::test(start_paused = true)]
async fn a_replicate_key_throttled_more_often_than_the_sdk_would_try_creates_the_replica() {
    // GIVEN a usable primary, and ReplicateKey throttled 8 times before it answers (the SDK's standard
    // mode gives up after 3 to 8 attempts)
    let replicate = throttled_then_answered!(replicate_key, 8);
    let mut primary_region = usable_primary();
    primary_region.push(replicate.clone());
    // WHEN the replica key is created (the replica's region describes the new replica as Enabled)
    let answer = TestApp::new()
        .kms("us-east-1", primary_region)
        .kms("eu-west-1", usable_primary())
        .answer_within(create_into_eu_west_1(), Deadline::after(Duration::from_secs(60)))
        .await;
    // THEN it succeeded, after 9 ReplicateKey calls
    success(answer);
    assert_eq!(replicate.num_calls(), 9);
}

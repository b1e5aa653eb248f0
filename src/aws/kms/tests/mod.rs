//! Each operation on a mocked KMS client: the exact arguments it sends, the errors it turns into
//! success, and the ones it reports. The resource tests mock KMS with rules that match any call, so
//! a call that is never made goes unnoticed there; these count the calls.

use aws_sdk_kms::operation::create_alias::{CreateAliasError, CreateAliasOutput};
use aws_sdk_kms::operation::delete_alias::{DeleteAliasError, DeleteAliasOutput};
use aws_sdk_kms::operation::describe_key::DescribeKeyError;
use aws_sdk_kms::operation::list_resource_tags::ListResourceTagsOutput;
use aws_sdk_kms::operation::put_key_policy::PutKeyPolicyOutput;
use aws_sdk_kms::operation::schedule_key_deletion::{ScheduleKeyDeletionError, ScheduleKeyDeletionOutput};
use aws_sdk_kms::operation::update_alias::UpdateAliasOutput;
use aws_sdk_kms::types::error::{AlreadyExistsException, NotFoundException};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::error::ErrorMetadata;

use super::*;
use crate::aws::with_kms_retries;

mod throttling;

const REGION: &str = "eu-west-1";
const KEY_ID: &str = "mrk-1234abcd12ab34cd56ef1234567890ab";
const ALIAS: &str = "alias/app-data";
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[]}"#;

fn client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_kms, RuleMode::MatchAny, rules, |c| with_kms_retries(
        c.region(aws_sdk_kms::config::Region::new(REGION))
    ))
}

fn denied() -> ErrorMetadata {
    ErrorMetadata::builder()
        .code("AccessDeniedException")
        .message("not allowed.")
        .build()
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder()
        .tag_key(key)
        .tag_value(value)
        .build()
        .expect("key and value are set")
}

fn pair(key: &str, value: &str) -> (String, String) {
    (key.to_string(), value.to_string())
}

#[tokio::test]
async fn a_key_that_does_not_exist_is_described_as_none_and_any_other_error_fails() {
    // GIVEN KMS that has no key of one id and refuses to describe the other
    let missing = mock!(Client::describe_key)
        .match_requests(|r| r.key_id() == Some("alias/gone"))
        .then_error(|| DescribeKeyError::NotFoundException(NotFoundException::builder().build()));
    let refused = mock!(Client::describe_key)
        .match_requests(|r| r.key_id() == Some(KEY_ID))
        .then_error(|| DescribeKeyError::generic(denied()));
    let (progress, gate) = (Progress::default(), WriteGate::open());
    let kms = Kms::new(client(&[&missing, &refused]), Arc::default(), REGION, &progress, &gate);

    // WHEN both are described THEN the missing one is None, the refusal an error with its code
    assert!(matches!(kms.describe_key("alias/gone").await, Ok(None)));
    let err = kms.describe_key(KEY_ID).await.expect_err("AccessDenied is a failure");
    assert_eq!(err.aws_code(), Some("AccessDeniedException"));
    assert!(!progress.has_mutated(), "describing changes nothing");
}

#[tokio::test]
async fn creating_an_alias_that_exists_is_false_and_a_refusal_fails() {
    // GIVEN KMS that creates one alias, has another already, and refuses a third
    let created = mock!(Client::create_alias)
        .match_requests(|r| r.alias_name() == Some(ALIAS) && r.target_key_id() == Some(KEY_ID))
        .then_output(|| CreateAliasOutput::builder().build());
    let exists = mock!(Client::create_alias)
        .match_requests(|r| r.alias_name() == Some("alias/taken"))
        .then_error(|| CreateAliasError::AlreadyExistsException(AlreadyExistsException::builder().build()));
    let refused = mock!(Client::create_alias)
        .match_requests(|r| r.alias_name() == Some("alias/refused"))
        .then_error(|| CreateAliasError::generic(denied()));
    let (progress, gate) = (Progress::default(), WriteGate::open());
    let kms = Kms::new(
        client(&[&created, &exists, &refused]),
        Arc::default(),
        REGION,
        &progress,
        &gate,
    );

    // WHEN each is created THEN true, false, and an error with its code
    assert!(matches!(kms.create_alias(ALIAS, KEY_ID).await, Ok(true)));
    assert!(matches!(kms.create_alias("alias/taken", KEY_ID).await, Ok(false)));
    let err = kms
        .create_alias("alias/refused", KEY_ID)
        .await
        .expect_err("AccessDenied is a failure");
    assert_eq!(err.aws_code(), Some("AccessDeniedException"));
    assert_eq!(
        (created.num_calls(), exists.num_calls(), refused.num_calls()),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn put_key_policy_sends_the_policy_as_the_default_policy_with_the_lockout_flag() {
    // GIVEN KMS that accepts exactly this PutKeyPolicy
    let put = mock!(Client::put_key_policy)
        .match_requests(|r| {
            r.key_id() == Some(KEY_ID)
                && r.policy_name() == Some("default")
                && r.policy() == Some(POLICY)
                && r.bypass_policy_lockout_safety_check() == Some(true)
        })
        .then_output(|| PutKeyPolicyOutput::builder().build());
    let (progress, gate) = (Progress::default(), WriteGate::open());
    let kms = Kms::new(client(&[&put]), Arc::default(), REGION, &progress, &gate);

    // WHEN the policy is put
    let result = kms.put_key_policy(KEY_ID, POLICY, true).await;

    // THEN it was sent once, and the request counts as a change
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(put.num_calls(), 1);
    assert!(progress.has_mutated());
}

#[tokio::test]
async fn update_alias_points_the_alias_at_the_key() {
    // GIVEN KMS that accepts exactly this UpdateAlias
    let update = mock!(Client::update_alias)
        .match_requests(|r| r.alias_name() == Some(ALIAS) && r.target_key_id() == Some(KEY_ID))
        .then_output(|| UpdateAliasOutput::builder().build());
    let (progress, gate) = (Progress::default(), WriteGate::open());
    let kms = Kms::new(client(&[&update]), Arc::default(), REGION, &progress, &gate);

    // WHEN the alias is updated
    let result = kms.update_alias(ALIAS, KEY_ID).await;

    // THEN it was sent once
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(update.num_calls(), 1);
    assert!(progress.has_mutated());
}

#[tokio::test]
async fn scheduling_the_deletion_of_a_key_sends_its_pending_window() {
    let schedule = mock!(Client::schedule_key_deletion)
        .match_requests(|r| r.key_id() == Some(KEY_ID) && r.pending_window_in_days() == Some(7))
        .then_output(|| ScheduleKeyDeletionOutput::builder().build());
    let (progress, gate) = (Progress::default(), WriteGate::open());
    let kms = Kms::new(client(&[&schedule]), Arc::default(), REGION, &progress, &gate);

    assert!(kms.schedule_key_deletion(KEY_ID, 7).await.is_ok());
    assert_eq!(schedule.num_calls(), 1);
}

#[tokio::test]
async fn scheduling_the_deletion_of_a_key_that_is_gone_succeeds() {
    // GIVEN a key that KMS no longer has
    let gone = mock!(Client::schedule_key_deletion)
        .then_error(|| ScheduleKeyDeletionError::NotFoundException(NotFoundException::builder().build()));
    let (progress, gate) = (Progress::default(), WriteGate::open());
    let kms = Kms::new(client(&[&gone]), Arc::default(), REGION, &progress, &gate);

    // WHEN its deletion is scheduled THEN that is success: it is already gone
    let result = kms.schedule_key_deletion(KEY_ID, 7).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(gone.num_calls(), 1);
}

#[tokio::test]
async fn scheduling_a_deletion_that_kms_refuses_fails_with_the_code_and_the_region() {
    let refused = mock!(Client::schedule_key_deletion).then_error(|| ScheduleKeyDeletionError::generic(denied()));
    let (progress, gate) = (Progress::default(), WriteGate::open());
    let kms = Kms::new(client(&[&refused]), Arc::default(), REGION, &progress, &gate);

    let err = kms
        .schedule_key_deletion(KEY_ID, 7)
        .await
        .expect_err("AccessDenied is a failure");
    assert_eq!(err.aws_code(), Some("AccessDeniedException"));
    assert!(
        err.to_string()
            .starts_with("ScheduleKeyDeletion in eu-west-1 failed (AccessDeniedException): not allowed. Check"),
        "{err}"
    );
}

#[tokio::test]
async fn deleting_an_alias_sends_its_name_and_an_alias_that_is_gone_is_fine() {
    // GIVEN one alias that KMS deletes and one it no longer has
    let deleted = mock!(Client::delete_alias)
        .match_requests(|r| r.alias_name() == Some(ALIAS))
        .then_output(|| DeleteAliasOutput::builder().build());
    let gone = mock!(Client::delete_alias)
        .match_requests(|r| r.alias_name() == Some("alias/gone"))
        .then_error(|| DeleteAliasError::NotFoundException(NotFoundException::builder().build()));
    let (progress, gate) = (Progress::default(), WriteGate::open());
    let kms = Kms::new(client(&[&deleted, &gone]), Arc::default(), REGION, &progress, &gate);

    // WHEN both are deleted THEN both succeed, each after one call
    assert!(kms.delete_alias(ALIAS).await.is_ok());
    assert!(kms.delete_alias("alias/gone").await.is_ok());
    assert_eq!((deleted.num_calls(), gone.num_calls()), (1, 1));
}

#[tokio::test]
async fn deleting_an_alias_that_kms_refuses_fails_with_the_code() {
    let refused = mock!(Client::delete_alias).then_error(|| DeleteAliasError::generic(denied()));
    let (progress, gate) = (Progress::default(), WriteGate::open());
    let kms = Kms::new(client(&[&refused]), Arc::default(), REGION, &progress, &gate);

    let err = kms.delete_alias(ALIAS).await.expect_err("AccessDenied is a failure");
    assert_eq!(err.aws_code(), Some("AccessDeniedException"));
    assert!(err.to_string().starts_with("DeleteAlias in eu-west-1 failed"), "{err}");
}

#[tokio::test]
async fn tags_are_read_page_by_page_while_kms_says_the_list_is_truncated() {
    // GIVEN three pages; the second says it is not truncated (with a marker all the same), so the
    // third must not be read
    let first = mock!(Client::list_resource_tags)
        .match_requests(|r| r.key_id() == Some(KEY_ID) && r.marker().is_none())
        .then_output(|| {
            ListResourceTagsOutput::builder()
                .tags(tag("a", "1"))
                .tags(tag("b", "2"))
                .truncated(true)
                .next_marker("page-2")
                .build()
        });
    let second = mock!(Client::list_resource_tags)
        .match_requests(|r| r.key_id() == Some(KEY_ID) && r.marker() == Some("page-2"))
        .then_output(|| {
            ListResourceTagsOutput::builder()
                .tags(tag("c", "3"))
                .truncated(false)
                .next_marker("page-3")
                .build()
        });
    let third = mock!(Client::list_resource_tags)
        .match_requests(|r| r.marker() == Some("page-3"))
        .then_output(|| ListResourceTagsOutput::builder().tags(tag("never", "read")).build());
    let (progress, gate) = (Progress::default(), WriteGate::open());
    let kms = Kms::new(
        client(&[&first, &second, &third]),
        Arc::default(),
        REGION,
        &progress,
        &gate,
    );

    // WHEN the tags are listed
    let tags = kms.list_tags(KEY_ID).await.expect("the listing succeeds");

    // THEN the first two pages, in order, and nothing of the third
    assert_eq!(tags, vec![pair("a", "1"), pair("b", "2"), pair("c", "3")]);
    assert_eq!((first.num_calls(), second.num_calls(), third.num_calls()), (1, 1, 0));
    assert!(!progress.has_mutated(), "reading tags changes nothing");
}

//! KMS operations, one small function each. Each reports itself to the request's [`Progress`] (so a
//! timeout can say what was running, and a failed Create knows whether it changed anything) and
//! turns the SDK's typed errors into what the caller needs: `None`/`false` for the outcomes that are
//! expected (not found, already exists), an [`Error`] with the AWS error code for the rest.

use aws_sdk_kms::Client;
use aws_sdk_kms::types::{KeyMetadata, Tag};

use super::write_gate::WriteGate;
use crate::Error;
use crate::progress::Progress;
use crate::progress::Step;

/// KMS in one region, for one request.
pub struct Kms<'a> {
    client: Client,
    region: &'a str,
    progress: &'a Progress,
    gate: &'a WriteGate,
}

/// What [`Kms::replicate_key`] got.
#[derive(Debug)]
pub enum Replicated {
    /// A new replica, with the metadata ReplicateKey answered (`None` if it answered none). Its key
    /// state is usually `Creating`, which the caller waits out with DescribeKey in the replica region.
    Created(Option<Box<KeyMetadata>>),
    /// The primary already has a replica in that region.
    AlreadyExists,
}

/// What ReplicateKey gives a new replica at creation.
#[derive(Debug, Clone, Default)]
pub struct NewReplica {
    /// Description of the replica.
    pub description: Option<String>,
    /// Key policy document (JSON).
    pub policy: Option<String>,
    /// Tags, the owner tags included.
    pub tags: Vec<(String, String)>,
    /// Skip KMS's check that the policy does not lock the caller out.
    pub bypass_policy_lockout_safety_check: bool,
}

fn kms_tags(tags: &[(String, String)]) -> Result<Vec<Tag>, Error> {
    tags.iter()
        .map(|(key, value)| {
            Tag::builder()
                .tag_key(key)
                .tag_value(value)
                .build()
                .map_err(|err| Error::Internal(format!("tag '{key}' cannot be sent to KMS: {err}")))
        })
        .collect()
}

impl<'a> Kms<'a> {
    /// KMS in `region` through `client`; its changes pass `gate` first.
    pub fn new(client: Client, region: &'a str, progress: &'a Progress, gate: &'a WriteGate) -> Self {
        Kms {
            client,
            region,
            progress,
            gate,
        }
    }

    /// The region this client calls.
    pub fn region(&self) -> &str {
        self.region
    }

    /// The step of a call that reads: it too waits at the request's [`WriteGate`], since no KMS call
    /// is made for a caller that is not verified (a read would tell it about keys it may not see).
    async fn step(&self, operation: &str) -> Result<Step<'a>, Error> {
        self.gate.pass().await?;
        Ok(self.progress.step(format!("{operation} in {}", self.region)))
    }

    /// The step of a call that changes the key: it waits at the request's [`WriteGate`] first.
    async fn mutating_step(&self, what: String) -> Result<Step<'a>, Error> {
        self.gate.pass().await?;
        self.progress.mark_mutating();
        Ok(self.progress.step(what))
    }

    /// DescribeKey: the key's metadata, or `None` if the key (or alias) does not exist in the region.
    pub async fn describe_key(&self, key_id: &str) -> Result<Option<KeyMetadata>, Error> {
        let _step = self.step("DescribeKey").await?;
        match self.client.describe_key().key_id(key_id).send().await {
            Ok(output) => Ok(output.key_metadata),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found_exception()) => Ok(None),
            Err(err) => Err(Error::aws("DescribeKey", self.region, err)),
        }
    }

    /// GetKeyPolicy: the key's `default` policy document.
    pub async fn get_key_policy(&self, key_id: &str) -> Result<Option<String>, Error> {
        let _step = self.step("GetKeyPolicy").await?;
        let output = self
            .client
            .get_key_policy()
            .key_id(key_id)
            .policy_name("default")
            .send()
            .await
            .map_err(|err| Error::aws("GetKeyPolicy", self.region, err))?;
        Ok(output.policy)
    }

    /// ReplicateKey, sent to the primary's region: creates the replica of `key_id` in `replica_region`.
    /// `key_id` must be the key id, not the ARN.
    pub async fn replicate_key(
        &self,
        key_id: &str,
        replica_region: &str,
        replica: &NewReplica,
    ) -> Result<Replicated, Error> {
        let _step = self
            .mutating_step(format!("ReplicateKey into {replica_region}"))
            .await?;
        let result = self
            .client
            .replicate_key()
            .key_id(key_id)
            .replica_region(replica_region)
            .set_description(replica.description.clone())
            .set_policy(replica.policy.clone())
            .bypass_policy_lockout_safety_check(replica.bypass_policy_lockout_safety_check)
            .set_tags(Some(kms_tags(&replica.tags)?))
            .send()
            .await;
        match result {
            Ok(output) => Ok(Replicated::Created(output.replica_key_metadata.map(Box::new))),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_already_exists_exception()) => {
                Ok(Replicated::AlreadyExists)
            }
            // The error is about the replica region, whichever endpoint was called.
            Err(err) => Err(Error::aws("ReplicateKey", replica_region, err)),
        }
    }

    /// ListResourceTags: all tags of the key, as (key, value) pairs.
    pub async fn list_tags(&self, key_id: &str) -> Result<Vec<(String, String)>, Error> {
        let _step = self.step("ListResourceTags").await?;
        let mut tags = Vec::new();
        let mut marker = None;
        loop {
            let output = self
                .client
                .list_resource_tags()
                .key_id(key_id)
                .set_marker(marker)
                .send()
                .await
                .map_err(|err| Error::aws("ListResourceTags", self.region, err))?;
            tags.extend(
                output
                    .tags
                    .unwrap_or_default()
                    .into_iter()
                    .map(|tag| (tag.tag_key, tag.tag_value)),
            );
            match output.next_marker {
                Some(next) if output.truncated => marker = Some(next),
                _ => return Ok(tags),
            }
        }
    }

    /// TagResource: adds or overwrites tags.
    pub async fn tag_resource(&self, key_id: &str, tags: &[(String, String)]) -> Result<(), Error> {
        let _step = self.mutating_step(format!("TagResource in {}", self.region)).await?;
        self.client
            .tag_resource()
            .key_id(key_id)
            .set_tags(Some(kms_tags(tags)?))
            .send()
            .await
            .map_err(|err| Error::aws("TagResource", self.region, err))?;
        Ok(())
    }

    /// UntagResource: removes the tags with these keys.
    pub async fn untag_resource(&self, key_id: &str, keys: &[String]) -> Result<(), Error> {
        let _step = self.mutating_step(format!("UntagResource in {}", self.region)).await?;
        self.client
            .untag_resource()
            .key_id(key_id)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(|err| Error::aws("UntagResource", self.region, err))?;
        Ok(())
    }

    /// UpdateKeyDescription.
    pub async fn update_description(&self, key_id: &str, description: &str) -> Result<(), Error> {
        let _step = self
            .mutating_step(format!("UpdateKeyDescription in {}", self.region))
            .await?;
        self.client
            .update_key_description()
            .key_id(key_id)
            .description(description)
            .send()
            .await
            .map_err(|err| Error::aws("UpdateKeyDescription", self.region, err))?;
        Ok(())
    }

    /// PutKeyPolicy: replaces the `default` policy.
    pub async fn put_key_policy(&self, key_id: &str, policy: &str, bypass_lockout_check: bool) -> Result<(), Error> {
        let _step = self.mutating_step(format!("PutKeyPolicy in {}", self.region)).await?;
        self.client
            .put_key_policy()
            .key_id(key_id)
            .policy_name("default")
            .policy(policy)
            .bypass_policy_lockout_safety_check(bypass_lockout_check)
            .send()
            .await
            .map_err(|err| Error::aws("PutKeyPolicy", self.region, err))?;
        Ok(())
    }

    /// EnableKey.
    pub async fn enable_key(&self, key_id: &str) -> Result<(), Error> {
        let _step = self.mutating_step(format!("EnableKey in {}", self.region)).await?;
        self.client
            .enable_key()
            .key_id(key_id)
            .send()
            .await
            .map_err(|err| Error::aws("EnableKey", self.region, err))?;
        Ok(())
    }

    /// DisableKey.
    pub async fn disable_key(&self, key_id: &str) -> Result<(), Error> {
        let _step = self.mutating_step(format!("DisableKey in {}", self.region)).await?;
        self.client
            .disable_key()
            .key_id(key_id)
            .send()
            .await
            .map_err(|err| Error::aws("DisableKey", self.region, err))?;
        Ok(())
    }

    /// ScheduleKeyDeletion after `pending_window_in_days`; a key that no longer exists is fine.
    pub async fn schedule_key_deletion(&self, key_id: &str, pending_window_in_days: u32) -> Result<(), Error> {
        let _step = self
            .mutating_step(format!("ScheduleKeyDeletion in {}", self.region))
            .await?;
        let days = i32::try_from(pending_window_in_days).unwrap_or(30);
        match self
            .client
            .schedule_key_deletion()
            .key_id(key_id)
            .pending_window_in_days(days)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found_exception()) => Ok(()),
            Err(err) => Err(Error::aws("ScheduleKeyDeletion", self.region, err)),
        }
    }

    /// CancelKeyDeletion: the key comes back `Disabled`.
    pub async fn cancel_key_deletion(&self, key_id: &str) -> Result<(), Error> {
        let _step = self
            .mutating_step(format!("CancelKeyDeletion in {}", self.region))
            .await?;
        self.client
            .cancel_key_deletion()
            .key_id(key_id)
            .send()
            .await
            .map_err(|err| Error::aws("CancelKeyDeletion", self.region, err))?;
        Ok(())
    }

    /// CreateAlias; `false` when an alias of that name already exists (whatever it points at).
    pub async fn create_alias(&self, alias: &str, key_id: &str) -> Result<bool, Error> {
        let _step = self.mutating_step(format!("CreateAlias in {}", self.region)).await?;
        match self
            .client
            .create_alias()
            .alias_name(alias)
            .target_key_id(key_id)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_already_exists_exception()) => Ok(false),
            Err(err) => Err(Error::aws("CreateAlias", self.region, err)),
        }
    }

    /// UpdateAlias: points an existing alias at `key_id`.
    pub async fn update_alias(&self, alias: &str, key_id: &str) -> Result<(), Error> {
        let _step = self.mutating_step(format!("UpdateAlias in {}", self.region)).await?;
        self.client
            .update_alias()
            .alias_name(alias)
            .target_key_id(key_id)
            .send()
            .await
            .map_err(|err| Error::aws("UpdateAlias", self.region, err))?;
        Ok(())
    }

    /// DeleteAlias; an alias that no longer exists is fine.
    pub async fn delete_alias(&self, alias: &str) -> Result<(), Error> {
        let _step = self.mutating_step(format!("DeleteAlias in {}", self.region)).await?;
        match self.client.delete_alias().alias_name(alias).send().await {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found_exception()) => Ok(()),
            Err(err) => Err(Error::aws("DeleteAlias", self.region, err)),
        }
    }
}

#[cfg(test)]
mod tests {
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

    const REGION: &str = "eu-west-1";
    const KEY_ID: &str = "mrk-1234abcd12ab34cd56ef1234567890ab";
    const ALIAS: &str = "alias/app-data";
    const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[]}"#;

    fn client(rules: &[&Rule]) -> Client {
        mock_client!(aws_sdk_kms, RuleMode::MatchAny, rules, |c| c
            .region(aws_sdk_kms::config::Region::new(REGION))
            .retry_config(aws_sdk_kms::config::retry::RetryConfig::disabled()))
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
        let kms = Kms::new(client(&[&missing, &refused]), REGION, &progress, &gate);

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
        let kms = Kms::new(client(&[&created, &exists, &refused]), REGION, &progress, &gate);

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
        let kms = Kms::new(client(&[&put]), REGION, &progress, &gate);

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
        let kms = Kms::new(client(&[&update]), REGION, &progress, &gate);

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
        let kms = Kms::new(client(&[&schedule]), REGION, &progress, &gate);

        assert!(kms.schedule_key_deletion(KEY_ID, 7).await.is_ok());
        assert_eq!(schedule.num_calls(), 1);
    }

    #[tokio::test]
    async fn scheduling_the_deletion_of_a_key_that_is_gone_succeeds() {
        // GIVEN a key that KMS no longer has
        let gone = mock!(Client::schedule_key_deletion)
            .then_error(|| ScheduleKeyDeletionError::NotFoundException(NotFoundException::builder().build()));
        let (progress, gate) = (Progress::default(), WriteGate::open());
        let kms = Kms::new(client(&[&gone]), REGION, &progress, &gate);

        // WHEN its deletion is scheduled THEN that is success: it is already gone
        let result = kms.schedule_key_deletion(KEY_ID, 7).await;
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(gone.num_calls(), 1);
    }

    #[tokio::test]
    async fn scheduling_a_deletion_that_kms_refuses_fails_with_the_code_and_the_region() {
        let refused = mock!(Client::schedule_key_deletion).then_error(|| ScheduleKeyDeletionError::generic(denied()));
        let (progress, gate) = (Progress::default(), WriteGate::open());
        let kms = Kms::new(client(&[&refused]), REGION, &progress, &gate);

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
        let kms = Kms::new(client(&[&deleted, &gone]), REGION, &progress, &gate);

        // WHEN both are deleted THEN both succeed, each after one call
        assert!(kms.delete_alias(ALIAS).await.is_ok());
        assert!(kms.delete_alias("alias/gone").await.is_ok());
        assert_eq!((deleted.num_calls(), gone.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn deleting_an_alias_that_kms_refuses_fails_with_the_code() {
        let refused = mock!(Client::delete_alias).then_error(|| DeleteAliasError::generic(denied()));
        let (progress, gate) = (Progress::default(), WriteGate::open());
        let kms = Kms::new(client(&[&refused]), REGION, &progress, &gate);

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
        let kms = Kms::new(client(&[&first, &second, &third]), REGION, &progress, &gate);

        // WHEN the tags are listed
        let tags = kms.list_tags(KEY_ID).await.expect("the listing succeeds");

        // THEN the first two pages, in order, and nothing of the third
        assert_eq!(tags, vec![pair("a", "1"), pair("b", "2"), pair("c", "3")]);
        assert_eq!((first.num_calls(), second.num_calls(), third.num_calls()), (1, 1, 0));
        assert!(!progress.has_mutated(), "reading tags changes nothing");
    }
}

//! KMS operations, one small function each. Each is sent through [`retry::send`] (paced by the
//! region's limiter of that operation, as KMS allows each operation only a few calls a second per
//! account and region, and retried while throttled), reports itself to the request's [`Progress`] (so
//! a timeout can say what was running, and a failed Create knows whether it changed anything), and
//! turns the SDK's typed errors into what the caller needs: `None`/`false` for the outcomes that are
//! expected (not found, already exists), an [`Error`] with the AWS error code for the rest.

use std::future::Future;
use std::sync::Arc;

use aws_sdk_kms::Client;
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::types::{KeyMetadata, Tag};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;

use super::rate_limit::RateLimiter;
use super::retry;
use super::write_gate::WriteGate;
use crate::Error;
use crate::error::Bug;
use crate::progress::Progress;
use crate::progress::Step;

/// The KMS operations the provider calls. Each has its own request quota per account and region, so
/// each has its own [`RateLimiter`] per region ([`Limiters`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// CancelKeyDeletion.
    CancelKeyDeletion,
    /// CreateAlias.
    CreateAlias,
    /// DeleteAlias.
    DeleteAlias,
    /// DescribeKey.
    DescribeKey,
    /// DisableKey.
    DisableKey,
    /// EnableKey.
    EnableKey,
    /// GetKeyPolicy.
    GetKeyPolicy,
    /// ListResourceTags.
    ListResourceTags,
    /// PutKeyPolicy.
    PutKeyPolicy,
    /// ReplicateKey (counted in the primary's region, where it is sent).
    ReplicateKey,
    /// ScheduleKeyDeletion.
    ScheduleKeyDeletion,
    /// TagResource.
    TagResource,
    /// UntagResource.
    UntagResource,
    /// UpdateAlias.
    UpdateAlias,
    /// UpdateKeyDescription.
    UpdateKeyDescription,
}

impl Operation {
    /// Every operation, in the order of their declaration.
    pub const ALL: [Operation; 15] = [
        Operation::CancelKeyDeletion,
        Operation::CreateAlias,
        Operation::DeleteAlias,
        Operation::DescribeKey,
        Operation::DisableKey,
        Operation::EnableKey,
        Operation::GetKeyPolicy,
        Operation::ListResourceTags,
        Operation::PutKeyPolicy,
        Operation::ReplicateKey,
        Operation::ScheduleKeyDeletion,
        Operation::TagResource,
        Operation::UntagResource,
        Operation::UpdateAlias,
        Operation::UpdateKeyDescription,
    ];

    /// The operation's name in KMS's API.
    pub fn name(self) -> &'static str {
        match self {
            Operation::CancelKeyDeletion => "CancelKeyDeletion",
            Operation::CreateAlias => "CreateAlias",
            Operation::DeleteAlias => "DeleteAlias",
            Operation::DescribeKey => "DescribeKey",
            Operation::DisableKey => "DisableKey",
            Operation::EnableKey => "EnableKey",
            Operation::GetKeyPolicy => "GetKeyPolicy",
            Operation::ListResourceTags => "ListResourceTags",
            Operation::PutKeyPolicy => "PutKeyPolicy",
            Operation::ReplicateKey => "ReplicateKey",
            Operation::ScheduleKeyDeletion => "ScheduleKeyDeletion",
            Operation::TagResource => "TagResource",
            Operation::UntagResource => "UntagResource",
            Operation::UpdateAlias => "UpdateAlias",
            Operation::UpdateKeyDescription => "UpdateKeyDescription",
        }
    }

    /// KMS's default request quota of the operation, in calls a second per account and region: the
    /// lowest default that AWS has documented for it (AWS raised DeleteAlias, PutKeyPolicy and
    /// ScheduleKeyDeletion from 5 to 15; an account may still have 5).
    pub fn quota(self) -> u32 {
        match self {
            Operation::DescribeKey | Operation::ListResourceTags => 2000,
            Operation::GetKeyPolicy => 1000,
            Operation::TagResource => 10,
            Operation::CancelKeyDeletion
            | Operation::CreateAlias
            | Operation::DeleteAlias
            | Operation::DisableKey
            | Operation::EnableKey
            | Operation::PutKeyPolicy
            | Operation::ReplicateKey
            | Operation::ScheduleKeyDeletion
            | Operation::UntagResource
            | Operation::UpdateAlias
            | Operation::UpdateKeyDescription => 5,
        }
    }
}

/// The rate limiters of KMS in one region, one per [`Operation`], shared by every request of the
/// process. Each lets calls through as they come until KMS throttles one (a request makes only a few
/// calls of an operation in a region, and a burst into an idle quota costs nothing), then paces that
/// operation at most at its quota, adapting to the throttling it meets ([`RateLimiter`]).
#[derive(Debug)]
pub struct Limiters([RateLimiter; Operation::ALL.len()]);

impl Limiters {
    /// A limiter per operation, each of its [`Operation::quota`], at most a second's worth at once.
    pub fn new() -> Self {
        Limiters(
            Operation::ALL.map(|operation| RateLimiter::after_first_throttle(operation.quota(), operation.quota())),
        )
    }

    /// The limiter of `operation`.
    pub fn get(&self, operation: Operation) -> &RateLimiter {
        &self.0[operation as usize]
    }
}

impl Default for Limiters {
    fn default() -> Self {
        Limiters::new()
    }
}

/// KMS in one region, for one request.
pub struct Kms<'a> {
    client: Client,
    limiters: Arc<Limiters>,
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
            Tag::builder().tag_key(key).tag_value(value).build().map_err(|err| {
                Error::from(Bug::UnsendableTag {
                    key: key.clone(),
                    service: "KMS",
                    detail: err.to_string(),
                })
            })
        })
        .collect()
}

impl<'a> Kms<'a> {
    /// KMS in `region` through `client`, paced by `limiters`; its changes pass `gate` first.
    pub fn new(
        client: Client,
        limiters: Arc<Limiters>,
        region: &'a str,
        progress: &'a Progress,
        gate: &'a WriteGate,
    ) -> Self {
        Kms {
            client,
            limiters,
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
    async fn step(&self, operation: Operation) -> Result<Step<'a>, Error> {
        self.gate.pass().await?;
        Ok(self.progress.step(format!("{} in {}", operation.name(), self.region)))
    }

    /// The step of a call that changes the key: it waits at the request's [`WriteGate`] first.
    async fn mutating_step(&self, what: String) -> Result<Step<'a>, Error> {
        self.gate.pass().await?;
        self.progress.mark_mutating();
        Ok(self.progress.step(what))
    }

    /// The step of a call of `operation` on a key in this region that changes it.
    async fn mutating(&self, operation: Operation) -> Result<Step<'a>, Error> {
        self.mutating_step(format!("{} in {}", operation.name(), self.region))
            .await
    }

    /// Sends a call of `operation`, paced by the region's limiter of that operation and retried as
    /// [`retry`] says.
    async fn send<T, E, F, Fut>(
        &self,
        operation: Operation,
        step: &Step<'_>,
        call: F,
    ) -> Result<T, SdkError<E, HttpResponse>>
    where
        E: ProvideErrorMetadata,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    {
        retry::send(self.limiters.get(operation), step, call).await
    }

    /// DescribeKey: the key's metadata, or `None` if the key (or alias) does not exist in the region.
    pub async fn describe_key(&self, key_id: &str) -> Result<Option<KeyMetadata>, Error> {
        let operation = Operation::DescribeKey;
        let step = self.step(operation).await?;
        let result = self
            .send(operation, &step, || self.client.describe_key().key_id(key_id).send())
            .await;
        match result {
            Ok(output) => Ok(output.key_metadata),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found_exception()) => Ok(None),
            Err(err) => Err(Error::aws(operation.name(), self.region, err)),
        }
    }

    /// GetKeyPolicy: the key's `default` policy document.
    pub async fn get_key_policy(&self, key_id: &str) -> Result<Option<String>, Error> {
        let operation = Operation::GetKeyPolicy;
        let step = self.step(operation).await?;
        let output = self
            .send(operation, &step, || {
                self.client
                    .get_key_policy()
                    .key_id(key_id)
                    .policy_name("default")
                    .send()
            })
            .await
            .map_err(|err| Error::aws(operation.name(), self.region, err))?;
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
        let operation = Operation::ReplicateKey;
        let step = self
            .mutating_step(format!("ReplicateKey into {replica_region}"))
            .await?;
        let tags = kms_tags(&replica.tags)?;
        let result = self
            .send(operation, &step, || {
                self.client
                    .replicate_key()
                    .key_id(key_id)
                    .replica_region(replica_region)
                    .set_description(replica.description.clone())
                    .set_policy(replica.policy.clone())
                    .bypass_policy_lockout_safety_check(replica.bypass_policy_lockout_safety_check)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await;
        match result {
            Ok(output) => Ok(Replicated::Created(output.replica_key_metadata.map(Box::new))),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_already_exists_exception()) => {
                Ok(Replicated::AlreadyExists)
            }
            // The error is about the replica region, whichever endpoint was called.
            Err(err) => Err(Error::aws(operation.name(), replica_region, err)),
        }
    }

    /// ListResourceTags: all tags of the key, as (key, value) pairs.
    pub async fn list_tags(&self, key_id: &str) -> Result<Vec<(String, String)>, Error> {
        let operation = Operation::ListResourceTags;
        let step = self.step(operation).await?;
        let mut tags = Vec::new();
        let mut marker = None;
        loop {
            let output = self
                .send(operation, &step, || {
                    self.client
                        .list_resource_tags()
                        .key_id(key_id)
                        .set_marker(marker.clone())
                        .send()
                })
                .await
                .map_err(|err| Error::aws(operation.name(), self.region, err))?;
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
        let operation = Operation::TagResource;
        let step = self.mutating(operation).await?;
        let tags = kms_tags(tags)?;
        self.send(operation, &step, || {
            self.client
                .tag_resource()
                .key_id(key_id)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await
        .map_err(|err| Error::aws(operation.name(), self.region, err))?;
        Ok(())
    }

    /// UntagResource: removes the tags with these keys.
    pub async fn untag_resource(&self, key_id: &str, keys: &[String]) -> Result<(), Error> {
        let operation = Operation::UntagResource;
        let step = self.mutating(operation).await?;
        self.send(operation, &step, || {
            self.client
                .untag_resource()
                .key_id(key_id)
                .set_tag_keys(Some(keys.to_vec()))
                .send()
        })
        .await
        .map_err(|err| Error::aws(operation.name(), self.region, err))?;
        Ok(())
    }

    /// UpdateKeyDescription.
    pub async fn update_description(&self, key_id: &str, description: &str) -> Result<(), Error> {
        let operation = Operation::UpdateKeyDescription;
        let step = self.mutating(operation).await?;
        self.send(operation, &step, || {
            self.client
                .update_key_description()
                .key_id(key_id)
                .description(description)
                .send()
        })
        .await
        .map_err(|err| Error::aws(operation.name(), self.region, err))?;
        Ok(())
    }

    /// PutKeyPolicy: replaces the `default` policy.
    pub async fn put_key_policy(&self, key_id: &str, policy: &str, bypass_lockout_check: bool) -> Result<(), Error> {
        let operation = Operation::PutKeyPolicy;
        let step = self.mutating(operation).await?;
        self.send(operation, &step, || {
            self.client
                .put_key_policy()
                .key_id(key_id)
                .policy_name("default")
                .policy(policy)
                .bypass_policy_lockout_safety_check(bypass_lockout_check)
                .send()
        })
        .await
        .map_err(|err| Error::aws(operation.name(), self.region, err))?;
        Ok(())
    }

    /// EnableKey.
    pub async fn enable_key(&self, key_id: &str) -> Result<(), Error> {
        let operation = Operation::EnableKey;
        let step = self.mutating(operation).await?;
        self.send(operation, &step, || self.client.enable_key().key_id(key_id).send())
            .await
            .map_err(|err| Error::aws(operation.name(), self.region, err))?;
        Ok(())
    }

    /// DisableKey.
    pub async fn disable_key(&self, key_id: &str) -> Result<(), Error> {
        let operation = Operation::DisableKey;
        let step = self.mutating(operation).await?;
        self.send(operation, &step, || self.client.disable_key().key_id(key_id).send())
            .await
            .map_err(|err| Error::aws(operation.name(), self.region, err))?;
        Ok(())
    }

    /// ScheduleKeyDeletion after `pending_window_in_days`; a key that no longer exists is fine.
    pub async fn schedule_key_deletion(&self, key_id: &str, pending_window_in_days: u32) -> Result<(), Error> {
        let operation = Operation::ScheduleKeyDeletion;
        let step = self.mutating(operation).await?;
        let days = i32::try_from(pending_window_in_days).unwrap_or(30);
        let result = self
            .send(operation, &step, || {
                self.client
                    .schedule_key_deletion()
                    .key_id(key_id)
                    .pending_window_in_days(days)
                    .send()
            })
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found_exception()) => Ok(()),
            Err(err) => Err(Error::aws(operation.name(), self.region, err)),
        }
    }

    /// CancelKeyDeletion: the key comes back `Disabled`.
    pub async fn cancel_key_deletion(&self, key_id: &str) -> Result<(), Error> {
        let operation = Operation::CancelKeyDeletion;
        let step = self.mutating(operation).await?;
        self.send(operation, &step, || {
            self.client.cancel_key_deletion().key_id(key_id).send()
        })
        .await
        .map_err(|err| Error::aws(operation.name(), self.region, err))?;
        Ok(())
    }

    /// CreateAlias; `false` when an alias of that name already exists (whatever it points at).
    pub async fn create_alias(&self, alias: &str, key_id: &str) -> Result<bool, Error> {
        let operation = Operation::CreateAlias;
        let step = self.mutating(operation).await?;
        let result = self
            .send(operation, &step, || {
                self.client
                    .create_alias()
                    .alias_name(alias)
                    .target_key_id(key_id)
                    .send()
            })
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_already_exists_exception()) => Ok(false),
            Err(err) => Err(Error::aws(operation.name(), self.region, err)),
        }
    }

    /// UpdateAlias: points an existing alias at `key_id`.
    pub async fn update_alias(&self, alias: &str, key_id: &str) -> Result<(), Error> {
        let operation = Operation::UpdateAlias;
        let step = self.mutating(operation).await?;
        self.send(operation, &step, || {
            self.client
                .update_alias()
                .alias_name(alias)
                .target_key_id(key_id)
                .send()
        })
        .await
        .map_err(|err| Error::aws(operation.name(), self.region, err))?;
        Ok(())
    }

    /// DeleteAlias; an alias that no longer exists is fine.
    pub async fn delete_alias(&self, alias: &str) -> Result<(), Error> {
        let operation = Operation::DeleteAlias;
        let step = self.mutating(operation).await?;
        let result = self
            .send(operation, &step, || self.client.delete_alias().alias_name(alias).send())
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found_exception()) => Ok(()),
            Err(err) => Err(Error::aws(operation.name(), self.region, err)),
        }
    }
}

#[cfg(test)]
mod tests;

//! `Custom::ReplicaKey`: replicates one multi-Region primary key into several regions (docs/reference.md, section 3).
//!
//! - Create: check the primary, replicate into every region at once, wait for each replica to leave
//!   `Creating`, set its state, create the alias. A replica that already exists is adopted when this
//!   resource owns it (a re-delivered Create) or when `AdoptExisting` is set.
//! - Update: in place for the same primary (regions added and removed); every kept replica is read
//!   and brought to its whole desired state, writing only what differs, so a changed `Refresh` repairs
//!   drift and a replica without `KeyPolicy` follows the primary's current policy. A new
//!   `PrimaryKeyArn` is a replacement, and CloudFormation deletes the old one afterwards.
//! - `RegionSettings` replace the resource-level settings for one replica ([`Spec::settings`]).
//! - A replica that this resource owns and that comes back (a Create after a Delete cancels its
//!   pending deletion) gets the whole desired state too: undeclared user tags are removed.
//! - Delete: remove the aliases and schedule deletion of every replica this resource owns.

pub mod plan;
pub mod spec;

use std::time::Duration;

use aws_sdk_kms::types::{KeyMetadata, KeyState, MultiRegionKeyType};
use futures::future::join_all;
use tokio::sync::OnceCell;
use tracing::{info, warn};

use crate::Error;
use crate::aws::kms::{Kms, NewReplica, Replicated};
use crate::protocol::{Outcome, RequestType};
use crate::resources::context::Context;
use crate::resources::ownership::{Owner, check_adoptable, check_not_cloudformations};

pub use plan::{Plan, plan_update};
pub use spec::{KeyArn, RESOURCE_TYPE, RegionSettings, ReplicaSettings, Spec};

/// The tag by which a primary key's owner consents to replicas made by mrk-provider; its value must be
/// `true`. IAM enforces the same condition on ReplicateKey (template.yaml).
pub const REPLICABLE_TAG: &str = "mrk-provider:replicable";

/// `true` when a primary key's `tags` carry [`REPLICABLE_TAG`] = `true`.
pub fn consents_to_replication(tags: &[(String, String)]) -> bool {
    tags.iter().any(|(key, value)| key == REPLICABLE_TAG && value == "true")
}

/// How long a ReplicateKey that IAM denies is tried again. IAM allows it only on primaries tagged
/// with [`REPLICABLE_TAG`], and KMS documents that a tag change can take up to five minutes to count
/// for authorization, so a stack that tags its primary and replicates it in one deployment can be
/// denied at first. Two minutes covers the usual delay; a denial for any other reason fails after it.
const CONSENT_TAG_PROPAGATION: Duration = Duration::from_secs(120);

/// How long a replica may stay in `Creating` before the request gives up (the deadline may stop it
/// sooner).
const MAX_CREATING_WAIT: Duration = Duration::from_secs(600);

/// The pause between two DescribeKey calls while a replica is `Creating`: a fixed half second, so
/// that the answer comes at most about half a second after the replica is usable, whether that takes
/// 1 second or 60, with at most 2 DescribeKey calls a second in the region. A growing backoff would
/// save calls and add up to its cap of delay to every deployment.
pub const CREATING_POLL: Duration = Duration::from_millis(500);

/// Handles one `Custom::ReplicaKey` request.
pub async fn handle(cx: Context<'_>) -> Result<Outcome, Error> {
    let request = cx.request();
    match request.request_type {
        RequestType::Create => {
            let spec = Spec::checked(&cx.request().properties, cx.scope)?;
            Job::new(cx, &spec).create().await
        }
        RequestType::Update => {
            let spec = Spec::checked(&cx.request().properties, cx.scope)?;
            let job = Job::new(cx, &spec);
            if request.physical_resource_id.as_deref() == Some(spec.primary.arn.as_str()) {
                let old = request
                    .old_properties
                    .as_ref()
                    .and_then(|props| Spec::from_properties(props).ok())
                    .filter(|old| old.primary == spec.primary);
                job.update(old.as_ref()).await
            } else {
                job.replace().await
            }
        }
        RequestType::Delete => delete(cx).await,
    }
}

/// Deletes what the resource owns. Properties that do not validate mean nothing was ever made.
async fn delete(cx: Context<'_>) -> Result<Outcome, Error> {
    let request = cx.request();
    let physical_id = request.physical_resource_id.clone().unwrap_or_default();
    let mut spec = match Spec::from_properties(&request.properties) {
        Ok(spec) => spec,
        Err(err) => {
            warn!(error = %err, "the properties are not valid, so nothing was created; nothing to delete");
            return Ok(Outcome::id(physical_id));
        }
    };
    // The PhysicalResourceId names the primary whose replicas exist, never the properties alone: a
    // Delete of a former id (cleanup, rollback) must not reach the current primary's replicas, which
    // carry the same owner tags. An id that names no primary is a Create that failed before it chose
    // one: nothing was made.
    let Some(primary) = KeyArn::parse(&physical_id) else {
        info!(
            physical_id,
            "the PhysicalResourceId names no primary key: nothing was created, nothing to delete"
        );
        return Ok(Outcome::id(physical_id));
    };
    spec.primary = primary;
    // A region outside the deployment's scope was never written: nothing of it to delete.
    spec.replica_regions.retain(|region| cx.scope.allows(region));
    let job = Job::new(cx, &spec);
    let results = join_all(
        spec.replica_regions
            .iter()
            .map(|region| job.remove_replica(region, spec.settings(region).alias)),
    )
    .await;
    collect(results)?;
    Ok(Outcome::id(physical_id))
}

/// Whether the key is a multi-Region replica.
fn is_replica(meta: &KeyMetadata) -> bool {
    meta.multi_region_configuration
        .as_ref()
        .and_then(|c| c.multi_region_key_type.as_ref())
        == Some(&MultiRegionKeyType::Replica)
}

/// Whether a replica's reported state is a settled one (not `Creating`, and not unknown).
fn is_ready(meta: &KeyMetadata) -> bool {
    meta.key_state
        .as_ref()
        .is_some_and(|state| *state != KeyState::Creating)
}

/// Turns per-region results into one result that names every failed region.
fn collect(results: Vec<Result<(), Error>>) -> Result<(), Error> {
    Error::from_regions(results.into_iter().filter_map(Result::err).collect())
}

/// One request's work on one spec.
struct Job<'a> {
    cx: Context<'a>,
    spec: &'a Spec,
    owner: Owner,
    /// The primary's description, read by the primary check.
    primary_description: OnceCell<Option<String>>,
    /// The primary's current policy, read once when a replica takes it (no `KeyPolicy` for its region).
    primary_policy: OnceCell<Option<String>>,
}

/// What [`Job::ensure_replica`] may find in a region.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// No replica expected (Create, added region): ReplicateKey first, adopt on AlreadyExists.
    New,
    /// A replica of ours expected (kept region): DescribeKey first, replicate if it is gone.
    Existing,
}

impl<'a> Job<'a> {
    fn new(cx: Context<'a>, spec: &'a Spec) -> Self {
        Job {
            cx,
            spec,
            owner: Owner::of(cx.request()),
            primary_description: OnceCell::new(),
            primary_policy: OnceCell::new(),
        }
    }

    fn kms(&self, region: &'a str) -> Kms<'a> {
        self.cx.kms(region)
    }

    fn key_id(&self) -> &str {
        &self.spec.primary.key_id
    }

    async fn create(&self) -> Result<Outcome, Error> {
        self.cx.invocation.progress.claim_physical_id(&self.spec.primary.arn);
        // A replica that takes the primary's policy needs it, so it is read beside the check rather
        // than after it; a failed check still wins, as the clearer error.
        let (checked, policy) = futures::join!(self.check_primary(), async {
            match self.spec.follows_primary_policy() {
                true => self.primary_policy().await.map(|_| ()),
                false => Ok(()),
            }
        });
        checked?;
        policy?;
        let results = join_all(
            self.spec
                .replica_regions
                .iter()
                .map(|r| self.ensure_replica(r, Expect::New, None)),
        )
        .await;
        collect(results)?;
        Ok(self.outcome())
    }

    /// A new primary: create its replicas under a new PhysicalResourceId. A kept alias moves from the
    /// old primary's replica to the new one ([`Job::ensure_alias`]). If that fails, what this attempt
    /// made is deleted again, because the rollback that follows only knows the old primary, and an
    /// alias it took over goes back to the old replica first.
    async fn replace(&self) -> Result<Outcome, Error> {
        info!(new_primary = %self.spec.primary.arn, "PrimaryKeyArn changed: replacing");
        match self.create().await {
            Ok(outcome) => Ok(outcome),
            Err(err) => {
                let old_key = self
                    .cx
                    .request()
                    .physical_resource_id
                    .as_deref()
                    .and_then(KeyArn::parse)
                    .map(|old| old.key_id);
                let cleanup = join_all(self.spec.replica_regions.iter().map(|r| async {
                    let alias = self.spec.settings(r).alias;
                    if let (Some(alias), Some(old_key)) = (alias, old_key.as_deref()) {
                        self.give_alias_back(&self.kms(r), alias, old_key).await?;
                    }
                    self.remove_replica(r, alias).await
                }))
                .await;
                if let Err(cleanup_err) = collect(cleanup) {
                    warn!(error = %cleanup_err, "could not remove every replica of the failed replacement");
                }
                Err(err)
            }
        }
    }

    async fn update(&self, old: Option<&Spec>) -> Result<Outcome, Error> {
        self.check_primary().await?;
        let mut plan = plan_update(old, self.spec);
        // A removed region outside the deployment's scope was never written: nothing of it to delete.
        plan.removed.retain(|region| self.cx.scope.allows(region));
        info!(added = ?plan.added, removed = ?plan.removed, kept = ?plan.kept, "updating in place");
        let old_alias = |region: &str| old.and_then(|o| o.settings(region).alias);
        let converge = plan
            .added
            .iter()
            .map(|r| (r, Expect::New))
            .chain(plan.kept.iter().map(|r| (r, Expect::Existing)));
        let (converged, removed) = futures::join!(
            join_all(converge.map(|(region, expect)| {
                self.ensure_replica(region, expect, plan.old_aliases.get(region).map(String::as_str))
            })),
            join_all(
                plan.removed
                    .iter()
                    .map(|region| self.remove_replica(region, old_alias(region)))
            ),
        );
        collect(converged.into_iter().chain(removed).collect())?;
        Ok(self.outcome())
    }

    fn outcome(&self) -> Outcome {
        let mut outcome = Outcome::id(&self.spec.primary.arn);
        let arns = self.spec.replica_arns();
        outcome.data.insert("KeyId".into(), self.key_id().to_string());
        outcome
            .data
            .insert("PrimaryKeyArn".into(), self.spec.primary.arn.clone());
        outcome.data.insert(
            "ReplicaKeyArns".into(),
            arns.iter().map(|(_, arn)| arn.as_str()).collect::<Vec<_>>().join(","),
        );
        for (region, arn) in arns {
            outcome.data.insert(format!("Arn.{region}"), arn);
        }
        outcome
    }

    /// DescribeKey and ListResourceTags on the primary, at once: it must be a multi-Region primary
    /// key, not pending deletion, whose owner consented to its replication (docs/reference.md, section 7).
    async fn check_primary(&self) -> Result<(), Error> {
        let primary = &self.spec.primary;
        let kms = self.kms(&primary.region);
        let (meta, tags) = futures::join!(kms.describe_key(&primary.arn), kms.list_tags(&primary.arn));
        let meta = meta?.ok_or_else(|| Error::PrimaryKeyMissing {
            arn: primary.arn.clone(),
            region: primary.region.clone(),
        })?;
        let key_type = meta
            .multi_region_configuration
            .as_ref()
            .and_then(|c| c.multi_region_key_type.as_ref());
        if meta.multi_region != Some(true) || key_type != Some(&MultiRegionKeyType::Primary) {
            return Err(Error::NotAPrimaryKey {
                arn: primary.arn.clone(),
                is_replica: key_type == Some(&MultiRegionKeyType::Replica),
            });
        }
        if meta.key_state == Some(KeyState::PendingDeletion) {
            return Err(Error::PrimaryKeyPendingDeletion {
                arn: primary.arn.clone(),
            });
        }
        if !consents_to_replication(&tags?) {
            return Err(Error::NoReplicationConsent {
                arn: primary.arn.clone(),
                tag: REPLICABLE_TAG,
            });
        }
        let _ = self.primary_description.set(meta.description.filter(|d| !d.is_empty()));
        Ok(())
    }

    /// The description of the replica in `region`: its own, the resource's, or the primary's.
    fn description(&self, region: &str) -> Option<String> {
        self.spec
            .settings(region)
            .description
            .map(str::to_string)
            .or_else(|| self.primary_description.get().cloned().flatten())
    }

    /// The primary's current policy (GetKeyPolicy in its region), read at most once a request.
    async fn primary_policy(&self) -> Result<Option<String>, Error> {
        self.primary_policy
            .get_or_try_init(|| async {
                self.kms(&self.spec.primary.region)
                    .get_key_policy(&self.spec.primary.arn)
                    .await
            })
            .await
            .cloned()
    }

    /// The policy of the replica in `region`: its own, the resource's `KeyPolicy`, or the primary's.
    async fn policy(&self, region: &str) -> Result<Option<String>, Error> {
        match self.spec.settings(region).key_policy {
            Some(policy) => Ok(Some(policy.to_string())),
            None => self.primary_policy().await,
        }
    }

    /// Makes the replica in `region` exist, owned, in the desired state, with its alias. `old_alias` is
    /// the region's alias before an Update that changed it, to delete.
    async fn ensure_replica(&self, region: &'a str, expect: Expect, old_alias: Option<&str>) -> Result<(), Error> {
        let kms = self.kms(region);
        let found = match expect {
            Expect::Existing => kms.describe_key(self.key_id()).await?,
            Expect::New => None,
        };
        let existing = match found {
            Some(meta) => meta,
            None => match self.replicate(region).await? {
                Replicated::Created(answered) => {
                    info!(region, "replica created");
                    // KMS may already report the replica ready; then there is nothing to wait for.
                    let meta = match answered {
                        Some(meta) if is_ready(&meta) => *meta,
                        _ => self.wait_until_ready(&kms).await?,
                    };
                    self.apply_enabled(&kms, &meta).await?;
                    return self.ensure_alias(&kms, true).await;
                }
                Replicated::AlreadyExists => {
                    kms.describe_key(self.key_id())
                        .await?
                        .ok_or_else(|| Error::ReplicaVanished {
                            key_id: self.key_id().to_string(),
                            region: region.to_string(),
                        })?
                }
            },
        };
        self.converge(&kms, existing, old_alias).await
    }

    async fn replicate(&self, region: &str) -> Result<Replicated, Error> {
        let replica = NewReplica {
            description: self.description(region),
            policy: self.policy(region).await?,
            tags: self.owner.tagged(self.spec.settings(region).tags),
            bypass_policy_lockout_safety_check: self.spec.bypass_policy_lockout_safety_check,
        };
        let kms = self.kms(&self.spec.primary.region);
        let started = tokio::time::Instant::now();
        let mut pause = Duration::from_secs(2);
        loop {
            match kms.replicate_key(self.key_id(), region, &replica).await {
                // The primary carries the consent tag (checked before), but IAM may not see it yet.
                Err(err) if err.is_access_denied() && started.elapsed() + pause <= CONSENT_TAG_PROPAGATION => {
                    let _step = self.cx.invocation.progress.step(format!(
                        "waiting for KMS to authorize ReplicateKey into {region} with the primary's new consent tag"
                    ));
                    info!(
                        region,
                        "ReplicateKey denied; KMS may not apply the consent tag yet: asking again"
                    );
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(30));
                }
                result => return result,
            }
        }
    }

    /// Brings an existing replica to the whole desired state, after checking that this resource owns
    /// it: whatever it holds now (left from an earlier life of the resource, changed by hand, or
    /// adopted) is read and compared, and only what differs is written.
    async fn converge(&self, kms: &Kms<'a>, mut meta: KeyMetadata, old_alias: Option<&str>) -> Result<(), Error> {
        let region = kms.region();
        let settings = self.spec.settings(region);
        let key_id = self.key_id();
        let tags = kms.list_tags(key_id).await?;
        let what = format!("the replica of {key_id} in {region}");
        if self.owner.owns(&tags) {
            check_not_cloudformations(self.cx, &tags, &what).await?;
        } else {
            if !self.spec.adopt_existing {
                return Err(Error::ReplicaNotOwned {
                    key_id: key_id.to_string(),
                    region: region.to_string(),
                    owner: Owner::describe_owner_of(&tags),
                });
            }
            check_adoptable(self.cx, &tags, &what).await?;
            info!(region, "adopting a replica this resource did not own");
        }
        if meta.key_state == Some(KeyState::PendingDeletion) {
            kms.cancel_key_deletion(key_id).await?;
            info!(region, "cancelled the pending deletion of an owned replica");
            meta.key_state = Some(KeyState::Disabled);
        }
        if meta.key_state == Some(KeyState::Creating) {
            meta = self.wait_until_ready(kms).await?;
        }
        if let Some(description) = self.description(region)
            && meta.description.as_deref() != Some(description.as_str())
        {
            kms.update_description(key_id, &description).await?;
        }
        if let Some(policy) = self.policy(region).await? {
            let current = kms.get_key_policy(key_id).await?;
            if !current
                .as_deref()
                .is_some_and(|current| plan::same_policy(current, &policy))
            {
                info!(region, "the replica's key policy differs: putting the desired one");
                kms.put_key_policy(key_id, &policy, self.spec.bypass_policy_lockout_safety_check)
                    .await?;
            }
        }
        let desired = self.owner.tagged(settings.tags);
        if desired.iter().any(|tag| !tags.contains(tag)) {
            kms.tag_resource(key_id, &desired).await?;
        }
        let untag = plan::undeclared_tags(&tags, &desired);
        if !untag.is_empty() {
            kms.untag_resource(key_id, &untag).await?;
        }
        self.apply_enabled(kms, &meta).await?;
        if let Some(old_alias) = old_alias {
            self.remove_alias_if_ours(kms, old_alias).await?;
        }
        self.ensure_alias(kms, false).await
    }

    /// Polls DescribeKey every [`CREATING_POLL`] until the replica has left `Creating`. Right after
    /// ReplicateKey the replica region may not know the key yet (NotFound): that is "not yet", too.
    async fn wait_until_ready(&self, kms: &Kms<'a>) -> Result<KeyMetadata, Error> {
        let region = kms.region();
        let _step = self
            .cx
            .invocation
            .progress
            .step(format!("waiting for the replica in {region} to leave Creating"));
        let started = tokio::time::Instant::now();
        let _wait = crate::metrics::ReplicaWait::start();
        loop {
            match kms.describe_key(self.key_id()).await? {
                Some(meta) if meta.key_state != Some(KeyState::Creating) => return Ok(meta),
                _ if started.elapsed() >= MAX_CREATING_WAIT => {
                    return Err(Error::StillCreating {
                        region: region.to_string(),
                        seconds: MAX_CREATING_WAIT.as_secs(),
                    });
                }
                _ => {}
            }
            tokio::time::sleep(CREATING_POLL).await;
        }
    }

    async fn apply_enabled(&self, kms: &Kms<'a>, meta: &KeyMetadata) -> Result<(), Error> {
        match (self.spec.settings(kms.region()).enabled, meta.key_state.as_ref()) {
            (true, Some(KeyState::Disabled)) => kms.enable_key(self.key_id()).await,
            (false, Some(KeyState::Enabled)) => kms.disable_key(self.key_id()).await,
            _ => Ok(()),
        }
    }

    /// Creates the alias, or accepts it when it already points at this replica. An alias on another
    /// replica that this resource owns (the old primary's, during a replacement) is moved to this one;
    /// an alias on any other key only with `AdoptExisting`, and only away from a replica that no live
    /// stack owns ([`Job::check_alias_adoptable`]). A new replica (`new_replica`) has no alias yet, so
    /// CreateAlias comes first; for an existing one DescribeKey of the alias comes first, so that a
    /// replica already in its desired state costs reads only.
    async fn ensure_alias(&self, kms: &Kms<'a>, new_replica: bool) -> Result<(), Error> {
        let Some(alias) = self.spec.settings(kms.region()).alias else {
            return Ok(());
        };
        if !new_replica
            && let Some(target) = kms.describe_key(alias).await?
            && target.key_id == self.key_id()
        {
            return Ok(());
        }
        if kms.create_alias(alias, self.key_id()).await? {
            return Ok(());
        }
        let Some(target) = kms.describe_key(alias).await? else {
            return Err(Error::AliasChangedConcurrently {
                alias: alias.to_string(),
                region: kms.region().to_string(),
            });
        };
        if target.key_id == self.key_id() {
            return Ok(());
        }
        let target_tags = match is_replica(&target) {
            true => kms.list_tags(&target.key_id).await?,
            false => Vec::new(),
        };
        if is_replica(&target) && self.owner.owns(&target_tags) {
            let what = format!(
                "the alias {alias} in {} (it points at key {})",
                kms.region(),
                target.key_id
            );
            check_not_cloudformations(self.cx, &target_tags, &what).await?;
            return kms.update_alias(alias, self.key_id()).await;
        }
        if !self.spec.adopt_existing {
            return Err(Error::AliasTaken {
                alias: alias.to_string(),
                region: kms.region().to_string(),
                target: target.key_id.clone(),
            });
        }
        self.check_alias_adoptable(kms, alias, &target, &target_tags).await?;
        kms.update_alias(alias, self.key_id()).await
    }

    /// An alias this resource does not own is repointed only away from an unowned multi-Region replica
    /// of this same primary key (the orphan of an earlier deployment of this replica set) that no live
    /// stack owns: repointing another stack's alias, an alias of another primary's replica (whatever
    /// that primary's consent) or of a single-Region key would send its users' data to a key whose
    /// policy this request sets.
    async fn check_alias_adoptable(
        &self,
        kms: &Kms<'a>,
        alias: &str,
        target: &KeyMetadata,
        target_tags: &[(String, String)],
    ) -> Result<(), Error> {
        let region = kms.region();
        if !is_replica(target) {
            return Err(Error::AliasOfNonReplica {
                alias: alias.to_string(),
                region: region.to_string(),
                target: target.key_id.clone(),
            });
        }
        if target.key_id != self.key_id() {
            return Err(Error::AliasOfOtherPrimary {
                alias: alias.to_string(),
                region: region.to_string(),
                target: target.key_id.clone(),
            });
        }
        let what = format!("the alias {alias} in {region} (it points at key {})", target.key_id);
        check_adoptable(self.cx, target_tags, &what).await
    }

    /// After a failed replacement: points `alias` back at the old primary's replica (`old_key`) if this
    /// attempt moved it to the new one and the old replica is still there, owned by this resource.
    async fn give_alias_back(&self, kms: &Kms<'a>, alias: &str, old_key: &str) -> Result<(), Error> {
        let moved = kms
            .describe_key(alias)
            .await?
            .is_some_and(|target| target.key_id == self.key_id());
        if !moved {
            return Ok(());
        }
        let usable = kms
            .describe_key(old_key)
            .await?
            .is_some_and(|old| old.key_state != Some(KeyState::PendingDeletion));
        if usable && self.owner.owns(&kms.list_tags(old_key).await?) {
            info!(
                region = kms.region(),
                "the failed replacement gives the alias back to the old replica"
            );
            kms.update_alias(alias, old_key).await?;
        }
        Ok(())
    }

    async fn remove_alias_if_ours(&self, kms: &Kms<'a>, alias: &str) -> Result<(), Error> {
        match kms.describe_key(alias).await? {
            Some(meta) if meta.key_id == self.key_id() => kms.delete_alias(alias).await,
            _ => Ok(()),
        }
    }

    /// Schedules deletion of the replica in `region` if this resource owns it, after deleting `alias`
    /// when it points at the replica. A replica that is gone or already pending deletion is fine.
    async fn remove_replica(&self, region: &'a str, alias: Option<&str>) -> Result<(), Error> {
        let kms = self.kms(region);
        let key_id = self.key_id();
        let Some(meta) = kms.describe_key(key_id).await? else {
            info!(region, "no replica to delete");
            return Ok(());
        };
        if meta.key_state == Some(KeyState::PendingDeletion) {
            info!(region, "replica already pending deletion");
            return Ok(());
        }
        let tags = kms.list_tags(key_id).await?;
        let what = format!("the replica of {key_id} in {region}");
        if !self.owner.may_delete(self.cx, &tags, &what).await {
            warn!(region, "replica not owned by this resource; left in place");
            return Ok(());
        }
        if let Some(alias) = alias {
            self.remove_alias_if_ours(&kms, alias).await?;
        }
        if meta.key_state == Some(KeyState::Creating) {
            self.wait_until_ready(&kms).await?;
        }
        kms.schedule_key_deletion(key_id, self.spec.pending_window_in_days)
            .await?;
        info!(
            region,
            days = self.spec.pending_window_in_days,
            "replica scheduled for deletion"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests;

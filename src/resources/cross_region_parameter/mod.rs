//! `Custom::CrossRegionParameter`: writes SSM parameters into other regions (docs/reference.md, section 4), so that a
//! stack there reads them natively (`{{resolve:ssm:NAME}}`).
//!
//! - Create: write every name into every region, tagged with the owner. A parameter that exists
//!   already is taken over when this resource owns it (a re-delivered Create) or `AdoptExisting` is
//!   set; otherwise the Create fails naming it.
//! - Update: the pure [`plan_update`] says what to write, overwrite, retag and delete.
//! - Delete: delete every parameter this resource owns, ten names a call.
//! - `RoleArn`: all of it in the role's account ([`target_account`]); an Update that changes the
//!   account writes everything in the new one, then deletes what it owns in the old one.
//!
//! Each region is worked on at the same time as the others, with a bounded number of calls in flight
//! and the region's rate limiter (see [`crate::aws::ssm`]) pacing them. Values are never logged.

pub mod plan;
pub mod spec;
mod verify;

use futures::future::join_all;
use futures::stream::{self, StreamExt};
use tracing::{info, warn};

use crate::Error;
use crate::aws::ssm::{MAX_NAMES_PER_CALL, Ssm};
use crate::error::Bug;
use crate::protocol::{Outcome, RequestType};
use crate::resources::context::{Account, Context, STANDARD_TIER, Scope, stack_scoped_id};
use crate::resources::ownership::{Owner, check_adoptable, check_not_cloudformations};
use crate::resources::target_account;

pub use plan::{Plan, RegionPlan, Write, plan_update};
pub use spec::{RESOURCE_TYPE, Spec};

/// SSM calls in flight at once in one region; the region's rate limiter does the pacing, this only
/// keeps a large resource from holding hundreds of connections.
const MAX_IN_FLIGHT_PER_REGION: usize = 8;

/// Handles one `Custom::CrossRegionParameter` request.
pub async fn handle(cx: Context<'_>) -> Result<Outcome, Error> {
    let request = cx.request();
    match request.request_type {
        RequestType::Create => {
            let spec = Spec::from_properties(&request.properties, &cx.scope.parameter_prefix)?;
            check_scope(cx, &spec)?;
            let physical_id = stack_scoped_id(request);
            // Claimed before anything is written, so that a failed Create's rollback Delete removes
            // what this attempt wrote.
            cx.invocation.progress.claim_physical_id(&physical_id);
            let account = target_account::reach(cx, spec.role.as_ref()).await?;
            let job = Job::new(cx, &spec, account);
            job.apply(&plan_update(None, &spec)).await?;
            Ok(job.outcome(physical_id))
        }
        RequestType::Update => update(cx).await,
        RequestType::Delete => delete(cx).await,
    }
}

/// Checks, before any call, that every region of a Create or Update, its role, its names and its tier
/// are in the deployment's scope.
fn check_scope(cx: Context<'_>, spec: &Spec) -> Result<(), Error> {
    let regions = || spec.regions.iter().map(String::as_str);
    cx.scope.check_regions(RESOURCE_TYPE, "Regions", regions())?;
    cx.scope
        .check_not_service_token(RESOURCE_TYPE, spec.parameters.keys().map(String::as_str))?;
    check_tier(cx.scope, spec)?;
    match &spec.role {
        Some(role) => role.check_allowed(cx.scope, RESOURCE_TYPE, regions()),
        None => Ok(()),
    }
}

/// The most parameters (names times regions) one resource may write in a tier that costs money:
/// at AWS's price for an Advanced parameter, about 5 USD a month.
pub const MAX_PAID_PARAMETERS: usize = 100;

/// Checks that the deployment allows the tier, and that a paid tier stays within
/// [`MAX_PAID_PARAMETERS`].
fn check_tier(scope: &Scope, spec: &Spec) -> Result<(), Error> {
    let tier = spec.attributes.tier.as_str();
    if !scope.allowed_tiers.contains(tier) {
        return Err(Error::invalid(
            RESOURCE_TYPE,
            "Tier",
            format!(
                "'{tier}' is not one of this provider's AllowedParameterTiers ({}); an Advanced parameter \
                 (which Intelligent-Tiering may become) costs money every month, so its deployer must allow \
                 the tier; use Standard, or ask for the tier to be allowed",
                scope
                    .allowed_tiers
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let count = spec.parameters.len() * spec.regions.len();
    if tier != STANDARD_TIER && count > MAX_PAID_PARAMETERS {
        return Err(Error::invalid(
            RESOURCE_TYPE,
            "Tier",
            format!(
                "{count} parameters ({} names in {} regions) in the {tier} tier; one resource writes at most \
                 {MAX_PAID_PARAMETERS} parameters in a tier that costs money, so split it, or use Standard",
                spec.parameters.len(),
                spec.regions.len()
            ),
        ));
    }
    Ok(())
}

/// An Update: the pure [`plan_update`] in the same account; when `RoleArn` moves the parameters to
/// another account, every parameter is written there first, then those this resource owns in the old
/// account are deleted with the old role.
async fn update(cx: Context<'_>) -> Result<Outcome, Error> {
    let request = cx.request();
    let prefix = cx.scope.parameter_prefix.as_str();
    let spec = Spec::from_properties(&request.properties, prefix)?;
    check_scope(cx, &spec)?;
    let old = request
        .old_properties
        .as_ref()
        .and_then(|props| Spec::from_properties(props, prefix).ok());
    if old.is_none() {
        warn!("the old properties are not valid; writing every parameter and removing none");
    }
    // The id CloudFormation knows: a different one would make it delete the old resource.
    let physical_id = request
        .physical_resource_id
        .clone()
        .unwrap_or_else(|| stack_scoped_id(request));
    let account_of = |spec: &Spec| target_account::account_id(cx, spec.role.as_ref());
    match old {
        Some(old) if account_of(&old) != account_of(&spec) => {
            // Both accounts first: a new role that cannot be assumed fails the Update unchanged.
            let (new_account, old_account) = tokio::join!(
                target_account::reach(cx, spec.role.as_ref()),
                reach_old_account(cx, &old)
            );
            let job = Job::new(cx, &spec, new_account?);
            job.apply(&plan_update(None, &spec)).await?;
            if let Some(old_account) = old_account {
                info!(
                    from = %account_of(&old),
                    to = %account_of(&spec),
                    "parameters written in the new account; deleting the old account's"
                );
                Job::new(cx, &old, old_account).apply(&delete_plan(cx, &old)).await?;
            }
            Ok(job.outcome(physical_id))
        }
        old => {
            let job = Job::new(cx, &spec, target_account::reach(cx, spec.role.as_ref()).await?);
            let mut plan = plan_update(old.as_ref(), &spec);
            // A removed region outside the deployment's scope was never written: nothing to delete.
            plan.regions.retain(|region| cx.scope.allows(&region.region));
            job.apply(&plan).await?;
            Ok(job.outcome(physical_id))
        }
    }
}

/// The account an Update moves away from, to delete what the resource owns there; `None` (with a
/// warning naming it) when the deployment no longer lists its role or the role can no longer be
/// assumed: the parameters there stay, and an update rollback is never stuck on a role that was
/// refused in the first place.
async fn reach_old_account(cx: Context<'_>, old: &Spec) -> Option<Account> {
    if !target_account::still_listed(cx.scope, old.role.as_ref()) {
        return None;
    }
    match target_account::reach(cx, old.role.as_ref()).await {
        Ok(account) => Some(account),
        Err(err) => {
            warn!(error = %err, "the old account cannot be reached; its parameters are left there");
            None
        }
    }
}

/// Every name of `spec` in every region of the deployment's scope, to delete if owned.
fn delete_plan(cx: Context<'_>, spec: &Spec) -> Plan {
    let names: Vec<String> = spec.parameters.keys().cloned().collect();
    Plan {
        // A region outside the deployment's scope was never written: nothing of it to delete.
        regions: spec
            .regions
            .iter()
            .filter(|region| cx.scope.allows(region))
            .map(|region| RegionPlan {
                region: region.clone(),
                writes: Vec::new(),
                deletes: names.clone(),
            })
            .collect(),
        untag: Vec::new(),
    }
}

/// Deletes every parameter the resource owns. Properties that do not validate mean nothing was ever
/// written; a role the deployment no longer lists was refused, so nothing was written with it either.
async fn delete(cx: Context<'_>) -> Result<Outcome, Error> {
    let request = cx.request();
    let outcome = Outcome::id(request.physical_resource_id.clone().unwrap_or_default());
    let spec = match Spec::from_properties(&request.properties, &cx.scope.parameter_prefix) {
        Ok(spec) => spec,
        Err(err) => {
            warn!(error = %err, "the properties are not valid, so nothing was written; nothing to delete");
            return Ok(outcome);
        }
    };
    if !target_account::still_listed(cx.scope, spec.role.as_ref()) {
        return Ok(outcome);
    }
    let account = target_account::reach(cx, spec.role.as_ref()).await?;
    Job::new(cx, &spec, account).apply(&delete_plan(cx, &spec)).await?;
    Ok(outcome)
}

/// One request's work on one spec, in one account.
struct Job<'a> {
    cx: Context<'a>,
    spec: &'a Spec,
    account: Account,
    owner: Owner,
}

impl<'a> Job<'a> {
    fn new(cx: Context<'a>, spec: &'a Spec, account: Account) -> Self {
        Job {
            cx,
            spec,
            account,
            owner: Owner::of(cx.request()),
        }
    }

    fn ssm<'r>(&'r self, region: &'r str) -> Ssm<'r> {
        self.cx.ssm_in(&self.account, region)
    }

    fn outcome(&self, physical_id: String) -> Outcome {
        let mut outcome = Outcome::id(physical_id);
        outcome.data.insert("Names".into(), self.spec.names_attribute());
        outcome
    }

    /// Carries out a plan: every region at once; in each, the writes, then the deletes.
    async fn apply(&self, plan: &Plan) -> Result<(), Error> {
        let work = plan
            .regions
            .iter()
            .map(|region| self.apply_in_region(region, &plan.untag));
        Error::from_regions(join_all(work).await.into_iter().flatten().collect())
    }

    /// One region's part of a plan; the region's failures as one error.
    async fn apply_in_region(&self, plan: &RegionPlan, untag: &[String]) -> Option<Error> {
        let ssm = self.ssm(&plan.region);
        let writes = match self.verified(&ssm, &plan.writes).await {
            Ok(writes) => writes,
            Err(err) => return Some(err),
        };
        let mut errors = self.write_all(&ssm, &writes, untag).await;
        errors.extend(self.delete_owned(&ssm, &plan.deletes).await);
        region_failure(&plan.region, errors)
    }

    /// Writes names in one region, a bounded number at a time; returns the failures.
    async fn write_all(&self, ssm: &Ssm<'_>, writes: &[(String, Write)], untag: &[String]) -> Vec<Error> {
        if writes.is_empty() {
            return Vec::new();
        }
        let calls: Vec<_> = writes
            .iter()
            .map(|(name, how)| self.write(ssm, name, *how, untag))
            .collect();
        let results: Vec<Result<(), Error>> = stream::iter(calls)
            .buffer_unordered(MAX_IN_FLIGHT_PER_REGION)
            .collect()
            .await;
        let written = results.iter().filter(|r| r.is_ok()).count();
        info!(
            region = ssm.region(),
            written,
            failed = results.len() - written,
            "parameters written"
        );
        results.into_iter().filter_map(Result::err).collect()
    }

    /// Writes one name the way the plan says (see [`Write`]), checking ownership before changing a
    /// parameter that exists, and brings its tags to the desired ones.
    async fn write(&self, ssm: &Ssm<'_>, name: &str, how: Write, untag: &[String]) -> Result<(), Error> {
        let value = self
            .spec
            .parameters
            .get(name)
            .ok_or_else(|| Bug::UnplannedParameter { name: name.to_string() })?;
        if self.cx.scope.is_service_token(name) {
            // Refused before any call on Create and Update; never reached, and never written.
            return Err(Bug::ServiceTokenWrite { name: name.to_string() }.into());
        }
        let attributes = &self.spec.attributes;
        let desired = self.owner.tagged(&self.spec.tags);
        if how == Write::Create {
            if ssm.create_parameter(name, value, attributes, &desired).await? {
                return Ok(());
            }
            info!(region = ssm.region(), name, "the parameter exists already");
        }
        let Some(tags) = ssm.list_tags(name).await? else {
            // Gone: deleted outside CloudFormation, or between two of these calls. Write it anew.
            if ssm.create_parameter(name, value, attributes, &desired).await? {
                return Ok(());
            }
            return Err(Error::ParameterChangedConcurrently {
                name: name.to_string(),
                region: ssm.region().to_string(),
            });
        };
        let what = format!("the parameter {name} in {}", ssm.region());
        if self.owner.owns(&tags) {
            check_not_cloudformations(self.cx, &tags, &what).await?;
        } else {
            if !self.spec.adopt_existing {
                return Err(Error::ParameterNotOwned {
                    name: name.to_string(),
                    region: ssm.region().to_string(),
                    owner: Owner::describe_owner_of(&tags),
                });
            }
            check_adoptable(self.cx, &tags, &what).await?;
            info!(
                region = ssm.region(),
                name, "adopting a parameter this resource did not own"
            );
        }
        if how != Write::Retag {
            ssm.overwrite_parameter(name, value, attributes).await?;
        }
        if desired.iter().any(|tag| !tags.contains(tag)) {
            ssm.add_tags(name, &desired).await?;
        }
        let remove: Vec<String> = untag
            .iter()
            .filter(|key| tags.iter().any(|(k, _)| k == *key))
            .cloned()
            .collect();
        if !remove.is_empty() {
            ssm.remove_tags(name, &remove).await?;
        }
        Ok(())
    }

    /// Deletes those of `names` that this resource owns in the region, [`MAX_NAMES_PER_CALL`] a call;
    /// returns the failures. A name that does not exist, or that someone else owns, is left alone.
    async fn delete_owned(&self, ssm: &Ssm<'_>, names: &[String]) -> Vec<Error> {
        if names.is_empty() {
            return Vec::new();
        }
        // The provider's own ServiceToken parameter is never deleted, whatever its tags say.
        let names: Vec<&String> = names
            .iter()
            .filter(|name| !self.cx.scope.is_service_token(name))
            .collect();
        let checks: Vec<_> = names.iter().map(|name| ssm.list_tags(name)).collect();
        let tags: Vec<_> = stream::iter(checks).buffered(MAX_IN_FLIGHT_PER_REGION).collect().await;
        let mut owned = Vec::new();
        let mut errors = Vec::new();
        for (name, tags) in names.iter().zip(tags) {
            let what = || format!("the parameter {name} in {}", ssm.region());
            match tags {
                Ok(Some(tags)) if self.owner.may_delete(self.cx, &tags, &what()).await => owned.push((*name).clone()),
                Ok(Some(tags)) => {
                    let owner = Owner::describe_owner_of(&tags);
                    info!(region = ssm.region(), name, %owner, "not deleting a parameter this resource does not own");
                }
                Ok(None) => {}
                Err(err) => errors.push(err),
            }
        }
        let batches: Vec<_> = owned
            .chunks(MAX_NAMES_PER_CALL)
            .map(|batch| ssm.delete_parameters(batch))
            .collect();
        let deleted: Vec<Result<(), Error>> = stream::iter(batches).buffered(MAX_IN_FLIGHT_PER_REGION).collect().await;
        errors.extend(deleted.into_iter().filter_map(Result::err));
        info!(region = ssm.region(), deleted = owned.len(), "owned parameters deleted");
        errors
    }
}

/// One error for a region's failures, or `None` when there were none.
fn region_failure(region: &str, mut errors: Vec<Error>) -> Option<Error> {
    match errors.len() {
        0 => None,
        1 => errors.pop(),
        _ => Some(Error::FailuresInRegion {
            region: region.to_string(),
            errors,
        }),
    }
}

#[cfg(test)]
mod tests;

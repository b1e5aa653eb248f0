//! `Custom::CrossRegionParameterReader`: reads SSM parameters from another region (docs/reference.md, section 5), so
//! that a stack can use what a stack in another region wrote (pull model).
//!
//! - Create and Update read every name (GetParameters, ten names a call). Any missing name fails the
//!   request, naming every missing one and the region.
//! - Delete does nothing in AWS: the reader owns nothing.
//! - With `Path` instead of `Names`, every parameter under the path is read ([`by_path`]), at most
//!   [`MAX_PARAMETERS_UNDER_PATH`]; past that, FAILED with the count, never a partial set.
//! - With `RoleArn`, the names are read in that role's account ([`target_account`]).
//!
//! Values are never logged: only names and counts. A decrypted SecureString sets `NoEcho`.

pub mod answer;
pub mod by_path;
pub mod spec;

use std::collections::BTreeMap;

use aws_sdk_ssm::types::ParameterType;
use futures::stream::{self, StreamExt};
use tracing::info;

use crate::Error;
use crate::aws::ssm::MAX_NAMES_PER_CALL;
use crate::protocol::{Outcome, RequestType};
use crate::resources::context::{Account, Context, stack_scoped_id};
use crate::resources::{parameter_names, target_account};

pub use spec::{MAX_PARAMETERS_UNDER_PATH, RESOURCE_TYPE, Read, Spec};

/// GetParameters calls in flight at once; the region's rate limiter does the pacing.
const MAX_IN_FLIGHT: usize = 4;

/// Handles one `Custom::CrossRegionParameterReader` request.
pub async fn handle(cx: Context<'_>) -> Result<Outcome, Error> {
    let request = cx.request();
    let physical_id = request
        .physical_resource_id
        .clone()
        .unwrap_or_else(|| stack_scoped_id(request));
    if request.request_type == RequestType::Delete {
        return Ok(Outcome::id(physical_id));
    }
    let spec = Spec::from_properties(&request.properties, &cx.scope.parameter_prefix)?;
    cx.scope
        .check_regions(RESOURCE_TYPE, "Region", [spec.region.as_str()])?;
    check_decryption(cx, &spec)?;
    if let Some(role) = &spec.role {
        role.check_allowed(cx.scope, RESOURCE_TYPE, [spec.region.as_str()])?;
    }
    let account = target_account::reach(cx, spec.role.as_ref()).await?;
    read(cx, &account, &spec, physical_id).await
}

/// Decryption only of names under the deployment's `DECRYPT_PREFIX`, checked before any call: SSM's
/// AWS managed key lets every reader of a parameter decrypt it, so for those only this check stands.
fn check_decryption(cx: Context<'_>, spec: &Spec) -> Result<(), Error> {
    if !spec.with_decryption {
        return Ok(());
    }
    let refused = |reason: String| Err(Error::invalid(RESOURCE_TYPE, "WithDecryption", reason));
    let Some(prefix) = cx.scope.decrypt_prefix.as_deref() else {
        return refused(
            "this provider decrypts no SecureStrings (its DecryptPrefix is empty); set WithDecryption to \
             false, or deploy the provider with DecryptPrefix set to the path it may decrypt"
                .into(),
        );
    };
    let outside = match &spec.read {
        Read::Names(names) => names.iter().find(|name| parameter_names::check(name, prefix).is_err()),
        Read::Path { path, .. } => (!spec::path_within(path, prefix)).then_some(path),
    };
    match outside {
        Some(name) => refused(format!(
            "'{name}' is outside this provider's DecryptPrefix '{prefix}'; read it without decryption, or \
             deploy the provider with a DecryptPrefix that covers it"
        )),
        None => Ok(()),
    }
}

/// Reads what `spec` names in `account`; the values become the attributes.
async fn read(cx: Context<'_>, account: &Account, spec: &Spec, physical_id: String) -> Result<Outcome, Error> {
    match &spec.read {
        Read::Names(names) => read_names(cx, account, spec, names, physical_id).await,
        Read::Path { path, recursive } => by_path::read(cx, account, spec, path, *recursive, physical_id).await,
    }
}

/// Reads every name in `account`; the values become the attributes.
async fn read_names(
    cx: Context<'_>,
    account: &Account,
    spec: &Spec,
    names: &[String],
    physical_id: String,
) -> Result<Outcome, Error> {
    let ssm = cx.ssm_in(account, &spec.region);
    let calls: Vec<_> = names
        .chunks(MAX_NAMES_PER_CALL)
        .map(|batch| ssm.get_parameters(batch, spec.with_decryption))
        .collect();
    let batches: Vec<_> = stream::iter(calls).buffered(MAX_IN_FLIGHT).collect().await;
    let mut found = BTreeMap::new();
    let mut decrypted_secret = false;
    for batch in batches {
        for parameter in batch? {
            let Some(name) = parameter.name else { continue };
            decrypted_secret |= spec.with_decryption && parameter.r#type == Some(ParameterType::SecureString);
            found.insert(name, parameter.value.unwrap_or_default());
        }
    }
    // A name is missing when no value came back for it.
    let missing: Vec<&str> = names
        .iter()
        .filter(|name| !found.contains_key(*name))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(Error::ParametersNotFound {
            region: spec.region.clone(),
            names: missing.join(", "),
        });
    }
    info!(region = %spec.region, names = %names.join(","), no_echo = decrypted_secret, "parameters read");
    Ok(answer::outcome(physical_id, found, decrypted_secret))
}

#[cfg(test)]
mod tests;

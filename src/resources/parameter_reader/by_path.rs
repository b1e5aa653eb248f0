//! A reader's `Path`: every parameter under it (GetParametersByPath, ten a page), bounded by
//! [`MAX_PARAMETERS_UNDER_PATH`]. Past the bound, or past what one answer can carry, the request is
//! FAILED with the count, never answered with a part of the parameters; an empty path is FAILED too,
//! as a missing name is.

use std::collections::BTreeMap;

use aws_sdk_ssm::types::ParameterType;
use tracing::info;

use super::spec::{MAX_PARAMETERS_UNDER_PATH, Spec};
use crate::Error;
use crate::aws::ssm::ByPath;
use crate::protocol::{MAX_RESPONSE_BYTES, Outcome};
use crate::resources::context::{Account, Context};

/// Reads every parameter under `path` (one level, or every level with `recursive`) in `account`.
pub async fn read(
    cx: Context<'_>,
    account: &Account,
    spec: &Spec,
    path: &str,
    recursive: bool,
    physical_id: String,
) -> Result<Outcome, Error> {
    let ssm = cx.ssm_in(account, &spec.region);
    let parameters = match ssm
        .get_parameters_by_path(path, recursive, spec.with_decryption, MAX_PARAMETERS_UNDER_PATH)
        .await?
    {
        ByPath::All(parameters) => parameters,
        ByPath::MoreThan(seen) => {
            return Err(Error::TooManyUnderPath {
                path: path.to_string(),
                region: spec.region.clone(),
                seen,
                bound: MAX_PARAMETERS_UNDER_PATH,
            });
        }
    };
    let mut found = BTreeMap::new();
    let mut decrypted_secret = false;
    for parameter in parameters {
        let Some(name) = parameter.name else { continue };
        decrypted_secret |= spec.with_decryption && parameter.r#type == Some(ParameterType::SecureString);
        found.insert(name, parameter.value.unwrap_or_default());
    }
    if found.is_empty() {
        return Err(Error::NothingUnderPath {
            path: path.to_string(),
            region: spec.region.clone(),
        });
    }
    // The attributes alone over the limit: say how many parameters made them (the protocol would
    // only know the bytes). An answer just under it is still checked whole when it is rendered.
    let bytes = serde_json::to_vec(&found).map_or(0, |json| json.len());
    if bytes > MAX_RESPONSE_BYTES {
        return Err(Error::PathTooLargeToAnswer {
            path: path.to_string(),
            region: spec.region.clone(),
            count: found.len(),
            bytes,
            limit: MAX_RESPONSE_BYTES,
        });
    }
    info!(
        region = %spec.region,
        path,
        recursive,
        count = found.len(),
        no_echo = decrypted_secret,
        "parameters read under a path"
    );
    Ok(super::answer::outcome(physical_id, found, decrypted_secret))
}

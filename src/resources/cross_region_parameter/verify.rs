//! `Refresh` on `Custom::CrossRegionParameter`: the parameters that the plan marks [`Write::Verify`]
//! are read (GetParameters, ten names a call) and compared with the properties, so that an unchanged
//! refresh costs reads and no writes, and a value changed outside CloudFormation is written back.

use std::collections::BTreeMap;

use aws_sdk_ssm::types::{Parameter, ParameterType};
use futures::stream::{self, StreamExt};
use tracing::info;

use super::plan::Write;
use super::{Job, MAX_IN_FLIGHT_PER_REGION};
use crate::Error;
use crate::aws::ssm::{MAX_NAMES_PER_CALL, Ssm};

/// How a verified parameter is written, from what AWS holds (`None`: the parameter is gone); `None`
/// when it is as desired. A SecureString is always written again: its value can be compared only
/// decrypted, and the writer decrypts nothing.
pub fn resolve(found: Option<&Parameter>, value: &str, parameter_type: &ParameterType, retag: bool) -> Option<Write> {
    let Some(found) = found else {
        return Some(Write::Create);
    };
    let same = *parameter_type != ParameterType::SecureString
        && found.r#type.as_ref() == Some(parameter_type)
        && found.value.as_deref() == Some(value);
    match (same, retag) {
        (false, _) => Some(Write::Overwrite),
        (true, true) => Some(Write::Retag),
        (true, false) => None,
    }
}

impl Job<'_> {
    /// The writes of one region with every [`Write::Verify`] resolved against what SSM holds.
    pub(super) async fn verified(
        &self,
        ssm: &Ssm<'_>,
        writes: &[(String, Write)],
    ) -> Result<Vec<(String, Write)>, Error> {
        let to_read: Vec<String> = writes
            .iter()
            .filter(|(_, how)| matches!(how, Write::Verify { .. }))
            .map(|(name, _)| name.clone())
            .collect();
        if to_read.is_empty() {
            return Ok(writes.to_vec());
        }
        let calls: Vec<_> = to_read
            .chunks(MAX_NAMES_PER_CALL)
            .map(|batch| ssm.get_parameters(batch, false))
            .collect();
        let batches: Vec<_> = stream::iter(calls).buffered(MAX_IN_FLIGHT_PER_REGION).collect().await;
        let mut found = BTreeMap::new();
        for batch in batches {
            for parameter in batch? {
                if let Some(name) = parameter.name.clone() {
                    found.insert(name, parameter);
                }
            }
        }
        let parameter_type = &self.spec.attributes.parameter_type;
        let mut resolved = Vec::with_capacity(writes.len());
        let mut differ = 0;
        for (name, how) in writes {
            let how = match how {
                Write::Verify { retag } => {
                    let value = self.spec.parameters.get(name).map(String::as_str).unwrap_or_default();
                    let how = resolve(found.get(name), value, parameter_type, *retag);
                    differ += usize::from(matches!(how, Some(Write::Create | Write::Overwrite)));
                    how
                }
                other => Some(*other),
            };
            if let Some(how) = how {
                resolved.push((name.clone(), how));
            }
        }
        info!(
            region = ssm.region(),
            verified = to_read.len(),
            differ,
            "parameters verified"
        );
        Ok(resolved)
    }
}

#[cfg(test)]
mod tests;

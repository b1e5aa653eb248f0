//! Checks of single `Custom::ReplicaKey` property values that the resource-level properties and
//! `RegionSettings` share; `property` names the checked property in the error.

use crate::Error;

/// The resource type whose properties these checks read.
pub const RESOURCE_TYPE: &str = "Custom::ReplicaKey";

/// An invalid-property error of this resource type.
pub fn invalid(property: &str, reason: impl Into<String>) -> Error {
    Error::invalid(RESOURCE_TYPE, property, reason)
}

/// A description KMS accepts; `property` names it in the error.
pub fn validate_description(property: &str, description: &str) -> Result<(), Error> {
    if description.chars().count() > 8192 {
        return Err(invalid(property, "longer than the 8192 characters KMS accepts"));
    }
    Ok(())
}

/// A key policy of a size KMS accepts; `property` names it in the error.
pub fn validate_policy(property: &str, policy: &str) -> Result<(), Error> {
    if policy.len() > 32768 {
        return Err(invalid(property, "larger than the 32768 bytes KMS accepts"));
    }
    Ok(())
}

/// An alias name KMS accepts for a customer key; `property` names it in the error.
pub fn validate_alias(property: &str, alias: &str) -> Result<(), Error> {
    let name = alias.strip_prefix("alias/").unwrap_or("");
    let well_formed = !name.is_empty()
        && alias.len() <= 256
        && alias.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b))
        && !alias.starts_with("alias/aws/");
    if well_formed {
        Ok(())
    } else {
        Err(invalid(
            property,
            format!(
                "'{alias}' is not a valid alias; use alias/ followed by letters, digits, '/', '_' or '-' \
                 (at most 256 characters, not alias/aws/)"
            ),
        ))
    }
}

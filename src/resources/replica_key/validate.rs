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

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(result: Result<(), Error>) -> String {
        result.expect_err("rejected").to_string()
    }

    #[test]
    fn a_description_takes_up_to_8192_characters() {
        assert!(validate_description("Description", &"d".repeat(8191)).is_ok());
        assert!(validate_description("Description", &"d".repeat(8192)).is_ok());
        assert!(
            validate_description("Description", &"é".repeat(8192)).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(
            reason(validate_description("Description", &"d".repeat(8193))),
            "invalid property 'Description' for Custom::ReplicaKey: longer than the 8192 characters KMS accepts"
        );
    }

    #[test]
    fn a_policy_takes_up_to_32768_bytes() {
        assert!(validate_policy("KeyPolicy", &"p".repeat(32767)).is_ok());
        assert!(validate_policy("KeyPolicy", &"p".repeat(32768)).is_ok());
        assert!(validate_policy("KeyPolicy", &"é".repeat(16385)).is_err(), "32770 bytes");
        assert_eq!(
            reason(validate_policy(
                "RegionSettings.eu-west-1.KeyPolicy",
                &"p".repeat(32769)
            )),
            "invalid property 'RegionSettings.eu-west-1.KeyPolicy' for Custom::ReplicaKey: \
             larger than the 32768 bytes KMS accepts"
        );
    }

    #[test]
    fn an_alias_takes_up_to_256_characters_after_a_non_empty_name() {
        let of_length = |length: usize| format!("alias/{}", "a".repeat(length - "alias/".len()));
        assert!(validate_alias("Alias", &of_length(7)).is_ok());
        assert!(validate_alias("Alias", &of_length(255)).is_ok());
        assert!(validate_alias("Alias", &of_length(256)).is_ok());
        assert!(validate_alias("Alias", &of_length(257)).is_err());
        assert!(validate_alias("Alias", "alias/app_data-1/eu").is_ok());
        for bad in [
            "alias/",
            "app-data",
            "alias/aws/kms",
            "alias/app data",
            "alias/app.data",
        ] {
            let err = reason(validate_alias("Alias", bad));
            assert!(err.contains(&format!("'{bad}' is not a valid alias")), "{err}");
        }
    }
}

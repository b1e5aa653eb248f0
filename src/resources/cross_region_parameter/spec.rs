//! `Custom::CrossRegionParameter` properties (docs/reference.md, section 4): decoding and validation, before any AWS
//! call.

use std::collections::BTreeMap;
use std::fmt;

use aws_sdk_ssm::types::{ParameterTier, ParameterType};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::Error;
use crate::aws::ssm::ParameterAttributes;
use crate::protocol::MAX_RESPONSE_BYTES;
use crate::region::check_list;
use crate::resources::ownership::validate_tags;
use crate::resources::parameter_names;
use crate::resources::properties::{self, Tag, flex};
use crate::resources::target_account::TargetRole;

/// The resource type whose properties this module reads.
pub const RESOURCE_TYPE: &str = "Custom::CrossRegionParameter";

/// The longest parameter description SSM accepts, in characters.
pub const MAX_DESCRIPTION_CHARACTERS: usize = 1024;
/// The largest value of the Standard tier, in bytes.
pub const MAX_STANDARD_VALUE_BYTES: usize = 4096;
/// The largest value of the Advanced tier (which Intelligent-Tiering switches to for a large value), in
/// bytes.
pub const MAX_ADVANCED_VALUE_BYTES: usize = 8192;

/// The properties as written in a template, before validation.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Properties {
    /// Regions to write every parameter into.
    #[serde(default, deserialize_with = "flex::string_list")]
    regions: Option<Vec<String>>,
    /// Parameter name → value.
    #[serde(default, deserialize_with = "flex::string_map")]
    parameters: Option<BTreeMap<String, String>>,
    /// `String` (default) or `SecureString`.
    #[serde(default, rename = "Type", deserialize_with = "flex::string")]
    parameter_type: Option<String>,
    /// KMS key of a `SecureString`; default: the account's `alias/aws/ssm` in each region.
    #[serde(default, deserialize_with = "flex::string")]
    key_id: Option<String>,
    /// `Standard` (default), `Advanced` or `Intelligent-Tiering`.
    #[serde(default, deserialize_with = "flex::string")]
    tier: Option<String>,
    /// Description of every parameter.
    #[serde(default, deserialize_with = "flex::string")]
    description: Option<String>,
    /// User tags of every parameter.
    #[serde(default)]
    tags: Option<Vec<Tag>>,
    /// Take over parameters owned by nobody or by someone else; default false.
    #[serde(default, deserialize_with = "flex::bool")]
    adopt_existing: Option<bool>,
    /// The role whose account the parameters are written in; default: the function's own account.
    #[serde(default, deserialize_with = "flex::string")]
    role_arn: Option<String>,
    /// Passed to AssumeRole with `RoleArn`.
    #[serde(default, deserialize_with = "flex::string")]
    external_id: Option<String>,
    /// Any string; a changed value makes the Update read every parameter and write those that differ.
    #[serde(default, deserialize_with = "flex::string")]
    refresh: Option<String>,
}

/// Validated `Custom::CrossRegionParameter` properties. Its `Debug` shows names, never values.
#[derive(Clone, PartialEq, Eq)]
pub struct Spec {
    /// Target regions, in the template's order.
    pub regions: Vec<String>,
    /// Name → value, ordered by name.
    pub parameters: BTreeMap<String, String>,
    /// Type, key, tier and description of every parameter.
    pub attributes: ParameterAttributes,
    /// User tags.
    pub tags: Vec<Tag>,
    /// Take over parameters that this resource does not own.
    pub adopt_existing: bool,
    /// The role whose account the parameters are in; `None`: the function's own account.
    pub role: Option<TargetRole>,
    /// `Refresh`: a change from the old properties makes the Update verify every value in AWS.
    pub refresh: Option<String>,
}

impl fmt::Debug for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spec")
            .field("regions", &self.regions)
            .field("names", &self.parameters.keys().collect::<Vec<_>>())
            .field("attributes", &self.attributes)
            .field("tags", &self.tags)
            .field("adopt_existing", &self.adopt_existing)
            .field("role", &self.role.as_ref().map(|role| &role.arn))
            .field("refresh", &self.refresh)
            .finish()
    }
}

fn invalid(property: &str, reason: impl Into<String>) -> Error {
    Error::invalid(RESOURCE_TYPE, property, reason)
}

impl Spec {
    /// Decodes and validates properties, names against `prefix` (the function's `PARAMETER_PREFIX`);
    /// no AWS call is made before this succeeds.
    pub fn from_properties(properties: &Map<String, Value>, prefix: &str) -> Result<Spec, Error> {
        let props: Properties = properties::decode(RESOURCE_TYPE, properties)?;
        let attributes = attributes(&props)?;
        let regions = props.regions.ok_or_else(|| Error::missing(RESOURCE_TYPE, "Regions"))?;
        validate_regions(&regions)?;
        let parameters = props
            .parameters
            .ok_or_else(|| Error::missing(RESOURCE_TYPE, "Parameters"))?;
        validate_parameters(&parameters, &attributes.tier, prefix)?;

        let tags = props.tags.unwrap_or_default();
        validate_tags(&tags, RESOURCE_TYPE)?;
        validate_ssm_tag_characters(&tags)?;
        let role = TargetRole::from_properties(RESOURCE_TYPE, props.role_arn, props.external_id)?;
        Ok(Spec {
            role,
            regions,
            parameters,
            attributes,
            tags,
            adopt_existing: props.adopt_existing.unwrap_or(false),
            refresh: props.refresh,
        })
    }

    /// The `Names` attribute: every name, comma-separated, ordered by name.
    pub fn names_attribute(&self) -> String {
        self.parameters.keys().map(String::as_str).collect::<Vec<_>>().join(",")
    }
}

fn attributes(props: &Properties) -> Result<ParameterAttributes, Error> {
    let parameter_type = match props.parameter_type.as_deref() {
        None | Some("String") => ParameterType::String,
        Some("SecureString") => ParameterType::SecureString,
        Some(other) => {
            return Err(invalid(
                "Type",
                format!("'{other}' is not supported; use String or SecureString"),
            ));
        }
    };
    if let Some(key_id) = &props.key_id {
        if parameter_type != ParameterType::SecureString {
            return Err(invalid(
                "KeyId",
                "a KMS key encrypts only a SecureString; set Type to SecureString or remove KeyId",
            ));
        }
        if key_id.trim().is_empty() || key_id.len() > 256 {
            return Err(invalid(
                "KeyId",
                "give a key id, key ARN or alias of 1 to 256 characters",
            ));
        }
    }
    let tier = match props.tier.as_deref() {
        None | Some("Standard") => ParameterTier::Standard,
        Some("Advanced") => ParameterTier::Advanced,
        Some("Intelligent-Tiering") => ParameterTier::IntelligentTiering,
        Some(other) => {
            return Err(invalid(
                "Tier",
                format!("'{other}' is not a tier; use Standard, Advanced or Intelligent-Tiering"),
            ));
        }
    };
    if let Some(description) = &props.description
        && description.chars().count() > MAX_DESCRIPTION_CHARACTERS
    {
        return Err(invalid(
            "Description",
            format!("longer than the {MAX_DESCRIPTION_CHARACTERS} characters SSM accepts"),
        ));
    }
    Ok(ParameterAttributes {
        parameter_type,
        key_id: props.key_id.clone(),
        tier,
        description: props.description.clone(),
    })
}

fn validate_regions(regions: &[String]) -> Result<(), Error> {
    check_list(regions)
        .map(|_| ())
        .map_err(|reason| invalid("Regions", reason))
}

/// The largest value of a tier, in bytes.
fn max_value_bytes(tier: &ParameterTier) -> usize {
    match tier {
        ParameterTier::Standard => MAX_STANDARD_VALUE_BYTES,
        _ => MAX_ADVANCED_VALUE_BYTES,
    }
}

/// Names against SSM's rules and the prefix; values against the tier. A message names the parameter
/// and the size of its value, never the value itself.
fn validate_parameters(parameters: &BTreeMap<String, String>, tier: &ParameterTier, prefix: &str) -> Result<(), Error> {
    if parameters.is_empty() {
        return Err(invalid(
            "Parameters",
            "the map is empty; give at least one name and value",
        ));
    }
    parameter_names::check_count(parameters.len(), "parameters are given")
        .map_err(|reason| invalid("Parameters", reason))?;
    let limit = max_value_bytes(tier);
    for (name, value) in parameters {
        parameter_names::check(name, prefix).map_err(|reason| invalid("Parameters", reason))?;
        if value.is_empty() {
            return Err(invalid(
                "Parameters",
                format!("the value of '{name}' is empty; SSM stores no empty values"),
            ));
        }
        if value.len() > limit {
            let hint = match tier {
                ParameterTier::Standard => {
                    format!("; set Tier to Advanced or Intelligent-Tiering for up to {MAX_ADVANCED_VALUE_BYTES}")
                }
                _ => String::new(),
            };
            return Err(invalid(
                "Parameters",
                format!(
                    "the value of '{name}' is {} bytes; the {} tier holds at most {limit}{hint}",
                    value.len(),
                    tier.as_str()
                ),
            ));
        }
    }
    let names_bytes = parameters.keys().map(|name| name.len() + 1).sum::<usize>();
    if names_bytes > MAX_RESPONSE_BYTES {
        return Err(invalid(
            "Parameters",
            format!(
                "the names alone make a Names attribute of about {names_bytes} bytes, more than the \
                 {MAX_RESPONSE_BYTES}-byte answer CloudFormation accepts; split them over several resources"
            ),
        ));
    }
    Ok(())
}

/// SSM accepts in tag keys and values only letters, digits, spaces and `_ . : / = + - @`.
fn validate_ssm_tag_characters(tags: &[Tag]) -> Result<(), Error> {
    let allowed = |c: char| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c);
    for tag in tags {
        if let Some(bad) = tag.key.chars().chain(tag.value.chars()).find(|c| !allowed(*c)) {
            return Err(invalid(
                "Tags",
                format!(
                    "tag '{}' contains {bad:?}; SSM allows only letters, digits, spaces and _ . : / = + - @",
                    tag.key
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;

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
mod tests {
    use super::*;
    use serde_json::json;

    fn spec_with_prefix(extra: Value, prefix: &str) -> Result<Spec, Error> {
        let mut props = json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": "arn:1"}});
        for (k, v) in extra.as_object().unwrap() {
            props[k] = v.clone();
        }
        Spec::from_properties(props.as_object().unwrap(), prefix)
    }

    fn spec(extra: Value) -> Result<Spec, Error> {
        spec_with_prefix(extra, "/")
    }

    fn reason(extra: Value) -> String {
        spec(extra).unwrap_err().to_string()
    }

    #[test]
    fn defaults_apply_when_optional_properties_are_absent() {
        let spec = spec(json!({})).unwrap();
        assert_eq!(spec.attributes.parameter_type, ParameterType::String);
        assert_eq!(spec.attributes.tier, ParameterTier::Standard);
        assert_eq!(
            (spec.attributes.key_id.clone(), spec.attributes.description.clone()),
            (None, None)
        );
        assert!(!spec.adopt_existing && spec.tags.is_empty());
    }

    #[test]
    fn every_setting_is_read_including_strings_from_cloudformation() {
        let spec = spec(json!({
            "Type": "SecureString", "KeyId": "alias/app", "Tier": "Intelligent-Tiering",
            "Description": "from us-east-1", "AdoptExisting": "true", "Tags": [{"Key": "team", "Value": "platform"}],
            "Regions": "eu-west-1, ap-southeast-2",
        }))
        .unwrap();
        assert_eq!(spec.attributes.parameter_type, ParameterType::SecureString);
        assert_eq!(spec.attributes.key_id.as_deref(), Some("alias/app"));
        assert_eq!(spec.attributes.tier, ParameterTier::IntelligentTiering);
        assert_eq!(spec.attributes.description.as_deref(), Some("from us-east-1"));
        assert!(spec.adopt_existing);
        assert_eq!(spec.regions, vec!["eu-west-1", "ap-southeast-2"]);
    }

    #[test]
    fn required_properties_are_named_when_missing() {
        let props = json!({"Parameters": {"/a": "1"}});
        let err = Spec::from_properties(props.as_object().unwrap(), "/").unwrap_err();
        assert_eq!(
            err.to_string(),
            "missing required property 'Regions' for Custom::CrossRegionParameter"
        );
        let props = json!({"Regions": ["eu-west-1"]});
        let err = Spec::from_properties(props.as_object().unwrap(), "/").unwrap_err();
        assert_eq!(
            err.to_string(),
            "missing required property 'Parameters' for Custom::CrossRegionParameter"
        );
    }

    #[test]
    fn type_tier_and_key_id_are_checked() {
        assert!(reason(json!({"Type": "StringList"})).contains("use String or SecureString"));
        assert!(reason(json!({"Tier": "Premium"})).contains("use Standard, Advanced or Intelligent-Tiering"));
        assert!(reason(json!({"KeyId": "alias/app"})).contains("set Type to SecureString or remove KeyId"));
        assert!(reason(json!({"Description": "d".repeat(1025)})).contains("1024 characters"));
    }

    #[test]
    fn regions_are_checked() {
        assert!(reason(json!({"Regions": []})).contains("the list is empty"));
        assert!(reason(json!({"Regions": ["eu-west-1", "eu-west-1"]})).contains("listed twice"));
        assert!(reason(json!({"Regions": ["Ireland"]})).contains("'Ireland' is not a region name"));
        assert!(reason(json!({"Regions": ["eu-west-1", "cn-north-1"]})).contains("list regions of one partition"));
    }

    #[test]
    fn parameters_must_be_a_non_empty_map_of_valid_names_and_non_empty_values() {
        assert!(reason(json!({"Parameters": {}})).contains("the map is empty"));
        assert!(reason(json!({"Parameters": {"app/x": "1"}})).contains("'app/x' must start with '/'"));
        assert!(reason(json!({"Parameters": {"/aws/x": "1"}})).contains("SSM reserves"));
        assert!(reason(json!({"Parameters": {"/app/x": ""}})).contains("the value of '/app/x' is empty"));
    }

    #[test]
    fn a_value_too_large_for_its_tier_is_rejected_without_showing_it() {
        let big = "s".repeat(4097);
        let err = reason(json!({"Parameters": {"/app/big": big}}));
        assert_eq!(
            err,
            "invalid property 'Parameters' for Custom::CrossRegionParameter: the value of '/app/big' is 4097 bytes; \
             the Standard tier holds at most 4096; set Tier to Advanced or Intelligent-Tiering for up to 8192"
        );
        assert!(spec(json!({"Parameters": {"/app/big": big}, "Tier": "Advanced"})).is_ok());
        let bigger = "s".repeat(8193);
        let err = reason(json!({"Parameters": {"/app/big": bigger}, "Tier": "Intelligent-Tiering"}));
        assert!(
            err.contains("is 8193 bytes; the Intelligent-Tiering tier holds at most 8192"),
            "{err}"
        );
        assert!(!err.contains("sss"), "the value is never shown");
    }

    #[test]
    fn names_must_be_under_the_function_prefix() {
        assert!(spec_with_prefix(json!({}), "/app").is_ok());
        assert!(spec_with_prefix(json!({}), "/app/").is_ok());
        let err = spec_with_prefix(json!({}), "/shared").unwrap_err().to_string();
        assert!(
            err.contains("outside this provider's PARAMETER_PREFIX '/shared'"),
            "{err}"
        );
    }

    #[test]
    fn names_that_cannot_fit_in_the_answer_are_rejected_before_any_call() {
        let names: Map<String, Value> = (0..120)
            .map(|i| (format!("/app/a-rather-long-parameter-name-{i:03}"), json!("v")))
            .collect();
        assert!(reason(json!({"Parameters": names})).contains("split them over several resources"));
    }

    /// Parameters whose names take `bytes` bytes in the Names attribute (each name and its comma).
    fn names_taking(bytes: usize) -> Map<String, Value> {
        let (count, each) = (8, bytes / 8);
        let mut names: Vec<String> = (0..count)
            .map(|i| format!("/app/{i}-{}", "n".repeat(each - 8)))
            .collect();
        names[0].push_str(&"n".repeat(bytes - count * each));
        assert_eq!(names.iter().map(|name| name.len() + 1).sum::<usize>(), bytes);
        names.into_iter().map(|name| (name, json!("v"))).collect()
    }

    #[test]
    fn names_are_accepted_up_to_the_answer_size_and_not_a_byte_over() {
        assert!(spec(json!({"Parameters": names_taking(MAX_RESPONSE_BYTES - 1)})).is_ok());
        assert!(spec(json!({"Parameters": names_taking(MAX_RESPONSE_BYTES)})).is_ok());
        let err = reason(json!({"Parameters": names_taking(MAX_RESPONSE_BYTES + 1)}));
        assert!(
            err.contains(&format!("a Names attribute of about {} bytes", MAX_RESPONSE_BYTES + 1)),
            "{err}"
        );
    }

    #[test]
    fn a_value_fills_its_tier_to_the_byte() {
        // GIVEN values of 4095, 4096 and 4097 bytes (a multibyte character counts as its bytes)
        let standard = |value: String| spec(json!({"Parameters": {"/app/v": value}}));
        assert!(standard("s".repeat(4095)).is_ok());
        assert!(standard("s".repeat(4096)).is_ok());
        assert!(standard("s".repeat(4097)).is_err());
        assert!(standard("é".repeat(2049)).is_err(), "4098 bytes in 2049 characters");
        // AND in the Advanced tier, 8191, 8192 and 8193
        let advanced = |value: String| spec(json!({"Parameters": {"/app/v": value}, "Tier": "Advanced"}));
        assert!(advanced("s".repeat(8191)).is_ok());
        assert!(advanced("s".repeat(8192)).is_ok());
        let err = advanced("s".repeat(8193)).unwrap_err().to_string();
        assert!(
            err.ends_with("is 8193 bytes; the Advanced tier holds at most 8192"),
            "{err}"
        );
    }

    #[test]
    fn a_description_takes_up_to_1024_characters() {
        assert!(spec(json!({"Description": "d".repeat(1023)})).is_ok());
        assert!(spec(json!({"Description": "d".repeat(1024)})).is_ok());
        assert!(
            spec(json!({"Description": "é".repeat(1024)})).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(
            reason(json!({"Description": "d".repeat(1025)})),
            "invalid property 'Description' for Custom::CrossRegionParameter: longer than the 1024 characters SSM accepts"
        );
    }

    #[test]
    fn a_key_id_takes_1_to_256_characters() {
        let secure = |key_id: String| spec(json!({"Type": "SecureString", "KeyId": key_id}));
        assert!(secure("k".to_string()).is_ok());
        assert!(secure("k".repeat(255)).is_ok());
        assert!(secure("k".repeat(256)).is_ok());
        for bad in [String::new(), "  ".to_string(), "k".repeat(257)] {
            let err = secure(bad.clone()).unwrap_err().to_string();
            assert!(
                err.ends_with("give a key id, key ARN or alias of 1 to 256 characters"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn tags_are_checked_with_ssm_characters() {
        assert!(spec(json!({"Tags": [{"Key": "team", "Value": "platform a:b/c=d+e-f@g_h.i"}]})).is_ok());
        assert!(reason(json!({"Tags": [{"Key": "team", "Value": "a,b"}]})).contains("tag 'team' contains ','"));
        assert!(reason(json!({"Tags": [{"Key": "mrk-provider:stack", "Value": "x"}]})).contains("reserved prefix"));
    }

    #[test]
    fn an_unknown_property_is_an_error() {
        assert_eq!(
            reason(json!({"Region": ["eu-west-1"]})),
            "unknown property 'Region' for Custom::CrossRegionParameter"
        );
    }

    #[test]
    fn debug_output_shows_names_but_never_values() {
        let spec = spec(json!({"Parameters": {"/app/secret": "hunter2"}})).unwrap();
        let shown = format!("{spec:?}");
        assert!(shown.contains("/app/secret") && !shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn names_are_listed_in_name_order() {
        let spec = spec(json!({"Parameters": {"/b": "2", "/a": "1", "/c": "3"}})).unwrap();
        assert_eq!(spec.names_attribute(), "/a,/b,/c");
    }
}

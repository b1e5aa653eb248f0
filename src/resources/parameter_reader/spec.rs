//! `Custom::CrossRegionParameterReader` properties (docs/reference.md, section 5): decoding and validation.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::Error;
use crate::region::partition_of;
use crate::resources::parameter_names;
use crate::resources::properties::{self, flex};
use crate::resources::target_account::TargetRole;

/// The resource type whose properties this module reads.
pub const RESOURCE_TYPE: &str = "Custom::CrossRegionParameterReader";

/// The properties as written in a template, before validation.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Properties {
    /// The region to read from.
    #[serde(default, deserialize_with = "flex::string")]
    region: Option<String>,
    /// The parameter names to read.
    #[serde(default, deserialize_with = "flex::string_list")]
    names: Option<Vec<String>>,
    /// Decrypt SecureString values; default false.
    #[serde(default, deserialize_with = "flex::bool")]
    with_decryption: Option<bool>,
    /// The role whose account is read from; default: the function's own account.
    #[serde(default, deserialize_with = "flex::string")]
    role_arn: Option<String>,
    /// Passed to AssumeRole with `RoleArn`.
    #[serde(default, deserialize_with = "flex::string")]
    external_id: Option<String>,
    /// Any string; a changed value makes CloudFormation send an Update, which re-reads every name.
    #[serde(default, deserialize_with = "flex::string")]
    refresh: Option<String>,
}

/// Validated `Custom::CrossRegionParameterReader` properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The region to read from.
    pub region: String,
    /// The names, in the template's order.
    pub names: Vec<String>,
    /// Decrypt SecureString values.
    pub with_decryption: bool,
    /// The role whose account is read from; `None`: the function's own account.
    pub role: Option<TargetRole>,
    /// `Refresh`: otherwise ignored, since every Create and Update reads every name anyway.
    pub refresh: Option<String>,
}

fn invalid(property: &str, reason: impl Into<String>) -> Error {
    Error::invalid(RESOURCE_TYPE, property, reason)
}

impl Spec {
    /// Decodes and validates properties, names against `prefix` (the function's `PARAMETER_PREFIX`);
    /// no AWS call is made before this succeeds.
    pub fn from_properties(properties: &Map<String, Value>, prefix: &str) -> Result<Spec, Error> {
        let props: Properties = properties::decode(RESOURCE_TYPE, properties)?;
        let region = props.region.ok_or_else(|| Error::missing(RESOURCE_TYPE, "Region"))?;
        if partition_of(&region).is_none() {
            return Err(invalid("Region", format!("'{region}' is not a region name")));
        }
        let names = props.names.ok_or_else(|| Error::missing(RESOURCE_TYPE, "Names"))?;
        if names.is_empty() {
            return Err(invalid("Names", "the list is empty; name at least one parameter"));
        }
        parameter_names::check_count(names.len(), "names are listed").map_err(|reason| invalid("Names", reason))?;
        let mut seen = BTreeSet::new();
        for name in &names {
            parameter_names::check(name, prefix).map_err(|reason| invalid("Names", reason))?;
            if !seen.insert(name) {
                return Err(invalid("Names", format!("'{name}' is listed twice")));
            }
        }
        Ok(Spec {
            region,
            names,
            with_decryption: props.with_decryption.unwrap_or(false),
            role: TargetRole::from_properties(RESOURCE_TYPE, props.role_arn, props.external_id)?,
            refresh: props.refresh,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec_with_prefix(extra: Value, prefix: &str) -> Result<Spec, Error> {
        let mut props = json!({"Region": "eu-west-1", "Names": ["/app/key-arn"]});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                props.as_object_mut().unwrap().remove(k);
            } else {
                props[k] = v.clone();
            }
        }
        Spec::from_properties(props.as_object().unwrap(), prefix)
    }

    fn reason(extra: Value) -> String {
        spec_with_prefix(extra, "/").unwrap_err().to_string()
    }

    #[test]
    fn defaults_apply_and_strings_from_cloudformation_are_read() {
        let spec = spec_with_prefix(json!({}), "/").unwrap();
        assert!(!spec.with_decryption);
        let spec = spec_with_prefix(json!({"WithDecryption": "true", "Names": "/app/a, /app/b"}), "/").unwrap();
        assert!(spec.with_decryption);
        assert_eq!(spec.names, vec!["/app/a", "/app/b"]);
    }

    #[test]
    fn region_and_names_are_required_and_checked() {
        assert_eq!(
            reason(json!({"Region": null})),
            "missing required property 'Region' for Custom::CrossRegionParameterReader"
        );
        assert_eq!(
            reason(json!({"Names": null})),
            "missing required property 'Names' for Custom::CrossRegionParameterReader"
        );
        assert!(reason(json!({"Region": "Ireland"})).contains("'Ireland' is not a region name"));
        assert!(reason(json!({"Names": []})).contains("the list is empty"));
        assert!(reason(json!({"Names": ["/a", "/a"]})).contains("'/a' is listed twice"));
        assert!(reason(json!({"Names": ["/aws/x"]})).contains("SSM reserves"));
        assert!(reason(json!({"Names": ["app/x"]})).contains("must start with '/'"));
    }

    #[test]
    fn names_must_be_under_the_function_prefix() {
        assert!(spec_with_prefix(json!({}), "/app/").is_ok());
        let err = spec_with_prefix(json!({}), "/other").unwrap_err().to_string();
        assert!(
            err.contains("outside this provider's PARAMETER_PREFIX '/other'"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_property_is_an_error() {
        assert_eq!(
            reason(json!({"Regions": ["eu-west-1"]})),
            "unknown property 'Regions' for Custom::CrossRegionParameterReader"
        );
    }
}

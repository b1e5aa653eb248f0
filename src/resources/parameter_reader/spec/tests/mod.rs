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
    assert_eq!(spec.read, Read::Names(vec!["/app/a".into(), "/app/b".into()]));
}

#[test]
fn region_and_names_are_required_and_checked() {
    assert_eq!(
        reason(json!({"Region": null})),
        "missing required property 'Region' for Custom::CrossRegionParameterReader"
    );
    assert_eq!(
        reason(json!({"Names": null})),
        "invalid property 'Names' for Custom::CrossRegionParameterReader: give Names (the parameters to \
         read) or Path (a path whose parameters are all read)"
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

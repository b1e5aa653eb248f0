use super::*;
use crate::test_support::fixture;

#[test]
fn the_create_fixture_parses_with_string_properties() {
    let request = Request::parse(&fixture("create")).unwrap();
    assert_eq!(request.request_type, RequestType::Create);
    assert_eq!(request.resource_type, "Custom::ReplicaKey");
    assert_eq!(request.logical_resource_id, "AppKeyReplicas");
    assert_eq!(request.physical_resource_id, None);
    assert_eq!(request.properties["PendingWindowInDays"], "7");
    assert!(
        request
            .service_token()
            .unwrap()
            .starts_with("arn:aws:lambda:us-east-1:")
    );
}

#[test]
fn the_update_fixture_carries_old_properties_and_the_physical_id() {
    let request = Request::parse(&fixture("update")).unwrap();
    assert_eq!(request.request_type, RequestType::Update);
    let old = request.old_properties.as_ref().unwrap();
    assert_ne!(old["ReplicaRegions"], request.properties["ReplicaRegions"]);
    assert_eq!(
        request.physical_resource_id.as_deref(),
        request.properties["PrimaryKeyArn"].as_str()
    );
}

#[test]
fn the_delete_fixture_parses() {
    let request = Request::parse(&fixture("delete")).unwrap();
    assert_eq!(request.request_type, RequestType::Delete);
    assert!(!request.deletes_a_failed_create());
}

#[test]
fn a_delete_of_a_failed_create_is_recognised() {
    let mut event = fixture("delete");
    event["PhysicalResourceId"] = Value::String(format!("{FAILED_CREATE_PREFIX}abc"));
    assert!(Request::parse(&event).unwrap().deletes_a_failed_create());
}

#[test]
fn a_failed_create_answers_the_claimed_id_or_the_marker() {
    let request = Request::parse(&fixture("create")).unwrap();
    assert_eq!(request.failed_physical_id(Some("claimed".into())), "claimed");
    assert_eq!(
        request.failed_physical_id(None),
        format!("{FAILED_CREATE_PREFIX}{}", request.request_id)
    );
}

#[test]
fn null_properties_are_no_properties_and_any_other_non_object_is_invalid() {
    let mut event = fixture("update");
    event["ResourceProperties"] = Value::Null;
    event["OldResourceProperties"] = Value::Null;
    let request = Request::parse(&event).expect("null properties parse");
    assert!(request.properties.is_empty());
    assert_eq!(request.old_properties, Some(Map::new()));
    event["ResourceProperties"] = Value::String("x".into());
    let Err(err @ Error::NotAnObject { .. }) = Request::parse(&event) else {
        panic!("a string is no properties object");
    };
    assert_eq!(
        err.to_string(),
        "invalid request: ResourceProperties must be a JSON object"
    );
}

#[test]
fn an_echoed_field_at_its_longest_is_not_oversized_and_one_byte_more_is() {
    let request = Request::parse(&fixture("create")).unwrap();
    let at_most = |stack_id_bytes: usize| {
        let mut envelope = Envelope::of(&request);
        envelope.stack_id = "s".repeat(stack_id_bytes);
        envelope.oversized()
    };
    assert_eq!(at_most(MAX_STACK_ID_BYTES), None);
    assert_eq!(
        at_most(MAX_STACK_ID_BYTES + 1).as_deref(),
        Some("its StackId is 513 bytes long; CloudFormation sends at most 512")
    );
}

#[test]
fn an_unknown_request_type_is_invalid_but_its_envelope_is_salvaged() {
    let mut event = fixture("create");
    event["RequestType"] = Value::String("Upsert".into());
    assert!(matches!(Request::parse(&event), Err(Error::NotARequest { .. })));
    let envelope = Envelope::salvage(&event);
    assert!(envelope.response_url.unwrap().starts_with("https://"));
    assert_eq!(envelope.logical_resource_id, "AppKeyReplicas");
}

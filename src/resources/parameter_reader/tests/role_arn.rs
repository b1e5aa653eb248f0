//! `RoleArn`: reads in the role's account, and roles the deployment does not list refused.

use super::*;

#[tokio::test]
async fn a_reader_with_a_role_reads_in_the_roles_account() {
    // GIVEN the value only in the role's account (the own account's SSM has no rules)
    let read = get(
        &["/app/key-arn"],
        false,
        vec![parameter(
            "/app/key-arn",
            "arn:aws:kms:us-east-1:210987654321:key/mrk-1",
            ParameterType::String,
        )],
    );
    let sts = crate::test_support::assume_role_rule("ASIATARGET", std::time::Duration::from_secs(900));
    let app = TestApp::new()
        .env("ASSUMABLE_ROLE_ARNS", ROLE)
        .sts(vec![sts.clone()])
        .ssm_as("ASIATARGET", "us-east-1", vec![read.clone()]);
    // WHEN the reader is created with RoleArn and ExternalId
    let request = typed_request(
        RESOURCE_TYPE,
        LOGICAL_ID,
        "create",
        with_role(ROLE, Some("tenant-1")),
        None,
    );
    let outcome = success(app.answer(request).await);
    // THEN the value comes from the role's account
    assert_eq!((sts.num_calls(), read.num_calls()), (1, 1));
    assert_eq!(outcome.data["Value"], "arn:aws:kms:us-east-1:210987654321:key/mrk-1");
}

#[tokio::test]
async fn a_reader_with_a_role_outside_assumable_role_arns_fails_before_any_call() {
    let app = TestApp::new().env(
        "ASSUMABLE_ROLE_ARNS",
        "arn:aws:iam::111122223333:role/mrk-provider-target",
    );
    let request = typed_request(RESOURCE_TYPE, LOGICAL_ID, "create", with_role(ROLE, None), None);
    let (id, reason) = failure(app.answer(request).await);
    assert!(
        reason.contains("is not one of this provider's AssumableRoleArns"),
        "{reason}"
    );
    assert!(id.starts_with(FAILED_CREATE_PREFIX), "{id}");
}

#[tokio::test]
async fn an_external_id_without_a_role_is_refused() {
    let mut properties = props("us-east-1", &["/app/key-arn"], false);
    properties["ExternalId"] = json!("tenant-1");
    let request = typed_request(RESOURCE_TYPE, LOGICAL_ID, "create", properties, None);
    let (_, reason) = failure(TestApp::new().answer(request).await);
    assert!(
        reason.contains("'ExternalId'") && reason.contains("without RoleArn"),
        "{reason}"
    );
}

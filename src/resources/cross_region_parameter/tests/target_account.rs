//! `RoleArn`: the parameters written, moved and deleted in another account, through an assumed role.
//! The own account's SSM has no rules here unless a test gives them, so a call that goes to the wrong
//! account fails the test.

use std::time::Duration;

use aws_sdk_sts::operation::assume_role::AssumeRoleError;

use super::*;
use crate::protocol::{Deadline, run};
use crate::test_support::{FUNCTION_ARN, assume_role_output};

const ROLE: &str = "arn:aws:iam::210987654321:role/mrk-provider-target";
const OTHER_ROLE: &str = "arn:aws:iam::345678901234:role/mrk-provider-target";
const PROVIDER_ROLE: &str = "arn:aws:iam::123456789012:role/mrk-provider-role";
/// The access key ids of the credentials the mocked STS hands out for each role.
const TARGET_KEY: &str = "ASIATARGET";
const OTHER_KEY: &str = "ASIAOTHER";
const FIFTEEN_MINUTES: Duration = Duration::from_secs(900);

/// An app that may assume the roles named `mrk-provider-target` in any account.
fn app() -> TestApp {
    TestApp::new()
        .env("ASSUMABLE_ROLE_ARNS", "arn:aws:iam::*:role/mrk-provider-target")
        .env("PROVIDER_ROLE_ARN", PROVIDER_ROLE)
}

/// AssumeRole of `role` for the fixtures' stack (`app-keys`), with `external_id`, for 15 minutes:
/// credentials valid for `valid_for` with the access key id `key`.
fn assume_for(role: &'static str, external_id: Option<&'static str>, key: &'static str, valid_for: Duration) -> Rule {
    mock!(aws_sdk_sts::Client::assume_role)
        .match_requests(move |r| {
            r.role_arn() == Some(role)
                && r.role_session_name() == Some("mrk-provider-app-keys")
                && r.external_id() == external_id
                && r.duration_seconds() == Some(900)
        })
        .then_output(move || assume_role_output(key, valid_for))
}

fn assume(role: &'static str, key: &'static str) -> Rule {
    assume_for(role, None, key, FIFTEEN_MINUTES)
}

/// AssumeRole refused as STS refuses a role whose trust policy does not name the caller.
fn assume_denied(role: &'static str) -> Rule {
    mock!(aws_sdk_sts::Client::assume_role)
        .match_requests(move |r| r.role_arn() == Some(role))
        .then_error(|| AssumeRoleError::generic(aws_error("AccessDenied")))
}

/// `/app/key-arn` into eu-west-1, in the account of `role` (the function's own without one).
fn one_region(role: Option<&str>) -> Value {
    props(json!({
        "Regions": ["eu-west-1"],
        "Parameters": {"/app/key-arn": KEY_ARN},
        "RoleArn": role.map_or(Value::Null, |role| json!(role)),
    }))
}

#[tokio::test(start_paused = true)]
async fn a_create_with_a_role_writes_in_the_roles_account_only() {
    // GIVEN the role's account, where the parameter does not exist
    let (sts, put) = (assume(ROLE, TARGET_KEY), put_new("/app/key-arn", KEY_ARN, vec![]));
    let app = app()
        .sts(vec![sts.clone()])
        .ssm_as(TARGET_KEY, "eu-west-1", vec![put.clone()]);
    // WHEN the resource is created with RoleArn
    let outcome = success(answer_with(app, "create", one_region(Some(ROLE)), None).await);
    // THEN the role was assumed once, and the parameter written with its credentials (the own
    // account's SSM has no rules: a write there would have failed the request)
    assert_eq!((sts.num_calls(), put.num_calls()), (1, 1));
    assert_eq!(outcome.physical_resource_id, physical_id());
}

#[tokio::test(start_paused = true)]
async fn the_external_id_is_passed_to_assume_role() {
    let sts = assume_for(ROLE, Some("tenant-1"), TARGET_KEY, FIFTEEN_MINUTES);
    let put = put_new("/app/key-arn", KEY_ARN, vec![]);
    let app = app()
        .sts(vec![sts.clone()])
        .ssm_as(TARGET_KEY, "eu-west-1", vec![put.clone()]);
    let properties = merged(one_region(Some(ROLE)), json!({"ExternalId": "tenant-1"}));
    success(answer_with(app, "create", properties, None).await);
    assert_eq!((sts.num_calls(), put.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_role_the_deployment_does_not_list_is_refused_before_any_call() {
    for (app, expected) in [
        (
            TestApp::new(),
            "this provider may assume no role (its AssumableRoleArns is empty)",
        ),
        (
            TestApp::new().env("ASSUMABLE_ROLE_ARNS", "arn:aws:iam::111122223333:role/*"),
            "is not one of this provider's AssumableRoleArns (arn:aws:iam::111122223333:role/*)",
        ),
    ] {
        // GIVEN no STS and no SSM rules: any call would fail with another reason
        // WHEN a Create names a role outside AssumableRoleArns
        let (id, reason) = failure(answer_with(app, "create", one_region(Some(ROLE)), None).await);
        // THEN it fails with that reason, before any change (the failed Create's marker id)
        assert!(reason.contains(expected), "{reason}");
        assert!(reason.starts_with("invalid property 'RoleArn'"), "{reason}");
        assert!(id.starts_with(FAILED_CREATE_PREFIX), "{id}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_role_that_cannot_be_assumed_fails_naming_the_providers_role() {
    // GIVEN a role whose trust policy does not name the provider
    let sts = assume_denied(ROLE);
    let app = app().sts(vec![sts.clone()]);
    // WHEN a Create names it
    let (id, reason) = failure(answer_with(app, "create", one_region(Some(ROLE)), None).await);
    // THEN the reason says which role and what its trust policy needs; nothing was written
    assert_eq!(sts.num_calls(), 1);
    assert!(
        reason.contains(&format!("the role {ROLE} could not be assumed (AccessDenied")),
        "{reason}"
    );
    assert!(
        reason.contains(&format!("trust policy allows sts:AssumeRole by {PROVIDER_ROLE}")),
        "{reason}"
    );
    assert!(id.starts_with(FAILED_CREATE_PREFIX), "{id}");
}

#[tokio::test(start_paused = true)]
async fn an_update_into_a_roles_account_writes_there_then_deletes_the_old_accounts() {
    // GIVEN the parameter owned by this resource in the function's own account
    let (sts, put) = (assume(ROLE, TARGET_KEY), put_new("/app/key-arn", KEY_ARN, vec![]));
    let (own_tags, own_delete) = (list_tags("/app/key-arn", owner_tags()), delete(&["/app/key-arn"]));
    let app = app()
        .sts(vec![sts.clone()])
        .ssm_as(TARGET_KEY, "eu-west-1", vec![put.clone()])
        .ssm("eu-west-1", vec![own_tags.clone(), own_delete.clone()]);
    // WHEN an Update adds RoleArn (same names and values)
    let outcome = success(answer_with(app, "update", one_region(Some(ROLE)), Some(one_region(None))).await);
    // THEN it is written in the role's account and deleted from the function's own
    assert_eq!((sts.num_calls(), put.num_calls()), (1, 1));
    assert_eq!((own_tags.num_calls(), own_delete.num_calls()), (1, 1));
    assert_eq!(outcome.physical_resource_id, fixture("update")["PhysicalResourceId"]);
}

#[tokio::test(start_paused = true)]
async fn an_update_between_two_roles_accounts_uses_each_role_for_its_account() {
    // GIVEN the parameter owned in the old role's account
    let (old_sts, new_sts) = (assume(ROLE, TARGET_KEY), assume(OTHER_ROLE, OTHER_KEY));
    let put = put_new("/app/key-arn", KEY_ARN, vec![]);
    let (old_tags, old_delete) = (list_tags("/app/key-arn", owner_tags()), delete(&["/app/key-arn"]));
    let app = app()
        .sts(vec![old_sts.clone(), new_sts.clone()])
        .ssm_as(OTHER_KEY, "eu-west-1", vec![put.clone()])
        .ssm_as(TARGET_KEY, "eu-west-1", vec![old_tags.clone(), old_delete.clone()]);
    // WHEN RoleArn changes to a role of another account
    let old = one_region(Some(ROLE));
    success(answer_with(app, "update", one_region(Some(OTHER_ROLE)), Some(old)).await);
    // THEN both roles were assumed; written in the new account, deleted in the old one
    assert_eq!((old_sts.num_calls(), new_sts.num_calls()), (1, 1));
    assert_eq!(put.num_calls(), 1);
    assert_eq!((old_tags.num_calls(), old_delete.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn an_update_whose_new_role_cannot_be_assumed_changes_nothing() {
    // GIVEN the parameter in the own account, and a new role that refuses the provider
    let sts = assume_denied(ROLE);
    let app = app().sts(vec![sts.clone()]);
    // WHEN an Update moves it into the role's account
    let (_, reason) = failure(answer_with(app, "update", one_region(Some(ROLE)), Some(one_region(None))).await);
    // THEN it fails before any SSM call (the own account has no rules: a delete there would panic)
    assert_eq!(sts.num_calls(), 1);
    assert!(reason.contains("could not be assumed"), "{reason}");
}

#[tokio::test(start_paused = true)]
async fn an_update_back_from_a_role_that_cannot_be_assumed_leaves_that_account_alone() {
    // GIVEN the rollback of an Update whose new role refused the provider (nothing was written there)
    let sts = assume_denied(ROLE);
    let (own_tags, own_overwrite) = (
        list_tags("/app/key-arn", owner_tags()),
        overwrite("/app/key-arn", KEY_ARN),
    );
    let app = app().sts(vec![sts.clone()]).ssm(
        "eu-west-1",
        vec![put_exists("/app/key-arn"), own_tags.clone(), own_overwrite.clone()],
    );
    // WHEN CloudFormation sends the Update back to the own account
    success(answer_with(app, "update", one_region(None), Some(one_region(Some(ROLE)))).await);
    // THEN the own account's parameter is written, and the rollback is not stuck on the role
    assert_eq!(sts.num_calls(), 1);
    assert_eq!((own_tags.num_calls(), own_overwrite.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_changed_external_id_in_the_same_account_only_reassumes_the_role() {
    // GIVEN nothing else changes: same account, same names and values
    let sts = assume_for(ROLE, Some("new-id"), TARGET_KEY, FIFTEEN_MINUTES);
    let app = app().sts(vec![sts.clone()]);
    let old = merged(one_region(Some(ROLE)), json!({"ExternalId": "old-id"}));
    let new = merged(one_region(Some(ROLE)), json!({"ExternalId": "new-id"}));
    // WHEN the Update arrives
    success(answer_with(app, "update", new, Some(old)).await);
    // THEN the role is assumed with the new id and no SSM call is made (no rules for any)
    assert_eq!(sts.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_delete_removes_the_owned_parameters_in_the_roles_account() {
    let sts = assume(ROLE, TARGET_KEY);
    let (tags, removed) = (list_tags("/app/key-arn", owner_tags()), delete(&["/app/key-arn"]));
    let app = app()
        .sts(vec![sts.clone()])
        .ssm_as(TARGET_KEY, "eu-west-1", vec![tags.clone(), removed.clone()]);
    success(answer_with(app, "delete", one_region(Some(ROLE)), None).await);
    assert_eq!((sts.num_calls(), tags.num_calls(), removed.num_calls()), (1, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_delete_with_a_role_the_deployment_no_longer_lists_succeeds_without_calls() {
    // GIVEN no rules at all: any call would fail the request
    let app = TestApp::new().env("ASSUMABLE_ROLE_ARNS", "arn:aws:iam::111122223333:role/other");
    success(answer_with(app, "delete", one_region(Some(ROLE)), None).await);
}

/// Runs two Deletes of the resource on one app, as two requests of one warm process.
async fn two_deletes(valid_for: Duration) -> usize {
    let sts = assume_for(ROLE, None, TARGET_KEY, valid_for);
    let app = app()
        .sts(vec![sts.clone()])
        .ssm_as(TARGET_KEY, "eu-west-1", vec![list_tags_of_missing("/app/key-arn")])
        .calling_stack("DELETE_IN_PROGRESS", RESOURCE_TYPE)
        .build();
    for _ in 0..2 {
        let request = typed_request(RESOURCE_TYPE, LOGICAL_ID, "delete", one_region(Some(ROLE)), None);
        success(run(app.clone(), request, FUNCTION_ARN, Deadline::unknown()).await);
    }
    sts.num_calls()
}

#[tokio::test(start_paused = true)]
async fn a_warm_process_reuses_a_roles_credentials_until_they_near_expiry() {
    // 15 minutes left: the second request reuses them
    assert_eq!(two_deletes(FIFTEEN_MINUTES).await, 1);
    // 5 minutes left, less than a request may last: each request assumes the role again
    assert_eq!(two_deletes(Duration::from_secs(300)).await, 2);
}

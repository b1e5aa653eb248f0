//! Tests of the wiring: the configuration read from the environment, and requests answered through
//! the real dispatch (unsupported types, configuration problems). AWS is mocked with no rules, so any
//! AWS call would panic into an internal error.

mod fuzz;

use serde_json::{Value, json};

use super::*;
use crate::protocol::request::FAILED_CREATE_PREFIX;
use crate::protocol::{Answer, Request};
use crate::test_support::{TestApp, failure, fixture, lambda_context, success};

/// The `RequestId` of the create fixture.
const CREATE_REQUEST_ID: &str = "6d0e9b8a-4c2f-4a8e-9f1d-2b3c4d5e6f70";

/// The fixture `name` for the unsupported resource type `Custom::Nope`.
fn unsupported(name: &str) -> Request {
    let mut event = fixture(name);
    event["ResourceType"] = Value::String("Custom::Nope".into());
    Request::parse(&event).expect("the event parses")
}

fn config(vars: &[(&str, &str)]) -> Config {
    vars.iter()
        .fold(TestApp::new(), |app, (name, value)| app.env(name, value))
        .config()
}

#[test]
fn the_default_configuration_is_auto_mode_with_any_parameter_name() {
    let config = config(&[]);
    assert_eq!(config.response_mode, ResponseMode::Auto);
    assert_eq!(config.scope.parameter_prefix, "/");
    assert_eq!(config.problem, None);
}

#[test]
fn each_response_mode_is_read_and_a_bad_one_is_a_problem() {
    for (value, mode) in [
        ("cloudformation", ResponseMode::CloudFormation),
        ("provider", ResponseMode::ProviderFramework),
        ("auto", ResponseMode::Auto),
        (" auto ", ResponseMode::Auto),
        ("", ResponseMode::Auto),
    ] {
        let config = config(&[("RESPONSE_MODE", value)]);
        assert_eq!((config.response_mode, config.problem), (mode, None), "{value:?}");
    }
    let problem = config(&[("RESPONSE_MODE", "bogus")])
        .problem
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(problem.contains("RESPONSE_MODE is 'bogus'"), "{problem}");
}

#[test]
fn a_parameter_prefix_must_start_with_a_slash() {
    assert_eq!(config(&[("PARAMETER_PREFIX", "/app")]).scope.parameter_prefix, "/app");
    assert_eq!(config(&[("PARAMETER_PREFIX", " ")]).scope.parameter_prefix, "/");
    let problem = config(&[("PARAMETER_PREFIX", "app/")])
        .problem
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(problem.contains("PARAMETER_PREFIX is 'app/'"), "{problem}");
}

#[test]
fn allowed_regions_are_a_trimmed_list_of_region_names_and_a_bad_one_is_a_problem() {
    let allowed = config(&[("ALLOWED_REGIONS", " us-east-1 ,eu-west-1")])
        .scope
        .allowed_regions;
    let expected = ["eu-west-1", "us-east-1"].map(String::from).into_iter().collect();
    assert_eq!(allowed, Some(expected));
    assert_eq!(config(&[("ALLOWED_REGIONS", " ")]).scope.allowed_regions, None);
    let bad = config(&[("ALLOWED_REGIONS", "us-east-1,Ireland")]);
    assert_eq!(bad.scope.allowed_regions, None);
    assert!(
        bad.problem
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
            .contains("ALLOWED_REGIONS names 'Ireland'"),
        "the problem names the bad entry"
    );
}

#[test]
fn the_test_only_response_url_prefix_must_be_a_loopback_url() {
    let local = config(&[(TEST_ONLY_RESPONSE_URL_PREFIX, "http://127.0.0.1")]);
    assert_eq!(
        (
            local.response_urls.check("http://127.0.0.1:9/r", "us-east-1"),
            local.problem
        ),
        (Ok(()), None)
    );
    assert!(
        config(&[])
            .response_urls
            .check("http://127.0.0.1:9/r", "us-east-1")
            .is_err()
    );
    let remote = config(&[(TEST_ONLY_RESPONSE_URL_PREFIX, "https://attacker.example/")]);
    assert!(
        remote
            .problem
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
            .starts_with(TEST_ONLY_RESPONSE_URL_PREFIX)
    );
    assert!(
        remote
            .response_urls
            .check("https://attacker.example/x", "us-east-1")
            .is_err()
    );
}

#[tokio::test]
async fn an_unsupported_type_fails_its_create_naming_the_supported_types() {
    // GIVEN an app with no AWS rules
    // WHEN a Create of Custom::Nope arrives
    let answer = TestApp::new().answer(unsupported("create")).await;

    // THEN it fails naming the supported types, with the failed-Create marker as id
    let (physical_id, reason) = failure(answer);
    assert_eq!(
        reason,
        "invalid request: unsupported ResourceType 'Custom::Nope'; mrk-provider serves Custom::ReplicaKey, \
         Custom::CrossRegionParameter, Custom::CrossRegionParameterReader"
    );
    assert_eq!(physical_id, format!("{FAILED_CREATE_PREFIX}{CREATE_REQUEST_ID}"));

    // AND the rollback Delete of that id succeeds without any AWS call
    let mut rollback = unsupported("delete");
    rollback.physical_resource_id = Some(physical_id.clone());
    let outcome = success(TestApp::new().answer(rollback).await);
    assert_eq!(outcome.physical_resource_id, physical_id);
}

#[tokio::test]
async fn a_delete_of_an_unsupported_type_with_a_normal_physical_id_succeeds() {
    // GIVEN a Delete of Custom::Nope whose PhysicalResourceId is an ordinary id
    let mut delete = unsupported("delete");
    delete.physical_resource_id = Some("some-earlier-id".into());

    // WHEN the app handles it
    let outcome = success(TestApp::new().answer(delete).await);

    // THEN it succeeds and keeps the id: nothing of that type was ever created
    assert_eq!(outcome.physical_resource_id, "some-earlier-id");
}

#[tokio::test]
async fn a_bad_response_mode_fails_every_request_without_calling_aws() {
    // GIVEN RESPONSE_MODE=bogus, and no AWS rules (any AWS call would be an internal error)
    let app = TestApp::new().env("RESPONSE_MODE", "bogus");

    // WHEN a Custom::ReplicaKey Create arrives
    let request = Request::parse(&fixture("create")).expect("the fixture parses");
    let (physical_id, reason) = failure(app.answer(request).await);

    // THEN it fails with a reason that names RESPONSE_MODE and its accepted values, before any call
    assert!(reason.starts_with("mrk-provider is misconfigured"), "{reason}");
    assert!(reason.contains("RESPONSE_MODE is 'bogus'"), "{reason}");
    assert!(reason.contains("cloudformation, provider or auto"), "{reason}");
    assert!(!reason.contains("internal error"), "{reason}");
    assert_eq!(physical_id, format!("{FAILED_CREATE_PREFIX}{CREATE_REQUEST_ID}"));
}

#[tokio::test]
async fn a_configuration_problem_does_not_block_the_rollback_of_a_failed_create() {
    // GIVEN a misconfigured PARAMETER_PREFIX, and the rollback Delete of a Create that failed
    let app = TestApp::new().env("PARAMETER_PREFIX", "app/");
    let mut delete = Request::parse(&fixture("delete")).expect("the fixture parses");
    let failed_id = format!("{FAILED_CREATE_PREFIX}{CREATE_REQUEST_ID}");
    delete.physical_resource_id = Some(failed_id.clone());

    // WHEN the app handles it
    let answer = app.answer(delete).await;

    // THEN the rollback still succeeds, so that the stack can roll back once configured
    assert_eq!(success(answer).physical_resource_id, failed_id);
}

#[tokio::test]
async fn a_configuration_problem_fails_an_ordinary_delete_too() {
    // GIVEN a misconfigured PARAMETER_PREFIX, and the Delete of a resource that was created
    let app = TestApp::new().env("PARAMETER_PREFIX", "app/");
    let delete = Request::parse(&fixture("delete")).expect("the fixture parses");

    // WHEN the app handles it
    let answer = app.answer(delete).await;

    // THEN it fails and says why, rather than leaving replicas behind while reporting success
    let Answer::Failed { reason, .. } = answer else {
        panic!("expected FAILED, got {answer:?}");
    };
    assert!(reason.contains("PARAMETER_PREFIX is 'app/'"), "{reason}");
}

#[tokio::test]
async fn a_request_through_the_responder_reaches_the_resource_handler() {
    // GIVEN the responder of an app in provider-framework mode, and a reader Delete (no AWS call)
    let responder = TestApp::new()
        .env("RESPONSE_MODE", "provider")
        .calling_stack("DELETE_IN_PROGRESS", "Custom::CrossRegionParameterReader")
        .responder();
    let mut event = fixture("delete");
    event["ResourceType"] = json!("Custom::CrossRegionParameterReader");

    // WHEN it answers
    let returned = responder
        .respond(lambda_runtime::LambdaEvent::new(event, lambda_context()))
        .await
        .map_err(|err| err.to_string());

    // THEN the reader's Delete answered with the resource's id as the return value
    let value = returned.expect("the Delete succeeds");
    assert_eq!(value["PhysicalResourceId"], fixture("delete")["PhysicalResourceId"]);
}

#[test]
fn assumable_role_arns_are_a_trimmed_list_of_role_arns_and_a_bad_one_is_a_problem() {
    let roles = config(&[(
        "ASSUMABLE_ROLE_ARNS",
        " arn:aws:iam::*:role/a ,,arn:aws:iam::111122223333:role/b",
    )]);
    assert_eq!(
        roles.scope.assumable_role_arns,
        ["arn:aws:iam::*:role/a", "arn:aws:iam::111122223333:role/b"]
    );
    assert!(roles.problem.is_none());
    assert!(
        config(&[("ASSUMABLE_ROLE_ARNS", "")])
            .scope
            .assumable_role_arns
            .is_empty()
    );
    let bad = config(&[("ASSUMABLE_ROLE_ARNS", "arn:aws:iam::*:role/a,*")]);
    assert!(bad.scope.assumable_role_arns.is_empty());
    assert!(
        bad.problem
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
            .contains("ASSUMABLE_ROLE_ARNS names '*'"),
        "the problem names the bad entry"
    );
    // An entry must be an ARN and name a role: each half alone is refused.
    for not_a_role in ["arn:aws:s3:::bucket", "aws:iam::1:role/a"] {
        let bad = config(&[("ASSUMABLE_ROLE_ARNS", not_a_role)]);
        assert!(bad.scope.assumable_role_arns.is_empty(), "{not_a_role}");
        assert!(
            bad.problem
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
                .contains(&format!("names '{not_a_role}', which is not a role ARN")),
            "{not_a_role}"
        );
    }
    let provider = config(&[("PROVIDER_ROLE_ARN", "arn:aws:iam::123456789012:role/p")]);
    assert_eq!(
        provider.scope.provider_role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/p")
    );
}

#[test]
fn the_deployments_trust_choices_are_read_and_a_bad_one_is_a_problem() {
    // Defaults: no bypass, Standard only, no account bound, no ServiceToken parameter
    let default = config(&[]);
    assert!(!default.scope.allow_bypass_lockout_check);
    assert_eq!(default.scope.allowed_tiers, ["Standard".to_string()].into());
    assert_eq!(default.scope.assumable_role_accounts, None);
    assert_eq!(default.scope.service_token_parameter, None);

    let chosen = config(&[
        ("ALLOW_BYPASS_POLICY_LOCKOUT_SAFETY_CHECK", "true"),
        ("ALLOWED_PARAMETER_TIERS", "Standard, Advanced"),
        ("ASSUMABLE_ROLE_ACCOUNTS", "111122223333,444455556666"),
        ("SERVICE_TOKEN_PARAMETER", " /mrk-provider/service-token "),
    ]);
    assert!(chosen.problem.is_none(), "{:?}", chosen.problem);
    assert!(chosen.scope.allow_bypass_lockout_check);
    assert_eq!(
        chosen.scope.allowed_tiers,
        ["Standard".to_string(), "Advanced".to_string()].into()
    );
    assert_eq!(
        chosen.scope.assumable_role_accounts,
        Some(["111122223333".to_string(), "444455556666".to_string()].into())
    );
    assert!(chosen.scope.is_service_token("/mrk-provider/service-token"));
    assert!(!chosen.scope.is_service_token("/mrk-provider/service-token2"));

    for (name, value, problem) in [
        (
            "ALLOW_BYPASS_POLICY_LOCKOUT_SAFETY_CHECK",
            "yes",
            "set it to true or false",
        ),
        (
            "ALLOWED_PARAMETER_TIERS",
            "Standard,Premium",
            "names 'Premium', which is not an SSM tier",
        ),
        (
            "ASSUMABLE_ROLE_ACCOUNTS",
            "1111",
            "names '1111', which is not an account id",
        ),
    ] {
        let bad = config(&[(name, value)]);
        assert!(
            bad.problem
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
                .contains(problem),
            "{name}={value}"
        );
    }
}

#[test]
fn the_metrics_namespace_is_read_and_blank_means_no_metrics() {
    assert_eq!(config(&[]).metrics_namespace, None);
    assert_eq!(config(&[("METRICS_NAMESPACE", "  ")]).metrics_namespace, None);
    assert_eq!(
        config(&[("METRICS_NAMESPACE", " Platform/MrkProvider ")]).metrics_namespace,
        Some("Platform/MrkProvider".to_string())
    );
}

//! `Custom::CrossRegionParameterReader` handler tests on real SDK clients with `aws-smithy-mocks` rules.
//! A call that no rule matches panics inside the handler, which the protocol layer turns into FAILED,
//! so an unexpected call fails the test.

use aws_sdk_ssm::Client;
use aws_sdk_ssm::operation::get_parameters::GetParametersOutput;
use aws_sdk_ssm::types::{Parameter, ParameterType};
use aws_smithy_mocks::{Rule, mock};
use lambda_runtime::LambdaEvent;
use serde_json::{Value, json};

use super::RESOURCE_TYPE;
use crate::protocol::request::FAILED_CREATE_PREFIX;
use crate::protocol::{Answer, Envelope, MAX_RESPONSE_BYTES, render};
use crate::test_support::{Captured, TestApp, event, failure, fixture, lambda_context, success, typed_request};

const LOGICAL_ID: &str = "KeyArnReader";

fn physical_id() -> String {
    format!("{}/{LOGICAL_ID}", fixture("create")["StackId"].as_str().unwrap())
}

fn props(region: &str, names: &[&str], with_decryption: bool) -> Value {
    json!({
        "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:mrk-provider",
        "Region": region,
        "Names": names,
        "WithDecryption": with_decryption.to_string(),
    })
}

fn parameter(name: &str, value: &str, parameter_type: ParameterType) -> Parameter {
    Parameter::builder()
        .name(name)
        .value(value)
        .r#type(parameter_type)
        .version(1)
        .build()
}

/// GetParameters of exactly `names` (in that order) with `with_decryption`, answering `found` and
/// listing the other names as invalid.
fn get(names: &'static [&'static str], with_decryption: bool, found: Vec<Parameter>) -> Rule {
    mock!(Client::get_parameters)
        .match_requests(move |r| r.names() == names && r.with_decryption() == Some(with_decryption))
        .then_output(move || {
            let invalid = names
                .iter()
                .filter(|n| !found.iter().any(|p| p.name.as_deref() == Some(**n)))
                .map(|n| n.to_string())
                .collect();
            GetParametersOutput::builder()
                .set_parameters(Some(found.clone()))
                .set_invalid_parameters(Some(invalid))
                .build()
        })
}

async fn answer(ssm: Vec<(&str, Vec<Rule>)>, request_type: &str, properties: Value) -> Answer {
    let request = typed_request(RESOURCE_TYPE, LOGICAL_ID, request_type, properties, None);
    TestApp::new().ssm_by_region(ssm).answer(request).await
}

#[tokio::test]
async fn two_names_are_read_and_keyed_by_name() {
    // GIVEN two String parameters in us-east-1
    let read = get(
        &["/app/key-arn", "/app/alias"],
        false,
        vec![
            parameter(
                "/app/key-arn",
                "arn:aws:kms:us-east-1:1:key/mrk-1",
                ParameterType::String,
            ),
            parameter("/app/alias", "alias/app-data", ParameterType::String),
        ],
    );
    let properties = props("us-east-1", &["/app/key-arn", "/app/alias"], false);

    // WHEN a reader in another region is created
    let outcome = success(answer(vec![("us-east-1", vec![read.clone()])], "create", properties).await);

    // THEN one GetParameters read both, each value is the attribute of its name, and no Value is set
    assert_eq!(read.num_calls(), 1);
    assert_eq!(outcome.data["/app/key-arn"], "arn:aws:kms:us-east-1:1:key/mrk-1");
    assert_eq!(outcome.data["/app/alias"], "alias/app-data");
    assert_eq!(outcome.data.len(), 2);
    assert!(!outcome.no_echo);
    assert_eq!(outcome.physical_resource_id, physical_id());
}

#[tokio::test]
async fn a_single_name_is_also_the_value_attribute_and_an_update_keeps_the_id() {
    // GIVEN one parameter
    let read = get(
        &["/app/key-arn"],
        false,
        vec![parameter("/app/key-arn", "arn:1", ParameterType::String)],
    );
    // WHEN the reader is updated
    let outcome = success(
        answer(
            vec![("us-east-1", vec![read])],
            "update",
            props("us-east-1", &["/app/key-arn"], false),
        )
        .await,
    );
    // THEN Value and the name both hold the value, and the id is the one CloudFormation sent
    assert_eq!(outcome.data["Value"], "arn:1");
    assert_eq!(outcome.data["/app/key-arn"], "arn:1");
    assert_eq!(outcome.physical_resource_id, fixture("update")["PhysicalResourceId"]);
}

#[tokio::test]
async fn every_missing_name_and_the_region_are_in_one_reason() {
    // GIVEN three names, of which only the second exists
    let read = get(
        &["/app/a", "/app/b", "/app/c"],
        false,
        vec![parameter("/app/b", "2", ParameterType::String)],
    );
    // WHEN the reader is created
    let (physical, reason) = failure(
        answer(
            vec![("eu-west-1", vec![read])],
            "create",
            props("eu-west-1", &["/app/a", "/app/b", "/app/c"], false),
        )
        .await,
    );
    // THEN the reason lists both missing names and the region, and the rollback Delete will call nothing
    assert_eq!(
        reason,
        "parameters not found in eu-west-1: /app/a, /app/c; create them first or fix Names"
    );
    assert!(physical.starts_with(FAILED_CREATE_PREFIX), "{physical}");
}

#[tokio::test(start_paused = true)]
async fn names_are_read_ten_at_a_time() {
    // GIVEN 12 names
    const NAMES: [&str; 12] = [
        "/p/01", "/p/02", "/p/03", "/p/04", "/p/05", "/p/06", "/p/07", "/p/08", "/p/09", "/p/10", "/p/11", "/p/12",
    ];
    let all =
        |names: &[&str]| -> Vec<Parameter> { names.iter().map(|n| parameter(n, "v", ParameterType::String)).collect() };
    let (first, second) = (
        get(
            &[
                "/p/01", "/p/02", "/p/03", "/p/04", "/p/05", "/p/06", "/p/07", "/p/08", "/p/09", "/p/10",
            ],
            false,
            all(&NAMES[..10]),
        ),
        get(&["/p/11", "/p/12"], false, all(&NAMES[10..])),
    );
    // WHEN the reader is created
    let outcome = success(
        answer(
            vec![("eu-west-1", vec![first.clone(), second.clone()])],
            "create",
            props("eu-west-1", &NAMES, false),
        )
        .await,
    );
    // THEN two GetParameters calls read 10 and 2 names
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    assert_eq!(outcome.data.len(), 12);
}

#[tokio::test]
async fn bad_names_and_regions_are_rejected_before_any_call() {
    for (properties, expected) in [
        (props("eu-west-1", &["app/key"], false), "must start with '/'"),
        (props("eu-west-1", &["/aws/key"], false), "SSM reserves"),
        (
            props("eu-west-1", &["/other/key"], false),
            "outside this provider's PARAMETER_PREFIX '/app'",
        ),
        (props("Ireland", &["/app/key"], false), "'Ireland' is not a region name"),
    ] {
        // GIVEN PARAMETER_PREFIX /app and no SSM rules: any call would fail the test
        let app = TestApp::new().env("PARAMETER_PREFIX", "/app");
        let request = typed_request(RESOURCE_TYPE, LOGICAL_ID, "create", properties, None);
        // WHEN the reader is created
        let answer = app.answer(request).await;
        // THEN it fails with the rule broken
        let (_, reason) = failure(answer);
        assert!(reason.contains(expected), "{reason}");
    }
}

#[tokio::test]
async fn delete_makes_no_aws_call() {
    // GIVEN no SSM rules: any call would fail the test
    // WHEN the reader is deleted
    let outcome = success(answer(vec![], "delete", props("eu-west-1", &["/app/key-arn"], true)).await);
    // THEN it succeeds with its id
    assert_eq!(outcome.physical_resource_id, fixture("delete")["PhysicalResourceId"]);
}

#[tokio::test]
async fn values_too_large_for_the_answer_fail_with_a_reason() {
    // GIVEN two values of 3000 bytes, which cannot fit together in a 4096-byte answer
    let big = "x".repeat(3000);
    let read = get(
        &["/app/a", "/app/b"],
        false,
        vec![
            parameter("/app/a", &big, ParameterType::String),
            parameter("/app/b", &big, ParameterType::String),
        ],
    );
    let properties = props("eu-west-1", &["/app/a", "/app/b"], false);
    let answer = answer(vec![("eu-west-1", vec![read])], "create", properties.clone()).await;
    // WHEN the protocol layer renders the answer
    let request = typed_request(RESOURCE_TYPE, LOGICAL_ID, "create", properties, None);
    let rendered = render::render(&Envelope::of(&request), answer, "stream");
    // THEN it is FAILED with a reason about the size, within the limit, and without the values
    let (_, reason) = failure(rendered.answer);
    assert!(reason.contains("over the 4096 bytes"), "{reason}");
    assert!(rendered.body.len() <= MAX_RESPONSE_BYTES);
    assert!(!String::from_utf8_lossy(&rendered.body).contains("xxxx"));
}

#[tokio::test]
async fn a_decrypted_secure_string_sets_no_echo_and_its_value_is_never_logged() {
    // GIVEN a SecureString read with decryption, and the production JSON log format at TRACE for the
    // crate, captured (the handler's task runs on this test's thread, so the default covers it)
    const SECRET: &str = "s3cr3t-db-password-value";
    let read = get(
        &["/app/db-password"],
        true,
        vec![parameter("/app/db-password", SECRET, ParameterType::SecureString)],
    );
    let (captured, _logs) = Captured::logs_of_this_thread();
    let responder = TestApp::new()
        .env("RESPONSE_MODE", "provider")
        .env("DECRYPT_PREFIX", "/app/")
        .ssm("us-east-1", vec![read.clone()])
        .calling_stack("CREATE_IN_PROGRESS", RESOURCE_TYPE)
        .responder();
    let mut payload = event("create", props("us-east-1", &["/app/db-password"], true), None);
    payload["ResourceType"] = json!(RESOURCE_TYPE);
    payload["LogicalResourceId"] = json!(LOGICAL_ID);

    // WHEN the Lambda handler answers the CDK Provider framework
    let returned = responder
        .respond(LambdaEvent::new(payload, lambda_context()))
        .await
        .expect("the reader succeeds");

    // THEN the answer carries the value with NoEcho
    assert_eq!(read.num_calls(), 1);
    assert_eq!(returned["NoEcho"], true);
    assert_eq!(returned["Data"]["Value"], SECRET);
    assert_eq!(returned["Data"]["/app/db-password"], SECRET);
    // AND the logs name the parameter but never show its value
    let logs = captured.text();
    assert!(logs.contains("/app/db-password"), "the logs were captured: {logs}");
    assert!(logs.contains("SUCCESS"), "{logs}");
    assert!(!logs.contains(SECRET), "{logs}");
    // AND every line is JSON naming the request with plain values, the handler's own lines too
    let request_id = fixture("create")["RequestId"].clone();
    for line in logs.lines() {
        let line: Value = serde_json::from_str(line).expect("every log line is JSON");
        assert_eq!(line["span"]["request_id"], request_id, "{line}");
        assert_eq!(line["span"]["request_type"], "Create", "{line}");
        assert_eq!(line["span"]["resource_type"], RESOURCE_TYPE, "{line}");
    }
    assert!(logs.contains("parameters read"), "{logs}");
}

#[tokio::test]
async fn a_region_outside_allowed_regions_is_refused_before_any_call() {
    // GIVEN ALLOWED_REGIONS without eu-west-1, and no SSM rules: any call would fail the test
    let app = TestApp::new().env("ALLOWED_REGIONS", "us-east-1");
    let request = typed_request(
        RESOURCE_TYPE,
        LOGICAL_ID,
        "create",
        props("eu-west-1", &["/app/key-arn"], false),
        None,
    );

    // WHEN the reader is created
    let (_, reason) = failure(app.answer(request).await);

    // THEN the reason names the region and the allowed ones
    assert!(
        reason.starts_with(
            "invalid property 'Region' for Custom::CrossRegionParameterReader: 'eu-west-1' is not one of this \
             provider's AllowedRegions (us-east-1)"
        ),
        "{reason}"
    );
}

#[tokio::test]
async fn more_names_than_the_bound_are_refused_before_any_call_and_before_the_duplicate_check() {
    // GIVEN 501 names, and 40,000, one name repeated
    let many: Vec<String> = (0..501).map(|i| format!("/app/n{i}")).collect();
    let repeated: Vec<String> = vec!["/app/same".to_string(); 40_000];
    for (names, count) in [(many, 501), (repeated, 40_000)] {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        // WHEN a reader of them is created (no rules: any call would fail the test)
        let (_, reason) = failure(answer(vec![], "create", props("eu-west-1", &names, false)).await);
        // THEN the reason names the bound
        assert!(
            reason.ends_with(&format!("{count} names are listed; at most 500 are accepted")),
            "{reason}"
        );
    }
}

#[tokio::test]
async fn decryption_is_refused_before_any_call_without_a_decrypt_prefix_or_outside_it() {
    for (env, names, expected) in [
        (
            None,
            &["/app/db-password"][..],
            "this provider decrypts no SecureStrings (its DecryptPrefix is empty)",
        ),
        (
            Some("/app/secrets/"),
            &["/app/secrets/a", "/app/db-password"][..],
            "'/app/db-password' is outside this provider's DecryptPrefix '/app/secrets/'",
        ),
        (
            Some("/app/secrets"),
            &["/app/secretsX"][..],
            "'/app/secretsX' is outside",
        ),
    ] {
        // GIVEN a DECRYPT_PREFIX (or none) and no SSM rules: any call would fail the test
        let app = env
            .into_iter()
            .fold(TestApp::new(), |app, prefix| app.env("DECRYPT_PREFIX", prefix));
        let request = typed_request(
            RESOURCE_TYPE,
            LOGICAL_ID,
            "create",
            props("eu-west-1", names, true),
            None,
        );

        // WHEN a reader with WithDecryption reads the names
        let (_, reason) = failure(app.answer(request).await);

        // THEN it fails on WithDecryption, naming what is outside
        assert!(
            reason.starts_with("invalid property 'WithDecryption' for Custom::CrossRegionParameterReader: "),
            "{reason}"
        );
        assert!(reason.contains(expected), "{reason}");
    }
}

#[tokio::test]
async fn names_under_the_decrypt_prefix_are_read_with_decryption_and_without_it_anywhere() {
    // GIVEN DECRYPT_PREFIX /app/secrets/
    let (decrypted, plain) = (
        get(
            &["/app/secrets/a"],
            true,
            vec![parameter("/app/secrets/a", "s", ParameterType::SecureString)],
        ),
        get(
            &["/app/other"],
            false,
            vec![parameter("/app/other", "o", ParameterType::String)],
        ),
    );
    let app = || {
        TestApp::new()
            .env("DECRYPT_PREFIX", "/app/secrets/")
            .ssm("eu-west-1", vec![decrypted.clone(), plain.clone()])
    };

    // WHEN one reader decrypts a name under it and another reads a name outside it plainly
    let secret = typed_request(
        RESOURCE_TYPE,
        LOGICAL_ID,
        "create",
        props("eu-west-1", &["/app/secrets/a"], true),
        None,
    );
    let other = typed_request(
        RESOURCE_TYPE,
        LOGICAL_ID,
        "create",
        props("eu-west-1", &["/app/other"], false),
        None,
    );

    // THEN both succeed
    assert_eq!(success(app().answer(secret).await).data["Value"], "s");
    assert_eq!(success(app().answer(other).await).data["Value"], "o");
    assert_eq!((decrypted.num_calls(), plain.num_calls()), (1, 1));
}

#[tokio::test]
async fn no_echo_is_set_only_for_a_secure_string_read_with_decryption() {
    // GIVEN a plain String under the decrypt prefix, and a SecureString read without decryption (its
    // value is then the ciphertext)
    let (plain_decrypted, secure_encrypted) = (
        get(
            &["/app/secrets/plain"],
            true,
            vec![parameter("/app/secrets/plain", "p", ParameterType::String)],
        ),
        get(
            &["/app/secrets/s"],
            false,
            vec![parameter(
                "/app/secrets/s",
                "AQICAH-ciphertext",
                ParameterType::SecureString,
            )],
        ),
    );
    let app = || {
        TestApp::new()
            .env("DECRYPT_PREFIX", "/app/secrets/")
            .ssm("eu-west-1", vec![plain_decrypted.clone(), secure_encrypted.clone()])
    };
    let read = |name: &str, with_decryption: bool| {
        typed_request(
            RESOURCE_TYPE,
            LOGICAL_ID,
            "create",
            props("eu-west-1", &[name], with_decryption),
            None,
        )
    };

    // WHEN each is read THEN neither answer hides its attributes: no secret was decrypted
    assert!(!success(app().answer(read("/app/secrets/plain", true)).await).no_echo);
    assert!(!success(app().answer(read("/app/secrets/s", false)).await).no_echo);
    assert_eq!((plain_decrypted.num_calls(), secure_encrypted.num_calls()), (1, 1));
}

// ---- RoleArn ----

const ROLE: &str = "arn:aws:iam::210987654321:role/mrk-provider-target";

fn with_role(role: &str, external_id: Option<&str>) -> Value {
    let mut properties = props("us-east-1", &["/app/key-arn"], false);
    properties["RoleArn"] = json!(role);
    if let Some(id) = external_id {
        properties["ExternalId"] = json!(id);
    }
    properties
}

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

#[tokio::test]
async fn a_refresh_rereads_and_answers_the_same_until_the_value_changes() {
    // GIVEN a parameter whose value is arn:1, then arn:2
    let first = get(
        &["/app/key-arn"],
        false,
        vec![parameter("/app/key-arn", "arn:1", ParameterType::String)],
    );
    let changed = get(
        &["/app/key-arn"],
        false,
        vec![parameter("/app/key-arn", "arn:2", ParameterType::String)],
    );
    let refresh = |value: &str| {
        let mut properties = props("us-east-1", &["/app/key-arn"], false);
        properties["Refresh"] = json!(value);
        properties
    };

    // WHEN Refresh changes twice over the same value, then once more after the value changed
    let one = success(answer(vec![("us-east-1", vec![first.clone()])], "update", refresh("1")).await);
    let two = success(answer(vec![("us-east-1", vec![first.clone()])], "update", refresh("2")).await);
    let three = success(answer(vec![("us-east-1", vec![changed.clone()])], "update", refresh("3")).await);

    // THEN every refresh read the name; the first two answers are identical, with the same id, and the
    // third carries the new value under that same id
    assert_eq!((first.num_calls(), changed.num_calls()), (2, 1));
    assert_eq!(one, two);
    assert_eq!(three.physical_resource_id, one.physical_resource_id);
    assert_eq!(three.data["Value"], "arn:2");
}

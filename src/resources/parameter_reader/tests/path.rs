//! `Path`: every parameter under a path, page by page, bounded; the same rules as `Names` (the
//! provider's prefix, decryption only under DECRYPT_PREFIX and only for a verified caller, NoEcho).

use aws_sdk_ssm::operation::get_parameters_by_path::GetParametersByPathOutput;

use super::*;
use crate::protocol::MAX_RESPONSE_BYTES;
use crate::resources::parameter_reader::MAX_PARAMETERS_UNDER_PATH;

fn path_props(path: &str, extra: Value) -> Value {
    let mut properties = json!({
        "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:mrk-provider",
        "Region": "eu-west-1",
        "Path": path,
    });
    for (key, value) in extra.as_object().unwrap() {
        properties[key] = value.clone();
    }
    properties
}

/// `count` String parameters named `{path}/p-NNN`, from number `first`, valued `value-NNN`.
fn strings(path: &str, first: usize, count: usize) -> Vec<Parameter> {
    (first..first + count)
        .map(|i| {
            parameter(
                &format!("{path}/p-{i:03}"),
                &format!("value-{i:03}"),
                ParameterType::String,
            )
        })
        .collect()
}

/// GetParametersByPath of `path` with these flags and 10 a page, answering `pages` in turn: each
/// page is its own rule, matched by the NextToken that asks for it, so a call that does not pass the
/// token of the page before finds no rule.
fn by_path(path: &'static str, recursive: bool, with_decryption: bool, pages: Vec<Vec<Parameter>>) -> Vec<Rule> {
    let last = pages.len().saturating_sub(1);
    pages
        .into_iter()
        .enumerate()
        .map(|(page, parameters)| {
            let asked = (page > 0).then(|| format!("page-{page}"));
            let next = (page < last).then(|| format!("page-{}", page + 1));
            mock!(Client::get_parameters_by_path)
                .match_requests(move |r| {
                    r.path() == Some(path)
                        && r.recursive() == Some(recursive)
                        && r.with_decryption() == Some(with_decryption)
                        && r.max_results() == Some(10)
                        && r.next_token() == asked.as_deref()
                })
                .then_output(move || {
                    GetParametersByPathOutput::builder()
                        .set_parameters(Some(parameters.clone()))
                        .set_next_token(next.clone())
                        .build()
                })
        })
        .collect()
}

fn calls(rules: &[Rule]) -> Vec<usize> {
    rules.iter().map(Rule::num_calls).collect()
}

fn create(properties: Value) -> crate::protocol::Request {
    typed_request(RESOURCE_TYPE, LOGICAL_ID, "create", properties, None)
}

#[tokio::test]
async fn every_parameter_under_the_path_is_read_page_by_page_each_under_its_name() {
    // GIVEN 23 parameters under /app/config, which SSM answers in pages of 10
    let pages = by_path(
        "/app/config",
        false,
        false,
        vec![
            strings("/app/config", 0, 10),
            strings("/app/config", 10, 10),
            strings("/app/config", 20, 3),
        ],
    );
    // WHEN a reader reads the path, given with a trailing '/'
    let outcome = success(
        TestApp::new()
            .ssm("eu-west-1", pages.clone())
            .answer(create(path_props("/app/config/", json!({}))))
            .await,
    );
    // THEN each page was asked once, with the token of the one before
    assert_eq!(calls(&pages), [1, 1, 1]);
    // AND every value is an attribute under its full name; no Value, since 23 were read
    assert_eq!(outcome.data.len(), 23);
    assert_eq!(outcome.data["/app/config/p-000"], "value-000");
    assert_eq!(outcome.data["/app/config/p-022"], "value-022");
    assert!(!outcome.data.contains_key("Value"));
    assert!(!outcome.no_echo);
    assert_eq!(outcome.physical_resource_id, physical_id());
}

#[tokio::test]
async fn recursive_is_passed_to_ssm_and_one_parameter_is_also_the_value() {
    // GIVEN one parameter deep under /app, read recursively (Recursive as CloudFormation sends it)
    let deep = by_path(
        "/app",
        true,
        false,
        vec![vec![parameter("/app/a/b/c", "deep", ParameterType::String)]],
    );
    let app = TestApp::new().ssm("eu-west-1", deep.clone());
    // WHEN it is read
    let outcome = success(
        app.answer(create(path_props("/app", json!({"Recursive": "true"}))))
            .await,
    );
    // THEN SSM was asked for every level, and the one value is `Value` too
    assert_eq!(calls(&deep), [1]);
    assert_eq!(outcome.data["/app/a/b/c"], "deep");
    assert_eq!(outcome.data["Value"], "deep");
}

#[tokio::test]
async fn more_parameters_than_the_bound_fail_with_the_count_and_nothing_is_answered() {
    // GIVEN 501 parameters under /app: 50 full pages and one more
    assert_eq!(MAX_PARAMETERS_UNDER_PATH, 500);
    let mut pages: Vec<Vec<Parameter>> = (0..50).map(|page| strings("/app", page * 10, 10)).collect();
    pages.push(strings("/app", 500, 1));
    let rules = by_path("/app", false, false, pages);
    // WHEN a reader reads the path
    let answer = TestApp::new()
        .ssm("eu-west-1", rules.clone())
        .answer(create(path_props("/app", json!({}))))
        .await;
    // THEN it is FAILED with the count, after every page was read once, and no value is answered
    let (_, reason) = failure(answer);
    assert_eq!(
        reason,
        "more than 500 parameters under /app in eu-west-1 (501 read when the provider stopped); read a deeper \
         path, set Recursive to false, or split the values over several readers"
    );
    assert!(calls(&rules).iter().all(|&n| n == 1), "{:?}", calls(&rules));
}

#[tokio::test]
async fn the_bound_stops_the_paging_at_the_first_page_past_it() {
    // GIVEN 60 full pages under /app (600 parameters)
    let rules = by_path(
        "/app",
        false,
        false,
        (0..60).map(|page| strings("/app", page * 10, 10)).collect(),
    );
    // WHEN a reader reads the path
    let answer = TestApp::new()
        .ssm("eu-west-1", rules.clone())
        .answer(create(path_props("/app", json!({}))))
        .await;
    // THEN the 51st page was the last one asked for
    let (_, reason) = failure(answer);
    assert!(reason.contains("(510 read when the provider stopped)"), "{reason}");
    assert_eq!(calls(&rules).iter().sum::<usize>(), 51);
    assert_eq!(rules[51].num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_paging_that_never_ends_fails_after_as_many_pages_as_the_bound_allows() {
    // GIVEN SSM answering every page of /app with no parameter and a token for one more page
    let endless = mock!(Client::get_parameters_by_path)
        .match_requests(|r| r.path() == Some("/app"))
        .then_output(|| {
            GetParametersByPathOutput::builder()
                .set_parameters(Some(vec![]))
                .next_token("again")
                .build()
        });
    // WHEN a reader reads the path
    let answer = TestApp::new()
        .ssm("eu-west-1", vec![endless.clone()])
        .answer(create(path_props("/app", json!({}))))
        .await;
    // THEN it stops after one page more than the bound's and says so, instead of paging forever
    let (_, reason) = failure(answer);
    assert_eq!(
        reason,
        "SSM answered 501 pages of GetParametersByPath under /app in eu-west-1 without a last one; deploy \
         again, and read a deeper path if this repeats"
    );
    assert_eq!(endless.num_calls(), MAX_PARAMETERS_UNDER_PATH + 1);
}

#[tokio::test]
async fn parameters_within_the_bound_but_too_large_to_answer_fail_with_the_count() {
    // GIVEN exactly 500 parameters: within the bound, far over what an answer carries
    let rules = by_path(
        "/app",
        false,
        false,
        (0..50).map(|page| strings("/app", page * 10, 10)).collect(),
    );
    let answer = TestApp::new()
        .ssm("eu-west-1", rules)
        .answer(create(path_props("/app", json!({}))))
        .await;
    let (_, reason) = failure(answer);
    assert!(
        reason.starts_with("the 500 parameters under /app in eu-west-1 make "),
        "{reason}"
    );
    assert!(reason.contains("over the 4096 bytes"), "{reason}");
}

#[tokio::test]
async fn an_empty_path_fails_naming_it_and_the_region() {
    let empty = by_path("/app/none", false, false, vec![vec![]]);
    let answer = TestApp::new()
        .ssm("eu-west-1", empty.clone())
        .answer(create(path_props("/app/none", json!({}))))
        .await;
    let (physical_id, reason) = failure(answer);
    assert_eq!(
        reason,
        "no parameter under /app/none in eu-west-1; create them first or fix Path"
    );
    assert!(physical_id.starts_with(FAILED_CREATE_PREFIX));
    assert_eq!(calls(&empty), [1]);
}

#[tokio::test]
async fn decryption_of_a_path_not_wholly_under_the_decrypt_prefix_is_refused_before_any_call() {
    // GIVEN a provider that decrypts /app/secrets only, and no SSM rule: any call would fail the test
    for path in ["/app", "/app/secret", "/"] {
        let answer = TestApp::new()
            .env("DECRYPT_PREFIX", "/app/secrets/")
            .answer(create(path_props(path, json!({"WithDecryption": "true"}))))
            .await;
        let (_, reason) = failure(answer);
        assert!(
            reason.contains("outside this provider's DecryptPrefix '/app/secrets/'"),
            "{path}: {reason}"
        );
    }
}

#[tokio::test]
async fn a_decrypting_read_of_the_decrypt_prefix_itself_sets_no_echo() {
    // GIVEN the decrypt prefix's own path, holding a SecureString and a String
    let secrets = by_path(
        "/app/secrets",
        true,
        true,
        vec![vec![
            parameter("/app/secrets/db", "s3cr3t", ParameterType::SecureString),
            parameter("/app/secrets/user", "admin", ParameterType::String),
        ]],
    );
    let app = TestApp::new()
        .env("DECRYPT_PREFIX", "/app/secrets/")
        .ssm("eu-west-1", secrets.clone());
    // WHEN it is read with decryption
    let properties = path_props("/app/secrets", json!({"WithDecryption": true, "Recursive": true}));
    let outcome = success(app.answer(create(properties)).await);
    // THEN the values come back hidden by NoEcho
    assert_eq!(calls(&secrets), [1]);
    assert_eq!(outcome.data["/app/secrets/db"], "s3cr3t");
    assert!(outcome.no_echo);
}

#[tokio::test]
async fn no_echo_needs_both_decryption_and_a_secure_string() {
    // GIVEN a String read with decryption, and a SecureString read without it (its value as SSM keeps it,
    // encrypted)
    let plain = by_path(
        "/app/secrets/plain",
        false,
        true,
        vec![vec![parameter(
            "/app/secrets/plain/user",
            "admin",
            ParameterType::String,
        )]],
    );
    let encrypted = by_path(
        "/app/secrets/db",
        false,
        false,
        vec![vec![parameter(
            "/app/secrets/db/password",
            "AQICAH...",
            ParameterType::SecureString,
        )]],
    );
    let app = |rules: &[Rule]| {
        TestApp::new()
            .env("DECRYPT_PREFIX", "/app/secrets/")
            .ssm("eu-west-1", rules.to_vec())
    };
    // WHEN each is read
    let plain_read = success(
        app(&plain)
            .answer(create(path_props(
                "/app/secrets/plain",
                json!({"WithDecryption": true}),
            )))
            .await,
    );
    let encrypted_read = success(
        app(&encrypted)
            .answer(create(path_props("/app/secrets/db", json!({}))))
            .await,
    );
    // THEN neither hides its values: nothing secret was decrypted
    assert_eq!(plain_read.data["/app/secrets/plain/user"], "admin");
    assert!(!plain_read.no_echo);
    assert_eq!(encrypted_read.data["/app/secrets/db/password"], "AQICAH...");
    assert!(!encrypted_read.no_echo);
}

#[tokio::test]
async fn attributes_of_exactly_the_answers_size_are_left_to_the_answers_own_check() {
    // GIVEN one parameter whose attribute, {"/app/p":"..."}, is exactly 4096 bytes of JSON
    let value = "v".repeat(MAX_RESPONSE_BYTES - r#"{"/app/p":""}"#.len());
    let rules = by_path(
        "/app",
        false,
        false,
        vec![vec![parameter("/app/p", &value, ParameterType::String)]],
    );
    // WHEN a reader reads the path
    let answer = TestApp::new()
        .ssm("eu-west-1", rules)
        .answer(create(path_props("/app", json!({}))))
        .await;
    // THEN the reader's own count check (attributes alone over the limit) lets it through: whether the whole
    // answer fits is decided when it is rendered, as for `Names`
    assert_eq!(success(answer).data["/app/p"], value.as_str());
}

#[tokio::test(start_paused = true)]
async fn a_decrypting_path_read_waits_for_the_caller_check_and_a_refused_caller_gets_nothing_decrypted() {
    // GIVEN a resource CloudFormation shows at rest (the caller check refuses it)
    let rules = by_path(
        "/app",
        false,
        true,
        vec![vec![parameter("/app/x", "s3cr3t", ParameterType::SecureString)]],
    );
    let app = |rules: &[Rule]| {
        TestApp::new()
            .env("DECRYPT_PREFIX", "/app/")
            .calling_resource("UPDATE_COMPLETE", None)
            .ssm("eu-west-1", rules.to_vec())
    };
    // WHEN a decrypting path read claims to come from it
    let (_, reason) = failure(
        app(&rules)
            .answer(create(path_props("/app", json!({"WithDecryption": true}))))
            .await,
    );
    // THEN it is refused and nothing was decrypted
    assert!(reason.contains("CloudFormation is not creating the"), "{reason}");
    assert_eq!(calls(&rules), [0]);
}

#[tokio::test]
async fn path_and_names_are_exclusive_and_the_path_is_checked_before_any_call() {
    // GIVEN a provider of /app/ and no SSM rule: any call would fail the test
    let refused = |properties: Value| async move {
        let answer = TestApp::new()
            .env("PARAMETER_PREFIX", "/app/")
            .answer(create(properties))
            .await;
        failure(answer).1
    };
    let both = path_props("/app/x", json!({"Names": ["/app/y"]}));
    assert!(refused(both).await.ends_with("give either Names or Path, not both"));
    let mut neither = path_props("/app/x", json!({}));
    neither.as_object_mut().unwrap().remove("Path");
    assert!(
        refused(neither)
            .await
            .contains("give Names (the parameters to read) or Path")
    );
    let recursive_names = props("eu-west-1", &["/app/y"], false);
    let mut recursive_names = recursive_names;
    recursive_names["Recursive"] = json!("true");
    assert!(refused(recursive_names).await.contains("'Recursive'"));
    for (path, expected) in [
        ("/other", "'/other' is outside this provider's PARAMETER_PREFIX '/app/'"),
        (
            "/application",
            "'/application' is outside this provider's PARAMETER_PREFIX '/app/'",
        ),
        ("/", "'/' is outside this provider's PARAMETER_PREFIX '/app/'"),
        ("app/x", "must start with '/'"),
        ("/app//x", "has an empty level"),
        ("/app/x//", "has an empty level"),
        ("/app/x y", "contains ' '"),
    ] {
        let reason = refused(path_props(path, json!({}))).await;
        assert!(reason.contains(expected), "{path}: {reason}");
        assert!(reason.contains("invalid property 'Path'"), "{path}: {reason}");
    }
}

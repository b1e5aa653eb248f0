//! `WithDecryption`: only under `DECRYPT_PREFIX`, refused before any call elsewhere; `NoEcho` only for
//! a SecureString read decrypted, and its value never logged.

use super::*;

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

use super::*;

fn envelope() -> Envelope {
    Envelope {
        response_url: Some("https://example.invalid/x".into()),
        stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1".into(),
        request_id: "r-1".into(),
        logical_resource_id: "Res".into(),
        physical_resource_id: None,
        service_token: None,
        resource_type: None,
    }
}

fn json(rendered: &Rendered) -> serde_json::Value {
    serde_json::from_slice(&rendered.body).unwrap()
}

#[test]
fn a_success_carries_the_attributes_and_no_echo() {
    let mut outcome = Outcome::id("phys");
    outcome.data.insert("KeyId".into(), "mrk-1".into());
    outcome.no_echo = true;
    let rendered = render(&envelope(), Answer::Success(outcome), "stream");
    let body = json(&rendered);
    assert_eq!(body["Status"], "SUCCESS");
    assert_eq!(body["PhysicalResourceId"], "phys");
    assert_eq!(body["Data"]["KeyId"], "mrk-1");
    assert_eq!(body["NoEcho"], true);
    assert_eq!(
        body["StackId"],
        "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1"
    );
    assert_eq!(body["RequestId"], "r-1");
    assert_eq!(body["LogicalResourceId"], "Res");
}

#[test]
fn a_failure_echoes_the_request_it_answers() {
    let failed = Answer::Failed {
        physical_resource_id: "p".into(),
        reason: "no".into(),
    };
    let body = json(&render(&envelope(), failed, LogLocation::default()));
    assert_eq!(body["Status"], "FAILED");
    assert_eq!(
        body["StackId"],
        "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1"
    );
    assert_eq!(body["RequestId"], "r-1");
    assert_eq!(body["LogicalResourceId"], "Res");
    assert_eq!(body["PhysicalResourceId"], "p");
    assert_eq!(body["Reason"], "no");
}

#[test]
fn the_same_attributes_are_rendered_as_the_same_bytes_in_name_order() {
    // GIVEN an outcome with many attributes
    let mut outcome = Outcome::id("phys");
    for i in (0..40).rev() {
        outcome.data.insert(format!("/app/name-{i:02}"), format!("value {i}"));
    }
    // WHEN it is rendered twice
    let first = render(&envelope(), Answer::Success(outcome.clone()), "stream").body;
    let second = render(&envelope(), Answer::Success(outcome), "stream").body;
    // THEN the bodies are byte-identical, the attributes in name order
    assert_eq!(first, second);
    let text = String::from_utf8(first).unwrap();
    let positions: Vec<usize> = (0..40)
        .map(|i| text.find(&format!("/app/name-{i:02}")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[test]
fn a_response_over_4096_bytes_becomes_failed_and_says_why() {
    let mut outcome = Outcome::id("phys");
    outcome.data.insert("Big".into(), "x".repeat(5000));
    let rendered = render(&envelope(), Answer::Success(outcome), "stream");
    let body = json(&rendered);
    assert_eq!(body["Status"], "FAILED");
    assert_eq!(body["PhysicalResourceId"], "phys");
    assert!(
        body["Reason"].as_str().unwrap().contains("over the 4096 bytes"),
        "{body}"
    );
    assert!(
        body["Data"].as_object().unwrap().is_empty(),
        "no truncated value is sent"
    );
    assert!(rendered.body.len() <= MAX_RESPONSE_BYTES);
}

#[test]
fn a_long_reason_is_cut_to_fit() {
    let failed = Answer::Failed {
        physical_resource_id: "p".into(),
        reason: "é\"".repeat(3000),
    };
    let rendered = render(&envelope(), failed, LogLocation::default());
    assert!(rendered.body.len() <= MAX_RESPONSE_BYTES, "{}", rendered.body.len());
    assert!(json(&rendered)["Reason"].as_str().unwrap().ends_with("..."));
}

const LOGS: LogLocation<'static> = LogLocation {
    group: "/aws/lambda/mrk-provider",
    stream: "2026/12/06/[$LATEST]0123456789abcdef",
};
const POINTER: &str = "See the details in CloudWatch Logs, log group /aws/lambda/mrk-provider, log stream \
                       2026/12/06/[$LATEST]0123456789abcdef";

#[test]
fn a_failed_reason_ends_with_the_log_group_and_stream() {
    // GIVEN a FAILED answer of the function whose logs are in LOGS
    let failed = |reason: &str| Answer::Failed {
        physical_resource_id: "p".into(),
        reason: reason.into(),
    };
    // WHEN it is rendered, THEN its reason is the sentence and then where to look
    let body = json(&render(&envelope(), failed("the key is gone"), LOGS));
    assert_eq!(body["Reason"], format!("the key is gone. {POINTER}"));
    let body = json(&render(&envelope(), failed("the key is gone."), LOGS));
    assert_eq!(body["Reason"], format!("the key is gone. {POINTER}"));
    // AND without a reason, or without a log stream, it says what it knows
    assert_eq!(json(&render(&envelope(), failed(""), LOGS))["Reason"], POINTER);
    let stream_only = json(&render(&envelope(), failed("no"), "s-1"));
    assert_eq!(
        stream_only["Reason"],
        "no. See the details in CloudWatch Logs, log stream s-1"
    );
    assert_eq!(
        json(&render(&envelope(), failed("no"), LogLocation::default()))["Reason"],
        "no"
    );
}

#[test]
fn a_maximal_reason_is_cut_before_the_pointer_which_is_kept_whole() {
    // GIVEN an envelope at its budgets and a reason far over the limit
    let envelope = Envelope {
        stack_id: "s".repeat(STACK_ID_BUDGET),
        request_id: "r".repeat(REQUEST_ID_BUDGET),
        logical_resource_id: "l".repeat(LOGICAL_ID_BUDGET),
        ..envelope()
    };
    let failed = Answer::Failed {
        physical_resource_id: "p".repeat(PHYSICAL_ID_BUDGET),
        reason: "why\"".repeat(2000),
    };
    // WHEN it is rendered
    let rendered = render(&envelope, failed, LOGS);
    // THEN the answer is exactly full, the reason cut, and the pointer whole at its end
    assert!(rendered.body.len() <= MAX_RESPONSE_BYTES, "{}", rendered.body.len());
    assert!(rendered.body.len() >= MAX_RESPONSE_BYTES - 6, "{}", rendered.body.len());
    let reason = json(&rendered)["Reason"].as_str().unwrap().to_string();
    assert!(reason.starts_with("why\""), "{reason}");
    assert!(reason.ends_with(&format!("... {POINTER}")), "{reason}");
}

#[test]
fn a_pointer_too_long_for_its_budget_is_cut_and_the_answer_still_fits() {
    let group = "g".repeat(5000);
    let logs = LogLocation {
        group: &group,
        stream: "s",
    };
    let failed = Answer::Failed {
        physical_resource_id: "p".into(),
        reason: "no".into(),
    };
    let rendered = render(&envelope(), failed, logs);
    assert!(rendered.body.len() <= MAX_RESPONSE_BYTES);
    let reason = json(&rendered)["Reason"].as_str().unwrap().to_string();
    assert!(
        reason.starts_with("no. See the details") && reason.ends_with("..."),
        "{reason}"
    );
}

#[test]
fn a_reason_that_fits_is_sent_whole_and_one_byte_more_is_cut() {
    let logs = LogLocation::default();
    let base = render_failed(&envelope(), "p".into(), String::new(), &logs).body.len();
    let room = MAX_RESPONSE_BYTES - base;
    let exact = render_failed(&envelope(), "p".into(), "r".repeat(room), &logs);
    assert_eq!(exact.body.len(), MAX_RESPONSE_BYTES);
    assert_eq!(json(&exact)["Reason"].as_str().unwrap().len(), room);
    let over = render_failed(&envelope(), "p".into(), "r".repeat(room + 1), &logs);
    assert_eq!(over.body.len(), MAX_RESPONSE_BYTES);
    assert!(json(&over)["Reason"].as_str().unwrap().ends_with("r..."));
}

#[test]
fn envelope_fields_too_long_to_echo_are_cut_and_the_answer_still_fits() {
    // GIVEN an envelope whose echoed fields alone are far over 4096 bytes, in characters that JSON
    // escapes and in characters of four bytes
    let envelope = Envelope {
        stack_id: "\u{1}".repeat(200_000),
        request_id: "\"".repeat(100_000),
        logical_resource_id: "\u{1F600}".repeat(1_000),
        ..envelope()
    };
    // WHEN a FAILED answer with a long reason and a long id is rendered
    let failed = Answer::Failed {
        physical_resource_id: "x".repeat(1 << 20),
        reason: "why".repeat(10_000),
    };
    let rendered = render(&envelope, failed, "stream");
    // THEN it fits, is valid JSON, and keeps a reason
    assert!(rendered.body.len() <= MAX_RESPONSE_BYTES, "{}", rendered.body.len());
    let body = json(&rendered);
    assert_eq!(body["Status"], "FAILED");
    assert!(body["Reason"].as_str().unwrap().starts_with("why"), "{body}");
    assert!(body["LogicalResourceId"].as_str().unwrap().ends_with("\u{1F600}..."));
}

#[test]
fn control_characters_take_six_bytes_and_a_space_one() {
    assert_eq!(json_len('\u{1f}'), 6);
    assert_eq!(json_len('\u{0}'), 6);
    assert_eq!(json_len(' '), 1);
    assert_eq!(json_len('\n'), 2);
    assert_eq!(json_len('é'), 2);
    for c in ['\u{1f}', ' ', '\n', 'é', '"'] {
        assert_eq!(
            json_len(c),
            serde_json::to_string(&c.to_string()).unwrap().len() - 2,
            "{c:?}"
        );
    }
}

#[test]
fn fit_counts_escapes_and_never_splits_a_character() {
    assert_eq!(fit("abc", 3), "abc");
    assert_eq!(fit("abcd", 3), "...");
    assert_eq!(fit("abcde", 4), "a...");
    assert_eq!(fit("ab", 1), "");
    assert_eq!(fit("\"\"", 4), "\"\"");
    assert_eq!(fit("\"\"\"", 5), "\"...");
    assert_eq!(fit("\u{1}x", 7), "\u{1}x");
    assert_eq!(fit("é", 2), "é");
    assert_eq!(fit("éé", 3), "...");
    assert_eq!(fit("aééé", 5), "a...");
}

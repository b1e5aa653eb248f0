//! The settings read from the environment, and the installed subscriber checked in a child process
//! for each format and level (the subscriber is global: once installed it would print every other
//! test's logs).

use super::*;

fn read(vars: &[(&str, &str)]) -> Settings {
    settings(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
}

/// The directives of a filter, in any order.
fn directives(level: Option<&str>) -> Vec<String> {
    let mut found: Vec<String> = filter(level).to_string().split(',').map(str::to_string).collect();
    found.sort();
    found
}

#[test]
fn the_level_applies_to_this_crate_and_anything_else_logs_warnings_only() {
    assert_eq!(
        directives(Some(" DEBUG ")),
        ["bootstrap=debug", "mrk_provider=debug", "warn"]
    );
    assert_eq!(
        directives(Some("trace")),
        ["bootstrap=trace", "mrk_provider=trace", "warn"]
    );
    assert_eq!(
        directives(Some("FATAL")),
        ["bootstrap=error", "mrk_provider=error", "warn"]
    );
    for unknown in [None, Some(""), Some("verbose"), Some("mrk_provider=trace")] {
        assert_eq!(
            directives(unknown),
            ["bootstrap=info", "mrk_provider=info", "warn"],
            "{unknown:?}"
        );
    }
}

#[test]
fn lambdas_log_controls_are_honoured_and_the_projects_own_variables_override_them() {
    // Nothing set: info, JSON (as before Lambda's log controls)
    assert_eq!(
        read(&[]),
        Settings {
            level: "info",
            format: Format::Json
        }
    );
    // Lambda's variables, in any case
    for (value, level) in [
        ("TRACE", "trace"),
        ("Debug", "debug"),
        ("INFO", "info"),
        ("WARN", "warn"),
        ("ERROR", "error"),
        ("FATAL", "error"),
    ] {
        assert_eq!(read(&[("AWS_LAMBDA_LOG_LEVEL", value)]).level, level, "{value}");
    }
    assert_eq!(read(&[("AWS_LAMBDA_LOG_FORMAT", "Text")]).format, Format::Text);
    assert_eq!(read(&[("AWS_LAMBDA_LOG_FORMAT", "JSON")]).format, Format::Json);
    // The project's variables win
    let both = read(&[
        ("AWS_LAMBDA_LOG_LEVEL", "ERROR"),
        ("LOG_LEVEL", "debug"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("LOG_FORMAT", "text"),
    ]);
    assert_eq!(
        both,
        Settings {
            level: "debug",
            format: Format::Text
        }
    );
    // A value that names nothing is passed over
    let bad = read(&[
        ("LOG_LEVEL", "loud"),
        ("AWS_LAMBDA_LOG_LEVEL", "WARN"),
        ("LOG_FORMAT", "xml"),
    ]);
    assert_eq!(
        bad,
        Settings {
            level: "warn",
            format: Format::Json
        }
    );
}

const CHILD: &str = "logging::tests::log_through_the_installed_subscriber";

/// Run by the tests below in a child process, with the environment each gives.
#[test]
#[ignore = "run in a child process by the tests below"]
fn log_through_the_installed_subscriber() {
    init();
    tracing::info!("a line outside any request");
    let span = tracing::info_span!("request", request_id = "cfn-req-1", lambda_request_id = "lambda-req-1");
    let _inside = span.enter();
    tracing::debug!(answer = 42, "a line at debug");
    tracing::info!(answer = 43, "a line at info");
    tracing::warn!("a line at warn");
    tracing::info!(target: "aws_smithy_runtime", "the SDK's chatter at info");
}

/// The lines the child logs with the environment `vars` (others cleared).
fn child_lines(vars: &[(&str, &str)]) -> Vec<String> {
    let mut command = std::process::Command::new(std::env::current_exe().expect("the test binary"));
    command.args([CHILD, "--exact", "--ignored", "--test-threads=1", "--nocapture"]);
    for name in [
        "LOG_LEVEL",
        "LOG_FORMAT",
        "AWS_LAMBDA_LOG_LEVEL",
        "AWS_LAMBDA_LOG_FORMAT",
    ] {
        command.env_remove(name);
    }
    command.envs(vars.iter().copied());
    let output = command.output().expect("the test binary runs again");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.contains("a line"))
        // The harness prints the test's name on the same line, before the first log line.
        .map(|line| line[line.find(|c: char| c == '{' || c.is_ascii_digit()).unwrap_or(0)..].to_string())
        .collect()
}

fn json_lines(vars: &[(&str, &str)]) -> Vec<serde_json::Value> {
    child_lines(vars)
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect()
}

/// `true` when `text` starts with an RFC 3339 UTC time such as 2026-12-06T18:59:00.123456Z.
fn starts_with_a_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() > 20 && bytes[4] == b'-' && bytes[10] == b'T' && text[..30.min(text.len())].contains('Z')
}

#[test]
fn json_lines_carry_a_time_the_level_and_inside_a_request_its_ids() {
    // WHEN the child logs with Lambda's JSON format at DEBUG
    let lines = json_lines(&[("AWS_LAMBDA_LOG_FORMAT", "JSON"), ("AWS_LAMBDA_LOG_LEVEL", "DEBUG")]);
    // THEN every line of this crate is there (the SDK's info line is not), each with a time
    let messages: Vec<&str> = lines.iter().map(|l| l["fields"]["message"].as_str().unwrap()).collect();
    assert_eq!(
        messages,
        [
            "a line outside any request",
            "a line at debug",
            "a line at info",
            "a line at warn"
        ]
    );
    for line in &lines {
        assert!(
            starts_with_a_time(line["timestamp"].as_str().unwrap_or_default()),
            "{line}"
        );
    }
    // AND the lines inside the request name both its ids
    for line in &lines[1..] {
        assert_eq!(line["span"]["request_id"], "cfn-req-1", "{line}");
        assert_eq!(line["span"]["lambda_request_id"], "lambda-req-1", "{line}");
    }
    assert_eq!(lines[1]["level"], "DEBUG");
    assert_eq!(lines[1]["fields"]["answer"], 42);
}

#[test]
fn json_is_the_format_when_none_is_named_and_info_the_level() {
    let lines = json_lines(&[]);
    let levels: Vec<&str> = lines.iter().map(|l| l["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["INFO", "INFO", "WARN"]);
}

#[test]
fn text_lines_carry_a_time_the_level_and_inside_a_request_its_ids() {
    // WHEN the child logs with Lambda's Text format, at WARN overridden by LOG_LEVEL=info
    let lines = child_lines(&[
        ("AWS_LAMBDA_LOG_FORMAT", "Text"),
        ("AWS_LAMBDA_LOG_LEVEL", "WARN"),
        ("LOG_LEVEL", "info"),
    ]);
    // THEN the info and warn lines are plain text, each with a time and, inside the request, its ids
    assert_eq!(lines.len(), 3, "{lines:#?}");
    for line in &lines {
        assert!(serde_json::from_str::<serde_json::Value>(line).is_err(), "{line}");
        assert!(starts_with_a_time(line), "{line}");
    }
    assert!(
        lines[0].contains("INFO") && lines[0].ends_with("a line outside any request"),
        "{}",
        lines[0]
    );
    for line in &lines[1..] {
        assert!(line.contains("request_id=\"cfn-req-1\""), "{line}");
        assert!(line.contains("lambda_request_id=\"lambda-req-1\""), "{line}");
    }
    assert!(lines[1].contains("INFO") && lines[1].contains("a line at info") && lines[1].contains("answer=43"));
    assert!(lines[2].contains("WARN") && lines[2].contains("a line at warn"));
}

#[test]
fn log_format_overrides_lambdas_and_fatal_keeps_only_errors() {
    let lines = child_lines(&[
        ("AWS_LAMBDA_LOG_FORMAT", "Text"),
        ("LOG_FORMAT", "json"),
        ("AWS_LAMBDA_LOG_LEVEL", "FATAL"),
    ]);
    assert!(lines.is_empty(), "{lines:#?}");
    let lines = json_lines(&[("AWS_LAMBDA_LOG_FORMAT", "Text"), ("LOG_FORMAT", "json")]);
    assert_eq!(lines.len(), 3);
}

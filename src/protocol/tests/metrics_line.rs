//! The request's metric line: printed once by the responder, to stdout, when a namespace is set, and
//! never without one. The line is the process's stdout, so a child process (this test binary, run
//! again) answers the requests and the test reads what it printed.

use lambda_runtime::LambdaEvent;
use serde_json::Value;

use super::*;

/// This test's name, as the child runs it.
const CHILD: &str = "protocol::tests::metrics_line::answer_two_requests_one_with_a_metrics_namespace";

/// Run by [`the_responder_prints_one_metric_line_a_request_only_with_a_namespace`] in a child process:
/// a Create through a responder with a namespace, then an Update through one without.
#[tokio::test]
#[ignore = "run in a child process by the test below it"]
async fn answer_two_requests_one_with_a_metrics_namespace() {
    let stub = Stub::new(Behaviour::Succeed);
    let with = Responder::new(stub.clone(), ResponseMode::ProviderFramework, Https::default())
        .with_metrics_namespace(Some("Test/MrkProvider".into()));
    let event = LambdaEvent::new(test_support::fixture("create"), context(FUNCTION_ARN, 0));
    with.respond(event).await.expect("the stub succeeds");
    let without = Responder::new(stub, ResponseMode::ProviderFramework, Https::default());
    let event = LambdaEvent::new(test_support::fixture("update"), context(FUNCTION_ARN, 0));
    without.respond(event).await.expect("the stub succeeds");
}

#[test]
fn the_responder_prints_one_metric_line_a_request_only_with_a_namespace() {
    let output = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args([CHILD, "--exact", "--ignored", "--test-threads=1", "--nocapture"])
        .output()
        .expect("the test binary runs again");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The harness prints the test's name on the same line, before the first line of the test's own.
    let lines: Vec<Value> = stdout
        .lines()
        .filter(|line| line.contains("\"_aws\""))
        .map(|line| serde_json::from_str(&line[line.find('{').unwrap_or(0)..]).expect("a metric line is JSON"))
        .collect();
    assert_eq!(lines.len(), 1, "one line, for the Create only: {stdout}");
    let line = &lines[0];
    assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Test/MrkProvider");
    assert_eq!(line["RequestType"], "Create");
    assert_eq!(line["Outcome"], "SUCCESS");
    assert_eq!(line["RequestId"], CREATE_REQUEST_ID);
    // The stub makes no AWS call.
    assert_eq!(line["AwsCalls"], 0);
}

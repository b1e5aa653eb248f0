//! Structured JSON logs, one event per line, for CloudWatch Logs.

use tracing_subscriber::EnvFilter;

/// The filter for `level` (`LOG_LEVEL`: error, warn, info, debug, trace): that level for this crate,
/// warnings only for the AWS SDK and the runtime, which are chatty at `info`.
pub fn filter(level: Option<&str>) -> EnvFilter {
    let level = match level.map(str::trim).map(str::to_ascii_lowercase).as_deref() {
        Some(level @ ("error" | "warn" | "info" | "debug" | "trace")) => level.to_string(),
        _ => "info".to_string(),
    };
    EnvFilter::new(format!("warn,mrk_provider={level},bootstrap={level}"))
}

/// Installs the JSON subscriber, reading `LOG_LEVEL` from the environment.
pub fn init() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter(std::env::var("LOG_LEVEL").ok().as_deref()))
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for unknown in [None, Some(""), Some("verbose"), Some("mrk_provider=trace")] {
            assert_eq!(
                directives(unknown),
                ["bootstrap=info", "mrk_provider=info", "warn"],
                "{unknown:?}"
            );
        }
    }

    /// Run by [`init_installs_a_json_subscriber_at_log_level`] in a child process: the subscriber is
    /// global, and once installed it would print every other test's logs.
    #[test]
    #[ignore = "run in a child process by the test below it"]
    fn log_through_the_installed_subscriber() {
        init();
        tracing::debug!(answer = 42, "a line at debug");
        tracing::info!(target: "aws_smithy_runtime", "the SDK's chatter at info");
    }

    #[test]
    fn init_installs_a_json_subscriber_at_log_level() {
        let name = "logging::tests::log_through_the_installed_subscriber";
        let output = std::process::Command::new(std::env::current_exe().expect("the test binary"))
            .args([name, "--exact", "--ignored", "--test-threads=1", "--nocapture"])
            .env("LOG_LEVEL", "debug")
            .output()
            .expect("the test binary runs again");
        assert!(output.status.success());
        let stdout = String::from_utf8_lossy(&output.stdout);
        let lines: Vec<serde_json::Value> = stdout
            .lines()
            // The harness prints the test's name on the same line, before the log line.
            .filter_map(|line| serde_json::from_str(&line[line.find('{')?..]).ok())
            .collect();
        // One JSON object a line, at LOG_LEVEL for this crate, without a time (CloudWatch adds it) or
        // a target; the SDK's info line is filtered out.
        assert_eq!(
            lines,
            [serde_json::json!({"level": "DEBUG", "fields": {"message": "a line at debug", "answer": 42}})],
            "{stdout}"
        );
    }
}

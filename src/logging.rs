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

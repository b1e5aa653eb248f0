//! Logs for CloudWatch Logs, one event per line, each with its time and, inside a request, the
//! request's ids (the `request` span's fields: CloudFormation's `request_id` and Lambda's
//! `lambda_request_id`). The level and format follow Lambda's log controls (`AWS_LAMBDA_LOG_LEVEL`,
//! `AWS_LAMBDA_LOG_FORMAT`, which Lambda sets from the function's `LoggingConfig`), and the project's
//! own `LOG_LEVEL` and `LOG_FORMAT` override them.

use tracing_subscriber::EnvFilter;

/// How each line is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object a line: `timestamp`, `level`, `fields`, and `span` with the request's ids. The
    /// default when neither variable names a format, as every release before Lambda's log controls.
    Json,
    /// Plain text: time, level, the request span with its ids, the message and its fields.
    Text,
}

/// The level and format the environment asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The level of this crate's lines: error, warn, info, debug or trace.
    pub level: &'static str,
    /// How lines are written.
    pub format: Format,
}

/// A level's name as [`filter`] takes it: Lambda's TRACE, DEBUG, INFO, WARN, ERROR and FATAL in any
/// case (FATAL is error: nothing here is more severe), else `None`.
fn level(value: &str) -> Option<&'static str> {
    match value.trim().to_ascii_lowercase().as_str() {
        "trace" => Some("trace"),
        "debug" => Some("debug"),
        "info" => Some("info"),
        "warn" | "warning" => Some("warn"),
        "error" | "fatal" => Some("error"),
        _ => None,
    }
}

fn format(value: &str) -> Option<Format> {
    match value.trim().to_ascii_lowercase().as_str() {
        "json" => Some(Format::Json),
        "text" => Some(Format::Text),
        _ => None,
    }
}

/// The settings of the environment read through `var`: `LOG_LEVEL` over `AWS_LAMBDA_LOG_LEVEL`
/// (default info), `LOG_FORMAT` over `AWS_LAMBDA_LOG_FORMAT` (default JSON); a value that names no
/// level or format is passed over.
pub fn settings(var: impl Fn(&str) -> Option<String>) -> Settings {
    let first = |names: [&str; 2]| names.into_iter().filter_map(&var).collect::<Vec<_>>();
    Settings {
        level: first(["LOG_LEVEL", "AWS_LAMBDA_LOG_LEVEL"])
            .iter()
            .find_map(|value| level(value))
            .unwrap_or("info"),
        format: first(["LOG_FORMAT", "AWS_LAMBDA_LOG_FORMAT"])
            .iter()
            .find_map(|value| format(value))
            .unwrap_or(Format::Json),
    }
}

/// The filter for `level` (error, warn, info, debug, trace; Lambda's names in any case): that level
/// for this crate, warnings only for the AWS SDK and the runtime, which are chatty at `info`.
pub fn filter(level_name: Option<&str>) -> EnvFilter {
    let level = level_name.and_then(level).unwrap_or("info");
    EnvFilter::new(format!("warn,mrk_provider={level},bootstrap={level}"))
}

/// Installs the subscriber that the environment's [`settings`] ask for.
pub fn init() {
    let settings = settings(|name| std::env::var(name).ok());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(Some(settings.level)))
        .with_target(false)
        // CloudWatch shows escape codes as they are.
        .with_ansi(false);
    match settings.format {
        Format::Json => builder.json().with_current_span(true).with_span_list(false).init(),
        Format::Text => builder.init(),
    }
}

#[cfg(test)]
mod tests;

//! Turning a handler's result into the JSON body CloudFormation reads, within its 4096-byte limit.

use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceResponse, CloudFormationCustomResourceResponseStatus as Status,
};

use super::handler::Outcome;
use super::request::Envelope;

/// CloudFormation rejects a custom-resource response larger than this.
pub const MAX_RESPONSE_BYTES: usize = 4096;

/// The answer to one request, before it is rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The request succeeded.
    Success(Outcome),
    /// The request failed.
    Failed {
        /// The PhysicalResourceId CloudFormation will use for the rollback.
        physical_resource_id: String,
        /// One readable sentence.
        reason: String,
    },
}

/// The rendered answer: its final status (a SUCCESS too large to send becomes FAILED) and body.
#[derive(Debug)]
pub struct Rendered {
    /// The answer actually sent.
    pub answer: Answer,
    /// The JSON body, at most [`MAX_RESPONSE_BYTES`] long.
    pub body: Vec<u8>,
}

/// Where the function's log lines are: Lambda's `AWS_LAMBDA_LOG_GROUP_NAME` and the invocation's log
/// stream. An answer names them, so that a user goes from the CloudFormation console to the lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogLocation<'a> {
    /// The log group (empty: unknown).
    pub group: &'a str,
    /// The log stream (empty: unknown).
    pub stream: &'a str,
}

impl<'a> From<&'a str> for LogLocation<'a> {
    /// A log stream of an unknown group.
    fn from(stream: &'a str) -> Self {
        LogLocation { group: "", stream }
    }
}

impl LogLocation<'_> {
    /// The sentence that ends a FAILED reason: where to look. Empty when nothing is known.
    pub fn pointer(&self) -> String {
        match (self.group.trim(), self.stream.trim()) {
            ("", "") => String::new(),
            ("", stream) => format!("See the details in CloudWatch Logs, log stream {stream}"),
            (group, "") => format!("See the details in CloudWatch Logs, log group {group}"),
            (group, stream) => format!("See the details in CloudWatch Logs, log group {group}, log stream {stream}"),
        }
    }
}

/// Renders the JSON body CloudFormation reads, keeping it within [`MAX_RESPONSE_BYTES`]: attributes
/// that do not fit turn the answer into FAILED (never a silently cut value); a long reason is cut,
/// and a FAILED reason always ends with where the logs are ([`LogLocation::pointer`]).
pub fn render<'a>(envelope: &Envelope, answer: Answer, logs: impl Into<LogLocation<'a>>) -> Rendered {
    let logs = logs.into();
    match answer {
        Answer::Success(outcome) => {
            let reason = format!("See the details in CloudWatch Log Stream: {}", logs.stream);
            let body = to_json(
                envelope,
                Status::Success,
                &outcome.physical_resource_id,
                &reason,
                &outcome,
            );
            if body.len() <= MAX_RESPONSE_BYTES {
                return Rendered {
                    answer: Answer::Success(outcome),
                    body,
                };
            }
            let reason = format!(
                "the resource's attributes make a {}-byte response, over the {MAX_RESPONSE_BYTES} bytes \
                 CloudFormation accepts; split the values over several resources",
                body.len()
            );
            render_failed(envelope, outcome.physical_resource_id, reason, &logs)
        }
        Answer::Failed {
            physical_resource_id,
            reason,
        } => render_failed(envelope, physical_resource_id, reason, &logs),
    }
}

/// The most bytes of JSON that each echoed field may take in a rendered answer. CloudFormation never
/// sends longer ones (the responder refuses such events before rendering, see [`Envelope::oversized`]);
/// here they bound what rendering can produce, so that any envelope leaves room for a reason.
const STACK_ID_BUDGET: usize = 640;
const REQUEST_ID_BUDGET: usize = 320;
const LOGICAL_ID_BUDGET: usize = 320;
const PHYSICAL_ID_BUDGET: usize = 1100;
/// The most bytes the logs' pointer may take (Lambda's log group and stream names are far shorter).
const POINTER_BUDGET: usize = 600;

/// Renders a FAILED answer in one pass: the envelope and id cut to their budgets if they exceed them,
/// then the reason cut to the room that the logs' pointer leaves; the pointer is never cut.
fn render_failed(envelope: &Envelope, physical_resource_id: String, reason: String, logs: &LogLocation) -> Rendered {
    let envelope = Envelope {
        stack_id: fit(&envelope.stack_id, STACK_ID_BUDGET),
        request_id: fit(&envelope.request_id, REQUEST_ID_BUDGET),
        logical_resource_id: fit(&envelope.logical_resource_id, LOGICAL_ID_BUDGET),
        ..Envelope::default()
    };
    let physical_resource_id = fit(&physical_resource_id, PHYSICAL_ID_BUDGET);
    let failed = |reason: &str| {
        to_json(
            &envelope,
            Status::Failed,
            &physical_resource_id,
            reason,
            &Outcome::default(),
        )
    };
    let room = MAX_RESPONSE_BYTES.saturating_sub(failed("").len());
    let pointer = fit(&logs.pointer(), POINTER_BUDGET);
    let reason = match (reason.trim_end(), pointer.as_str()) {
        (reason, "") => fit(reason, room),
        ("", pointer) => pointer.to_string(),
        (reason, pointer) => {
            let separator = if reason.ends_with('.') { " " } else { ". " };
            let tail = format!("{separator}{pointer}");
            // The budgets above leave the reason hundreds of bytes beside the longest pointer: never cut to
            // nothing.
            let kept = fit(reason, room.saturating_sub(tail.chars().map(json_len).sum()));
            format!("{kept}{tail}")
        }
    };
    let body = failed(&reason);
    Rendered {
        answer: Answer::Failed {
            physical_resource_id,
            reason,
        },
        body,
    }
}

/// `text` unchanged when its JSON string (escapes included, quotes not) takes at most `budget` bytes;
/// else its longest beginning that fits with `...` after it. One pass over at most `budget` characters.
fn fit(text: &str, budget: usize) -> String {
    const ELLIPSIS: &str = "...";
    let mut used = 0;
    let mut cut_at = None;
    for (at, c) in text.char_indices() {
        if used + ELLIPSIS.len() <= budget {
            cut_at = Some(at);
        }
        used += json_len(c);
        if used > budget {
            return match cut_at {
                Some(end) => format!("{}{ELLIPSIS}", &text[..end]),
                None => String::new(),
            };
        }
    }
    text.to_string()
}

/// How many bytes `c` takes inside a JSON string as serde_json writes it.
fn json_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

fn to_json(envelope: &Envelope, status: Status, physical_id: &str, reason: &str, outcome: &Outcome) -> Vec<u8> {
    let mut response = CloudFormationCustomResourceResponse::default();
    response.status = status;
    response.reason = Some(reason.to_string());
    response.physical_resource_id = physical_id.to_string();
    response.stack_id = envelope.stack_id.clone();
    response.request_id = envelope.request_id.clone();
    response.logical_resource_id = envelope.logical_resource_id.clone();
    response.no_echo = outcome.no_echo;
    response.data = outcome.data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    // Serializing a struct of strings and a bool cannot fail; an empty body would be refused loudly.
    let Ok(mut body) = serde_json::to_value(&response) else {
        return Vec::new();
    };
    // The response type holds `Data` in a HashMap, whose order changes from one answer to the next;
    // written in name order, the same attributes are the same bytes every time (a `Refresh` whose
    // values did not change answers exactly what it answered before).
    if let Some(data) = body.get_mut("Data") {
        *data = serde_json::Value::Object(
            outcome
                .data
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect(),
        );
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests;

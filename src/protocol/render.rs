//! Turning a handler's result into the JSON body CloudFormation reads, within its 4096-byte limit.

use std::collections::BTreeMap;

use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceResponse, CloudFormationCustomResourceResponseStatus as Status,
};

use super::request::Envelope;

/// CloudFormation rejects a custom-resource response larger than this.
pub const MAX_RESPONSE_BYTES: usize = 4096;

/// What a resource handler returns when it succeeds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// The resource's PhysicalResourceId.
    pub physical_resource_id: String,
    /// The attributes that `Fn::GetAtt` reads.
    pub data: BTreeMap<String, String>,
    /// Hide `data` from `describe-stack-events` and the console (for secret values).
    pub no_echo: bool,
}

impl Outcome {
    /// A successful answer with no attributes.
    pub fn id(physical_resource_id: impl Into<String>) -> Self {
        Outcome {
            physical_resource_id: physical_resource_id.into(),
            ..Outcome::default()
        }
    }
}

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

/// Renders the JSON body CloudFormation reads, keeping it within [`MAX_RESPONSE_BYTES`]: attributes
/// that do not fit turn the answer into FAILED (never a silently cut value); a long reason is cut.
pub fn render(envelope: &Envelope, answer: Answer, log_stream: &str) -> Rendered {
    match answer {
        Answer::Success(outcome) => {
            let reason = format!("See the details in CloudWatch Log Stream: {log_stream}");
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
            render_failed(envelope, outcome.physical_resource_id, reason)
        }
        Answer::Failed {
            physical_resource_id,
            reason,
        } => render_failed(envelope, physical_resource_id, reason),
    }
}

fn render_failed(envelope: &Envelope, physical_resource_id: String, mut reason: String) -> Rendered {
    loop {
        let body = to_json(
            envelope,
            Status::Failed,
            &physical_resource_id,
            &reason,
            &Outcome::default(),
        );
        let excess = body.len().saturating_sub(MAX_RESPONSE_BYTES);
        if excess == 0 || reason.is_empty() {
            return Rendered {
                answer: Answer::Failed {
                    physical_resource_id,
                    reason,
                },
                body,
            };
        }
        reason = cut(&reason, reason.len().saturating_sub(excess + 3));
    }
}

/// The first `max_bytes` of `text` (on a character boundary) followed by `...`.
fn cut(text: &str, max_bytes: usize) -> String {
    let mut end = max_bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
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
    serde_json::to_vec(&response).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> Envelope {
        Envelope {
            response_url: Some("https://example.invalid/x".into()),
            stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1".into(),
            request_id: "r-1".into(),
            logical_resource_id: "Res".into(),
            physical_resource_id: None,
            service_token: None,
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
        assert_eq!(body["RequestId"], "r-1");
        assert_eq!(body["LogicalResourceId"], "Res");
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
        let rendered = render(&envelope(), failed, "stream");
        assert!(rendered.body.len() <= MAX_RESPONSE_BYTES, "{}", rendered.body.len());
        assert!(json(&rendered)["Reason"].as_str().unwrap().ends_with("..."));
    }
}

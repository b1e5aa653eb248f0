//! `Custom::CrossRegionParameterReader` handler tests on real SDK clients with `aws-smithy-mocks` rules.
//! A call that no rule matches panics inside the handler, which the protocol layer turns into FAILED,
//! so an unexpected call fails the test.

use aws_sdk_ssm::Client;
use aws_sdk_ssm::operation::get_parameters::GetParametersOutput;
use aws_sdk_ssm::types::{Parameter, ParameterType};
use aws_smithy_mocks::{Rule, mock};
use lambda_runtime::LambdaEvent;
use serde_json::{Value, json};

use super::RESOURCE_TYPE;
use crate::protocol::request::FAILED_CREATE_PREFIX;
use crate::protocol::{Answer, Envelope, MAX_RESPONSE_BYTES, render};
use crate::test_support::{Captured, TestApp, event, failure, fixture, lambda_context, success, typed_request};

const LOGICAL_ID: &str = "KeyArnReader";

fn physical_id() -> String {
    format!("{}/{LOGICAL_ID}", fixture("create")["StackId"].as_str().unwrap())
}

fn props(region: &str, names: &[&str], with_decryption: bool) -> Value {
    json!({
        "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:mrk-provider",
        "Region": region,
        "Names": names,
        "WithDecryption": with_decryption.to_string(),
    })
}

fn parameter(name: &str, value: &str, parameter_type: ParameterType) -> Parameter {
    Parameter::builder()
        .name(name)
        .value(value)
        .r#type(parameter_type)
        .version(1)
        .build()
}

/// GetParameters of exactly `names` (in that order) with `with_decryption`, answering `found` and
/// listing the other names as invalid.
fn get(names: &'static [&'static str], with_decryption: bool, found: Vec<Parameter>) -> Rule {
    mock!(Client::get_parameters)
        .match_requests(move |r| r.names() == names && r.with_decryption() == Some(with_decryption))
        .then_output(move || {
            let invalid = names
                .iter()
                .filter(|n| !found.iter().any(|p| p.name.as_deref() == Some(**n)))
                .map(|n| n.to_string())
                .collect();
            GetParametersOutput::builder()
                .set_parameters(Some(found.clone()))
                .set_invalid_parameters(Some(invalid))
                .build()
        })
}

async fn answer(ssm: Vec<(&str, Vec<Rule>)>, request_type: &str, properties: Value) -> Answer {
    let request = typed_request(RESOURCE_TYPE, LOGICAL_ID, request_type, properties, None);
    TestApp::new().ssm_by_region(ssm).answer(request).await
}

const ROLE: &str = "arn:aws:iam::210987654321:role/mrk-provider-target";

fn with_role(role: &str, external_id: Option<&str>) -> Value {
    let mut properties = props("us-east-1", &["/app/key-arn"], false);
    properties["RoleArn"] = json!(role);
    if let Some(id) = external_id {
        properties["ExternalId"] = json!(id);
    }
    properties
}

mod decryption;
mod path;
mod reads;
mod refusals;
mod role_arn;

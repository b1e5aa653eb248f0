//! The CloudFormation custom-resource request, parsed with `aws_lambda_events` and flattened into
//! one struct that handlers read.

use aws_lambda_events::event::cloudformation::CloudFormationCustomResourceRequest as CfnRequest;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::Error;

/// Prefix of the PhysicalResourceId answered for a Create that failed before changing anything. The
/// rollback Delete that follows recognises it and succeeds without calling AWS.
pub const FAILED_CREATE_PREFIX: &str = "mrk-provider:failed-create:";

/// Which lifecycle operation CloudFormation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestType {
    /// A new resource.
    Create,
    /// Changed properties of an existing resource.
    Update,
    /// Removal of the resource (also the rollback of a failed Create).
    Delete,
}

impl RequestType {
    /// The name CloudFormation uses: `Create`, `Update` or `Delete`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestType::Create => "Create",
            RequestType::Update => "Update",
            RequestType::Delete => "Delete",
        }
    }
}

/// One custom-resource request.
#[derive(Debug, Clone)]
pub struct Request {
    /// Create, Update or Delete.
    pub request_type: RequestType,
    /// CloudFormation's id of this request (the same on a re-delivery).
    pub request_id: String,
    /// ARN of the stack.
    pub stack_id: String,
    /// The resource's logical id in the template.
    pub logical_resource_id: String,
    /// `Custom::ReplicaKey`, ...
    pub resource_type: String,
    /// Pre-signed S3 URL for the answer. Secret: log it only through
    /// [`super::response_url::redact_url`].
    pub response_url: String,
    /// The id answered by Create; absent on Create.
    pub physical_resource_id: Option<String>,
    /// The new properties.
    pub properties: Map<String, Value>,
    /// The properties before an Update.
    pub old_properties: Option<Map<String, Value>>,
}

impl Request {
    /// Parses a Lambda event as a CloudFormation custom-resource request.
    pub fn parse(event: &Value) -> Result<Self, Error> {
        let parsed = CfnRequest::deserialize(event).map_err(|err| Error::NotARequest {
            detail: err.to_string(),
        })?;
        let request = match parsed {
            CfnRequest::Create(r) => Request {
                request_type: RequestType::Create,
                request_id: r.request_id,
                stack_id: r.stack_id,
                logical_resource_id: r.logical_resource_id,
                resource_type: r.resource_type,
                response_url: r.response_url,
                physical_resource_id: None,
                properties: object("ResourceProperties", r.resource_properties)?,
                old_properties: None,
            },
            CfnRequest::Update(r) => Request {
                request_type: RequestType::Update,
                request_id: r.request_id,
                stack_id: r.stack_id,
                logical_resource_id: r.logical_resource_id,
                resource_type: r.resource_type,
                response_url: r.response_url,
                physical_resource_id: Some(r.physical_resource_id),
                properties: object("ResourceProperties", r.resource_properties)?,
                old_properties: Some(object("OldResourceProperties", r.old_resource_properties)?),
            },
            CfnRequest::Delete(r) => Request {
                request_type: RequestType::Delete,
                request_id: r.request_id,
                stack_id: r.stack_id,
                logical_resource_id: r.logical_resource_id,
                resource_type: r.resource_type,
                response_url: r.response_url,
                physical_resource_id: Some(r.physical_resource_id),
                properties: object("ResourceProperties", r.resource_properties)?,
                old_properties: None,
            },
            _ => {
                return Err(Error::UnknownRequestType);
            }
        };
        Ok(request)
    }

    /// `ResourceProperties.ServiceToken`, the ARN of the function the template points at.
    pub fn service_token(&self) -> Option<&str> {
        self.properties.get("ServiceToken").and_then(Value::as_str)
    }

    /// `true` for the Delete that rolls back a Create which failed before changing anything.
    pub fn deletes_a_failed_create(&self) -> bool {
        self.request_type == RequestType::Delete
            && self
                .physical_resource_id
                .as_deref()
                .is_some_and(|id| id.starts_with(FAILED_CREATE_PREFIX))
    }

    /// The PhysicalResourceId to answer with when this request fails: the one CloudFormation knows,
    /// or for a Create, `claimed` (the id a handler claimed before it changed anything) or the marker.
    pub fn failed_physical_id(&self, claimed: Option<String>) -> String {
        self.physical_resource_id
            .clone()
            .or(claimed)
            .unwrap_or_else(|| format!("{FAILED_CREATE_PREFIX}{}", self.request_id))
    }
}

fn object(field: &'static str, value: Value) -> Result<Map<String, Value>, Error> {
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err(Error::NotAnObject { field }),
    }
}

/// The longest `StackId` CloudFormation sends: an ARN with a stack name of at most 128 characters and
/// a UUID is about 250 bytes.
pub const MAX_STACK_ID_BYTES: usize = 512;
/// The longest `RequestId`: CloudFormation and the CDK Provider framework send a 36-character UUID.
pub const MAX_REQUEST_ID_BYTES: usize = 256;
/// The longest `LogicalResourceId`: a template's logical ids have at most 255 characters.
pub const MAX_LOGICAL_ID_BYTES: usize = 255;
/// The longest `PhysicalResourceId`: CloudFormation accepts at most 1 KB.
pub const MAX_PHYSICAL_ID_BYTES: usize = 1024;
/// The longest `ResourceType`: a custom resource type name has at most 60 characters.
pub const MAX_RESOURCE_TYPE_BYTES: usize = 256;

/// What can be read from an event that failed to parse, so that a FAILED answer can still be sent.
#[derive(Debug, Default, Clone)]
pub struct Envelope {
    /// `ResponseURL`, if the event has one.
    pub response_url: Option<String>,
    /// `StackId`.
    pub stack_id: String,
    /// `RequestId`.
    pub request_id: String,
    /// `LogicalResourceId`.
    pub logical_resource_id: String,
    /// `PhysicalResourceId`, when the event has one.
    pub physical_resource_id: Option<String>,
    /// `ResourceProperties.ServiceToken`.
    pub service_token: Option<String>,
    /// `ResourceType`, when the event has one; logged with every line of the request.
    pub resource_type: Option<String>,
}

impl Envelope {
    /// Picks the fields an answer needs out of any JSON value.
    pub fn salvage(event: &Value) -> Self {
        let text = |key: &str| event.get(key).and_then(Value::as_str).map(str::to_string);
        Envelope {
            response_url: text("ResponseURL"),
            resource_type: text("ResourceType"),
            stack_id: text("StackId").unwrap_or_default(),
            request_id: text("RequestId").unwrap_or_default(),
            logical_resource_id: text("LogicalResourceId").unwrap_or_default(),
            physical_resource_id: text("PhysicalResourceId"),
            service_token: event
                .get("ResourceProperties")
                .and_then(|p| p.get("ServiceToken"))
                .and_then(Value::as_str)
                // CloudFormation also sends it at the top level, which survives broken properties.
                .or_else(|| event.get("ServiceToken").and_then(Value::as_str))
                .map(str::to_string),
        }
    }

    /// Which echoed field, if any, is longer than CloudFormation ever sends, so that no answer
    /// CloudFormation accepts could echo it: a phrase naming the field and its length.
    pub fn oversized(&self) -> Option<String> {
        let fields = [
            ("StackId", self.stack_id.len(), MAX_STACK_ID_BYTES),
            ("RequestId", self.request_id.len(), MAX_REQUEST_ID_BYTES),
            (
                "LogicalResourceId",
                self.logical_resource_id.len(),
                MAX_LOGICAL_ID_BYTES,
            ),
            (
                "PhysicalResourceId",
                self.physical_resource_id.as_ref().map_or(0, String::len),
                MAX_PHYSICAL_ID_BYTES,
            ),
            (
                "ResponseURL",
                self.response_url.as_ref().map_or(0, String::len),
                super::response_url::MAX_URL_BYTES,
            ),
            (
                "ResourceType",
                self.resource_type.as_ref().map_or(0, String::len),
                MAX_RESOURCE_TYPE_BYTES,
            ),
        ];
        fields
            .into_iter()
            .find(|(_, len, max)| len > max)
            .map(|(field, len, max)| format!("its {field} is {len} bytes long; CloudFormation sends at most {max}"))
    }

    /// The envelope of a request that did parse.
    pub fn of(request: &Request) -> Self {
        Envelope {
            response_url: Some(request.response_url.clone()),
            resource_type: Some(request.resource_type.clone()),
            stack_id: request.stack_id.clone(),
            request_id: request.request_id.clone(),
            logical_resource_id: request.logical_resource_id.clone(),
            physical_resource_id: request.physical_resource_id.clone(),
            service_token: request.service_token().map(str::to_string),
        }
    }
}

#[cfg(test)]
mod tests;

//! The resource types, one module each, and what they share: property decoding, the ownership rules
//! (SPEC section 2) and the parameter-name rules. A resource handler gets a [`Context`] and returns an
//! [`Outcome`] or an [`Error`]; it never sees how the answer is delivered.

pub mod context;
pub mod cross_region_parameter;
pub mod ownership;
pub mod parameter_names;
pub mod parameter_reader;
pub mod properties;
pub mod replica_key;

pub use context::{Context, Scope};

use crate::Error;
use crate::protocol::{Outcome, RequestType};

/// The resource types this provider serves.
pub const SUPPORTED_TYPES: [&str; 3] = [
    replica_key::RESOURCE_TYPE,
    cross_region_parameter::RESOURCE_TYPE,
    parameter_reader::RESOURCE_TYPE,
];

/// Runs the handler of the request's resource type.
pub async fn dispatch(cx: Context<'_>) -> Result<Outcome, Error> {
    let request = cx.request();
    match request.resource_type.as_str() {
        replica_key::RESOURCE_TYPE => replica_key::handle(cx).await,
        cross_region_parameter::RESOURCE_TYPE => cross_region_parameter::handle(cx).await,
        parameter_reader::RESOURCE_TYPE => parameter_reader::handle(cx).await,
        // Nothing of an unsupported type was ever created, so there is nothing to delete.
        _ if request.request_type == RequestType::Delete => {
            Ok(Outcome::id(request.physical_resource_id.clone().unwrap_or_default()))
        }
        other => Err(Error::InvalidRequest(format!(
            "unsupported ResourceType '{other}'; mrk-provider serves {}",
            SUPPORTED_TYPES.join(", ")
        ))),
    }
}

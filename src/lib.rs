//! mrk-provider: a CloudFormation custom-resource provider that replicates multi-Region KMS keys into
//! other regions and moves values across regions through SSM Parameter Store.
//!
//! The crate is laid out the way a request flows:
//! - [`protocol`]: the CloudFormation custom-resource protocol (parse, dispatch, deadline, respond).
//!   Resource handlers never see `ResponseURL`; they return an [`protocol::Outcome`] or an [`Error`].
//! - [`resources`]: one module per resource type (`Custom::ReplicaKey`, ...).
//! - [`aws`]: every AWS call, one small function per operation, with typed error handling.
//! - [`https`]: the one HTTPS connector that the AWS clients and the answers share.
#![warn(missing_docs)]

pub mod aws;
pub mod error;
pub mod https;
pub mod logging;
pub mod protocol;
pub mod region;
pub mod resources;
#[cfg(test)]
mod test_support;

pub use error::Error;
pub use protocol::Provider;

//! mrk-provider: a CloudFormation custom-resource provider that replicates multi-Region KMS keys into
//! other regions and moves values across regions through SSM Parameter Store.
//!
//! The modules depend one way, top to bottom:
//! - [`app`]: the wiring of a Lambda process (configuration, clients, HTTPS) into the responder.
//! - [`protocol`]: the CloudFormation custom-resource protocol (parse, deadline guard, render,
//!   deliver), generic over the handler it runs; it knows no resource and no AWS client.
//! - [`resources`]: the handler the protocol runs ([`resources::ResourceHandler`]: the caller check
//!   beside the dispatch on `ResourceType`), and one module per resource type (`Custom::ReplicaKey`,
//!   ...), each returning an [`protocol::Outcome`] or an [`Error`].
//! - [`aws`]: every AWS call, one small function per operation, with typed error handling.
//! - Leaves: [`progress`] (what a handler is doing), [`metrics`] (what a request cost), [`error`],
//!   [`region`], [`https`], [`logging`].
#![warn(missing_docs)]

pub mod app;
pub mod aws;
pub mod error;
pub mod https;
pub mod logging;
pub mod metrics;
pub mod progress;
pub mod protocol;
pub mod region;
pub mod resources;
#[cfg(test)]
mod test_support;

pub use error::Error;

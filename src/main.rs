//! The Lambda entry point: logs, shared clients, and the runtime loop. Everything else is in the library.

use std::sync::Arc;

use lambda_runtime::{run, service_fn};
use mrk_provider::{Provider, protocol};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mrk_provider::logging::init();
    let provider = Arc::new(Provider::from_env().await);
    run(service_fn(move |event| protocol::handle(provider.clone(), event))).await
}

//! The Lambda entry point: logs, shared clients, and the runtime loop. Everything else is in the library.

use std::sync::Arc;

use lambda_runtime::{run, service_fn};
use mrk_provider::{Provider, protocol};

// One thread runs everything: a request is waiting on AWS almost all of its time, and every AWS call
// and region is still concurrent. Cold invocations on the benchmark machine took 0.7 to 2.7 ms less than
// with a worker thread per CPU (fewer threads to start, no waking of one thread by another); the TLS
// setup still runs on a thread of its own (`Https::prepare_in_background`).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    mrk_provider::logging::init();
    let provider = Arc::new(Provider::from_env().await);
    run(service_fn(move |event| protocol::handle(provider.clone(), event))).await
}

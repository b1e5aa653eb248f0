//! The Lambda entry point: logs, the process's responder, and the runtime loop. Everything else is in
//! the library.

use std::sync::Arc;

use lambda_runtime::{Runtime, layers::TracingLayer, service_fn};
use mrk_provider::app;
use mrk_provider::protocol::raw_event::SalvageLayer;

// One thread runs everything: a request waits on AWS almost all of its time, every AWS call and region
// is still concurrent, and a 128 MB Lambda has a fraction of one CPU, so more threads would only add
// start-up and wake-up work (docs/benchmarks.md). The TLS setup runs on a thread of its own
// (`Https::prepare_in_background`).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    mrk_provider::logging::init();
    let responder = Arc::new(app::responder_from_env().await);
    let handler = service_fn(move |event| {
        let responder = responder.clone();
        async move { responder.respond(event).await }
    });
    // As `lambda_runtime::run`, with a payload that is not JSON salvaged before it is deserialized.
    Runtime::new(handler)
        .layer(SalvageLayer)
        .layer(TracingLayer::new())
        .run()
        .await
}

//! The deadline guard: runs a handler in its own task, so that neither a panic nor a hung AWS call can
//! keep the request from being answered before the Lambda deadline.

use std::sync::Arc;

use tracing::{Instrument, error, info, warn};

use super::deadline::Deadline;
use super::handler::{Handler, Invocation, Outcome};
use super::render::Answer;
use super::request::Request;
use crate::progress::Progress;

/// Runs `handler` on `request`, received by the function `function_arn`, until the deadline's work
/// limit, and turns what happened into an [`Answer`]: the handler's outcome or error, an internal error
/// for a panic, or a timeout that says what was in progress.
pub async fn run<H: Handler>(handler: Arc<H>, request: Request, function_arn: &str, deadline: Deadline) -> Answer {
    if request.deletes_a_failed_create() {
        info!("the Create this Delete rolls back failed before changing anything; nothing to delete");
        return Answer::Success(Outcome::id(request.failed_physical_id(None)));
    }
    let invocation = Arc::new(Invocation {
        request,
        function_arn: function_arn.to_string(),
        progress: Progress::default(),
    });
    // The task carries the request's span, so that the handler's own log lines name the request too,
    // and its metric counters, so that its AWS calls count for it.
    let mut task = tokio::spawn(crate::metrics::carried(
        {
            let invocation = invocation.clone();
            async move { handler.handle(&invocation).await }
        }
        .in_current_span(),
    ));
    let joined = match deadline.work_until() {
        Some(until) => tokio::time::timeout_at(until, &mut task).await,
        None => Ok((&mut task).await),
    };
    let failed = |reason: String| Answer::Failed {
        physical_resource_id: invocation
            .request
            .failed_physical_id(invocation.progress.claimed_physical_id()),
        reason,
    };
    let resource_type = &invocation.request.resource_type;
    match joined {
        Ok(Ok(Ok(outcome))) => Answer::Success(outcome),
        Ok(Ok(Err(err))) => {
            warn!(aws_error_code = err.aws_code(), "handler failed");
            failed(err.to_string())
        }
        Ok(Err(join_error)) => {
            error!(panicked = join_error.is_panic(), "handler stopped abnormally");
            failed(format!(
                "{resource_type} hit an internal error {}; this is a bug in mrk-provider, please report it with request id {}",
                invocation.progress.describe(),
                invocation.request.request_id
            ))
        }
        Err(_elapsed) => {
            // Read what is in flight before aborting: a worker thread may drop the aborted future at
            // once, and dropping it ends its steps.
            let progress = invocation.progress.describe();
            task.abort();
            error!(%progress, "deadline reached; answering FAILED");
            failed(format!(
                "{resource_type} ran out of time {progress} and stopped so that it could answer before the \
                 function's timeout; deploy again, and raise the function's Timeout if this repeats"
            ))
        }
    }
}

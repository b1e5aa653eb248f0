//! What one request cost, as a CloudWatch Embedded Metric Format (EMF) line: the AWS calls it made,
//! how many AWS throttled and how many were retried, and how long a replica kept it waiting. A leaf:
//! the AWS layer counts into the request's [`Counters`] and the protocol prints the line.
//!
//! The counters of a request are a tokio task-local, set by [`measured`] around the request and
//! carried into the task that runs its handler ([`carried`]): an AWS client is shared by every
//! request of the process, and the task-local is how one of its calls knows whose it is, so that
//! concurrent requests never count each other's calls. A call made outside any request counts
//! nowhere.

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

tokio::task_local! {
    static CURRENT: Arc<Counters>;
}

/// The resource type whose lines carry `ReplicaWait`.
pub const REPLICA_WAIT_RESOURCE_TYPE: &str = "Custom::ReplicaKey";

/// The dimensions of every line, in this order.
pub const DIMENSIONS: [&str; 3] = ["ResourceType", "RequestType", "Outcome"];

/// What one request's AWS calls cost so far.
#[derive(Debug, Default)]
pub struct Counters {
    /// Attempts sent to AWS (a retried call counts each attempt).
    attempts: AtomicU64,
    /// Operations the SDK executed; each runs one or more attempts.
    executions: AtomicU64,
    /// Attempts that AWS answered with a throttling error.
    throttled: AtomicU64,
    /// Retries made by the provider's own retry loop (`aws::retry::send`), each a new execution.
    own_retries: AtomicU64,
    /// The longest time one replica kept the request waiting, in milliseconds.
    replica_wait_ms: AtomicU64,
}

/// The counts of a request, read at its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Attempts sent to AWS.
    pub aws_calls: u64,
    /// Attempts answered with a throttling error.
    pub throttled_calls: u64,
    /// Attempts that were retries of an earlier one, by the SDK or by the provider.
    pub retried_calls: u64,
    /// The longest wait for a replica to leave `Creating`, in milliseconds.
    pub replica_wait_ms: u64,
}

impl Counters {
    /// The counts so far.
    pub fn counts(&self) -> Counts {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let (attempts, executions) = (read(&self.attempts), read(&self.executions));
        Counts {
            aws_calls: attempts,
            throttled_calls: read(&self.throttled),
            // An SDK retry is an attempt of an execution that already had one.
            retried_calls: attempts.saturating_sub(executions) + read(&self.own_retries),
            replica_wait_ms: read(&self.replica_wait_ms),
        }
    }
}

fn count(counter: impl FnOnce(&Counters) -> &AtomicU64) {
    let _ = CURRENT.try_with(|counters| counter(counters).fetch_add(1, Ordering::Relaxed));
}

/// The SDK starts an operation (before its first attempt).
pub fn execution() {
    count(|c| &c.executions);
}

/// An attempt is sent to AWS.
pub fn attempt() {
    count(|c| &c.attempts);
}

/// AWS answered an attempt with a throttling error.
pub fn throttled() {
    count(|c| &c.throttled);
}

/// The provider's retry loop sends a call again.
pub fn retried() {
    count(|c| &c.own_retries);
}

/// Records a wait for a replica until it is dropped; the line reports the longest one.
#[derive(Debug)]
pub struct ReplicaWait(tokio::time::Instant);

impl ReplicaWait {
    /// Starts timing a wait.
    pub fn start() -> Self {
        ReplicaWait(tokio::time::Instant::now())
    }
}

impl Drop for ReplicaWait {
    fn drop(&mut self) {
        let waited = u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX);
        let _ = CURRENT.try_with(|counters| counters.replica_wait_ms.fetch_max(waited, Ordering::Relaxed));
    }
}

/// Runs `work` with `counters` as the request's counters.
pub async fn measured<F: Future>(counters: Arc<Counters>, work: F) -> F::Output {
    CURRENT.scope(counters, work).await
}

/// `work` with the counters of the request it is created in, for a task of its own (a task-local is
/// not inherited by a spawned task).
pub fn carried<F: Future>(work: F) -> impl Future<Output = F::Output> {
    let current = CURRENT.try_with(Arc::clone).ok();
    async move {
        match current {
            Some(counters) => CURRENT.scope(counters, work).await,
            None => work.await,
        }
    }
}

/// The namespace of `METRICS_NAMESPACE`: `None` (no metrics) when it is unset or blank.
pub fn namespace(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// One request, as its metric line reports it.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    /// The event's `ResourceType` ("unknown" when it has none).
    pub resource_type: &'a str,
    /// The event's `RequestType` ("unknown" when it could not be read).
    pub request_type: &'a str,
    /// `SUCCESS` or `FAILED`.
    pub outcome: &'a str,
    /// The event's `RequestId`.
    pub request_id: &'a str,
    /// The event's `LogicalResourceId`.
    pub logical_resource_id: &'a str,
    /// From the event's arrival to its answer rendered and delivered.
    pub duration: Duration,
    /// The request's AWS calls.
    pub counts: Counts,
}

/// The EMF object of `record` in `namespace`, stamped `at`: one JSON object that CloudWatch Logs turns
/// into metrics when it is a log line of its own.
pub fn emf(namespace: &str, record: &Record<'_>, at: SystemTime) -> Value {
    let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let mut metrics = vec![
        ("Duration", "Milliseconds", millis(record.duration)),
        ("AwsCalls", "Count", record.counts.aws_calls),
        ("ThrottledCalls", "Count", record.counts.throttled_calls),
        ("RetriedCalls", "Count", record.counts.retried_calls),
    ];
    if record.resource_type == REPLICA_WAIT_RESOURCE_TYPE {
        metrics.push(("ReplicaWait", "Milliseconds", record.counts.replica_wait_ms));
    }
    let definitions: Vec<Value> = metrics
        .iter()
        .map(|(name, unit, _)| json!({"Name": name, "Unit": unit}))
        .collect();
    let mut line = Map::new();
    line.insert(
        "_aws".into(),
        json!({
            "Timestamp": millis(at.duration_since(UNIX_EPOCH).unwrap_or_default()),
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [DIMENSIONS],
                "Metrics": definitions,
            }],
        }),
    );
    for (name, value) in DIMENSIONS
        .iter()
        .zip([record.resource_type, record.request_type, record.outcome])
    {
        line.insert(name.to_string(), json!(value));
    }
    for (name, _, value) in metrics {
        line.insert(name.into(), json!(value));
    }
    line.insert("RequestId".into(), json!(record.request_id));
    line.insert("LogicalResourceId".into(), json!(record.logical_resource_id));
    Value::Object(line)
}

/// Prints the EMF line of `record` to stdout, a line of its own, when `namespace` is set.
pub fn emit(namespace: Option<&str>, record: &Record<'_>) {
    if let Some(namespace) = namespace {
        // Not `println!`, which panics when stdout is gone: a lost metric line must not lose the answer.
        let line = emf(namespace, record, SystemTime::now());
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }
}

#[cfg(test)]
mod tests;

//! The Lambda deadline, and the record of what a handler is doing, so that a request that runs out of
//! time is still answered, with a reason that says what was in progress.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

/// When the invocation must be answered.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    /// The Lambda deadline; `None` when unknown.
    at: Option<Instant>,
    /// Time kept back from the handler to send the answer.
    margin: Duration,
}

impl Deadline {
    /// No deadline known: the handler may run as long as it needs.
    pub fn unknown() -> Self {
        Deadline {
            at: None,
            margin: Duration::ZERO,
        }
    }

    /// A deadline `remaining` from now. The answer margin is a tenth of it, between 1 and 10 seconds
    /// (never more than half of what is left).
    pub fn after(remaining: Duration) -> Self {
        let margin = (remaining / 10)
            .clamp(Duration::from_secs(1), Duration::from_secs(10))
            .min(remaining / 2);
        Deadline {
            at: Some(Instant::now() + remaining),
            margin,
        }
    }

    /// The deadline Lambda gives in milliseconds since the epoch. A deadline already in the past is
    /// what local emulators send; it means "unknown", not "time is up".
    pub fn from_epoch_millis(deadline_ms: u64) -> Self {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(deadline_ms);
        match at.duration_since(SystemTime::now()) {
            Ok(remaining) if !remaining.is_zero() => Deadline::after(remaining),
            _ => Deadline::unknown(),
        }
    }

    /// When the handler's work must stop so that the answer still goes out in time.
    pub fn work_until(&self) -> Option<Instant> {
        self.at.map(|at| at - self.margin)
    }

    /// The Lambda deadline itself, the last moment to deliver the answer.
    pub fn answer_until(&self) -> Option<Instant> {
        self.at
    }
}

/// What a request's handler has been doing: the AWS calls in flight, whether it has changed anything
/// in AWS yet, and the PhysicalResourceId it claimed. Shared between the handler and the guard.
#[derive(Debug, Default)]
pub struct Progress {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    in_flight: BTreeMap<u64, String>,
    last_finished: Option<String>,
    mutated: bool,
    claimed_id: Option<String>,
}

impl Progress {
    fn state(&self) -> MutexGuard<'_, State> {
        // The lock is never held across a panic point that matters; a poisoned record is still right.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `what` as in progress until the returned guard is dropped.
    pub fn step(&self, what: impl Into<String>) -> Step<'_> {
        let mut state = self.state();
        let id = state.next_id;
        state.next_id += 1;
        state.in_flight.insert(id, what.into());
        Step { progress: self, id }
    }

    /// Records that a call which may change AWS state is about to be made.
    pub fn mark_mutating(&self) {
        self.state().mutated = true;
    }

    /// `true` once any call that may change AWS state has been started.
    pub fn has_mutated(&self) -> bool {
        self.state().mutated
    }

    /// Claims the PhysicalResourceId that a failed Create answers once it has changed something.
    pub fn claim_physical_id(&self, id: impl Into<String>) {
        self.state().claimed_id = Some(id.into());
    }

    /// The claimed PhysicalResourceId, if the handler has changed something since claiming it.
    pub fn claimed_physical_id(&self) -> Option<String> {
        let state = self.state();
        if state.mutated { state.claimed_id.clone() } else { None }
    }

    /// A phrase for a reason: what is in flight, else what finished last.
    pub fn describe(&self) -> String {
        let state = self.state();
        let steps: Vec<&str> = state.in_flight.values().map(String::as_str).collect();
        match (steps.as_slice(), &state.last_finished) {
            ([], Some(last)) => format!("after {last}"),
            ([], None) => "before any AWS call".to_string(),
            ([only], _) => format!("during {only}"),
            (many, _) => format!("during {}", many.join(", ")),
        }
    }
}

/// An in-flight step; dropping it (normally or on cancellation) ends the step.
#[derive(Debug)]
pub struct Step<'a> {
    progress: &'a Progress,
    id: u64,
}

impl Drop for Step<'_> {
    fn drop(&mut self) {
        let mut state = self.progress.state();
        if let Some(what) = state.in_flight.remove(&self.id) {
            state.last_finished = Some(what);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_in_the_past_means_no_deadline() {
        assert!(Deadline::from_epoch_millis(1_000).work_until().is_none());
        assert!(Deadline::from_epoch_millis(0).work_until().is_none());
    }

    #[test]
    fn a_future_deadline_keeps_a_margin_for_the_answer() {
        let now_ms = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let deadline = Deadline::from_epoch_millis(now_ms + 60_000);
        let work = deadline.work_until().unwrap() - Instant::now();
        assert!(
            work > Duration::from_secs(50) && work < Duration::from_secs(55),
            "{work:?}"
        );
    }

    #[test]
    fn the_margin_is_between_one_and_ten_seconds() {
        let short = Deadline::after(Duration::from_secs(4));
        assert_eq!(short.margin, Duration::from_secs(1));
        let long = Deadline::after(Duration::from_secs(900));
        assert_eq!(long.margin, Duration::from_secs(10));
        let tiny = Deadline::after(Duration::from_millis(500));
        assert_eq!(tiny.margin, Duration::from_millis(250));
    }

    #[test]
    fn progress_names_the_steps_in_flight_then_the_last_one() {
        let progress = Progress::default();
        assert_eq!(progress.describe(), "before any AWS call");
        let a = progress.step("ReplicateKey into eu-west-1");
        let b = progress.step("DescribeKey in ap-southeast-2");
        assert_eq!(
            progress.describe(),
            "during ReplicateKey into eu-west-1, DescribeKey in ap-southeast-2"
        );
        drop(a);
        assert_eq!(progress.describe(), "during DescribeKey in ap-southeast-2");
        drop(b);
        assert_eq!(progress.describe(), "after DescribeKey in ap-southeast-2");
    }

    #[test]
    fn a_claimed_id_counts_only_after_a_change() {
        let progress = Progress::default();
        progress.claim_physical_id("arn:aws:kms:us-east-1:1:key/mrk-1");
        assert_eq!(progress.claimed_physical_id(), None);
        progress.mark_mutating();
        assert_eq!(
            progress.claimed_physical_id().as_deref(),
            Some("arn:aws:kms:us-east-1:1:key/mrk-1")
        );
    }
}

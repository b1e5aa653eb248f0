//! The Lambda deadline, and the margin kept back from the handler so that a request that runs out of
//! time is still answered before Lambda stops the process.

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

    /// The last moment to deliver the answer: a quarter of the margin before the Lambda deadline, so
    /// that the outcome is still logged and the invocation returns before Lambda stops the process.
    pub fn answer_until(&self) -> Option<Instant> {
        self.at.map(|at| at - self.margin / 4)
    }
}

#[cfg(test)]
mod tests;

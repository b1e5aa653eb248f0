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
    fn the_answer_stops_after_the_work_and_before_the_lambda_deadline() {
        let deadline = Deadline::after(Duration::from_secs(60));
        let (work, answer) = (deadline.work_until().unwrap(), deadline.answer_until().unwrap());
        let at = deadline.at.unwrap();
        assert_eq!(at - work, Duration::from_secs(6));
        assert_eq!(at - answer, Duration::from_millis(1500));
        assert!(Deadline::unknown().answer_until().is_none());
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
}

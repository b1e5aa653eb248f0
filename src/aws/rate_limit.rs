//! A client-side rate limiter, so that a request that makes hundreds of calls to one region stays
//! under that region's API quota instead of leaning on the SDK's retries.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Spaces calls at least `1/per_second` apart, letting `burst` calls through at once after a pause.
/// Every call takes a slot on one schedule, so in any one-second window at most `per_second + burst`
/// calls start.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    /// How far behind "now" the schedule may fall while idle: what makes a burst.
    slack: Duration,
    /// The next free slot; `None` before the first call.
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter of `per_second` calls a second (at least 1) with bursts of `burst` (at least 1).
    pub fn new(per_second: u32, burst: u32) -> Self {
        let interval = Duration::from_secs(1) / per_second.max(1);
        RateLimiter {
            interval,
            slack: interval * (burst.max(1) - 1),
            next: Mutex::new(None),
        }
    }

    /// Waits for this call's slot. Cancel-safe: a cancelled wait only leaves its slot unused.
    pub async fn acquire(&self) {
        let now = Instant::now();
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let earliest = now.checked_sub(self.slack).unwrap_or(now);
            let slot = next.map_or(earliest, |next| next.max(earliest));
            *next = Some(slot + self.interval);
            slot
        };
        if slot > now {
            tokio::time::sleep_until(slot).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_at_once_then_calls_are_spaced() {
        // GIVEN 10 calls a second with bursts of 3
        let limiter = RateLimiter::new(10, 3);
        let start = Instant::now();
        // WHEN 6 calls are made one after the other
        let mut started = Vec::new();
        for _ in 0..6 {
            limiter.acquire().await;
            started.push(Instant::now() - start);
        }
        // THEN the first 3 start at once, the next ones 100 ms apart
        let ms: Vec<u128> = started.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, vec![0, 0, 0, 100, 200, 300]);
    }

    #[tokio::test(start_paused = true)]
    async fn no_one_second_window_holds_more_than_rate_plus_burst_calls() {
        // GIVEN 35 calls a second with bursts of 3, and 200 callers at once
        let limiter = std::sync::Arc::new(RateLimiter::new(35, 3));
        let start = Instant::now();
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move {
                    limiter.acquire().await;
                    Instant::now() - start
                })
            })
            .collect();
        let mut started = Vec::new();
        for task in tasks {
            started.push(task.await.unwrap());
        }
        started.sort();
        // THEN no one-second window holds 39 starts (35 + 3 at most), and the whole takes about 200/35 s
        for window in started.windows(39) {
            assert!(window[38] - window[0] >= Duration::from_secs(1), "{window:?}");
        }
        let total = started[199];
        assert!(
            total >= Duration::from_millis(5600) && total <= Duration::from_millis(5700),
            "{total:?}"
        );
    }
}

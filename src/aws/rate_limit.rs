//! A client-side rate limiter that adapts to throttling, so that a request that makes hundreds of calls
//! to one region, and the other function instances writing into that region at the same time, share
//! the region's API quota instead of leaning on retries.
//!
//! The instances of a fleet do not coordinate: each paces its own calls and learns the share it can
//! have from the throttling it meets, as TCP does from packet loss (additive increase, multiplicative
//! decrease). A throttled call halves the rate, once per congestion event: throttles of calls that were
//! already sent before the last cut do not cut again. Each call that goes through adds
//! [`INCREASE_PER_SECOND`] divided by the rate, so the rate climbs by about that much each second
//! while nothing is throttled, back up to the seeded rate. Together the instances converge on the
//! quota, each with a fair share of it.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// The lowest rate a throttled limiter falls to, in calls a second: one call every 5 seconds still
/// learns when the quota frees up. At this rate 200 instances ask for 40 calls a second together.
pub const MIN_RATE: f64 = 0.2;
/// What a throttled call multiplies the rate by.
pub const DECREASE: f64 = 0.5;
/// How fast the rate climbs back, in calls a second gained per second of calls that go through.
pub const INCREASE_PER_SECOND: f64 = 4.0;

/// Spaces calls at least `1/rate` apart. At the full rate (where it starts) it lets `burst` calls
/// through at once after a pause; while it is below, after throttling, it lets none through early.
/// Every call takes a slot on one schedule, so in any one-second window at most `rate + burst` calls
/// start.
#[derive(Debug)]
pub struct RateLimiter {
    max_rate: f64,
    burst: u32,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Calls a second, between [`MIN_RATE`] and `max_rate`.
    rate: f64,
    /// The next free slot; `None` before the first call.
    next: Option<Instant>,
    /// When the rate was last cut.
    last_cut: Option<Instant>,
}

impl RateLimiter {
    /// A limiter of `per_second` calls a second (at least 1) with bursts of `burst` (at least 1).
    pub fn new(per_second: u32, burst: u32) -> Self {
        let max_rate = f64::from(per_second.max(1));
        RateLimiter {
            max_rate,
            burst: burst.max(1),
            state: Mutex::new(State {
                rate: max_rate,
                next: None,
                last_cut: None,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current rate, in calls a second.
    pub fn rate(&self) -> f64 {
        self.state().rate
    }

    /// Waits for this call's slot and returns it: when the call was let through. Cancel-safe: a
    /// cancelled wait only leaves its slot unused.
    pub async fn acquire(&self) -> Instant {
        let now = Instant::now();
        let slot = {
            let mut state = self.state();
            let interval = Duration::from_secs_f64(1.0 / state.rate);
            // A burst only at the full rate: after throttling, the pause is what the quota needed.
            let slack = if state.rate >= self.max_rate {
                interval * (self.burst - 1)
            } else {
                Duration::ZERO
            };
            let earliest = now.checked_sub(slack).unwrap_or(now);
            let slot = state.next.map_or(earliest, |next| next.max(earliest));
            state.next = Some(slot + interval);
            slot
        };
        if slot > now {
            tokio::time::sleep_until(slot).await;
        }
        slot.max(now)
    }

    /// A call let through at `sent` was throttled: halves the rate, unless it was already cut after
    /// that call was sent (the calls in flight at a cut all meet the same congestion).
    pub fn throttled(&self, sent: Instant) {
        let mut state = self.state();
        if state.last_cut.is_some_and(|cut| sent < cut) {
            return;
        }
        state.rate = (state.rate * DECREASE).max(MIN_RATE);
        state.last_cut = Some(Instant::now());
    }

    /// A call went through: the rate climbs by [`INCREASE_PER_SECOND`] over a second of such calls
    /// (at most doubling on one call), up to the full rate.
    pub fn succeeded(&self) {
        let mut state = self.state();
        let step = (INCREASE_PER_SECOND / state.rate).min(state.rate);
        state.rate = (state.rate + step).min(self.max_rate);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn ms(started: &[Duration]) -> Vec<u128> {
        started.iter().map(Duration::as_millis).collect()
    }

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
        assert_eq!(ms(&started), vec![0, 0, 0, 100, 200, 300]);
    }

    #[tokio::test(start_paused = true)]
    async fn no_one_second_window_holds_more_than_rate_plus_burst_calls() {
        // GIVEN 35 calls a second with bursts of 3, and 200 callers at once
        let limiter = Arc::new(RateLimiter::new(35, 3));
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

    #[tokio::test(start_paused = true)]
    async fn a_throttle_halves_the_rate_and_ends_the_burst() {
        // GIVEN 10 calls a second with bursts of 3, one call throttled
        let limiter = RateLimiter::new(10, 3);
        let sent = limiter.acquire().await;
        limiter.throttled(sent);
        assert_eq!(limiter.rate(), 5.0);
        // WHEN, after a pause, 3 calls are made
        tokio::time::sleep(Duration::from_secs(5)).await;
        let start = Instant::now();
        let mut started = Vec::new();
        for _ in 0..3 {
            limiter.acquire().await;
            started.push(Instant::now() - start);
        }
        // THEN they are spaced at the halved rate, with no burst
        assert_eq!(ms(&started), vec![0, 200, 400]);
    }

    #[tokio::test(start_paused = true)]
    async fn calls_in_flight_at_a_cut_cut_once() {
        // GIVEN 4 calls sent at once (a burst), then throttled together
        let limiter = RateLimiter::new(30, 8);
        let mut sent = Vec::new();
        for _ in 0..4 {
            sent.push(limiter.acquire().await);
        }
        tokio::time::advance(Duration::from_millis(20)).await;
        for at in &sent {
            limiter.throttled(*at);
        }
        // THEN the rate was cut once, not four times
        assert_eq!(limiter.rate(), 15.0);
        // AND a call sent after that cut, throttled too, cuts again
        let later = limiter.acquire().await;
        limiter.throttled(later);
        assert_eq!(limiter.rate(), 7.5);
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_never_falls_below_the_minimum() {
        let limiter = RateLimiter::new(30, 8);
        for _ in 0..20 {
            let sent = limiter.acquire().await;
            limiter.throttled(sent);
        }
        assert_eq!(limiter.rate(), MIN_RATE);
        // AND the next call waits one interval of the minimum rate, no more
        let start = Instant::now();
        limiter.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_secs_f64(1.0 / MIN_RATE));
    }

    #[tokio::test(start_paused = true)]
    async fn calls_that_go_through_bring_the_rate_back_to_full_by_the_increase_per_second() {
        // GIVEN a limiter cut from 32 to 2 calls a second
        let limiter = RateLimiter::new(32, 8);
        for _ in 0..4 {
            let sent = limiter.acquire().await;
            limiter.throttled(sent);
        }
        assert_eq!(limiter.rate(), 2.0);
        // WHEN calls go through for a while
        let start = Instant::now();
        let mut after_one_second = None;
        while limiter.rate() < 32.0 {
            limiter.acquire().await;
            limiter.succeeded();
            if after_one_second.is_none() && Instant::now() - start >= Duration::from_secs(1) {
                after_one_second = Some(limiter.rate());
            }
        }
        // THEN the rate first doubles (a step of INCREASE/rate is capped at the rate itself), then
        // climbs by about INCREASE_PER_SECOND a second, and stops at the full rate
        let after_one_second = after_one_second.unwrap();
        assert!((5.0..=8.5).contains(&after_one_second), "{after_one_second}");
        let took = Instant::now() - start;
        assert!(
            took >= Duration::from_secs(6) && took <= Duration::from_secs(9),
            "{took:?}"
        );
        limiter.succeeded();
        assert_eq!(limiter.rate(), 32.0);
    }
}

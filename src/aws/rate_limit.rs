//! A client-side rate limiter that adapts to throttling, so that a request that makes hundreds of calls
//! to one region, and the other function instances writing into that region at the same time, share
//! the region's API quota instead of leaning on retries.
//!
//! The instances of a fleet do not coordinate: each paces its own calls and learns the share it can
//! have from the throttling it meets. The rate follows CUBIC, the curve of the AWS SDKs' adaptive
//! retry mode (and of TCP CUBIC): a throttled call cuts the rate to [`BETA`] of what it was; from
//! there it climbs back as a cubic function of the time since the cut, fast at first, flat near the
//! rate that was throttled, then faster and faster past it while nothing is throttled. The time to
//! get back grows only with the cube root of the rate, so an instance cut to a small share of the
//! quota recovers in about a second, and one that is left alone (the rest of the fleet has finished)
//! is back at full speed in a few. Throttles of calls that were sent before the last cut do not cut
//! again: the calls in flight at a cut all met the same congestion.
//!
//! A limiter paces from its first call ([`RateLimiter::new`], SSM's: one request alone may make hundreds
//! of calls into a region) or only from the first throttle ([`RateLimiter::after_first_throttle`],
//! KMS's, as the SDKs' adaptive mode does: a request makes a few calls per operation and region, which
//! go at once while nobody else is using the quota).

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// The lowest rate, in calls a second (the AWS SDKs' minimum fill rate): at most 2 s between calls.
pub const MIN_RATE: f64 = 0.5;
/// What a throttle multiplies the rate by (the SDKs' and TCP CUBIC's beta).
pub const BETA: f64 = 0.7;
/// How fast the rate grows around the rate that was throttled (the SDKs' scale constant), in calls a
/// second per second cubed.
pub const SCALE: f64 = 0.4;

/// How often a call waiting for its slot looks at the rate again: the rate climbs while it waits.
const RECHECK: Duration = Duration::from_millis(100);

/// Spaces calls at least `1/rate` apart, the rate as it is when the call's turn comes. At the full rate
/// (where it starts) it lets `burst` calls through at once after a pause; while it is below, after
/// throttling, it lets none through early. Calls wait their turn in order, so in any one-second window
/// at most `rate + burst` calls start.
#[derive(Debug)]
pub struct RateLimiter {
    max_rate: f64,
    burst: u32,
    /// Lets every call through at once until a call is throttled.
    unpaced_until_throttled: bool,
    state: Mutex<State>,
    /// Held by the call whose turn it is, while it waits for its slot.
    turn: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct State {
    /// The slot of the last call let through; `None` before the first call.
    last: Option<Instant>,
    /// The last cut: when, and the rate it cut. `None` while nothing was throttled.
    cut: Option<(Instant, f64)>,
}

impl RateLimiter {
    /// A limiter of `per_second` calls a second (at least 1) with bursts of `burst` (at least 1).
    pub fn new(per_second: u32, burst: u32) -> Self {
        RateLimiter {
            max_rate: f64::from(per_second.max(1)),
            burst: burst.max(1),
            unpaced_until_throttled: false,
            state: Mutex::new(State { last: None, cut: None }),
            turn: tokio::sync::Mutex::new(()),
        }
    }

    /// A limiter that lets calls through as they come until one is throttled, and from then on is the
    /// limiter of [`RateLimiter::new`]: `per_second` calls a second at most, less after throttling.
    pub fn after_first_throttle(per_second: u32, burst: u32) -> Self {
        RateLimiter {
            unpaced_until_throttled: true,
            ..RateLimiter::new(per_second, burst)
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The rate at `now`, in calls a second.
    fn rate_at(&self, state: &State, now: Instant) -> f64 {
        let Some((at, throttled_rate)) = state.cut else {
            return self.max_rate;
        };
        let back_in = (throttled_rate * (1.0 - BETA) / SCALE).cbrt();
        let since = (now - at).as_secs_f64() - back_in;
        (SCALE * since.powi(3) + throttled_rate).clamp(MIN_RATE, self.max_rate)
    }

    /// The current rate, in calls a second.
    pub fn rate(&self) -> f64 {
        self.rate_at(&self.state(), Instant::now())
    }

    /// Waits for this call's turn and slot, and returns when it was let through. A slot is
    /// `1/rate` after the last one, with the rate as it is now: a wait at a low rate shortens as the
    /// rate climbs. Cancel-safe: a cancelled wait takes no slot. A limiter of
    /// [`RateLimiter::after_first_throttle`] lets the call through at once while nothing was throttled.
    pub async fn acquire(&self) -> Instant {
        if self.unpaced_until_throttled {
            let now = Instant::now();
            let mut state = self.state();
            if state.cut.is_none() {
                state.last = Some(now);
                return now;
            }
        }
        let _turn = self.turn.lock().await;
        loop {
            let now = Instant::now();
            let slot = {
                let mut state = self.state();
                let rate = self.rate_at(&state, now);
                let interval = Duration::from_secs_f64(1.0 / rate);
                // A burst only at the full rate: after throttling, the pause is what the quota needed.
                let slack = if rate >= self.max_rate {
                    interval * (self.burst - 1)
                } else {
                    Duration::ZERO
                };
                let earliest = now.checked_sub(slack).unwrap_or(now);
                let slot = state.last.map_or(earliest, |last| (last + interval).max(earliest));
                if slot <= now {
                    state.last = Some(slot);
                    return now;
                }
                slot
            };
            tokio::time::sleep_until(slot.min(now + RECHECK)).await;
        }
    }

    /// A call let through at `sent` was throttled: cuts the rate to [`BETA`] of what it is, unless it
    /// was already cut after that call was sent.
    pub fn throttled(&self, sent: Instant) {
        let now = Instant::now();
        let mut state = self.state();
        if state.cut.is_some_and(|(at, _)| sent < at) {
            return;
        }
        let rate = self.rate_at(&state, now);
        state.cut = Some((now, rate));
        // No burst credit survives a cut: the next call waits a whole interval of the new rate.
        state.last = Some(state.last.map_or(sent, |last| last.max(sent)));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::test_support::within_real_time;

    /// A call let through by `limiter`, failing the test if none is in 20 s of real time: a limiter
    /// that spins on the paused clock would hang it instead.
    async fn acquire(limiter: &RateLimiter) -> Instant {
        within_real_time(limiter.acquire()).await
    }

    fn ms(started: &[Duration]) -> Vec<u128> {
        started.iter().map(Duration::as_millis).collect()
    }

    /// On the real clock: a limiter that never lets a call through spins or sleeps past the timeout
    /// and fails here, where a paused clock would hang the test instead.
    #[tokio::test]
    async fn a_first_call_and_a_burst_are_let_through_at_once() {
        let limiter = RateLimiter::new(10, 3);
        let burst = async {
            for _ in 0..3 {
                acquire(&limiter).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(2), burst)
            .await
            .expect("a burst of 3 goes through at once");
    }

    #[tokio::test(start_paused = true)]
    async fn a_limiter_after_the_first_throttle_lets_every_call_through_until_one_is_throttled() {
        // GIVEN a limiter of 5 calls a second with bursts of 5, pacing only after the first throttle
        let limiter = RateLimiter::after_first_throttle(5, 5);
        let start = Instant::now();
        // WHEN 12 calls are made one after the other THEN all start at once
        for _ in 0..12 {
            acquire(&limiter).await;
        }
        assert_eq!(Instant::now() - start, Duration::ZERO);
        // AND once one is throttled, the next ones are spaced at the cut rate (1/3.5 s, less as it climbs
        // back, never less than 1/5 s), with no burst
        limiter.throttled(start);
        assert!(close(limiter.rate(), 3.5), "{}", limiter.rate());
        let mut started = Vec::new();
        for _ in 0..3 {
            acquire(&limiter).await;
            started.push(Instant::now() - start);
        }
        let ms = ms(&started);
        let gaps = [ms[0], ms[1] - ms[0], ms[2] - ms[1]];
        assert!(gaps.iter().all(|gap| (200..=286).contains(gap)), "{ms:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_at_once_then_calls_are_spaced() {
        // GIVEN 10 calls a second with bursts of 3
        let limiter = RateLimiter::new(10, 3);
        let start = Instant::now();
        // WHEN 6 calls are made one after the other
        let mut started = Vec::new();
        for _ in 0..6 {
            acquire(&limiter).await;
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
                    acquire(&limiter).await;
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

    fn close(actual: f64, expected: f64) -> bool {
        (actual - expected).abs() < 0.01
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_cuts_the_rate_to_beta_and_ends_the_burst() {
        // GIVEN 10 calls a second with bursts of 3, one call throttled
        let limiter = RateLimiter::new(10, 3);
        let sent = acquire(&limiter).await;
        limiter.throttled(sent);
        assert!(close(limiter.rate(), 7.0), "{}", limiter.rate());
        // WHEN 3 calls are made right away
        let start = Instant::now();
        let mut started = Vec::new();
        for _ in 0..3 {
            acquire(&limiter).await;
            started.push(Instant::now() - start);
        }
        // THEN the first waits too, and all are spaced at about the cut rate (1/7 s, a little less as
        // it climbs): no burst
        let ms = ms(&started);
        let gaps = [ms[0], ms[1] - ms[0], ms[2] - ms[1]];
        assert!(gaps.iter().all(|gap| (115..=143).contains(gap)), "{ms:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn calls_in_flight_at_a_cut_cut_once() {
        // GIVEN 4 calls sent at once (a burst), then throttled together
        let limiter = RateLimiter::new(30, 8);
        let mut sent = Vec::new();
        for _ in 0..4 {
            sent.push(acquire(&limiter).await);
        }
        tokio::time::advance(Duration::from_millis(20)).await;
        for at in &sent {
            limiter.throttled(*at);
        }
        // THEN the rate was cut once, not four times
        assert!(close(limiter.rate(), 21.0), "{}", limiter.rate());
        // AND a call sent after that cut, throttled too, cuts again
        let later = acquire(&limiter).await;
        limiter.throttled(later);
        // (from what the rate had climbed back to by then: a little over 21 * 0.7)
        assert!((14.7..15.2).contains(&limiter.rate()), "{}", limiter.rate());
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_never_falls_below_the_minimum() {
        // GIVEN 30 calls throttled one after the other, each sent after the cut before it
        let limiter = RateLimiter::new(30, 8);
        for _ in 0..30 {
            limiter.throttled(Instant::now());
        }
        assert!(close(limiter.rate(), MIN_RATE), "{}", limiter.rate());
        // AND the next call waits one interval of about the minimum rate, no more
        let start = Instant::now();
        acquire(&limiter).await;
        assert!(Instant::now() - start <= Duration::from_secs_f64(1.0 / MIN_RATE));
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_cut_the_rate_climbs_back_on_the_cubic_curve() {
        // GIVEN a limiter of 30 a second, cut while it was at 1 call a second
        let limiter = RateLimiter::new(30, 8);
        let mut rate = limiter.rate();
        for _ in 0..20 {
            if rate <= 1.0 {
                break;
            }
            limiter.throttled(Instant::now());
            rate = limiter.rate();
        }
        // (ten cuts get 30 under 1; the bound makes a rate that does not fall fail, not loop)
        assert!(rate <= 1.0, "twenty cuts in a row left the rate at {rate}");
        let cut_to = rate;
        let throttled_rate = cut_to / BETA;
        let back_in = (throttled_rate * (1.0 - BETA) / SCALE).cbrt();
        // THEN it is back at the throttled rate after `back_in` (under a second at this rate), stays
        // near it for a while, then climbs to the full rate within about 5 seconds of the cut
        tokio::time::advance(Duration::from_secs_f64(back_in)).await;
        assert!(
            close(limiter.rate(), throttled_rate),
            "{} {throttled_rate}",
            limiter.rate()
        );
        assert!(back_in < 1.0, "{back_in}");
        tokio::time::advance(Duration::from_millis(500)).await;
        assert!(limiter.rate() < throttled_rate + 0.1, "{}", limiter.rate());
        tokio::time::advance(Duration::from_secs_f64(4.3 - back_in)).await;
        assert!(limiter.rate() < 30.0, "{}", limiter.rate());
        tokio::time::advance(Duration::from_millis(400)).await;
        assert!(close(limiter.rate(), 30.0), "{}", limiter.rate());
    }
}

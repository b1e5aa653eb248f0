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
mod tests;

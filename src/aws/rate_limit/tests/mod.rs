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

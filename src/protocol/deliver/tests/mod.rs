use super::*;

#[tokio::test]
async fn an_answer_that_the_response_url_accepts_is_put_once() {
    let receiver = crate::test_support::Receiver::start(0).await;
    let result = deliver(&Https::default(), &receiver.url, b"{}".to_vec(), None).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(receiver.received().len(), 1);
}

#[test]
fn a_5xx_a_429_and_a_lost_connection_are_retried_and_nothing_else() {
    for status in [500, 502, 503, 504, 429] {
        assert!(DeliveryError::Status { status }.is_retryable(), "{status}");
    }
    for status in [400, 403, 404, 409, 499] {
        assert!(!DeliveryError::Status { status }.is_retryable(), "{status}");
    }
    assert!(
        DeliveryError::Unreachable {
            detail: "connection reset".into()
        }
        .is_retryable()
    );
    assert!(DeliveryError::NoAnswer { seconds: 10 }.is_retryable());
    assert!(!DeliveryError::BadUrl { detail: "x".into() }.is_retryable());
    assert!(!DeliveryError::OutOfTime.is_retryable());
}

#[test]
fn a_failed_put_is_tried_five_more_times_from_200_ms_up_to_2_s_apart() {
    use backon::BackoffBuilder;
    let pauses: Vec<Duration> = delivery_backoff().build().collect();
    assert_eq!(pauses.len(), 5, "{pauses:?}");
    // Each pause plus a jitter below the smallest pause (backon's jitter).
    assert!(
        pauses[0] >= Duration::from_millis(200) && pauses[0] < Duration::from_millis(600),
        "{pauses:?}"
    );
    assert!(pauses.iter().all(|p| *p <= Duration::from_secs(4)), "{pauses:?}");
}

#[tokio::test(start_paused = true)]
async fn a_response_url_that_is_not_a_url_fails_at_once_without_a_retry() {
    let started = Instant::now();
    let result = deliver(&Https::default(), "not a url", b"{}".to_vec(), None).await;
    assert!(matches!(result, Err(DeliveryError::BadUrl { .. })), "{result:?}");
    // A retry would have slept at least 200 ms of the paused clock first.
    assert_eq!(Instant::now(), started, "no backoff was slept");
}

#[tokio::test]
async fn an_unreachable_response_url_is_retried_until_the_deadline() {
    let until = Instant::now() + Duration::from_millis(700);
    let url = format!(
        "{}/response?X-Amz-Signature=secret",
        crate::test_support::unreachable_url()
    );
    let result = deliver(&Https::default(), &url, b"{}".to_vec(), Some(until)).await;
    assert!(matches!(result, Err(DeliveryError::OutOfTime)), "{result:?}");
    assert!(Instant::now() >= until, "it kept retrying until the deadline");
}

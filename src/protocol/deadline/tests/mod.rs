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

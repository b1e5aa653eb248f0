use super::*;

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
fn a_step_names_its_latest_note() {
    let progress = Progress::default();
    let step = progress.step("PutParameter /a in us-east-1");
    step.note("throttled once");
    step.note("throttled 2 times");
    assert_eq!(
        progress.describe(),
        "during PutParameter /a in us-east-1 (throttled 2 times)"
    );
    drop(step);
    assert_eq!(
        progress.describe(),
        "after PutParameter /a in us-east-1 (throttled 2 times)"
    );
}

#[test]
fn a_request_has_mutated_only_once_a_changing_call_started() {
    // GIVEN a request whose calls so far only read
    let progress = Progress::default();
    drop(progress.step("DescribeKey in eu-west-1"));
    assert!(!progress.has_mutated(), "a read is no change");

    // WHEN a call that may change AWS state starts THEN the request has mutated, for good
    progress.mark_mutating();
    assert!(progress.has_mutated());
    drop(progress.step("DescribeKey in eu-west-1"));
    assert!(progress.has_mutated());
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

//! The EMF line's shape, and the counters a request's AWS calls add to.

use super::*;

/// `line` parsed as one EMF object, checked the way CloudWatch reads it: every metric named in
/// `CloudWatchMetrics` is a number at the top level, every dimension a string.
pub(crate) fn valid_emf(line: &str) -> Value {
    let emf: Value = serde_json::from_str(line).expect("the line is one JSON object");
    let aws = &emf["_aws"];
    assert!(
        aws["Timestamp"].as_u64().is_some_and(|t| t > 1_600_000_000_000),
        "{emf}"
    );
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .expect("CloudWatchMetrics is a list");
    assert_eq!(directives.len(), 1, "{emf}");
    let directive = &directives[0];
    assert!(directive["Namespace"].as_str().is_some_and(|n| !n.is_empty()), "{emf}");
    for set in directive["Dimensions"].as_array().expect("Dimensions is a list") {
        for dimension in set.as_array().expect("a dimension set is a list") {
            let name = dimension.as_str().expect("a dimension is named");
            assert!(emf[name].is_string(), "dimension {name} is a string: {emf}");
        }
    }
    for metric in directive["Metrics"].as_array().expect("Metrics is a list") {
        let name = metric["Name"].as_str().expect("a metric is named");
        assert!(
            ["Milliseconds", "Count"].contains(&metric["Unit"].as_str().unwrap_or_default()),
            "{emf}"
        );
        assert!(emf[name].is_number(), "metric {name} is a number: {emf}");
    }
    emf
}

fn record<'a>(resource_type: &'a str) -> Record<'a> {
    Record {
        resource_type,
        request_type: "Create",
        outcome: "SUCCESS",
        request_id: "r-1",
        logical_resource_id: "Res",
        duration: Duration::from_millis(1234),
        counts: Counts {
            aws_calls: 7,
            throttled_calls: 1,
            retried_calls: 2,
            replica_wait_ms: 500,
        },
    }
}

#[test]
fn a_line_is_valid_emf_with_the_dimensions_metrics_and_request_id() {
    // GIVEN a ReplicaKey request's record
    let at = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    // WHEN it is written as EMF
    let line = emf("MrkProvider", &record("Custom::ReplicaKey"), at).to_string();
    // THEN the line is valid EMF and carries every number, and the ids as plain properties
    let emf = valid_emf(&line);
    assert_eq!(emf["_aws"]["Timestamp"], 1_800_000_000_000u64);
    let directive = &emf["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], "MrkProvider");
    assert_eq!(
        directive["Dimensions"],
        json!([["ResourceType", "RequestType", "Outcome"]])
    );
    let names: Vec<&str> = directive["Metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Duration", "AwsCalls", "ThrottledCalls", "RetriedCalls", "ReplicaWait"]
    );
    assert_eq!(
        (&emf["ResourceType"], &emf["RequestType"], &emf["Outcome"]),
        (&json!("Custom::ReplicaKey"), &json!("Create"), &json!("SUCCESS"))
    );
    assert_eq!(
        [
            &emf["Duration"],
            &emf["AwsCalls"],
            &emf["ThrottledCalls"],
            &emf["RetriedCalls"],
            &emf["ReplicaWait"]
        ],
        [&json!(1234), &json!(7), &json!(1), &json!(2), &json!(500)]
    );
    assert_eq!(
        (&emf["RequestId"], &emf["LogicalResourceId"]),
        (&json!("r-1"), &json!("Res"))
    );
}

#[test]
fn only_a_replica_key_line_has_a_replica_wait() {
    let emf = emf(
        "MrkProvider",
        &record("Custom::CrossRegionParameter"),
        SystemTime::now(),
    );
    let line = emf.to_string();
    let emf = valid_emf(&line);
    assert!(emf.get("ReplicaWait").is_none(), "{emf}");
    assert_eq!(
        emf["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().unwrap().len(),
        4
    );
}

#[test]
fn a_blank_or_unset_namespace_means_no_metrics() {
    assert_eq!(namespace(None), None);
    assert_eq!(namespace(Some("  ".into())), None);
    assert_eq!(namespace(Some(" Platform/Mrk ".into())), Some("Platform/Mrk".into()));
}

#[tokio::test]
async fn counts_go_to_the_request_that_made_them_and_retries_are_what_the_attempts_add() {
    // GIVEN two requests counting at once, one of them in a task of its own
    let (first, second) = (Arc::new(Counters::default()), Arc::new(Counters::default()));
    let one = measured(first.clone(), async {
        // an SDK operation of three attempts, one throttled; a provider retry of one more
        execution();
        attempt();
        throttled();
        attempt();
        attempt();
        execution();
        attempt();
        retried();
        tokio::task::yield_now().await;
    });
    let two = measured(second.clone(), async {
        tokio::spawn(carried(async {
            execution();
            attempt();
        }))
        .await
        .unwrap();
    });
    tokio::join!(one, two);
    // AND a call outside any request
    attempt();
    // THEN each request has its own counts
    assert_eq!(
        first.counts(),
        Counts {
            aws_calls: 4,
            throttled_calls: 1,
            retried_calls: 3,
            replica_wait_ms: 0
        }
    );
    assert_eq!(
        second.counts(),
        Counts {
            aws_calls: 1,
            ..Counts::default()
        }
    );
}

#[tokio::test(start_paused = true)]
async fn the_longest_replica_wait_is_reported() {
    let counters = Arc::new(Counters::default());
    measured(counters.clone(), async {
        let short = ReplicaWait::start();
        let long = ReplicaWait::start();
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(short);
        tokio::time::sleep(Duration::from_millis(400)).await;
        drop(long);
    })
    .await;
    assert_eq!(counters.counts().replica_wait_ms, 700);
}

#[test]
fn the_line_shown_in_the_reference_is_one_this_code_writes() {
    // GIVEN the example line of docs/reference.md's Metrics section
    let reference = include_str!("../../../docs/reference.md");
    let section = &reference[reference.find("### Metrics").expect("the Metrics section")..];
    let start = section.find("```json\n").expect("an example line") + "```json\n".len();
    let example = section[start..].lines().next().expect("one line");
    // WHEN it is read as EMF THEN it is valid, and has the keys this code writes for its record
    let shown = valid_emf(example);
    let counts = Counts {
        aws_calls: shown["AwsCalls"].as_u64().unwrap(),
        throttled_calls: shown["ThrottledCalls"].as_u64().unwrap(),
        retried_calls: shown["RetriedCalls"].as_u64().unwrap(),
        replica_wait_ms: shown["ReplicaWait"].as_u64().unwrap(),
    };
    let record = Record {
        resource_type: shown["ResourceType"].as_str().unwrap(),
        request_type: shown["RequestType"].as_str().unwrap(),
        outcome: shown["Outcome"].as_str().unwrap(),
        request_id: shown["RequestId"].as_str().unwrap(),
        logical_resource_id: shown["LogicalResourceId"].as_str().unwrap(),
        duration: Duration::from_millis(shown["Duration"].as_u64().unwrap()),
        counts,
    };
    let at = UNIX_EPOCH + Duration::from_millis(shown["_aws"]["Timestamp"].as_u64().unwrap());
    let namespace = shown["_aws"]["CloudWatchMetrics"][0]["Namespace"].as_str().unwrap();
    assert_eq!(emf(namespace, &record, at), shown);
}

use aws_smithy_mocks::{RuleMode, mock_client};

use super::*;
use crate::test_support::assume_role_rule;

/// Clients whose STS answers every AssumeRole with credentials valid for 15 minutes; no other
/// service has a rule.
fn clients_with_sts() -> (Clients, aws_smithy_mocks::Rule) {
    let assume = assume_role_rule("ASIAROLE", Duration::from_secs(900));
    let sts_rule = assume.clone();
    let clients = Clients::new(ClientMakers {
        kms: Box::new(|_: &str| mock_client!(aws_sdk_kms, [])),
        ssm: Box::new(|_: &str| mock_client!(aws_sdk_ssm, [])),
        cloudformation: Box::new(|_: &str| mock_client!(aws_sdk_cloudformation, [])),
        sts: Box::new(move |_: &str| mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&sts_rule])),
        ssm_as: Box::new(|_: &str, _: &Credentials| mock_client!(aws_sdk_ssm, [])),
    });
    (clients, assume)
}

fn session(n: usize) -> RoleSession {
    RoleSession {
        role_arn: format!("arn:aws:iam::222222222222:role/r{n}"),
        external_id: None,
        session_name: "mrk-provider-app".into(),
    }
}

#[tokio::test]
async fn every_role_a_process_assumed_is_reused_up_to_the_session_bound() {
    // GIVEN a process that assumed MAX_SESSIONS different roles
    let (clients, assume) = clients_with_sts();
    let progress = Progress::default();
    let take = |n: usize| {
        let (clients, progress) = (&clients, &progress);
        async move {
            clients
                .assume_role(&session(n), "222222222222", "us-east-1", progress, &WriteGate::open())
                .await
                .unwrap();
        }
    };
    for n in 0..MAX_SESSIONS {
        take(n).await;
    }
    assert_eq!(assume.num_calls(), MAX_SESSIONS);

    // WHEN each is asked for again, THEN none is assumed a second time
    for n in 0..MAX_SESSIONS {
        take(n).await;
    }
    assert_eq!(assume.num_calls(), MAX_SESSIONS);

    // AND one role more forgets them all rather than growing past the bound
    take(MAX_SESSIONS).await;
    take(0).await;
    assert_eq!(assume.num_calls(), MAX_SESSIONS + 2);
}

#[test]
fn credentials_are_reused_only_while_more_than_the_margin_is_left() {
    let now = SystemTime::now();
    let role = |expiry: SystemTime| {
        let credentials = Credentials::new("ASIAROLE", "secret", None, Some(expiry), "test");
        let ssm_as: Arc<MakeSsmAs> = Arc::new(|_: &str, _: &Credentials| mock_client!(aws_sdk_ssm, []));
        AssumedRole::new(
            "222222222222",
            credentials,
            ssm_as,
            Arc::new(Mutex::new(HashMap::new())),
        )
    };
    assert!(role(now + REUSE_MARGIN + Duration::from_secs(1)).reusable_at(now));
    assert!(!role(now + REUSE_MARGIN).reusable_at(now));
    assert!(!role(now).reusable_at(now));
}

fn read(vars: &[(&str, &str)]) -> LambdaEnvironment {
    LambdaEnvironment::read(|name| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_string())
    })
}

#[test]
fn lambda_credentials_and_region_are_read_from_the_environment() {
    let found = read(&[
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "token"),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ]);
    assert_eq!(
        found,
        LambdaEnvironment {
            credentials: true,
            region: Some("eu-west-1".into())
        }
    );
}

#[test]
fn without_both_keys_or_a_region_the_default_chains_decide() {
    let found = read(&[("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"), ("AWS_SECRET_ACCESS_KEY", " ")]);
    assert_eq!(
        found,
        LambdaEnvironment {
            credentials: false,
            region: None
        }
    );
    assert_eq!(
        read(&[("AWS_DEFAULT_REGION", "us-west-2")]).region.as_deref(),
        Some("us-west-2")
    );
}

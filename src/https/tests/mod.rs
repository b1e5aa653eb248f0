use super::*;
use crate::test_support::unreachable_url;
use aws_sdk_kms::config::{Credentials, Region};

fn kms(https: &Https, endpoint: &str) -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::Config::builder()
            .behavior_version_latest()
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDEXAMPLE", "secret", None, None, "test"))
            .endpoint_url(endpoint)
            .retry_config(aws_sdk_kms::config::retry::RetryConfig::disabled())
            .http_client(https.sdk_client())
            .build(),
    )
}

const AMAZON_ROOT_CA_1: &str = include_str!("../../../tests/fixtures/amazon-root-ca-1.pem");

fn bundle(dir: &std::path::Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("a temporary file can be written");
    path
}

#[test]
fn a_bundle_is_read_when_it_has_a_certificate() {
    let dir = test_dir("read");
    let text = format!("# a comment\n{AMAZON_ROOT_CA_1}");
    assert_eq!(
        read_bundle(&bundle(&dir, "bundle.pem", &text)).as_deref(),
        Some(text.as_bytes())
    );
    let key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assert_eq!(read_bundle(&bundle(&dir, "no-certificate.pem", key)), None);
    assert_eq!(read_bundle(&bundle(&dir, "empty.pem", "")), None);
    assert_eq!(read_bundle(&dir.join("missing.pem")), None);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_bundle_the_sdk_cannot_parse_gives_no_connector_instead_of_a_panic() {
    assert!(connector_trusting_bundle(format!("{AMAZON_ROOT_CA_1}{AMAZON_ROOT_CA_1}").into()).is_some());
    // DER that is not a certificate, and PEM that is not base64: the SDK panics on both
    let not_a_certificate = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    let broken_pem = "-----BEGIN CERTIFICATE-----\nMIID!!\n-----END CERTIFICATE-----\n";
    for bad in [not_a_certificate, broken_pem] {
        let pem = format!("{AMAZON_ROOT_CA_1}{bad}");
        assert!(connector_trusting_bundle(pem.into()).is_none(), "{bad}");
    }
}

/// Runs the test `name` of this test binary in a child process whose environment has `vars` set
/// (`None`: removed), and says whether it passed. The variables that choose the CA bundle are read
/// from the process environment, which every test of this process shares; changing it here would
/// race with the tests that build a connector.
fn passes_in_child(name: &str, vars: &[(&str, Option<&std::path::Path>)]) -> bool {
    let mut child = std::process::Command::new(std::env::current_exe().expect("the test binary"));
    child.args([name, "--exact", "--ignored", "--test-threads=1"]);
    for (var, value) in vars {
        match value {
            Some(value) => child.env(var, value),
            None => child.env_remove(var),
        };
    }
    let output = child.output().expect("the test binary runs again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("running 1 test"), "the child ran {name}: {stdout}");
    output.status.success()
}

/// Run by [`the_bundle_is_the_file_ssl_cert_file_names_unless_ssl_cert_dir_is_set`], in a child
/// process: `bundle_path()` is what `MRK_TEST_EXPECTED_BUNDLE` says (unset: `None`).
#[test]
#[ignore = "run in a child process, with its own environment, by the test above it"]
fn bundle_path_in_this_environment() {
    assert_eq!(
        bundle_path(),
        std::env::var_os("MRK_TEST_EXPECTED_BUNDLE").map(PathBuf::from)
    );
}

#[test]
fn the_bundle_is_the_file_ssl_cert_file_names_unless_ssl_cert_dir_is_set() {
    // GIVEN a bundle file named by SSL_CERT_FILE
    let dir = test_dir("path");
    let file = bundle(&dir, "bundle.pem", AMAZON_ROOT_CA_1);
    let child = "https::tests::bundle_path_in_this_environment";

    // WHEN SSL_CERT_DIR is not set THEN that file is the bundle
    assert!(passes_in_child(
        child,
        &[
            ("SSL_CERT_FILE", Some(&file)),
            ("SSL_CERT_DIR", None),
            ("MRK_TEST_EXPECTED_BUNDLE", Some(&file)),
        ]
    ));
    // WHEN SSL_CERT_DIR is set too THEN there is no bundle: the SDK's default reads the directories
    assert!(passes_in_child(
        child,
        &[
            ("SSL_CERT_FILE", Some(&file)),
            ("SSL_CERT_DIR", Some(&dir)),
            ("MRK_TEST_EXPECTED_BUNDLE", None),
        ]
    ));
    // AND the check can fail: a child that expects another file does
    assert!(!passes_in_child(
        child,
        &[
            ("SSL_CERT_FILE", Some(&file)),
            ("SSL_CERT_DIR", None),
            ("MRK_TEST_EXPECTED_BUNDLE", Some(&dir.join("other.pem"))),
        ]
    ));
    let _ = std::fs::remove_dir_all(dir);
}

fn test_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mrk-https-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory can be made");
    dir
}

#[tokio::test]
async fn creating_clients_sets_up_no_tls_and_the_first_call_builds_the_one_connector() {
    // GIVEN an address where nothing listens
    let nowhere = unreachable_url();
    let https = Https::default();

    // WHEN two clients are created, nothing is built
    let first = kms(&https, &nowhere);
    let second = kms(&https, &nowhere);
    assert!(https.connector.get().is_none(), "creating a client built a connector");

    // THEN the first call builds the connector
    assert!(first.list_keys().send().await.is_err(), "nothing listens there");
    assert!(https.connector.get().is_some());
    assert!(second.list_keys().send().await.is_err());
}

#[tokio::test]
async fn a_connector_prepared_in_the_background_is_ready_without_a_call_and_serves_calls() {
    let https = Https::default();
    https.prepare_in_background();
    let ready = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while https.connector.get().is_none() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(ready.is_ok(), "the background build finished");
    assert!(kms(&https, &unreachable_url()).list_keys().send().await.is_err());
}

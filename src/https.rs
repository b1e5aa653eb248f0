//! The one HTTPS connector of the process. Every AWS SDK client and the answer PUT to `ResponseURL`
//! go through it, so a process sets up TLS (crypto provider, the platform's CA certificates) once, and
//! shares one connection pool.
//!
//! The SDK's default client would instead build a connector, and parse every CA certificate into a
//! new root store, once when each client is created (to check the configuration, then thrown away)
//! and again on its first call; reqwest would have loaded the certificates a second time.
//!
//! The CA certificates come from the platform's CA bundle file, read once, when it has one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_smithy_http_client::Connector;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::{
    HttpConnectorSettings, SharedHttpClient, SharedHttpConnector, http_client_fn,
};

/// How long a new connection may take, for AWS calls and answers alike.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A cheap handle on the process's connector, built on first use.
#[derive(Clone, Default)]
pub struct Https {
    connector: Arc<OnceLock<SharedHttpConnector>>,
}

impl Https {
    /// The connector: rustls with the AWS SDK's crypto provider and the platform's CA certificates.
    pub fn connector(&self) -> SharedHttpConnector {
        self.connector
            .get_or_init(|| SharedHttpConnector::new(build_connector()))
            .clone()
    }

    /// Builds the connector on a blocking thread of the runtime while the process goes on to ask for
    /// its first event, so the TLS setup (most of it decoding the CA bundle; docs/benchmarks.md has its
    /// cost) overlaps that instead of delaying the first AWS call. A call that comes sooner waits for it.
    pub fn prepare_in_background(&self) {
        let https = self.clone();
        tokio::task::spawn_blocking(move || {
            https.connector();
        });
    }

    /// The same connector as an SDK HTTP client, for `SdkConfig`. Per-client connector settings are
    /// not needed: the only one the configuration sets is [`CONNECT_TIMEOUT`], which the connector has,
    /// and each call's time limit is the SDK's attempt timeout.
    pub fn sdk_client(&self) -> SharedHttpClient {
        let https = self.clone();
        http_client_fn(move |_settings, _components| https.connector())
    }
}

/// The connector, trusting the platform's CA bundle file (see [`read_bundle`]), or the SDK's default
/// trust store when there is no bundle or the SDK cannot take it.
fn build_connector() -> Connector {
    if let Some(pem) = bundle_path().and_then(|file| read_bundle(&file)) {
        match connector_trusting_bundle(pem) {
            Some(connector) => return connector,
            None => tracing::warn!(
                "the platform's CA bundle has a certificate that the AWS SDK cannot parse; \
                 every certificate file of the platform is read instead"
            ),
        }
    }
    connector_trusting(TrustStore::default())
}

fn connector_trusting(trust_store: TrustStore) -> Connector {
    Connector::builder()
        .connector_settings(
            HttpConnectorSettings::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .build(),
        )
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(
            TlsContext::builder()
                .with_trust_store(trust_store)
                .build()
                .unwrap_or_default(),
        )
        .build()
}

/// A connector that trusts exactly the certificates of `pem`, or `None` if the SDK rejects one of them.
/// The SDK panics on a certificate it cannot parse that was given to it (its default trust store
/// skips one instead). Checking each certificate before would decode the bundle twice, the largest
/// part of the TLS setup done twice on every cold start; the panic is caught instead.
fn connector_trusting_bundle(pem: Vec<u8>) -> Option<Connector> {
    std::panic::catch_unwind(move || connector_trusting(TrustStore::empty().with_pem_certificate(pem))).ok()
}

/// The platform's CA bundle file, the one OpenSSL reads: `SSL_CERT_FILE`, or where the distribution
/// keeps it, as `openssl-probe` finds it. `None` when `SSL_CERT_DIR` is set: someone chose
/// certificate directories on purpose, and the SDK's default reads them.
fn bundle_path() -> Option<PathBuf> {
    if std::env::var_os("SSL_CERT_DIR").is_some() {
        return None;
    }
    openssl_probe::probe().cert_file
}

/// The bundle's bytes, if it can be read and has at least one certificate.
///
/// Why the bundle alone: the SDK's default also reads every file in the certificate directories. On
/// Debian and Ubuntu those hold the bundle's certificates again, one file each, so every certificate
/// was read and decoded twice: 3.5 ms against 0.9 ms for the bundle alone on the benchmark machine
/// (145 certificates). OpenSSL itself reads the bundle, and looks in the directories only for a
/// certificate that the bundle lacks.
fn read_bundle(file: &Path) -> Option<Vec<u8>> {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    let pem = std::fs::read(file).ok()?;
    pem.windows(BEGIN.len()).any(|window| window == BEGIN).then_some(pem)
}

#[cfg(test)]
mod tests {
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

    const AMAZON_ROOT_CA_1: &str = include_str!("../tests/fixtures/amazon-root-ca-1.pem");

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
}

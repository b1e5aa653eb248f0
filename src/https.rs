//! The one HTTPS connector of the process. Every AWS SDK client and the answer PUT to `ResponseURL`
//! go through it, so a process sets up TLS (crypto provider, the platform's CA certificates) once, and
//! shares one connection pool.
//!
//! The SDK's default client would instead build a connector, and parse every CA certificate into a
//! new root store, once when each client is created (to check the configuration, then thrown away)
//! and again on its first call; reqwest would have loaded the certificates a second time.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_smithy_http_client::Connector;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
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
            .get_or_init(|| {
                SharedHttpConnector::new(
                    Connector::builder()
                        .connector_settings(
                            HttpConnectorSettings::builder()
                                .connect_timeout(CONNECT_TIMEOUT)
                                .build(),
                        )
                        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
                        .build(),
                )
            })
            .clone()
    }

    /// Builds the connector on a blocking thread of the runtime while the process goes on to ask for
    /// its first event, so the TLS setup (about 4 ms of CPU on the benchmark machine, most of it
    /// decoding the PEM certificates) overlaps that instead of delaying the first AWS call. A call that
    /// comes sooner waits for it.
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

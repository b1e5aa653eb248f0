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
mod tests;

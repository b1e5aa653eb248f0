//! AWS access: one client per service and region, built once per process and cached, with retries
//! and timeouts that fit inside a custom resource's deadline.

pub mod kms;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use crate::protocol::Progress;

/// Retries for every AWS call: the SDK's standard mode (exponential backoff with jitter, throttling
/// and transient errors retried), 6 attempts in all, at most 5 s between two attempts.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(6)
        .with_initial_backoff(Duration::from_millis(250))
        .with_max_backoff(Duration::from_secs(5))
}

/// Timeouts for every AWS call. There is no overall operation timeout: the deadline guard bounds the
/// whole request; these only stop one stuck attempt so that the retry can go ahead.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(30))
        .build()
}

/// Loads the AWS configuration of the Lambda environment (credentials, default region, and
/// `AWS_ENDPOINT_URL` for a local AWS) with [`retry_config`] and [`timeout_config`].
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(timeout_config())
        .load()
        .await
}

/// Builds clients on first use and hands out cheap clones after.
struct RegionCache<C> {
    make: Box<dyn Fn(&str) -> C + Send + Sync>,
    cache: Mutex<HashMap<String, C>>,
}

impl<C: Clone> RegionCache<C> {
    fn new(make: impl Fn(&str) -> C + Send + Sync + 'static) -> Self {
        RegionCache {
            make: Box::new(make),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, region: &str) -> C {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache
            .entry(region.to_string())
            .or_insert_with(|| (self.make)(region))
            .clone()
    }
}

/// The AWS clients of the process, one per service and region.
pub struct Clients {
    kms: RegionCache<aws_sdk_kms::Client>,
}

impl Clients {
    /// Clients built from `config`, each with its region set.
    pub fn from_config(config: &SdkConfig) -> Self {
        let config = Arc::new(config.clone());
        Clients::new(move |region| {
            let conf = aws_sdk_kms::config::Builder::from(config.as_ref())
                .region(Region::new(region.to_string()))
                .build();
            aws_sdk_kms::Client::from_conf(conf)
        })
    }

    /// Clients made by the given functions (tests pass mocked clients here).
    pub fn new(kms: impl Fn(&str) -> aws_sdk_kms::Client + Send + Sync + 'static) -> Self {
        Clients {
            kms: RegionCache::new(kms),
        }
    }

    /// KMS in `region`, reporting its calls to `progress`.
    pub fn kms<'a>(&self, region: &'a str, progress: &'a Progress) -> kms::Kms<'a> {
        kms::Kms::new(self.kms.get(region), region, progress)
    }
}

//! AWS access: one client per service and region, built once per process and cached, with retries
//! and timeouts that fit inside a custom resource's deadline.

pub mod cloudformation;
pub mod fault;
pub mod kms;
pub mod measure;
pub mod rate_limit;
pub mod retry;
pub mod ssm;
pub mod sts;
pub mod write_gate;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ssm::config::Credentials;

use crate::Error;
use crate::https::Https;
use crate::progress::Progress;
use measure::Throttling;
use rate_limit::RateLimiter;
use sts::RoleSession;
use write_gate::WriteGate;

/// Calls a second that the provider sends to SSM in one region at most, with [`SSM_BURST`]: at most 38
/// start in any one-second window, under SSM's default quota of 40 transactions a second per account
/// and region, leaving room for other callers. Throttling lowers it ([`RateLimiter`]).
pub const SSM_CALLS_PER_SECOND: u32 = 30;
/// Calls that may start at once after a pause: as many as one request has in flight in a region, so a
/// resource of up to 8 names writes them all at once and only a larger one is paced.
pub const SSM_BURST: u32 = 8;

/// Retries for every AWS call: the SDK's standard mode (exponential backoff with jitter, throttling
/// and transient errors retried), 6 attempts in all, at most 5 s between two attempts.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(6)
        .with_initial_backoff(Duration::from_millis(250))
        .with_max_backoff(Duration::from_secs(5))
}

/// SSM clients have the SDK's retries off: every SSM call goes through [`retry::send`], which
/// retries it itself, each attempt paced by the region's adaptive [`RateLimiter`] (an SDK retry would
/// bypass it), throttling for as long as the deadline allows.
pub fn with_ssm_retries(builder: aws_sdk_ssm::config::Builder) -> aws_sdk_ssm::config::Builder {
    builder.retry_config(RetryConfig::disabled())
}

/// KMS clients have the SDK's retries off for the same reason as SSM's ([`with_ssm_retries`]): every
/// KMS call goes through [`retry::send`], paced by the region's limiter of its operation
/// ([`kms::Limiters`]).
pub fn with_kms_retries(builder: aws_sdk_kms::config::Builder) -> aws_sdk_kms::config::Builder {
    builder.retry_config(RetryConfig::disabled())
}

/// What every KMS client is built with, in production and in tests: [`with_kms_retries`], and the
/// interceptor that counts its calls into the request's metrics ([`measure`]).
pub fn kms_settings(builder: aws_sdk_kms::config::Builder) -> aws_sdk_kms::config::Builder {
    with_kms_retries(builder).interceptor(measure::interceptor(Throttling::ByCaller))
}

/// What every SSM client is built with: [`with_ssm_retries`] and the metrics interceptor.
pub fn ssm_settings(builder: aws_sdk_ssm::config::Builder) -> aws_sdk_ssm::config::Builder {
    with_ssm_retries(builder).interceptor(measure::interceptor(Throttling::ByCaller))
}

/// What every CloudFormation client is built with: the metrics interceptor (the SDK retries these calls,
/// so the interceptor tells which attempts were throttled).
pub fn cloudformation_settings(
    builder: aws_sdk_cloudformation::config::Builder,
) -> aws_sdk_cloudformation::config::Builder {
    builder.interceptor(measure::interceptor(Throttling::Classified))
}

/// What every STS client is built with: the metrics interceptor, as for CloudFormation.
pub fn sts_settings(builder: aws_sdk_sts::config::Builder) -> aws_sdk_sts::config::Builder {
    builder.interceptor(measure::interceptor(Throttling::Classified))
}

/// Timeouts for every AWS call. There is no overall operation timeout: the deadline guard bounds the
/// whole request; these only stop one stuck attempt so that the retry can go ahead.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(crate::https::CONNECT_TIMEOUT)
        .operation_attempt_timeout(Duration::from_secs(30))
        .build()
}

/// Loads the AWS configuration of the Lambda environment (credentials, default region, and
/// `AWS_ENDPOINT_URL` for a local AWS) with [`retry_config`] and [`timeout_config`]; every client
/// calls through `https`.
pub async fn load_config(https: &Https) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https.sdk_client())
        .retry_config(retry_config())
        .timeout_config(timeout_config());
    let found = LambdaEnvironment::read(|name| std::env::var(name).ok());
    if found.credentials {
        loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
    }
    if let Some(region) = found.region {
        loader = loader.region(Region::new(region));
    }
    loader.load().await
}

/// What Lambda puts in every function's environment. When it is there it is read directly: the
/// default chains would find it first too, but they also build a provider, and for some a client, for
/// every other source (STS for web identity, IMDS, the container endpoint, profiles) that Lambda never
/// uses. Elsewhere (a laptop with a profile) the default chains apply.
#[derive(Debug, PartialEq, Eq)]
struct LambdaEnvironment {
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` are both set.
    credentials: bool,
    /// `AWS_REGION`, else `AWS_DEFAULT_REGION`.
    region: Option<String>,
}

impl LambdaEnvironment {
    fn read(var: impl Fn(&str) -> Option<String>) -> Self {
        let set = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        LambdaEnvironment {
            credentials: set("AWS_ACCESS_KEY_ID").is_some() && set("AWS_SECRET_ACCESS_KEY").is_some(),
            region: set("AWS_REGION").or_else(|| set("AWS_DEFAULT_REGION")),
        }
    }
}

/// Makes the client of one region.
pub type MakeClient<C> = Box<dyn Fn(&str) -> C + Send + Sync>;

/// Builds clients on first use and hands out cheap clones after.
struct RegionCache<C> {
    make: MakeClient<C>,
    cache: Mutex<HashMap<String, C>>,
}

impl<C: Clone> RegionCache<C> {
    fn new(make: MakeClient<C>) -> Self {
        RegionCache {
            make,
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

/// The KMS client of one region and the rate limiters of its operations, which every request shares.
#[derive(Clone)]
struct KmsRegion {
    client: aws_sdk_kms::Client,
    limiters: Arc<kms::Limiters>,
}

/// The SSM client of one region and the rate limiter that every call to that region shares.
#[derive(Clone)]
struct SsmRegion {
    client: aws_sdk_ssm::Client,
    limiter: Arc<RateLimiter>,
}

/// An assumed role's credentials are reused by later requests while they stay valid this long: a
/// request lasts at most the function's timeout (5 minutes), so they outlive any request that takes
/// them. With [`sts::SESSION_LENGTH`] of 15 minutes, a role is assumed again every 9 minutes at most.
pub const REUSE_MARGIN: Duration = Duration::from_secs(360);
/// Assumed-role sessions a process keeps at most (one per role, external id and calling stack).
const MAX_SESSIONS: usize = 64;

/// Makes the SSM client of one region with an assumed role's credentials.
pub type MakeSsmAs = dyn Fn(&str, &Credentials) -> aws_sdk_ssm::Client + Send + Sync;

/// The rate limiters of the accounts reached through roles, by account and region: SSM's quota is per
/// account and region, whichever role calls.
type Limiters = Mutex<HashMap<(String, String), Arc<RateLimiter>>>;

fn new_limiter() -> Arc<RateLimiter> {
    Arc::new(RateLimiter::new(SSM_CALLS_PER_SECOND, SSM_BURST))
}

/// The AWS clients of the process, one per service and region, and of each role it assumed.
pub struct Clients {
    kms: RegionCache<KmsRegion>,
    ssm: RegionCache<SsmRegion>,
    cloudformation: RegionCache<aws_sdk_cloudformation::Client>,
    /// Built on the first `RoleArn`: a request without one never pays for it.
    sts: RegionCache<aws_sdk_sts::Client>,
    ssm_as: Arc<MakeSsmAs>,
    sessions: Mutex<HashMap<RoleSession, AssumedRole>>,
    limiters: Arc<Limiters>,
}

/// The functions that make a region's client of each service (tests pass mocked clients).
pub struct ClientMakers {
    /// KMS.
    pub kms: MakeClient<aws_sdk_kms::Client>,
    /// SSM.
    pub ssm: MakeClient<aws_sdk_ssm::Client>,
    /// CloudFormation.
    pub cloudformation: MakeClient<aws_sdk_cloudformation::Client>,
    /// STS.
    pub sts: MakeClient<aws_sdk_sts::Client>,
    /// SSM with an assumed role's credentials.
    pub ssm_as: Box<MakeSsmAs>,
}

/// A role this process assumed: the account it reaches and the SSM clients there, by region. Cheap to
/// clone.
#[derive(Clone)]
pub struct AssumedRole(Arc<Session>);

struct Session {
    credentials: Credentials,
    ssm: RegionCache<SsmRegion>,
}

impl AssumedRole {
    fn new(account: &str, credentials: Credentials, make: Arc<MakeSsmAs>, limiters: Arc<Limiters>) -> Self {
        let (account, for_clients) = (account.to_string(), credentials.clone());
        let ssm = RegionCache::new(Box::new(move |region| SsmRegion {
            client: make(region, &for_clients),
            limiter: limiters
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry((account.clone(), region.to_string()))
                .or_insert_with(new_limiter)
                .clone(),
        }));
        AssumedRole(Arc::new(Session { credentials, ssm }))
    }

    /// `true` while the credentials stay valid for at least [`REUSE_MARGIN`] after `now`.
    fn reusable_at(&self, now: SystemTime) -> bool {
        self.0
            .credentials
            .expiry()
            .is_some_and(|expiry| expiry > now + REUSE_MARGIN)
    }
}

impl Clients {
    /// Clients built from `config`, each with its region set; SSM and KMS clients use
    /// [`with_ssm_retries`] and [`with_kms_retries`].
    pub fn from_config(config: &SdkConfig) -> Self {
        let config = Arc::new(config.clone());
        let (kms_config, ssm_config, cfn_config, sts_config, ssm_as_config) =
            (config.clone(), config.clone(), config.clone(), config.clone(), config);
        Clients::new(ClientMakers {
            kms: Box::new(move |region: &str| {
                let conf = kms_settings(
                    aws_sdk_kms::config::Builder::from(kms_config.as_ref()).region(Region::new(region.to_string())),
                )
                .build();
                aws_sdk_kms::Client::from_conf(conf)
            }),
            ssm: Box::new(move |region: &str| {
                let conf = ssm_settings(
                    aws_sdk_ssm::config::Builder::from(ssm_config.as_ref()).region(Region::new(region.to_string())),
                )
                .build();
                aws_sdk_ssm::Client::from_conf(conf)
            }),
            cloudformation: Box::new(move |region: &str| {
                let conf = cloudformation_settings(
                    aws_sdk_cloudformation::config::Builder::from(cfn_config.as_ref())
                        .region(Region::new(region.to_string())),
                )
                .build();
                aws_sdk_cloudformation::Client::from_conf(conf)
            }),
            sts: Box::new(move |region: &str| {
                let conf = sts_settings(
                    aws_sdk_sts::config::Builder::from(sts_config.as_ref()).region(Region::new(region.to_string())),
                )
                .build();
                aws_sdk_sts::Client::from_conf(conf)
            }),
            // The session's credentials as they are: they need no cache, and the request that took
            // them checked that they outlive it.
            ssm_as: Box::new(move |region: &str, credentials: &Credentials| {
                let conf = ssm_settings(
                    aws_sdk_ssm::config::Builder::from(ssm_as_config.as_ref())
                        .region(Region::new(region.to_string()))
                        .credentials_provider(credentials.clone())
                        .identity_cache(aws_sdk_ssm::config::IdentityCache::no_cache()),
                )
                .build();
                aws_sdk_ssm::Client::from_conf(conf)
            }),
        })
    }

    /// Clients made by the given functions (tests pass mocked clients here).
    pub fn new(makers: ClientMakers) -> Self {
        // Every maker builds its clients with its service's settings (`kms_settings`, ...), whose
        // interceptor counts each call into the request's metrics.
        let ClientMakers {
            kms,
            ssm,
            cloudformation,
            sts,
            ssm_as,
        } = makers;
        Clients {
            kms: RegionCache::new(Box::new(move |region| KmsRegion {
                client: kms(region),
                limiters: Arc::default(),
            })),
            ssm: RegionCache::new(Box::new(move |region| SsmRegion {
                client: ssm(region),
                limiter: new_limiter(),
            })),
            cloudformation: RegionCache::new(cloudformation),
            sts: RegionCache::new(sts),
            ssm_as: Arc::from(ssm_as),
            sessions: Mutex::new(HashMap::new()),
            limiters: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// KMS in `region`, reporting its calls to `progress`, paced by the region's rate limiters; its
    /// changes pass `gate` first.
    pub fn kms<'a>(&self, region: &'a str, progress: &'a Progress, gate: &'a WriteGate) -> kms::Kms<'a> {
        let KmsRegion { client, limiters } = self.kms.get(region);
        kms::Kms::new(client, limiters, region, progress, gate)
    }

    /// SSM in `region`, reporting its calls to `progress`, paced by the region's rate limiter; its
    /// changes pass `gate` first.
    pub fn ssm<'a>(&self, region: &'a str, progress: &'a Progress, gate: &'a WriteGate) -> ssm::Ssm<'a> {
        let SsmRegion { client, limiter } = self.ssm.get(region);
        ssm::Ssm::new(client, limiter, region, progress, gate)
    }

    /// SSM in `region` of the account that `role` reaches, like [`Clients::ssm`].
    pub fn ssm_as<'a>(
        &self,
        role: &AssumedRole,
        region: &'a str,
        progress: &'a Progress,
        gate: &'a WriteGate,
    ) -> ssm::Ssm<'a> {
        let SsmRegion { client, limiter } = role.0.ssm.get(region);
        ssm::Ssm::new(client, limiter, region, progress, gate)
    }

    /// CloudFormation in `region`, reporting its calls to `progress`.
    pub fn cloudformation<'a>(&self, region: &'a str, progress: &'a Progress) -> cloudformation::CloudFormation<'a> {
        cloudformation::CloudFormation::new(self.cloudformation.get(region), region, progress)
    }

    /// The role of `session`, which reaches `account`: the credentials an earlier request took while
    /// they stay valid for [`REUSE_MARGIN`], else AssumeRole through STS in `sts_region` (the
    /// function's own), reported to `progress`. Both wait at `gate` first: no request reaches another
    /// account, and no AssumeRole names a stack, before its caller is verified.
    pub async fn assume_role(
        &self,
        session: &RoleSession,
        account: &str,
        sts_region: &str,
        progress: &Progress,
        gate: &WriteGate,
    ) -> Result<AssumedRole, Error> {
        gate.pass().await?;
        if let Some(known) = self.sessions().get(session)
            && known.reusable_at(SystemTime::now())
        {
            return Ok(known.clone());
        }
        let credentials = sts::Sts::new(self.sts.get(sts_region), sts_region, progress)
            .assume_role(session)
            .await?;
        let role = AssumedRole::new(account, credentials, self.ssm_as.clone(), self.limiters.clone());
        let mut sessions = self.sessions();
        let now = SystemTime::now();
        sessions.retain(|_, known| known.reusable_at(now));
        if sessions.len() >= MAX_SESSIONS {
            sessions.clear();
        }
        sessions.insert(session.clone(), role.clone());
        Ok(role)
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<RoleSession, AssumedRole>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;

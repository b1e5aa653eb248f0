//! The wiring of one Lambda process: reads the function's configuration from the environment, builds
//! the HTTPS connector and the AWS clients once, and gives them to the [`Responder`] with the
//! [`ResourceHandler`] it runs.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::aws::{self, Clients};
use crate::error::ConfigProblem;
use crate::https::Https;
use crate::protocol::{Responder, ResponseMode, ResponseUrls};
use crate::region::partition_of;
use crate::resources::{ResourceHandler, Scope};

/// The environment variable that lets local tests receive answers on a loopback URL. Named so that
/// nobody takes it for a production setting; the deployment templates never set it.
pub const TEST_ONLY_RESPONSE_URL_PREFIX: &str = "MRK_PROVIDER_TEST_ONLY_RESPONSE_URL_PREFIX";

/// The SSM tiers `ALLOWED_PARAMETER_TIERS` may name.
const TIERS: [&str; 3] = ["Standard", "Advanced", "Intelligent-Tiering"];

/// The function's configuration, read once from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `RESPONSE_MODE`.
    pub response_mode: ResponseMode,
    /// What resources may touch (`PARAMETER_PREFIX`, `ALLOWED_REGIONS`, `DECRYPT_PREFIX`).
    pub scope: Scope,
    /// Where answers may be PUT: CloudFormation's response buckets, and for local tests only, the
    /// loopback URL of [`TEST_ONLY_RESPONSE_URL_PREFIX`].
    pub response_urls: ResponseUrls,
    /// A configuration problem, answered as FAILED on every request (an init error would leave the
    /// stack waiting).
    pub problem: Option<ConfigProblem>,
    /// `METRICS_NAMESPACE`: the CloudWatch namespace of the metric lines (none: no metrics).
    pub metrics_namespace: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            response_mode: ResponseMode::Auto,
            scope: Scope::default(),
            response_urls: ResponseUrls::default(),
            problem: None,
            metrics_namespace: None,
        }
    }
}

impl Config {
    /// Reads the configuration through `var` (the process environment in production).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let mut config = Config::default();
        match var("RESPONSE_MODE").as_deref().map(str::trim) {
            None | Some("") | Some("auto") => {}
            Some("cloudformation") => config.response_mode = ResponseMode::CloudFormation,
            Some("provider") => config.response_mode = ResponseMode::ProviderFramework,
            Some(other) => {
                config.problem = Some(ConfigProblem::ResponseMode {
                    value: other.to_string(),
                })
            }
        }
        if let Some(prefix) = var("PARAMETER_PREFIX").filter(|p| !p.trim().is_empty()) {
            if prefix.starts_with('/') {
                config.scope.parameter_prefix = prefix;
            } else {
                config.problem = Some(ConfigProblem::PrefixWithoutSlash {
                    variable: "PARAMETER_PREFIX",
                    value: prefix,
                });
            }
        }
        if let Some(prefix) = var("DECRYPT_PREFIX").filter(|p| !p.trim().is_empty()) {
            if prefix.starts_with('/') {
                config.scope.decrypt_prefix = Some(prefix);
            } else {
                config.problem = Some(ConfigProblem::PrefixWithoutSlash {
                    variable: "DECRYPT_PREFIX",
                    value: prefix,
                });
            }
        }
        if let Some(roles) = var("ASSUMABLE_ROLE_ARNS") {
            let roles: Vec<String> = roles
                .split(',')
                .map(|role| role.trim().to_string())
                .filter(|role| !role.is_empty())
                .collect();
            match roles
                .iter()
                .find(|role| !(role.starts_with("arn:") && role.contains(":role/")))
            {
                Some(bad) => config.problem = Some(ConfigProblem::NotARoleArn { value: bad.clone() }),
                None => config.scope.assumable_role_arns = roles,
            }
        }
        if let Some(accounts) = var("ASSUMABLE_ROLE_ACCOUNTS").filter(|a| !a.trim().is_empty()) {
            let accounts: BTreeSet<String> = accounts.split(',').map(|a| a.trim().to_string()).collect();
            match accounts.iter().find(|a| !crate::region::is_account_id(a)) {
                Some(bad) => config.problem = Some(ConfigProblem::NotAnAccountId { value: bad.clone() }),
                None => config.scope.assumable_role_accounts = Some(accounts),
            }
        }
        config.metrics_namespace = crate::metrics::namespace(var("METRICS_NAMESPACE"));
        config.scope.provider_role_arn = var("PROVIDER_ROLE_ARN").filter(|arn| !arn.trim().is_empty());
        config.scope.service_token_parameter = var("SERVICE_TOKEN_PARAMETER")
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty());
        match var("ALLOW_BYPASS_POLICY_LOCKOUT_SAFETY_CHECK")
            .as_deref()
            .map(str::trim)
        {
            None | Some("") | Some("false") => {}
            Some("true") => config.scope.allow_bypass_lockout_check = true,
            Some(other) => {
                config.problem = Some(ConfigProblem::LockoutBypassFlag {
                    value: other.to_string(),
                })
            }
        }
        if let Some(tiers) = var("ALLOWED_PARAMETER_TIERS").filter(|t| !t.trim().is_empty()) {
            let tiers: BTreeSet<String> = tiers.split(',').map(|t| t.trim().to_string()).collect();
            match tiers.iter().find(|t| !TIERS.contains(&t.as_str())) {
                Some(bad) => {
                    config.problem = Some(ConfigProblem::NotATier {
                        value: bad.clone(),
                        tiers: TIERS.join(", "),
                    })
                }
                None => config.scope.allowed_tiers = tiers,
            }
        }
        if let Some(regions) = var("ALLOWED_REGIONS").filter(|r| !r.trim().is_empty()) {
            let regions: Vec<String> = regions.split(',').map(|r| r.trim().to_string()).collect();
            match regions.iter().find(|r| partition_of(r).is_none()) {
                Some(bad) => config.problem = Some(ConfigProblem::NotARegion { value: bad.clone() }),
                None => config.scope.allowed_regions = Some(regions.into_iter().collect()),
            }
        }
        if let Some(prefix) = var(TEST_ONLY_RESPONSE_URL_PREFIX).filter(|p| !p.trim().is_empty()) {
            match ResponseUrls::with_loopback_prefix(prefix.trim()) {
                Ok(urls) => config.response_urls = urls,
                Err(why) => {
                    config.problem = Some(ConfigProblem::LoopbackPrefix {
                        variable: TEST_ONLY_RESPONSE_URL_PREFIX,
                        why,
                    })
                }
            }
        }
        config
    }
}

/// The responder of a Lambda process: the configuration from the environment, clients from the
/// default AWS configuration, one HTTPS connector for the clients and the answers.
pub async fn responder_from_env() -> Responder<ResourceHandler> {
    let https = Https::default();
    https.prepare_in_background();
    let config = Config::from_vars(|name| std::env::var(name).ok());
    let clients = Clients::from_config(&aws::load_config(&https).await);
    let handler = ResourceHandler::new(clients, config.scope, config.problem);
    Responder::new(Arc::new(handler), config.response_mode, https)
        .with_response_urls(config.response_urls)
        .with_metrics_namespace(config.metrics_namespace)
}

#[cfg(test)]
mod tests;

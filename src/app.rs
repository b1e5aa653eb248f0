//! The wiring of one Lambda process: reads the function's configuration from the environment, builds
//! the HTTPS connector and the AWS clients once, and is the [`Handler`] the protocol runs, dispatching
//! each request to its resource type.

use std::sync::Arc;

use crate::Error;
use crate::aws::{self, Clients};
use crate::https::Https;
use crate::protocol::{Handler, Invocation, Outcome, Responder, ResponseMode};
use crate::resources::{self, Context, Scope};

/// The function's configuration, read once from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `RESPONSE_MODE`.
    pub response_mode: ResponseMode,
    /// What resources may touch (`PARAMETER_PREFIX`).
    pub scope: Scope,
    /// A configuration problem, answered as FAILED on every request (an init error would leave the
    /// stack waiting).
    pub problem: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            response_mode: ResponseMode::Auto,
            scope: Scope::default(),
            problem: None,
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
                config.problem = Some(format!(
                    "RESPONSE_MODE is '{other}'; set it to cloudformation, provider or auto"
                ))
            }
        }
        if let Some(prefix) = var("PARAMETER_PREFIX").filter(|p| !p.trim().is_empty()) {
            if prefix.starts_with('/') {
                config.scope.parameter_prefix = prefix;
            } else {
                config.problem = Some(format!("PARAMETER_PREFIX is '{prefix}'; it must start with '/'"));
            }
        }
        config
    }
}

/// Everything the invocations of one warm Lambda share: the AWS clients and the configuration.
pub struct App {
    clients: Clients,
    config: Config,
}

impl App {
    /// An app with the given clients and configuration.
    pub fn new(clients: Clients, config: Config) -> Self {
        App { clients, config }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl Handler for App {
    async fn handle(&self, invocation: &Invocation) -> Result<Outcome, Error> {
        if let Some(problem) = &self.config.problem {
            return Err(Error::Configuration(problem.clone()));
        }
        let cx = Context {
            clients: &self.clients,
            scope: &self.config.scope,
            invocation,
        };
        resources::dispatch(cx).await
    }
}

/// The responder of a Lambda process: the configuration from the environment, clients from the
/// default AWS configuration, one HTTPS connector for the clients and the answers.
pub async fn responder_from_env() -> Responder<App> {
    let https = Https::default();
    https.prepare_in_background();
    let config = Config::from_vars(|name| std::env::var(name).ok());
    let clients = Clients::from_config(&aws::load_config(&https).await);
    let mode = config.response_mode;
    Responder::new(Arc::new(App::new(clients, config)), mode, https)
}

#[cfg(test)]
mod tests;

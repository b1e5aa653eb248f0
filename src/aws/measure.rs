//! Counts every attempt of every AWS call into the request's [`crate::metrics`], whichever client
//! makes it: an SDK interceptor added to each client when it is built (`aws::kms_settings` and its
//! siblings).

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction, RetryReason};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::ErrorKind;

use crate::metrics;

/// Who tells a throttled attempt: the interceptor (for clients that the SDK retries: CloudFormation,
/// STS), or [`super::retry::send`] (SSM and KMS, whose retries are the provider's own and whose
/// throttling is what it decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttling {
    /// The interceptor counts the attempts the SDK's retry classifiers call throttled.
    Classified,
    /// The caller counts them.
    ByCaller,
}

/// The interceptor.
#[derive(Debug)]
pub struct Measure(Throttling);

impl Intercept for Measure {
    fn name(&self) -> &'static str {
        "mrk-provider metrics"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        metrics::execution();
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        metrics::attempt();
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.0 == Throttling::Classified
            && components.retry_classifiers().any(|classifier| {
                matches!(
                    classifier.classify_retry(context.inner()),
                    RetryAction::RetryIndicated(RetryReason::RetryableError {
                        kind: ErrorKind::ThrottlingError,
                        ..
                    })
                )
            })
        {
            metrics::throttled();
        }
        Ok(())
    }
}

/// The interceptor, for a client whose throttling `throttling` tells.
pub fn interceptor(throttling: Throttling) -> Measure {
    Measure(throttling)
}

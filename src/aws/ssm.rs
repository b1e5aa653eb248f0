//! SSM Parameter Store operations, one small function each. Each is sent through [`retry::send`]
//! (paced by the region's rate limiter, as SSM allows about 40 transactions a second per account and
//! region, and retried while throttled), reports itself to the request's [`Progress`], and turns the SDK's typed errors into what the caller needs: `false`/`None`
//! for the expected outcomes (already exists, not found), an [`Error`] naming the parameter for the
//! rest. Values are never logged and never put into an error.

use std::future::Future;
use std::sync::Arc;

use aws_sdk_ssm::Client;
use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::operation::put_parameter::builders::PutParameterFluentBuilder;
use aws_sdk_ssm::types::{Parameter, ParameterTier, ParameterType, ResourceTypeForTagging, Tag};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;

use super::rate_limit::RateLimiter;
use super::retry;
use super::write_gate::WriteGate;
use crate::Error;
use crate::error::Bug;
use crate::progress::Progress;
use crate::progress::Step;

/// DeleteParameters and GetParameters take at most this many names a call.
pub const MAX_NAMES_PER_CALL: usize = 10;

/// What GetParametersByPath read under a path.
#[derive(Debug)]
pub enum ByPath {
    /// Every parameter under it.
    All(Vec<Parameter>),
    /// More than the bound: how many were read when the paging stopped.
    MoreThan(usize),
}

/// SSM in one region, for one request.
pub struct Ssm<'a> {
    client: Client,
    limiter: Arc<RateLimiter>,
    region: &'a str,
    progress: &'a Progress,
    gate: &'a WriteGate,
}

/// What PutParameter sets besides the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterAttributes {
    /// `String` or `SecureString`.
    pub parameter_type: ParameterType,
    /// KMS key of a `SecureString`; `None` is the account's `alias/aws/ssm`.
    pub key_id: Option<String>,
    /// Storage tier.
    pub tier: ParameterTier,
    /// Description.
    pub description: Option<String>,
}

fn ssm_tags(tags: &[(String, String)]) -> Result<Vec<Tag>, Error> {
    tags.iter()
        .map(|(key, value)| {
            Tag::builder().key(key).value(value).build().map_err(|err| {
                Error::from(Bug::UnsendableTag {
                    key: key.clone(),
                    service: "SSM",
                    detail: err.to_string(),
                })
            })
        })
        .collect()
}

impl<'a> Ssm<'a> {
    /// SSM in `region` through `client`, paced by `limiter`; its changes pass `gate` first.
    pub fn new(
        client: Client,
        limiter: Arc<RateLimiter>,
        region: &'a str,
        progress: &'a Progress,
        gate: &'a WriteGate,
    ) -> Self {
        Ssm {
            client,
            limiter,
            region,
            progress,
            gate,
        }
    }

    /// The region this client calls.
    pub fn region(&self) -> &'a str {
        self.region
    }

    /// Starts a progress step; the call itself goes through [`Ssm::send`].
    fn step(&self, what: String) -> Step<'a> {
        self.progress.step(format!("{what} in {}", self.region))
    }

    /// The step of a call that changes a parameter: it waits at the request's [`WriteGate`] first.
    async fn mutating_step(&self, what: String) -> Result<Step<'a>, Error> {
        self.gate.pass().await?;
        self.progress.mark_mutating();
        Ok(self.step(what))
    }

    /// Sends a call paced by the region's rate limiter, retried as [`retry`] says.
    async fn send<T, E, F, Fut>(&self, step: &Step<'_>, call: F) -> Result<T, SdkError<E, HttpResponse>>
    where
        E: ProvideErrorMetadata,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    {
        retry::send(&self.limiter, step, call).await
    }

    fn about(name: &str, err: Error) -> Error {
        Error::Parameter {
            name: name.to_string(),
            source: Box::new(err),
        }
    }

    /// PutParameter without Overwrite, tagged at creation (SSM refuses Tags with Overwrite). `false`
    /// when a parameter of that name already exists; it is then left unchanged.
    pub async fn create_parameter(
        &self,
        name: &str,
        value: &str,
        attributes: &ParameterAttributes,
        tags: &[(String, String)],
    ) -> Result<bool, Error> {
        let step = self.mutating_step(format!("PutParameter {name}")).await?;
        let tags = ssm_tags(tags)?;
        let result = self
            .send(&step, || {
                self.put_parameter(name, value, attributes)
                    .overwrite(false)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_parameter_already_exists()) => Ok(false),
            Err(err) => Err(Self::about(name, Error::aws("PutParameter", self.region, err))),
        }
    }

    /// PutParameter with Overwrite: a new version with this value and these attributes; tags are kept.
    pub async fn overwrite_parameter(
        &self,
        name: &str,
        value: &str,
        attributes: &ParameterAttributes,
    ) -> Result<(), Error> {
        let step = self.mutating_step(format!("PutParameter {name}")).await?;
        self.send(&step, || {
            self.put_parameter(name, value, attributes).overwrite(true).send()
        })
        .await
        .map_err(|err| Self::about(name, Error::aws("PutParameter", self.region, err)))?;
        Ok(())
    }

    /// The PutParameter request both writes share.
    fn put_parameter(&self, name: &str, value: &str, attributes: &ParameterAttributes) -> PutParameterFluentBuilder {
        self.client
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(attributes.parameter_type.clone())
            .set_key_id(attributes.key_id.clone())
            .tier(attributes.tier.clone())
            .set_description(attributes.description.clone())
    }

    /// GetParameters of at most [`MAX_NAMES_PER_CALL`] names: the parameters found (a name that does
    /// not exist is simply absent from them). A decrypting read waits at the request's [`WriteGate`]
    /// like a change: nothing is decrypted for a caller that is not verified.
    pub async fn get_parameters(&self, names: &[String], with_decryption: bool) -> Result<Vec<Parameter>, Error> {
        if with_decryption {
            self.gate.pass().await?;
        }
        let step = self.step(format!("GetParameters of {} names", names.len()));
        let output = self
            .send(&step, || {
                self.client
                    .get_parameters()
                    .set_names(Some(names.to_vec()))
                    .with_decryption(with_decryption)
                    .send()
            })
            .await
            .map_err(|err| Error::aws("GetParameters", self.region, err))?;
        Ok(output.parameters.unwrap_or_default())
    }

    /// GetParametersByPath of `path` (one level, or every level below it with `recursive`), page by
    /// page of [`MAX_NAMES_PER_CALL`]: every parameter under it, or [`ByPath::MoreThan`] as soon as more
    /// than `at_most` were read (the paging stops there). A decrypting read waits at the request's
    /// [`WriteGate`] as [`Ssm::get_parameters`] does.
    pub async fn get_parameters_by_path(
        &self,
        path: &str,
        recursive: bool,
        with_decryption: bool,
        at_most: usize,
    ) -> Result<ByPath, Error> {
        if with_decryption {
            self.gate.pass().await?;
        }
        let mut found = Vec::new();
        let mut next_token: Option<String> = None;
        // Every page but the last holds a parameter, so more pages than this mean a paging that never
        // ends (SSM may answer a page with none and a token, but not without end).
        let max_pages = at_most + 1;
        for page in 1..=max_pages + 1 {
            if page > max_pages {
                return Err(Error::EndlessPaging {
                    path: path.to_string(),
                    region: self.region.to_string(),
                    pages: max_pages,
                });
            }
            let step = self.step(format!("GetParametersByPath {path} (page {page})"));
            let output = self
                .send(&step, || {
                    self.client
                        .get_parameters_by_path()
                        .path(path)
                        .recursive(recursive)
                        .with_decryption(with_decryption)
                        .max_results(MAX_NAMES_PER_CALL as i32)
                        .set_next_token(next_token.clone())
                        .send()
                })
                .await
                .map_err(|err| Error::aws("GetParametersByPath", self.region, err))?;
            found.extend(output.parameters.unwrap_or_default());
            if found.len() > at_most {
                return Ok(ByPath::MoreThan(found.len()));
            }
            next_token = output.next_token.filter(|token| !token.is_empty());
            if next_token.is_none() {
                break;
            }
        }
        Ok(ByPath::All(found))
    }

    /// DeleteParameters of at most [`MAX_NAMES_PER_CALL`] names. Names that no longer exist are fine
    /// (SSM lists them as invalid instead of failing).
    pub async fn delete_parameters(&self, names: &[String]) -> Result<(), Error> {
        let step = self
            .mutating_step(format!("DeleteParameters of {} names", names.len()))
            .await?;
        self.send(&step, || {
            self.client.delete_parameters().set_names(Some(names.to_vec())).send()
        })
        .await
        .map_err(|err| Error::aws("DeleteParameters", self.region, err))?;
        Ok(())
    }

    /// ListTagsForResource of a parameter, as (key, value) pairs; `None` when it does not exist.
    pub async fn list_tags(&self, name: &str) -> Result<Option<Vec<(String, String)>>, Error> {
        let step = self.step(format!("ListTagsForResource {name}"));
        let listed = self
            .send(&step, || {
                self.client
                    .list_tags_for_resource()
                    .resource_type(ResourceTypeForTagging::Parameter)
                    .resource_id(name)
                    .send()
            })
            .await;
        match listed {
            Ok(output) => Ok(Some(
                output
                    .tag_list
                    .unwrap_or_default()
                    .into_iter()
                    .map(|tag| (tag.key, tag.value))
                    .collect(),
            )),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_invalid_resource_id()) => Ok(None),
            Err(err) => Err(Self::about(name, Error::aws("ListTagsForResource", self.region, err))),
        }
    }

    /// AddTagsToResource: adds tags, overwriting the values of keys the parameter already has.
    pub async fn add_tags(&self, name: &str, tags: &[(String, String)]) -> Result<(), Error> {
        let step = self.mutating_step(format!("AddTagsToResource {name}")).await?;
        let tags = ssm_tags(tags)?;
        self.send(&step, || {
            self.client
                .add_tags_to_resource()
                .resource_type(ResourceTypeForTagging::Parameter)
                .resource_id(name)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await
        .map_err(|err| Self::about(name, Error::aws("AddTagsToResource", self.region, err)))?;
        Ok(())
    }

    /// RemoveTagsFromResource: removes the tags with these keys.
    pub async fn remove_tags(&self, name: &str, keys: &[String]) -> Result<(), Error> {
        let step = self.mutating_step(format!("RemoveTagsFromResource {name}")).await?;
        self.send(&step, || {
            self.client
                .remove_tags_from_resource()
                .resource_type(ResourceTypeForTagging::Parameter)
                .resource_id(name)
                .set_tag_keys(Some(keys.to_vec()))
                .send()
        })
        .await
        .map_err(|err| Self::about(name, Error::aws("RemoveTagsFromResource", self.region, err)))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;

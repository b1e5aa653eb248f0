//! Which `ResponseURL`s an answer may be PUT to, and how a URL is shown in logs.
//!
//! CloudFormation sends a pre-signed URL of one of its response buckets in S3
//! (`https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/...`, or with the region
//! in the endpoint: `.s3.us-west-2.amazonaws.com`, `.s3-us-west-2.amazonaws.com`, path-style
//! `https://s3.amazonaws.com/cloudformation-custom-resource-response-useast1/...`). The bucket is the
//! one of the stack's region, which is the function's own (a stack calls only a function of its own
//! region): `cloudformation-custom-resource-response-<that region without dashes>`, on an S3 endpoint
//! of that region or the global one. Anything else in `ResponseURL` comes from someone who is not
//! CloudFormation: a PUT there would let an invoker make the function send requests, with a stack's
//! answer in them, wherever it likes; and anyone can create a bucket named after another region.

use url::{Host, Url};

use crate::region::partition_of;

/// The bucket-name prefix of CloudFormation's response buckets.
const BUCKET_PREFIX: &str = "cloudformation-custom-resource-response-";

/// The longest `ResponseURL` accepted; a pre-signed S3 URL is a fraction of it.
pub const MAX_URL_BYTES: usize = 8192;

/// The DNS suffix of S3 endpoints in each partition.
const S3_SUFFIXES: &[(&str, &str)] = &[
    ("aws", "amazonaws.com"),
    ("aws-us-gov", "amazonaws.com"),
    ("aws-cn", "amazonaws.com.cn"),
    ("aws-iso", "c2s.ic.gov"),
    ("aws-iso-b", "sc2s.sgov.gov"),
    ("aws-iso-e", "cloud.adc-e.uk"),
    ("aws-iso-f", "csp.hci.ic.gov"),
    ("aws-eusc", "amazonaws.eu"),
];

/// Which URLs answers may go to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseUrls {
    /// For local tests only: URLs under this loopback URL (`http://127.0.0.1` takes any port, a path
    /// only what is below it) are accepted too. The deployment templates never set it.
    loopback_prefix: Option<Url>,
}

impl ResponseUrls {
    /// CloudFormation's response buckets, and also URLs under `prefix`, which must be an `http` or
    /// `https` URL on a loopback address (`127.0.0.0/8`, `[::1]`, `localhost`).
    pub fn with_loopback_prefix(prefix: &str) -> Result<Self, String> {
        let url = Url::parse(prefix).map_err(|err| format!("'{prefix}' is not a URL ({err})"))?;
        let loopback = match url.host() {
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            Some(Host::Domain(name)) => name == "localhost",
            None => false,
        };
        if !matches!(url.scheme(), "http" | "https") || !loopback {
            return Err(format!(
                "'{prefix}' is not an http URL on a loopback address such as http://127.0.0.1:8080/"
            ));
        }
        Ok(ResponseUrls {
            loopback_prefix: Some(url),
        })
    }

    /// `Ok` when an answer may be PUT to `url` for a function in `region`; else why not.
    pub fn check(&self, url: &str, region: &str) -> Result<(), String> {
        if url.len() > MAX_URL_BYTES {
            return Err(format!("it is {} bytes long", url.len()));
        }
        let parsed = Url::parse(url).map_err(|err| format!("it is not a URL ({err})"))?;
        if self
            .loopback_prefix
            .as_ref()
            .is_some_and(|prefix| is_under(&parsed, prefix))
        {
            return Ok(());
        }
        if parsed.scheme() != "https" || parsed.port_or_known_default() != Some(443) {
            return Err("it is not https on port 443".into());
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err("it carries user information".into());
        }
        let Some(Host::Domain(host)) = parsed.host() else {
            return Err("its host is not a domain name".into());
        };
        let suffix = partition_of(region)
            .and_then(|partition| S3_SUFFIXES.iter().find(|(p, _)| *p == partition))
            .map(|(_, suffix)| *suffix)
            .ok_or_else(|| format!("the function's region '{region}' is not known"))?;
        if is_response_bucket(host, parsed.path(), suffix, region) {
            Ok(())
        } else {
            Err(format!(
                "it is not CloudFormation's response bucket of {region}, the function's region \
                 ({BUCKET_PREFIX}{})",
                region.replace('-', "")
            ))
        }
    }
}

/// `true` when `url` has the scheme and host of `prefix`, its port if it names one, and a path below its
/// path.
fn is_under(url: &Url, prefix: &Url) -> bool {
    url.scheme() == prefix.scheme()
        && url.host() == prefix.host()
        && (prefix.port().is_none() || url.port() == prefix.port())
        && url.path().starts_with(prefix.path())
        && url.username().is_empty()
        && url.password().is_none()
}

/// `true` for a virtual-hosted (`<bucket>.s3...<suffix>`) or path-style (`s3...<suffix>/<bucket>/`)
/// URL of CloudFormation's response bucket of `region`, on an S3 endpoint of that region or the
/// global one.
fn is_response_bucket(host: &str, path: &str, suffix: &str, region: &str) -> bool {
    let Some(endpoint) = host.strip_suffix(suffix).and_then(|rest| rest.strip_suffix('.')) else {
        return false;
    };
    let bucket = format!("{BUCKET_PREFIX}{}", region.replace('-', ""));
    match endpoint.split_once(".s3") {
        Some((named, rest)) => named == bucket && is_s3_region_part(rest, region),
        None => {
            let path_bucket = path
                .strip_prefix('/')
                .and_then(|p| p.split_once('/'))
                .map(|(bucket, _)| bucket);
            endpoint
                .strip_prefix("s3")
                .is_some_and(|rest| is_s3_region_part(rest, region))
                && path_bucket == Some(bucket.as_str())
        }
    }
}

/// What may follow `s3` in an S3 endpoint of `region`: nothing (the global endpoint), or `.<region>`,
/// `-<region>`, `.dualstack.<region>`.
fn is_s3_region_part(rest: &str, region: &str) -> bool {
    rest.is_empty()
        || [".dualstack.", ".", "-"]
            .iter()
            .any(|separator| rest.strip_prefix(separator) == Some(region))
}

/// The region of a Lambda function ARN (`arn:<partition>:lambda:<region>:<account>:function:...`), if
/// it is one.
pub fn region_of_function(arn: &str) -> Option<&str> {
    crate::region::parse_arn(arn)
        .filter(|parts| parts.service == "lambda" && parts.resource.starts_with("function:"))
        .map(|parts| parts.region)
}

/// A URL as logs may show it: no user information, no query (the pre-signed signature) and no
/// fragment; at most 200 characters of what is left.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return format!("<not a URL, {} bytes>", url.len());
    };
    // Both setters fail only for URLs that cannot have user information, which then have none.
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    let had_query = parsed.query().is_some();
    parsed.set_query(None);
    parsed.set_fragment(None);
    let mut shown: String = parsed.as_str().chars().take(200).collect();
    if had_query {
        shown.push_str("?<redacted>");
    }
    shown
}

#[cfg(test)]
mod tests;

//! Which `ResponseURL`s an answer may be PUT to, and how a URL is shown in logs.
//!
//! CloudFormation sends a pre-signed URL of one of its response buckets in S3
//! (`https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/...`, or with the region
//! in the endpoint: `.s3.us-west-2.amazonaws.com`, `.s3-us-west-2.amazonaws.com`, path-style
//! `https://s3.amazonaws.com/cloudformation-custom-resource-response-useast1/...`). Anything else in
//! `ResponseURL` comes from someone who is not CloudFormation: a PUT there would let an invoker make
//! the function send requests, with a stack's answer in them, wherever it likes.

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

    /// `Ok` when an answer may be PUT to `url` for a function in `partition`; else why not.
    pub fn check(&self, url: &str, partition: &str) -> Result<(), String> {
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
        let suffix = S3_SUFFIXES
            .iter()
            .find(|(p, _)| *p == partition)
            .map(|(_, suffix)| *suffix)
            .ok_or_else(|| format!("the function's partition '{partition}' is not known"))?;
        if is_response_bucket(host, parsed.path(), suffix, partition) {
            Ok(())
        } else {
            Err(format!(
                "its host is not one of CloudFormation's response buckets in partition {partition}"
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
/// URL of a CloudFormation response bucket in one of the partition's regions.
fn is_response_bucket(host: &str, path: &str, suffix: &str, partition: &str) -> bool {
    let Some(endpoint) = host.strip_suffix(suffix).and_then(|rest| rest.strip_suffix('.')) else {
        return false;
    };
    match endpoint.split_once(".s3") {
        Some((bucket, region)) => is_bucket_name(bucket) && is_s3_region_part(region, partition),
        None => {
            let path_bucket = path
                .strip_prefix('/')
                .and_then(|p| p.split_once('/'))
                .map(|(bucket, _)| bucket);
            endpoint
                .strip_prefix("s3")
                .is_some_and(|region| is_s3_region_part(region, partition))
                && path_bucket.is_some_and(is_bucket_name)
        }
    }
}

/// `cloudformation-custom-resource-response-` followed by a region name without its dashes.
fn is_bucket_name(bucket: &str) -> bool {
    bucket.strip_prefix(BUCKET_PREFIX).is_some_and(|region| {
        !region.is_empty() && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// What may follow `s3` in an S3 endpoint: nothing, or `.<region>`, `-<region>`, `.dualstack.<region>`
/// with a region of the partition.
fn is_s3_region_part(rest: &str, partition: &str) -> bool {
    if rest.is_empty() {
        return true;
    }
    let region = rest
        .strip_prefix(".dualstack.")
        .or_else(|| rest.strip_prefix('.'))
        .or_else(|| rest.strip_prefix('-'));
    region.is_some_and(|region| partition_of(region) == Some(partition))
}

/// The partition of a Lambda function ARN (`arn:<partition>:lambda:...`), if it is one.
pub fn partition_of_function(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("arn"), Some(partition), Some("lambda")) if !partition.is_empty() => Some(partition),
        _ => None,
    }
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
mod tests {
    use super::*;

    const SIGNED: &str = "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=secret";

    fn check(url: &str, partition: &str) -> Result<(), String> {
        ResponseUrls::default().check(url, partition)
    }

    #[test]
    fn the_response_bucket_urls_cloudformation_sends_are_accepted() {
        for (url, partition) in [
            (
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Aaws/x",
                "aws",
            ),
            (
                "https://cloudformation-custom-resource-response-uswest2.s3.us-west-2.amazonaws.com/a/b",
                "aws",
            ),
            (
                "https://cloudformation-custom-resource-response-euwest1.s3-eu-west-1.amazonaws.com/a",
                "aws",
            ),
            (
                "https://cloudformation-custom-resource-response-apsoutheast2.s3.dualstack.ap-southeast-2.amazonaws.com/a",
                "aws",
            ),
            (
                "https://s3.amazonaws.com/cloudformation-custom-resource-response-useast1/arn%3Aaws/x",
                "aws",
            ),
            (
                "https://s3-eu-west-1.amazonaws.com/cloudformation-custom-resource-response-euwest1/a",
                "aws",
            ),
            (
                "https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/a",
                "aws-cn",
            ),
            (
                "https://cloudformation-custom-resource-response-usgovwest1.s3-us-gov-west-1.amazonaws.com/a",
                "aws-us-gov",
            ),
            (
                "https://cloudformation-custom-resource-response-usisoeast1.s3.us-iso-east-1.c2s.ic.gov/a",
                "aws-iso",
            ),
            (
                "https://cloudformation-custom-resource-response-usisobeast1.s3.us-isob-east-1.sc2s.sgov.gov/a",
                "aws-iso-b",
            ),
            (
                "https://cloudformation-custom-resource-response-euisoewest1.s3.eu-isoe-west-1.cloud.adc-e.uk/a",
                "aws-iso-e",
            ),
            (
                "https://cloudformation-custom-resource-response-usisofsouth1.s3.us-isof-south-1.csp.hci.ic.gov/a",
                "aws-iso-f",
            ),
            (
                "https://cloudformation-custom-resource-response-euscdeeast1.s3.eusc-de-east-1.amazonaws.eu/a",
                "aws-eusc",
            ),
            (
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:443/a",
                "aws",
            ),
        ] {
            assert_eq!(check(&format!("{url}{SIGNED}"), partition), Ok(()), "{url}");
        }
    }

    #[test]
    fn every_other_url_is_refused_with_the_reason() {
        for (url, partition, why) in [
            (
                "http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a",
                "aws",
                "not https",
            ),
            (
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:8443/a",
                "aws",
                "port 443",
            ),
            (
                "https://user:pw@cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a",
                "aws",
                "user information",
            ),
            (
                "https://user@cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a",
                "aws",
                "user information",
            ),
            (
                "https://:pw@cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a",
                "aws",
                "user information",
            ),
            ("https://127.0.0.1/internal-admin/reset", "aws", "not a domain"),
            ("https://[::1]/x", "aws", "not a domain"),
            ("https://attacker.example/x", "aws", "response buckets"),
            ("https://my-bucket.s3.amazonaws.com/x", "aws", "response buckets"),
            (
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com.attacker.example/a",
                "aws",
                "response buckets",
            ),
            (
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com.cn/a",
                "aws",
                "response buckets",
            ),
            (
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a",
                "aws-cn",
                "response buckets",
            ),
            (
                "https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com/a",
                "aws",
                "response buckets",
            ),
            (
                "https://cloudformation-custom-resource-response-.s3.amazonaws.com/a",
                "aws",
                "response buckets",
            ),
            (
                "https://cloudformation-custom-resource-response-use_ast1.s3.amazonaws.com/a",
                "aws",
                "response buckets",
            ),
            ("https://s3.amazonaws.com/my-bucket/x", "aws", "response buckets"),
            (
                "https://s3.evil.amazonaws.com/cloudformation-custom-resource-response-useast1/x",
                "aws",
                "response buckets",
            ),
            (
                "https://x.cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a",
                "aws",
                "response buckets",
            ),
            ("not a url", "aws", "not a URL"),
            ("file:///etc/passwd", "aws", "not https"),
            (
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a",
                "aws-mars",
                "not known",
            ),
        ] {
            let refused = check(url, partition).expect_err(url);
            assert!(refused.contains(why), "{url}: {refused}");
        }
        // A URL of MAX_URL_BYTES is checked like any other; one byte more is refused for its length.
        let bucket = "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/";
        let longest = format!("{bucket}{}", "a".repeat(MAX_URL_BYTES - bucket.len()));
        assert_eq!(check(&longest, "aws"), Ok(()));
        let long = format!("{longest}a");
        assert_eq!(check(&long, "aws"), Err("it is 8193 bytes long".to_string()));
    }

    #[test]
    fn a_loopback_prefix_admits_only_urls_under_it() {
        let urls = ResponseUrls::with_loopback_prefix("http://127.0.0.1:8080/").expect("a loopback prefix");
        assert_eq!(urls.check("http://127.0.0.1:8080/response?x=1", "aws"), Ok(()));
        assert!(urls.check("http://127.0.0.1:9090/response", "aws").is_err());
        assert!(urls.check("http://127.0.0.1:8080.attacker.example/", "aws").is_err());
        let any_port = ResponseUrls::with_loopback_prefix("http://127.0.0.1").expect("a loopback prefix");
        assert!(
            any_port
                .check("http://127.0.0.1:8080.attacker.example/", "aws")
                .is_err()
        );
        assert!(any_port.check("http://127.0.0.1.attacker.example/", "aws").is_err());
        assert!(any_port.check("http://user:pw@127.0.0.1:1/", "aws").is_err());
        assert!(any_port.check("https://127.0.0.1:1/", "aws").is_err());
        assert_eq!(any_port.check("http://127.0.0.1:8080/r", "aws"), Ok(()));
        assert_eq!(any_port.check("http://127.0.0.1:9/r?x", "aws"), Ok(()));
        let under_path = ResponseUrls::with_loopback_prefix("http://127.0.0.1/answers/").expect("a loopback prefix");
        assert!(
            under_path
                .check("http://127.0.0.1:1/internal-admin/reset", "aws")
                .is_err()
        );
        assert_eq!(under_path.check("http://127.0.0.1:1/answers/x", "aws"), Ok(()));
        for prefix in [
            "http://10.0.0.1:8080/",
            "https://attacker.example/",
            "ftp://127.0.0.1/",
            "nonsense",
        ] {
            assert!(ResponseUrls::with_loopback_prefix(prefix).is_err(), "{prefix}");
        }
        assert!(ResponseUrls::with_loopback_prefix("http://[::1]:1/").is_ok());
        assert!(ResponseUrls::with_loopback_prefix("http://localhost:1/").is_ok());
    }

    #[test]
    fn a_logged_url_has_no_user_information_and_no_query() {
        let shown = redact_url("https://user:PASSWORD@host.example/path/x?X-Amz-Signature=secret#frag");
        assert_eq!(shown, "https://host.example/path/x?<redacted>");
        assert_eq!(redact_url("https://host.example/p"), "https://host.example/p");
        assert_eq!(redact_url("not a url"), "<not a URL, 9 bytes>");
        assert!(redact_url(&format!("https://h.example/{}", "a".repeat(10_000))).len() <= 200);
    }

    #[test]
    fn the_partition_comes_from_the_function_arn() {
        assert_eq!(
            partition_of_function("arn:aws-cn:lambda:cn-north-1:1:function:f"),
            Some("aws-cn")
        );
        assert_eq!(
            partition_of_function("arn:aws:lambda:us-east-1:1:function:f:live"),
            Some("aws")
        );
        assert_eq!(partition_of_function(""), None);
        assert_eq!(partition_of_function("arn::lambda:us-east-1:1:function:f"), None);
        assert_eq!(partition_of_function("arn:aws:s3:::bucket"), None);
    }
}

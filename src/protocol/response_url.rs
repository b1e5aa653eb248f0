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
mod tests {
    use super::*;

    const SIGNED: &str = "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=secret";

    fn check(url: &str, region: &str) -> Result<(), String> {
        ResponseUrls::default().check(url, region)
    }

    #[test]
    fn the_response_bucket_urls_cloudformation_sends_are_accepted() {
        for (url, region) in [
            (
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Aaws/x",
                "us-east-1",
            ),
            (
                "https://cloudformation-custom-resource-response-uswest2.s3.us-west-2.amazonaws.com/a/b",
                "us-west-2",
            ),
            (
                "https://cloudformation-custom-resource-response-euwest1.s3-eu-west-1.amazonaws.com/a",
                "eu-west-1",
            ),
            (
                "https://cloudformation-custom-resource-response-apsoutheast2.s3.dualstack.ap-southeast-2.amazonaws.com/a",
                "ap-southeast-2",
            ),
            (
                "https://s3.amazonaws.com/cloudformation-custom-resource-response-useast1/arn%3Aaws/x",
                "us-east-1",
            ),
            (
                "https://s3-eu-west-1.amazonaws.com/cloudformation-custom-resource-response-euwest1/a",
                "eu-west-1",
            ),
            (
                "https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/a",
                "cn-north-1",
            ),
            (
                "https://cloudformation-custom-resource-response-usgovwest1.s3-us-gov-west-1.amazonaws.com/a",
                "us-gov-west-1",
            ),
            (
                "https://cloudformation-custom-resource-response-usisoeast1.s3.us-iso-east-1.c2s.ic.gov/a",
                "us-iso-east-1",
            ),
            (
                "https://cloudformation-custom-resource-response-usisobeast1.s3.us-isob-east-1.sc2s.sgov.gov/a",
                "us-isob-east-1",
            ),
            (
                "https://cloudformation-custom-resource-response-euisoewest1.s3.eu-isoe-west-1.cloud.adc-e.uk/a",
                "eu-isoe-west-1",
            ),
            (
                "https://cloudformation-custom-resource-response-usisofsouth1.s3.us-isof-south-1.csp.hci.ic.gov/a",
                "us-isof-south-1",
            ),
            (
                "https://cloudformation-custom-resource-response-euscdeeast1.s3.eusc-de-east-1.amazonaws.eu/a",
                "eusc-de-east-1",
            ),
            (
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:443/a",
                "us-east-1",
            ),
        ] {
            assert_eq!(check(&format!("{url}{SIGNED}"), region), Ok(()), "{url}");
        }
    }

    #[test]
    fn every_other_url_is_refused_with_the_reason() {
        for (url, region, why) in [
            (
                "http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a",
                "us-east-1",
                "not https",
            ),
            (
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:8443/a",
                "us-east-1",
                "port 443",
            ),
            (
                "https://user:pw@cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a",
                "us-east-1",
                "user information",
            ),
            (
                "https://user@cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a",
                "us-east-1",
                "user information",
            ),
            (
                "https://:pw@cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a",
                "us-east-1",
                "user information",
            ),
            ("https://127.0.0.1/internal-admin/reset", "us-east-1", "not a domain"),
            ("https://[::1]/x", "us-east-1", "not a domain"),
            (
                "https://attacker.example/x",
                "us-east-1",
                "not CloudFormation's response bucket of",
            ),
            (
                "https://my-bucket.s3.amazonaws.com/x",
                "us-east-1",
                "not CloudFormation's response bucket of",
            ),
            (
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com.attacker.example/a",
                "us-east-1",
                "not CloudFormation's response bucket of",
            ),
            (
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com.cn/a",
                "us-east-1",
                "not CloudFormation's response bucket of",
            ),
            (
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a",
                "cn-north-1",
                "not CloudFormation's response bucket of",
            ),
            (
                "https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com/a",
                "us-east-1",
                "not CloudFormation's response bucket of",
            ),
            (
                "https://cloudformation-custom-resource-response-.s3.amazonaws.com/a",
                "us-east-1",
                "not CloudFormation's response bucket of",
            ),
            (
                "https://cloudformation-custom-resource-response-use_ast1.s3.amazonaws.com/a",
                "us-east-1",
                "not CloudFormation's response bucket of",
            ),
            (
                "https://s3.amazonaws.com/my-bucket/x",
                "us-east-1",
                "not CloudFormation's response bucket of",
            ),
            (
                "https://s3.evil.amazonaws.com/cloudformation-custom-resource-response-useast1/x",
                "us-east-1",
                "not CloudFormation's response bucket of",
            ),
            (
                "https://x.cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a",
                "us-east-1",
                "not CloudFormation's response bucket of",
            ),
            // Look-alikes: anyone can create a bucket named after another region, or reach the right
            // name through another region's endpoint.
            (
                "https://cloudformation-custom-resource-response-uswest2.s3.amazonaws.com/a",
                "us-east-1",
                "not CloudFormation's response bucket of us-east-1",
            ),
            (
                "https://cloudformation-custom-resource-response-useast1x.s3.amazonaws.com/a",
                "us-east-1",
                "not CloudFormation's response bucket of",
            ),
            (
                "https://cloudformation-custom-resource-response-useast1.s3.eu-west-1.amazonaws.com/a",
                "us-east-1",
                "not CloudFormation's response bucket of",
            ),
            (
                "https://cloudformation-custom-resource-response-useast1.s3-us-east-2.amazonaws.com/a",
                "us-east-1",
                "not CloudFormation's response bucket of",
            ),
            (
                "https://s3.eu-west-1.amazonaws.com/cloudformation-custom-resource-response-useast1/a",
                "us-east-1",
                "not CloudFormation's response bucket of",
            ),
            (
                "https://s3.amazonaws.com/cloudformation-custom-resource-response-euwest1/a",
                "us-east-1",
                "not CloudFormation's response bucket of",
            ),
            ("not a url", "us-east-1", "not a URL"),
            ("file:///etc/passwd", "us-east-1", "not https"),
            (
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a",
                "mars",
                "not known",
            ),
        ] {
            let refused = check(url, region).expect_err(url);
            assert!(refused.contains(why), "{url}: {refused}");
        }
        // A URL of MAX_URL_BYTES is checked like any other; one byte more is refused for its length.
        let bucket = "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/";
        let longest = format!("{bucket}{}", "a".repeat(MAX_URL_BYTES - bucket.len()));
        assert_eq!(check(&longest, "us-east-1"), Ok(()));
        let long = format!("{longest}a");
        assert_eq!(check(&long, "us-east-1"), Err("it is 8193 bytes long".to_string()));
    }

    #[test]
    fn a_loopback_prefix_admits_only_urls_under_it() {
        let urls = ResponseUrls::with_loopback_prefix("http://127.0.0.1:8080/").expect("a loopback prefix");
        assert_eq!(urls.check("http://127.0.0.1:8080/response?x=1", "us-east-1"), Ok(()));
        assert!(urls.check("http://127.0.0.1:9090/response", "us-east-1").is_err());
        assert!(
            urls.check("http://127.0.0.1:8080.attacker.example/", "us-east-1")
                .is_err()
        );
        let any_port = ResponseUrls::with_loopback_prefix("http://127.0.0.1").expect("a loopback prefix");
        assert!(
            any_port
                .check("http://127.0.0.1:8080.attacker.example/", "us-east-1")
                .is_err()
        );
        assert!(
            any_port
                .check("http://127.0.0.1.attacker.example/", "us-east-1")
                .is_err()
        );
        assert!(any_port.check("http://user:pw@127.0.0.1:1/", "us-east-1").is_err());
        assert!(any_port.check("https://127.0.0.1:1/", "us-east-1").is_err());
        assert_eq!(any_port.check("http://127.0.0.1:8080/r", "us-east-1"), Ok(()));
        assert_eq!(any_port.check("http://127.0.0.1:9/r?x", "us-east-1"), Ok(()));
        let under_path = ResponseUrls::with_loopback_prefix("http://127.0.0.1/answers/").expect("a loopback prefix");
        assert!(
            under_path
                .check("http://127.0.0.1:1/internal-admin/reset", "us-east-1")
                .is_err()
        );
        assert_eq!(under_path.check("http://127.0.0.1:1/answers/x", "us-east-1"), Ok(()));
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
    fn the_region_comes_from_the_function_arn() {
        assert_eq!(
            region_of_function("arn:aws-cn:lambda:cn-north-1:123456789012:function:f"),
            Some("cn-north-1")
        );
        assert_eq!(
            region_of_function("arn:aws:lambda:us-east-1:123456789012:function:f:live"),
            Some("us-east-1")
        );
        assert_eq!(region_of_function(""), None);
        assert_eq!(
            region_of_function("arn::lambda:us-east-1:123456789012:function:f"),
            None
        );
        assert_eq!(
            region_of_function("arn:aws:lambda:us-east-1:123456789012:layer:f"),
            None
        );
        assert_eq!(region_of_function("arn:aws:s3:::bucket"), None);
    }
}

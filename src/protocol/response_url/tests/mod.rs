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

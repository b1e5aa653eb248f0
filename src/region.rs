//! AWS region names and the partition each belongs to.

/// Region-name prefixes of the partitions other than `aws`; the longer `us-iso` prefixes come first.
const PARTITIONS: &[(&str, &str)] = &[
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("us-iso-", "aws-iso"),
    ("eu-isoe-", "aws-iso-e"),
    ("eusc-", "aws-eusc"),
];

/// Returns the partition of a region name (`aws`, `aws-cn`, `aws-us-gov`, ...), or `None` when the
/// text is not shaped like a region name (`xx-name-N`, lowercase).
pub fn partition_of(region: &str) -> Option<&'static str> {
    if !is_region_name(region) {
        return None;
    }
    let partition = PARTITIONS
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition);
    Some(partition)
}

/// `true` for text shaped like a region name: lowercase words joined by `-`, ending in a number,
/// e.g. `eu-west-1`, `us-gov-west-1`, `ap-southeast-5`.
fn is_region_name(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let Some((number, words)) = parts.split_last() else {
        return false;
    };
    (2..=4).contains(&words.len())
        && words
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        && !number.is_empty()
        && number.len() <= 2
        && number.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commercial_regions_are_in_the_aws_partition() {
        assert_eq!(partition_of("eu-west-1"), Some("aws"));
        assert_eq!(partition_of("ap-southeast-2"), Some("aws"));
        assert_eq!(partition_of("us-east-1"), Some("aws"));
    }

    #[test]
    fn other_partitions_are_recognised() {
        assert_eq!(partition_of("cn-north-1"), Some("aws-cn"));
        assert_eq!(partition_of("us-gov-west-1"), Some("aws-us-gov"));
        assert_eq!(partition_of("us-iso-east-1"), Some("aws-iso"));
        assert_eq!(partition_of("us-isob-east-1"), Some("aws-iso-b"));
        assert_eq!(partition_of("eu-isoe-west-1"), Some("aws-iso-e"));
        assert_eq!(partition_of("us-isof-south-1"), Some("aws-iso-f"));
    }

    #[test]
    fn text_that_is_not_a_region_is_rejected() {
        for bad in [
            "",
            "eu-west",
            "EU-WEST-1",
            "eu west 1",
            "eu-west-123",
            "west-1-eu",
            "eu--1",
            "us-east-1 ",
        ] {
            assert_eq!(partition_of(bad), None, "{bad:?} should not be a region");
        }
    }
}

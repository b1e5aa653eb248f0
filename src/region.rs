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

/// `true` for the name of a partition (`aws`, `aws-cn`, `aws-us-gov`, ...).
pub fn is_partition(name: &str) -> bool {
    name == "aws" || PARTITIONS.iter().any(|(_, partition)| *partition == name)
}

/// The parts of an ARN whose region belongs to its partition and whose account is 12 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArnParts<'s> {
    /// `aws`, `aws-cn`, ...
    pub partition: &'s str,
    /// `kms`, `cloudformation`, `lambda`, ...
    pub service: &'s str,
    /// The region, a region of `partition`.
    pub region: &'s str,
    /// The 12-digit account id.
    pub account: &'s str,
    /// Everything after the account (`key/mrk-...`, `stack/name/id`, `function:name`).
    pub resource: &'s str,
}

/// Splits `arn:<partition>:<service>:<region>:<account>:<resource>` into its five fields, checking only
/// that there are that many (the resource may hold more `:`).
pub fn arn_fields(arn: &str) -> Option<[&str; 5]> {
    let mut parts = arn.splitn(6, ':');
    if parts.next() != Some("arn") {
        return None;
    }
    let fields = [
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    ];
    Some(fields)
}

/// `true` for a 12-digit account id.
pub fn is_account_id(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

/// Splits `arn:<partition>:<service>:<region>:<account>:<resource>`; `None` unless the region is a
/// region name of that partition and the account is 12 digits.
pub fn parse_arn(arn: &str) -> Option<ArnParts<'_>> {
    let [partition, service, region, account, resource] = arn_fields(arn)?;
    let well_formed = partition_of(region) == Some(partition) && is_account_id(account);
    well_formed.then_some(ArnParts {
        partition,
        service,
        region,
        account,
        resource,
    })
}

/// The most regions one list may name: more than any partition has.
pub const MAX_REGIONS: usize = 50;

/// Checks a list of region names: not empty, at most [`MAX_REGIONS`], each a region name, none listed
/// twice, all in one partition. Returns that partition, or the first problem as a phrase for an error
/// message.
pub fn check_list(regions: &[String]) -> Result<&'static str, String> {
    let Some(first) = regions.first() else {
        return Err("the list is empty; name at least one region".into());
    };
    if regions.len() > MAX_REGIONS {
        return Err(format!(
            "{} regions are listed; at most {MAX_REGIONS} are accepted",
            regions.len()
        ));
    }
    let partition = partition_of(first).ok_or_else(|| format!("'{first}' is not a region name"))?;
    let mut seen = std::collections::HashSet::with_capacity(regions.len());
    for region in regions {
        match partition_of(region) {
            None => return Err(format!("'{region}' is not a region name")),
            Some(other) if other != partition => {
                return Err(format!(
                    "'{region}' is in partition {other} but '{first}' is in {partition}; list regions of one partition"
                ));
            }
            Some(_) => {}
        }
        if !seen.insert(region.as_str()) {
            return Err(format!("'{region}' is listed twice"));
        }
    }
    Ok(partition)
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
mod tests;

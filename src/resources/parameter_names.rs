//! SSM parameter names, checked before any call (docs/reference.md, section 4): SSM's own rules, and the function's
//! path prefix (`PARAMETER_PREFIX`), which both parameter resource types obey.

/// The longest name SSM accepts (its 2048-character limit includes 1037 reserved for itself).
pub const MAX_NAME_LENGTH: usize = 1011;
/// The deepest hierarchy SSM accepts.
pub const MAX_LEVELS: usize = 15;
/// The most parameter names one resource may write or read: far more than fit in one answer's
/// attributes, so real use never reaches it; it bounds the work a single request can ask for.
pub const MAX_NAMES_PER_RESOURCE: usize = 500;

/// Checks that a resource names at most [`MAX_NAMES_PER_RESOURCE`] parameters; the problem, as a phrase
/// that says how they were given (`"names are listed"`), when it names more.
pub fn check_count(count: usize, given: &str) -> Result<(), String> {
    if count > MAX_NAMES_PER_RESOURCE {
        return Err(format!(
            "{count} {given}; at most {MAX_NAMES_PER_RESOURCE} are accepted"
        ));
    }
    Ok(())
}

/// Checks one parameter name; the error says what is wrong with it, in words a user can act on.
///
/// `prefix` is a path: `/app` and `/app/` both allow `/app/anything` and nothing else (not `/app`
/// itself, not `/application`); `/` allows every name.
pub fn check(name: &str, prefix: &str) -> Result<(), String> {
    let shown = brief(name);
    if !name.starts_with('/') {
        return Err(format!("'{shown}' must start with '/'"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/')))
    {
        return Err(format!(
            "'{shown}' contains {bad:?}; SSM allows only letters a-z and A-Z, digits, '_', '.', '-' and '/'"
        ));
    }
    let length = name.len();
    if length > MAX_NAME_LENGTH {
        return Err(format!(
            "'{shown}' is {length} characters long; SSM allows at most {MAX_NAME_LENGTH}"
        ));
    }
    let levels: Vec<&str> = name[1..].split('/').collect();
    if levels.iter().any(|level| level.is_empty()) {
        return Err(format!("'{shown}' has an empty level (a '//' or a '/' at the end)"));
    }
    if levels.len() > MAX_LEVELS {
        return Err(format!(
            "'{shown}' has {} levels; SSM allows at most {MAX_LEVELS}",
            levels.len()
        ));
    }
    let first = levels[0].to_ascii_lowercase();
    if first.starts_with("aws") || first.starts_with("ssm") {
        return Err(format!(
            "'{shown}' starts with '{}'; SSM reserves names that begin with aws or ssm (in any case)",
            &levels[0][..3]
        ));
    }
    let base = prefix.trim_end_matches('/');
    let under = base.is_empty() || name.strip_prefix(base).is_some_and(|rest| rest.starts_with('/'));
    if !under {
        return Err(format!(
            "'{shown}' is outside this provider's PARAMETER_PREFIX '{prefix}'; use a name that starts with '{base}/'"
        ));
    }
    Ok(())
}

/// A long name cut for an error message.
fn brief(name: &str) -> String {
    match name.char_indices().nth(80) {
        Some((cut, _)) => format!("{}...", &name[..cut]),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests;

//! The answer of a read, whichever way the parameters were named.

use std::collections::BTreeMap;

use crate::protocol::Outcome;

/// The answer of a read: each value under its name, `Value` too when exactly one was read, and
/// `NoEcho` when a SecureString was decrypted.
pub fn outcome(physical_id: String, found: BTreeMap<String, String>, decrypted_secret: bool) -> Outcome {
    let mut outcome = Outcome::id(physical_id);
    outcome.no_echo = decrypted_secret;
    if found.len() == 1
        && let Some(value) = found.values().next()
    {
        outcome.data.insert("Value".into(), value.clone());
    }
    outcome.data.extend(found);
    outcome
}

//! Ownership (docs/reference.md, section 2): every replica and parameter the provider creates carries two tags that
//! name its owner, the stack and the logical id of the resource that made it. Nothing whose owner tags
//! are absent or different is changed or deleted, unless adopted; `AdoptExisting` adopts only what no
//! live stack owns ([`check_adoptable`]); and what a live stack created itself (CloudFormation's own
//! tag) is never adopted, changed or deleted ([`check_not_cloudformations`]).

use tracing::{info, warn};

use crate::Error;
use crate::protocol::Request;
use crate::resources::caller;
use crate::resources::context::Context;
use crate::resources::properties::Tag;

/// Tag key holding the owning stack's id.
pub const OWNER_STACK_TAG: &str = "mrk-provider:stack";
/// Tag key holding the owning resource's logical id.
pub const OWNER_LOGICAL_ID_TAG: &str = "mrk-provider:logical-id";
/// The tag CloudFormation itself gives what a stack creates (an `AWS::KMS::ReplicaKey`, an
/// `AWS::SSM::Parameter`): that stack's id. Such a thing belongs to that stack while it exists.
pub const CLOUDFORMATION_STACK_TAG: &str = "aws:cloudformation:stack-id";
/// The tag-key prefixes a user's `Tags` may not use, in any letter case: the owner tags', and AWS's.
pub const RESERVED_TAG_PREFIXES: [&str; 2] = ["mrk-provider:", "aws:"];

/// The value of the tag `key` in `tags`.
fn tag_value<'t>(tags: &'t [(String, String)], key: &str) -> Option<&'t str> {
    tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The owner of what a resource creates: its stack and logical id, written as two tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The request's `StackId`.
    pub stack_id: String,
    /// The request's `LogicalResourceId`.
    pub logical_id: String,
}

impl Owner {
    /// The owner of the resource a request is about.
    pub fn of(request: &Request) -> Self {
        Owner {
            stack_id: request.stack_id.clone(),
            logical_id: request.logical_resource_id.clone(),
        }
    }

    /// The two owner tags.
    pub fn tags(&self) -> [(String, String); 2] {
        [
            (OWNER_STACK_TAG.to_string(), self.stack_id.clone()),
            (OWNER_LOGICAL_ID_TAG.to_string(), self.logical_id.clone()),
        ]
    }

    /// The tags a resource gives what it creates: the user's `tags`, then the two owner tags.
    pub fn tagged(&self, tags: &[Tag]) -> Vec<(String, String)> {
        tags.iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .chain(self.tags())
            .collect()
    }

    /// `true` when `tags` name this owner.
    pub fn owns(&self, tags: &[(String, String)]) -> bool {
        tag_value(tags, OWNER_STACK_TAG) == Some(self.stack_id.as_str())
            && tag_value(tags, OWNER_LOGICAL_ID_TAG) == Some(self.logical_id.as_str())
    }

    /// `true` when this resource may delete what carries `tags`: it owns it, and no live stack made it
    /// itself ([`check_not_cloudformations`]; a stack whose status cannot be read counts as live).
    pub async fn may_delete(&self, cx: Context<'_>, tags: &[(String, String)], what: &str) -> bool {
        if !self.owns(tags) {
            return false;
        }
        match check_not_cloudformations(cx, tags, what).await {
            Ok(()) => true,
            Err(err) => {
                warn!(error = %err, "left in place");
                false
            }
        }
    }

    /// Says who owns something with these tags, for an error message.
    pub fn describe_owner_of(tags: &[(String, String)]) -> String {
        let value = |key: &str| tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        match (value(OWNER_STACK_TAG), value(OWNER_LOGICAL_ID_TAG)) {
            (Some(stack), Some(logical_id)) => format!("it belongs to {logical_id} in stack {stack}"),
            _ => "it has no mrk-provider owner tags".to_string(),
        }
    }
}

/// Checks that no live stack made `what` itself: a key or parameter with CloudFormation's
/// [`CLOUDFORMATION_STACK_TAG`] belongs to that stack while it exists (any status but
/// `DELETE_COMPLETE`), so it is never adopted, changed or deleted, whatever its other tags say. When the
/// stack's status cannot be read, it counts as live.
pub async fn check_not_cloudformations(cx: Context<'_>, tags: &[(String, String)], what: &str) -> Result<(), Error> {
    let Some(stack) = tag_value(tags, CLOUDFORMATION_STACK_TAG) else {
        return Ok(());
    };
    match caller::owner_stack_is_gone(cx.clients, cx.invocation, stack).await {
        Ok(true) => {
            info!(stack, "CloudFormation's owner stack no longer exists");
            Ok(())
        }
        Ok(false) => Err(Error::OwnedByLiveStack {
            what: what.to_string(),
            stack: stack.to_string(),
            tag: CLOUDFORMATION_STACK_TAG,
        }),
        Err(why) => Err(Error::OwnedByUnreadableStack {
            what: what.to_string(),
            tag: CLOUDFORMATION_STACK_TAG,
            why,
        }),
    }
}

/// Checks that `AdoptExisting` may take over `what` (say "the parameter /app/x in eu-west-1"), which
/// this resource does not own and whose tags are `tags`: only when no live stack owns it, neither
/// through CloudFormation's own tag ([`check_not_cloudformations`]) nor through the owner tags (no
/// owner tags, or an owner stack that no longer exists: CloudFormation does not know it, or shows it
/// `DELETE_COMPLETE`). Another resource of the same stack is a live owner; an owner whose stack cannot
/// be read keeps it.
pub async fn check_adoptable(cx: Context<'_>, tags: &[(String, String)], what: &str) -> Result<(), Error> {
    check_not_cloudformations(cx, tags, what).await?;
    let Some(owner_stack) = tag_value(tags, OWNER_STACK_TAG) else {
        return Ok(());
    };
    let owner_logical_id = tag_value(tags, OWNER_LOGICAL_ID_TAG).unwrap_or("a resource");
    let kept = |why: String| {
        Err(Error::NotAdoptable {
            what: what.to_string(),
            why,
        })
    };
    if owner_stack == cx.request().stack_id {
        return kept(format!("it belongs to {owner_logical_id} of this same stack"));
    }
    match caller::owner_stack_is_gone(cx.clients, cx.invocation, owner_stack).await {
        Ok(true) => {
            info!(owner_stack, "adopting from an owner stack that no longer exists");
            Ok(())
        }
        Ok(false) => kept(format!(
            "it belongs to {owner_logical_id} in stack {owner_stack}, which still exists"
        )),
        Err(why) => kept(why),
    }
}

/// The most user tags a resource may give: AWS allows 50 on a key or a parameter, and the provider adds
/// its 2 owner tags.
pub const MAX_USER_TAGS: usize = 48;
/// The longest tag key AWS accepts, in characters.
pub const MAX_TAG_KEY_CHARACTERS: usize = 128;
/// The longest tag value AWS accepts, in characters.
pub const MAX_TAG_VALUE_CHARACTERS: usize = 256;

/// Checks user tags: no reserved prefix, no duplicate key, lengths within what KMS and SSM accept.
pub fn validate_tags(tags: &[Tag], resource_type: &'static str) -> Result<(), Error> {
    let invalid = |reason: String| Error::InvalidProperty {
        property: "Tags".into(),
        resource_type,
        reason,
    };
    if tags.len() > MAX_USER_TAGS {
        return Err(invalid(format!(
            "{} tags given; at most {MAX_USER_TAGS} fit beside the 2 owner tags",
            tags.len()
        )));
    }
    for (i, tag) in tags.iter().enumerate() {
        let key = tag.key.as_str();
        if key.is_empty() || key.chars().count() > MAX_TAG_KEY_CHARACTERS {
            return Err(invalid(format!(
                "tag key '{key}' must be 1 to {MAX_TAG_KEY_CHARACTERS} characters"
            )));
        }
        if tag.value.chars().count() > MAX_TAG_VALUE_CHARACTERS {
            return Err(invalid(format!(
                "the value of tag '{key}' is longer than {MAX_TAG_VALUE_CHARACTERS} characters"
            )));
        }
        // AWS reserves aws: in every letter case, and IAM compares condition keys case-insensitively,
        // so a look-alike of an owner tag could pass where a policy expects the real one.
        let lower = key.to_lowercase();
        if RESERVED_TAG_PREFIXES.iter().any(|prefix| lower.starts_with(prefix)) {
            return Err(invalid(format!(
                "tag key '{key}' uses a reserved prefix (aws: or mrk-provider:, in any letter case)"
            )));
        }
        if tags[..i].iter().any(|earlier| earlier.key == tag.key) {
            return Err(invalid(format!("tag key '{key}' is given twice")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;

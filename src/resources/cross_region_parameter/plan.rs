//! `Custom::CrossRegionParameter` planning: the pure diff between the old and new properties that says,
//! region by region, which names to create, overwrite, retag or delete.

use super::spec::Spec;
use crate::resources::properties::Tag;

/// How one parameter of a region is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Not expected to exist: PutParameter with its tags; if it exists after all, it is taken over
    /// when this resource owns it (a re-delivered Create) or `AdoptExisting` is set.
    Create,
    /// Ours already, with a new value or new attributes: PutParameter with Overwrite, then its tags.
    Overwrite,
    /// Ours already, same value and attributes: only its tags change.
    Retag,
    /// Same value and attributes in the properties, but `Refresh` changed: read it (GetParameters)
    /// and write it only if AWS differs (value or type changed, or the parameter is gone); `retag`
    /// when its tags change too.
    Verify {
        /// The tags changed: retag it even when its value is right.
        retag: bool,
    },
}

/// What a Create or an Update does, computed from the old and new properties alone.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// The regions with something to do: those of `Regions` in order, then the removed ones.
    pub regions: Vec<RegionPlan>,
    /// User tag keys to remove from parameters that stay.
    pub untag: Vec<String>,
}

/// What happens in one region.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RegionPlan {
    /// The region.
    pub region: String,
    /// Names to write, and how.
    pub writes: Vec<(String, Write)>,
    /// Names to delete, if this resource owns them: removed names, or every old name of a removed
    /// region.
    pub deletes: Vec<String>,
}

/// Diffs the old and new properties. `old` is `None` on Create, and on an Update whose old properties
/// do not validate: then every name is written in every region and nothing is removed, so that a
/// rollback can never get stuck on properties it cannot read.
///
/// A changed value is always written (the CDK's cross-region export writer leaves it unwritten), and a
/// changed type, key, tier or description rewrites every parameter. A changed `Refresh` verifies every
/// parameter that would otherwise be left alone.
pub fn plan_update(old: Option<&Spec>, new: &Spec) -> Plan {
    let rewrite_all = old.is_some_and(|old| old.attributes != new.attributes);
    let retag = old.is_some_and(|old| !same_tags(&old.tags, &new.tags));
    let refresh = old.is_some_and(|old| old.refresh != new.refresh);
    let old_regions = old.map_or(&[][..], |old| &old.regions[..]);
    let removed_regions = old_regions.iter().filter(|r| !new.regions.contains(r));
    let mut regions = Vec::new();
    for region in new.regions.iter().chain(removed_regions) {
        let stays = new.regions.contains(region);
        // The old parameters of this region, if it had any.
        let before = old
            .filter(|old| old.regions.contains(region))
            .map(|old| &old.parameters);
        let writes: Vec<(String, Write)> = if stays {
            new.parameters
                .iter()
                .filter_map(|(name, value)| {
                    let how = match before.and_then(|before| before.get(name)) {
                        None => Write::Create,
                        Some(old_value) if old_value != value || rewrite_all => Write::Overwrite,
                        Some(_) if refresh => Write::Verify { retag },
                        Some(_) if retag => Write::Retag,
                        Some(_) => return None,
                    };
                    Some((name.clone(), how))
                })
                .collect()
        } else {
            Vec::new()
        };
        let deletes: Vec<String> = before
            .into_iter()
            .flat_map(|before| before.keys())
            .filter(|name| !stays || !new.parameters.contains_key(*name))
            .cloned()
            .collect();
        if !writes.is_empty() || !deletes.is_empty() {
            regions.push(RegionPlan {
                region: region.clone(),
                writes,
                deletes,
            });
        }
    }
    let untag = old.map_or_else(Vec::new, |old| {
        old.tags
            .iter()
            .filter(|t| !new.tags.iter().any(|n| n.key == t.key))
            .map(|t| t.key.clone())
            .collect()
    });
    Plan { regions, untag }
}

/// The same tags, in any order.
fn same_tags(a: &[Tag], b: &[Tag]) -> bool {
    a.len() == b.len() && a.iter().all(|tag| b.contains(tag))
}

#[cfg(test)]
mod tests;

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
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn two_regions(parameters: Value, extra: Value) -> Spec {
        let mut props = json!({"Regions": ["eu-west-1", "ap-southeast-2"], "Parameters": parameters});
        for (k, v) in extra.as_object().unwrap() {
            props[k] = v.clone();
        }
        Spec::from_properties(props.as_object().unwrap(), "/").unwrap()
    }

    fn names(writes: &[(String, Write)]) -> Vec<(&str, Write)> {
        writes.iter().map(|(n, w)| (n.as_str(), *w)).collect()
    }

    #[test]
    fn a_create_writes_every_name_in_every_region() {
        let new = two_regions(json!({"/a": "1", "/b": "2"}), json!({}));
        let plan = plan_update(None, &new);
        let regions: Vec<&str> = plan.regions.iter().map(|r| r.region.as_str()).collect();
        assert_eq!(regions, vec!["eu-west-1", "ap-southeast-2"]);
        for region in &plan.regions {
            assert_eq!(
                names(&region.writes),
                vec![("/a", Write::Create), ("/b", Write::Create)]
            );
            assert!(region.deletes.is_empty());
        }
        assert!(plan.untag.is_empty());
    }

    #[test]
    fn a_changed_value_is_always_written_and_unchanged_ones_are_left_alone() {
        let old = two_regions(json!({"/a": "1", "/b": "2"}), json!({}));
        let new = two_regions(json!({"/a": "1", "/b": "3"}), json!({}));
        let plan = plan_update(Some(&old), &new);
        assert_eq!(plan.regions.len(), 2);
        for region in &plan.regions {
            assert_eq!(names(&region.writes), vec![("/b", Write::Overwrite)]);
            assert!(region.deletes.is_empty());
        }
    }

    #[test]
    fn added_and_removed_names_and_regions_are_written_and_deleted() {
        let old = two_regions(json!({"/a": "1", "/gone": "2"}), json!({}));
        let mut new = two_regions(json!({"/a": "1", "/new": "3"}), json!({}));
        new.regions = vec!["eu-west-1".into(), "eu-central-1".into()];
        let plan = plan_update(Some(&old), &new);
        let expected = vec![
            RegionPlan {
                region: "eu-west-1".into(),
                writes: vec![("/new".into(), Write::Create)],
                deletes: vec!["/gone".into()],
            },
            RegionPlan {
                region: "eu-central-1".into(),
                writes: vec![("/a".into(), Write::Create), ("/new".into(), Write::Create)],
                deletes: vec![],
            },
            RegionPlan {
                region: "ap-southeast-2".into(),
                writes: vec![],
                deletes: vec!["/a".into(), "/gone".into()],
            },
        ];
        assert_eq!(plan.regions, expected);
    }

    #[test]
    fn a_changed_type_key_tier_or_description_rewrites_every_name() {
        let old = two_regions(json!({"/a": "1", "/b": "2"}), json!({}));
        for change in [
            json!({"Description": "new"}),
            json!({"Tier": "Advanced"}),
            json!({"Type": "SecureString"}),
            json!({"Type": "SecureString", "KeyId": "alias/app"}),
        ] {
            let new = two_regions(json!({"/a": "1", "/b": "2"}), change.clone());
            let plan = plan_update(Some(&old), &new);
            assert_eq!(plan.regions.len(), 2);
            for region in &plan.regions {
                assert_eq!(
                    names(&region.writes),
                    vec![("/a", Write::Overwrite), ("/b", Write::Overwrite)],
                    "{change}"
                );
            }
        }
    }

    #[test]
    fn changed_tags_retag_and_untag_the_kept_parameters() {
        let old = two_regions(
            json!({"/a": "1"}),
            json!({"Tags": [{"Key": "x", "Value": "1"}, {"Key": "y", "Value": "1"}]}),
        );
        let new = two_regions(json!({"/a": "1"}), json!({"Tags": [{"Key": "y", "Value": "2"}]}));
        let plan = plan_update(Some(&old), &new);
        assert_eq!(names(&plan.regions[0].writes), vec![("/a", Write::Retag)]);
        assert_eq!(plan.untag, vec!["x"]);
        let reordered = two_regions(
            json!({"/a": "1"}),
            json!({"Tags": [{"Key": "y", "Value": "1"}, {"Key": "x", "Value": "1"}]}),
        );
        assert_eq!(plan_update(Some(&old), &reordered), Plan::default());
    }

    #[test]
    fn a_changed_refresh_verifies_every_name_that_would_be_left_alone() {
        // GIVEN /a unchanged, /b with a new value, and a new Refresh value
        let old = two_regions(json!({"/a": "1", "/b": "2"}), json!({"Refresh": "1"}));
        let new = two_regions(json!({"/a": "1", "/b": "3"}), json!({"Refresh": "2"}));
        // WHEN the update is planned
        let plan = plan_update(Some(&old), &new);
        // THEN /a is verified and /b overwritten, in both regions
        assert_eq!(plan.regions.len(), 2);
        for region in &plan.regions {
            assert_eq!(
                names(&region.writes),
                vec![("/a", Write::Verify { retag: false }), ("/b", Write::Overwrite)]
            );
        }
        let retagged = two_regions(
            json!({"/a": "1", "/b": "2"}),
            json!({"Refresh": "2", "Tags": [{"Key": "x", "Value": "1"}]}),
        );
        let plan = plan_update(Some(&old), &retagged);
        assert_eq!(names(&plan.regions[0].writes)[0], ("/a", Write::Verify { retag: true }));
    }

    #[test]
    fn an_unchanged_refresh_plans_nothing_and_a_create_never_verifies() {
        let old = two_regions(json!({"/a": "1"}), json!({"Refresh": "same"}));
        assert_eq!(plan_update(Some(&old), &old), Plan::default());
        let plan = plan_update(None, &old);
        assert!(
            plan.regions
                .iter()
                .all(|r| names(&r.writes) == vec![("/a", Write::Create)])
        );
    }

    #[test]
    fn unknown_old_properties_write_everything_and_remove_nothing() {
        let new = two_regions(json!({"/a": "1"}), json!({}));
        let plan = plan_update(None, &new);
        assert_eq!(plan.regions.len(), 2);
        assert!(plan.regions.iter().all(|r| r.deletes.is_empty() && r.writes.len() == 1));
    }
}

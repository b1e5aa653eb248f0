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

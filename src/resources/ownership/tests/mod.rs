use super::*;

fn owner() -> Owner {
    Owner {
        stack_id: "arn:aws:cloudformation:us-east-1:1:stack/s/1".into(),
        logical_id: "Keys".into(),
    }
}

#[test]
fn both_owner_tags_must_match() {
    let ours = owner().tags().to_vec();
    assert!(owner().owns(&ours));
    let other_logical = vec![ours[0].clone(), (OWNER_LOGICAL_ID_TAG.into(), "Other".into())];
    assert!(!owner().owns(&other_logical));
    assert!(!owner().owns(&ours[..1]));
    assert!(!owner().owns(&[]));
}

#[test]
fn reserved_and_duplicate_tag_keys_are_rejected() {
    let tag = |k: &str| Tag {
        key: k.into(),
        value: "v".into(),
    };
    assert!(validate_tags(&[tag("team")], "Custom::X").is_ok());
    assert!(validate_tags(&[tag("aws:cloudformation:x")], "Custom::X").is_err());
    assert!(validate_tags(&[tag("mrk-provider:stack")], "Custom::X").is_err());
    assert!(validate_tags(&[tag("a"), tag("a")], "Custom::X").is_err());
    assert!(validate_tags(&[tag("")], "Custom::X").is_err());
}

fn tags(count: usize) -> Vec<Tag> {
    (0..count)
        .map(|i| Tag {
            key: format!("k{i}"),
            value: "v".into(),
        })
        .collect()
}

fn one_tag(key: String, value: String) -> Result<(), Error> {
    validate_tags(&[Tag { key, value }], "Custom::X")
}

#[test]
fn up_to_48_tags_fit_beside_the_owner_tags() {
    assert!(validate_tags(&tags(47), "Custom::X").is_ok());
    assert!(validate_tags(&tags(48), "Custom::X").is_ok());
    let err = validate_tags(&tags(49), "Custom::X").unwrap_err().to_string();
    assert_eq!(
        err,
        "invalid property 'Tags' for Custom::X: 49 tags given; at most 48 fit beside the 2 owner tags"
    );
}

#[test]
fn a_tag_key_takes_1_to_128_characters_and_a_value_up_to_256() {
    // Characters, not bytes: 'é' is two bytes
    assert!(one_tag("k".repeat(127), "v".into()).is_ok());
    assert!(one_tag("é".repeat(128), "v".into()).is_ok());
    let err = one_tag("k".repeat(129), "v".into()).unwrap_err().to_string();
    assert!(err.ends_with("must be 1 to 128 characters"), "{err}");
    assert!(one_tag("k".into(), "v".repeat(255)).is_ok());
    assert!(one_tag("k".into(), "é".repeat(256)).is_ok());
    assert_eq!(
        one_tag("k".into(), "v".repeat(257)).unwrap_err().to_string(),
        "invalid property 'Tags' for Custom::X: the value of tag 'k' is longer than 256 characters"
    );
}

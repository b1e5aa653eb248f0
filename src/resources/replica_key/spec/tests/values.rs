use crate::resources::replica_key::spec::*;

fn reason(result: Result<(), Error>) -> String {
    result.expect_err("rejected").to_string()
}

#[test]
fn a_description_takes_up_to_8192_characters() {
    assert!(validate_description("Description", &"d".repeat(8191)).is_ok());
    assert!(validate_description("Description", &"d".repeat(8192)).is_ok());
    assert!(
        validate_description("Description", &"é".repeat(8192)).is_ok(),
        "characters, not bytes"
    );
    assert_eq!(
        reason(validate_description("Description", &"d".repeat(8193))),
        "invalid property 'Description' for Custom::ReplicaKey: longer than the 8192 characters KMS accepts"
    );
}

#[test]
fn a_policy_takes_up_to_32768_bytes() {
    assert!(validate_policy("KeyPolicy", &"p".repeat(32767)).is_ok());
    assert!(validate_policy("KeyPolicy", &"p".repeat(32768)).is_ok());
    assert!(validate_policy("KeyPolicy", &"é".repeat(16385)).is_err(), "32770 bytes");
    assert_eq!(
        reason(validate_policy(
            "RegionSettings.eu-west-1.KeyPolicy",
            &"p".repeat(32769)
        )),
        "invalid property 'RegionSettings.eu-west-1.KeyPolicy' for Custom::ReplicaKey: \
         larger than the 32768 bytes KMS accepts"
    );
}

#[test]
fn an_alias_takes_up_to_256_characters_after_a_non_empty_name() {
    let of_length = |length: usize| format!("alias/{}", "a".repeat(length - "alias/".len()));
    assert!(validate_alias("Alias", &of_length(7)).is_ok());
    assert!(validate_alias("Alias", &of_length(255)).is_ok());
    assert!(validate_alias("Alias", &of_length(256)).is_ok());
    assert!(validate_alias("Alias", &of_length(257)).is_err());
    assert!(validate_alias("Alias", "alias/app_data-1/eu").is_ok());
    for bad in [
        "alias/",
        "app-data",
        "alias/aws/kms",
        "alias/app data",
        "alias/app.data",
    ] {
        let err = reason(validate_alias("Alias", bad));
        assert!(err.contains(&format!("'{bad}' is not a valid alias")), "{err}");
    }
}

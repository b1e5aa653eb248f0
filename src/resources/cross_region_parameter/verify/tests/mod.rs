use super::*;

fn parameter(value: &str, parameter_type: ParameterType) -> Parameter {
    Parameter::builder()
        .name("/a")
        .value(value)
        .r#type(parameter_type)
        .build()
}

#[test]
fn an_equal_value_is_left_alone_and_a_different_one_overwritten() {
    let same = parameter("1", ParameterType::String);
    assert_eq!(resolve(Some(&same), "1", &ParameterType::String, false), None);
    assert_eq!(
        resolve(Some(&same), "1", &ParameterType::String, true),
        Some(Write::Retag)
    );
    assert_eq!(
        resolve(Some(&same), "2", &ParameterType::String, false),
        Some(Write::Overwrite)
    );
}

#[test]
fn a_missing_parameter_is_created_and_a_changed_type_overwritten() {
    assert_eq!(resolve(None, "1", &ParameterType::String, false), Some(Write::Create));
    let list = parameter("1", ParameterType::StringList);
    assert_eq!(
        resolve(Some(&list), "1", &ParameterType::String, false),
        Some(Write::Overwrite)
    );
}

#[test]
fn a_secure_string_is_always_written_since_it_is_never_decrypted() {
    let secret = parameter("ciphertext", ParameterType::SecureString);
    assert_eq!(
        resolve(Some(&secret), "1", &ParameterType::SecureString, false),
        Some(Write::Overwrite)
    );
}

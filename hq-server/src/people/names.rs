//! What an account's name and password may be.

/// Names the audit log already uses for something other than a person.
const RESERVED_NAMES: [&str; 3] = ["admin", "unknown", "anonymous"];

/// Longest account name.
const NAME_CHARS_MAX: usize = 32;

/// Shortest and longest password, in characters.
pub const PASSWORD_CHARS_MIN: usize = 8;
pub const PASSWORD_CHARS_MAX: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error(
        "account name {name:?}: 1-{NAME_CHARS_MAX} letters, digits, '.', '_' or '-', starting with a letter or digit"
    )]
    Malformed { name: String },
    #[error("account name {name:?} is reserved (the audit log uses it)")]
    Reserved { name: String },
    #[error("password: at least {PASSWORD_CHARS_MIN} characters")]
    PasswordTooShort,
    #[error("password: at most {PASSWORD_CHARS_MAX} characters")]
    PasswordTooLong,
}

/// Checks an account name.
pub fn validate_name(name: &str) -> Result<(), NameError> {
    let bytes = name.as_bytes();
    let valid = !bytes.is_empty()
        && bytes.len() <= NAME_CHARS_MAX
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !valid {
        return Err(NameError::Malformed {
            name: branchline_shared::echo_prefix(name),
        });
    }
    if RESERVED_NAMES
        .iter()
        .any(|reserved| reserved.eq_ignore_ascii_case(name))
    {
        return Err(NameError::Reserved {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Checks a new password's length (its content is the person's business).
pub fn validate_password(password: &str) -> Result<(), NameError> {
    let chars = password.chars().count();
    if chars < PASSWORD_CHARS_MIN {
        return Err(NameError::PasswordTooShort);
    }
    if chars > PASSWORD_CHARS_MAX {
        return Err(NameError::PasswordTooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_passwords() {
        assert_eq!(validate_name("sz-manager"), Ok(()));
        assert_eq!(validate_name("li.wei_2"), Ok(()));
        assert!(matches!(validate_name(""), Err(NameError::Malformed { .. })));
        assert!(matches!(validate_name("-x"), Err(NameError::Malformed { .. })));
        assert!(matches!(validate_name("a b"), Err(NameError::Malformed { .. })));
        assert!(matches!(
            validate_name(&"a".repeat(33)),
            Err(NameError::Malformed { .. })
        ));
        assert!(matches!(validate_name("Admin"), Err(NameError::Reserved { .. })));
        assert_eq!(validate_password("1234567"), Err(NameError::PasswordTooShort));
        assert_eq!(validate_password("密码密码密码密码"), Ok(()));
        assert_eq!(
            validate_password(&"x".repeat(1025)),
            Err(NameError::PasswordTooLong)
        );
    }
}

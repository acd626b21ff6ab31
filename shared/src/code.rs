//! Codes: branch codes, dotted organization codes and base-data record codes (docs/documents.md).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("invalid branch code {code:?}: expected [A-Z0-9][A-Z0-9_-]{{0,15}}")]
    Branch { code: String },
    #[error("invalid organization code {code:?}: expected dot-separated digit segments such as 001.002")]
    Org { code: String },
    #[error("invalid {what} code {code:?}: expected 1 to 32 characters of A-Z a-z 0-9 . _ - starting with a letter or digit")]
    Record { what: &'static str, code: String },
}

/// Checks a branch code: `[A-Z0-9][A-Z0-9_-]{0,15}`.
pub fn validate_branch_code(code: &str) -> Result<(), CodeError> {
    let bytes = code.as_bytes();
    let valid = !bytes.is_empty()
        && bytes.len() <= 16
        && (bytes[0].is_ascii_uppercase() || bytes[0].is_ascii_digit())
        && bytes[1..]
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(CodeError::Branch {
            code: crate::echo::echo_prefix(code),
        })
    }
}

/// Checks an organization code: digit segments joined by dots, e.g. `001.002.001`.
pub fn validate_org_code(code: &str) -> Result<(), CodeError> {
    let valid = code.len() <= 64
        && code.split('.').all(|segment| {
            !segment.is_empty() && segment.len() <= 8 && segment.bytes().all(|b| b.is_ascii_digit())
        });
    if valid {
        Ok(())
    } else {
        Err(CodeError::Org {
            code: crate::echo::echo_prefix(code),
        })
    }
}

/// The parent of a dotted organization code, `None` for a root.
pub fn org_parent(code: &str) -> Option<&str> {
    code.rsplit_once('.').map(|(parent, _)| parent)
}

/// Whether `code` is `ancestor` or lies in its subtree.
pub fn org_in_subtree(code: &str, ancestor: &str) -> bool {
    code == ancestor || (code.starts_with(ancestor) && code.as_bytes().get(ancestor.len()) == Some(&b'.'))
}

/// Checks the code of a product, customer, supplier, warehouse or document number.
pub fn validate_record_code(what: &'static str, code: &str) -> Result<(), CodeError> {
    let bytes = code.as_bytes();
    let valid = !bytes.is_empty()
        && bytes.len() <= 32
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(CodeError::Record {
            what,
            code: crate::echo::echo_prefix(code),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_codes() {
        for good in ["SZ", "GZ-01", "A_B", "0", "ABCDEFGHIJKLMNOP"] {
            assert!(validate_branch_code(good).is_ok(), "{good}");
        }
        for bad in ["", "sz", "-A", "ABCDEFGHIJKLMNOPQ", "S Z", "深圳"] {
            assert!(validate_branch_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn org_codes_and_subtrees() {
        assert!(validate_org_code("001.002.001").is_ok());
        for bad in ["", "001.", ".001", "001..002", "00a"] {
            assert!(validate_org_code(bad).is_err(), "{bad}");
        }
        assert_eq!(org_parent("001.002"), Some("001"));
        assert_eq!(org_parent("001"), None);
        assert!(org_in_subtree("001.002.001", "001.002"));
        assert!(org_in_subtree("001.002", "001.002"));
        assert!(!org_in_subtree("001.0021", "001.002"));
        assert!(!org_in_subtree("001", "001.002"));
    }

    #[test]
    fn record_codes() {
        assert!(validate_record_code("product", "P001").is_ok());
        assert!(validate_record_code("product", "SZ-W.1_a").is_ok());
        assert!(validate_record_code("product", "").is_err());
        assert!(validate_record_code("product", "P 1").is_err());
        assert!(validate_record_code("product", "-P").is_err());
    }
}

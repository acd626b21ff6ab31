//! The three roles of people at HQ, ordered: viewer < operator < admin.

/// What an account may do (README "People and scopes"): each role may do all the one below may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reports, status, trades and the audit log of its scope.
    Viewer,
    /// Also templates, quarantine retry, targets and bundle import, within its scope.
    Operator,
    /// Everything within its scope, including accounts, organizations, branches and credentials.
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {text:?}: expected admin, operator or viewer")]
pub struct UnknownRole {
    pub text: String,
}

impl Role {
    pub fn parse(text: &str) -> Result<Role, UnknownRole> {
        match text {
            "viewer" => Ok(Role::Viewer),
            "operator" => Ok(Role::Operator),
            "admin" => Ok(Role::Admin),
            _ => Err(UnknownRole {
                text: branchline_shared::echo_prefix(text),
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_round_trip() {
        assert!(Role::Viewer < Role::Operator && Role::Operator < Role::Admin);
        for role in [Role::Viewer, Role::Operator, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("root")
            .unwrap_err()
            .to_string()
            .contains("admin, operator or viewer"));
    }
}

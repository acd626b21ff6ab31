//! Who is calling an admin, report or account method: a person (name, role, the organization
//! at the root of its scope) or the bootstrap admin token, and the scope checks every such
//! method makes before it reads or changes anything.

use super::role::Role;
use branchline_shared::org_in_subtree;

/// The audit log's and WhoAmI's name for the bootstrap admin token.
pub const BOOTSTRAP_NAME: &str = "admin";

/// The caller of an admin, report or account method, as the credential gate resolved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    /// The root of the caller's scope; `None` for the bootstrap token, which sees everything.
    pub root: Option<String>,
}

/// Why a call reaches outside its caller's scope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeRefusal {
    #[error("{name} may not reach organization {org}: outside the account's scope {root}")]
    OutsideScope { name: String, org: String, root: String },
    #[error("{name} may not change the group's {what}: the account's scope {root} is not the whole group")]
    NotGroupWide {
        name: String,
        what: &'static str,
        root: String,
    },
    #[error("{name} may not change account {account}: only the account itself or an admin over {org} may")]
    NotSelfOrAdmin {
        name: String,
        account: String,
        org: String,
    },
}

/// Which organizations a listing shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The subtree shown; `None` for everything.
    pub subtree: Option<String>,
    /// Whether events of the whole group (no organization) are shown too.
    pub group_events: bool,
}

impl Principal {
    /// The bootstrap admin token's principal.
    pub fn bootstrap() -> Principal {
        Principal {
            name: BOOTSTRAP_NAME.to_owned(),
            role: Role::Admin,
            root: None,
        }
    }

    /// Whether `org` lies in the caller's scope.
    pub fn covers(&self, org: &str) -> bool {
        self.root.as_deref().is_none_or(|root| org_in_subtree(org, root))
    }

    /// Whether the caller's scope is the whole group: the bootstrap token, or an account whose
    /// organization is a top-level one.
    pub fn is_group_wide(&self) -> bool {
        self.root.as_deref().is_none_or(|root| !root.contains('.'))
    }

    /// The organization audit events of this caller belong to (`None`: the whole group's).
    pub fn audit_org(&self) -> Option<&str> {
        self.root.as_deref()
    }

    /// Refuses `org` outside the caller's scope.
    pub fn check_org(&self, org: &str) -> Result<(), ScopeRefusal> {
        if self.covers(org) {
            return Ok(());
        }
        Err(ScopeRefusal::OutsideScope {
            name: self.name.clone(),
            org: branchline_shared::echo_prefix(org),
            root: self.root.clone().unwrap_or_default(),
        })
    }

    /// Refuses a change to the group's `what` (base data, templates) to a regional account.
    pub fn check_group_wide(&self, what: &'static str) -> Result<(), ScopeRefusal> {
        if self.is_group_wide() {
            return Ok(());
        }
        Err(ScopeRefusal::NotGroupWide {
            name: self.name.clone(),
            what,
            root: self.root.clone().unwrap_or_default(),
        })
    }

    /// Refuses a change to account `account` (whose organization is `org`) unless the caller is
    /// that account or an admin whose scope holds `org`.
    pub fn check_self_or_admin(&self, account: &str, org: &str) -> Result<(), ScopeRefusal> {
        let is_self = self.root.is_some() && self.name == account;
        if is_self || (self.role == Role::Admin && self.covers(org)) {
            return Ok(());
        }
        Err(ScopeRefusal::NotSelfOrAdmin {
            name: self.name.clone(),
            account: account.to_owned(),
            org: org.to_owned(),
        })
    }

    /// What a listing asked for `asked` (empty: the caller's own scope) shows; an organization
    /// outside the scope is refused.
    pub fn listing(&self, asked: &str) -> Result<Listing, ScopeRefusal> {
        if asked.is_empty() {
            return Ok(Listing {
                subtree: self.root.clone(),
                group_events: self.is_group_wide(),
            });
        }
        self.check_org(asked)?;
        Ok(Listing {
            subtree: Some(asked.to_owned()),
            group_events: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(role: Role, root: &str) -> Principal {
        Principal {
            name: "chen".to_owned(),
            role,
            root: Some(root.to_owned()),
        }
    }

    #[test]
    fn scope_is_the_subtree_of_the_root() {
        let sz = person(Role::Viewer, "001.002");
        assert!(sz.covers("001.002") && sz.covers("001.002.001"));
        assert!(!sz.covers("001") && !sz.covers("001.003") && !sz.covers("001.0021"));
        assert!(sz
            .check_org("001.003")
            .unwrap_err()
            .to_string()
            .contains("001.002"));
        assert!(!sz.is_group_wide());
        assert!(person(Role::Viewer, "001").is_group_wide());
        assert!(Principal::bootstrap().covers("009") && Principal::bootstrap().is_group_wide());
    }

    #[test]
    fn listings_default_to_the_scope() {
        let sz = person(Role::Viewer, "001.002");
        assert_eq!(
            sz.listing("").unwrap(),
            Listing {
                subtree: Some("001.002".to_owned()),
                group_events: false
            }
        );
        assert_eq!(
            sz.listing("001.002.001").unwrap().subtree.as_deref(),
            Some("001.002.001")
        );
        assert!(sz.listing("001").is_err());
        assert!(person(Role::Viewer, "001").listing("").unwrap().group_events);
        assert!(!person(Role::Viewer, "001").listing("001").unwrap().group_events);
        assert_eq!(Principal::bootstrap().listing("").unwrap().subtree, None);
    }

    #[test]
    fn accounts_change_themselves_or_by_an_admin_over_them() {
        let viewer = person(Role::Viewer, "001.002");
        assert!(viewer.check_self_or_admin("chen", "001.002").is_ok());
        assert!(viewer.check_self_or_admin("wang", "001.002").is_err());
        let admin = person(Role::Admin, "001.002");
        assert!(admin.check_self_or_admin("wang", "001.002.001").is_ok());
        assert!(admin.check_self_or_admin("wang", "001.003").is_err());
        assert!(Principal::bootstrap().check_self_or_admin("admin", "001").is_ok());
    }
}

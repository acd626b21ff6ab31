//! Which callers each admin, report and account method admits: the role matrix of README
//! "People and scopes", as data. The credential gate checks it before a call's body is read; a
//! method missing from the table needs the admin role, so a new method is closed until listed.
//! The scope checks (which organizations) are the services' own, on the request's content.

use super::role::Role;

/// Who may call a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credential: the request carries one (a login's password).
    Public,
    /// Any account, or the bootstrap token; the method checks the rest (its own account, or an
    /// admin over it).
    Account,
    /// Accounts of this role or above.
    Role(Role),
}

/// Service (as in the gRPC path), method, who may call it.
pub const METHODS: &[(&str, &str, Access)] = &[
    ("Account", "Login", Access::Public),
    ("Account", "Logout", Access::Account),
    ("Account", "WhoAmI", Access::Account),
    ("Account", "SetPassword", Access::Account),
    ("Account", "IssueToken", Access::Account),
    ("Account", "RevokeTokens", Access::Account),
    ("Account", "AddUser", Access::Role(Role::Admin)),
    ("Account", "ListUsers", Access::Role(Role::Admin)),
    ("Account", "DisableUser", Access::Role(Role::Admin)),
    ("Account", "EnableUser", Access::Role(Role::Admin)),
    ("Report", "Sales", Access::Role(Role::Viewer)),
    ("Report", "Inventory", Access::Role(Role::Viewer)),
    ("Report", "CountDifferences", Access::Role(Role::Viewer)),
    ("Report", "Ranking", Access::Role(Role::Viewer)),
    ("Commission", "ListPlans", Access::Role(Role::Viewer)),
    ("Commission", "Figures", Access::Role(Role::Viewer)),
    ("Commission", "AssignPlan", Access::Role(Role::Operator)),
    ("Commission", "AddPlan", Access::Role(Role::Admin)),
    ("Commission", "Settle", Access::Role(Role::Admin)),
    ("Admin", "Status", Access::Role(Role::Viewer)),
    ("Admin", "Audit", Access::Role(Role::Viewer)),
    ("Admin", "RoutedList", Access::Role(Role::Viewer)),
    ("Admin", "ListOrgs", Access::Role(Role::Viewer)),
    ("Admin", "ListTemplates", Access::Role(Role::Viewer)),
    ("Admin", "ListDayCloses", Access::Role(Role::Viewer)),
    ("Admin", "QuarantineList", Access::Role(Role::Operator)),
    ("Admin", "QuarantineRetry", Access::Role(Role::Operator)),
    ("Admin", "ImportBundle", Access::Role(Role::Operator)),
    ("Admin", "CreateTemplate", Access::Role(Role::Operator)),
    ("Admin", "PublishTemplate", Access::Role(Role::Operator)),
    ("Admin", "ExportTemplate", Access::Role(Role::Operator)),
    ("Admin", "SetTarget", Access::Role(Role::Operator)),
    ("Admin", "AddOrg", Access::Role(Role::Admin)),
    ("Admin", "AddBranch", Access::Role(Role::Admin)),
    ("Admin", "ImportBaseData", Access::Role(Role::Admin)),
    ("Admin", "RotateBranchToken", Access::Role(Role::Admin)),
    ("Admin", "RevokeBranch", Access::Role(Role::Admin)),
];

/// Who may call `service`/`method`; the admin role for a method not in [`METHODS`].
pub fn access(service: &str, method: &str) -> Access {
    METHODS
        .iter()
        .find(|(listed_service, listed_method, _)| *listed_service == service && *listed_method == method)
        .map_or(Access::Role(Role::Admin), |(_, _, access)| *access)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    /// Every method of the people-facing services in the descriptor set is listed, and only those.
    #[test]
    fn every_method_is_in_the_table() {
        let descriptors =
            prost_types::FileDescriptorSet::decode(branchline_proto::FILE_DESCRIPTOR_SET).unwrap();
        let mut served = Vec::new();
        for file in &descriptors.file {
            for service in &file.service {
                let name = service.name();
                if matches!(name, "Admin" | "Report" | "Account" | "Commission") {
                    served.extend(
                        service
                            .method
                            .iter()
                            .map(|method| (name.to_owned(), method.name().to_owned())),
                    );
                }
            }
        }
        let mut listed: Vec<_> = METHODS
            .iter()
            .map(|(service, method, _)| ((*service).to_owned(), (*method).to_owned()))
            .collect();
        served.sort();
        listed.sort();
        assert_eq!(served, listed);
        assert_eq!(access("Admin", "Unheard"), Access::Role(Role::Admin));
    }
}

//! Admin/Audit's request read into the store's filter: times, actor, branch and kind checked
//! (one INVALID_ARGUMENT line naming the field), the organizations checked against the scope.

use super::error::AdminError;
use super::AdminService;
use crate::people::principal::Principal;
use crate::store::registry::audit::{audit_actor, audit_kind, audit_time, BadAuditFilter};
use crate::store::registry::branches;
use branchline_proto::v1::AuditRequest;

const CALL: &str = "Admin/Audit";

/// An Audit request's filter, owned (the store's `AuditFilter` borrows from it).
#[derive(Debug, Default)]
pub(super) struct AuditQuery {
    pub(super) since: Option<String>,
    pub(super) until: Option<String>,
    pub(super) subtree: Option<String>,
    pub(super) group_events: bool,
    /// The organization of the branch asked for.
    pub(super) branch_org: Option<String>,
    pub(super) limit: u32,
}

fn time(field: &'static str, text: &str) -> Result<Option<String>, BadAuditFilter> {
    match text {
        "" => Ok(None),
        text => audit_time(field, text).map(Some),
    }
}

impl AdminService {
    /// Reads `asked` for `caller`: a malformed filter is refused before the scope, an
    /// organization or branch outside the scope after it (audited).
    pub(super) async fn audit_query(
        &self,
        caller: &Principal,
        asked: &AuditRequest,
    ) -> Result<AuditQuery, AdminError> {
        let since = time("since", &asked.since)?;
        let until = time("until", &asked.until)?;
        if !asked.actor.is_empty() {
            audit_actor(&asked.actor)?;
        }
        if !asked.kind.is_empty() {
            audit_kind(&asked.kind)?;
        }
        let listing = self.listing(caller, CALL, &asked.org).await?;
        let branch_org = match asked.branch.as_str() {
            "" => None,
            code => Some(self.audited_branch_org(caller, code).await?),
        };
        let max = self.limits.max_list_rows;
        Ok(AuditQuery {
            since,
            until,
            subtree: listing.subtree,
            group_events: listing.group_events,
            branch_org,
            limit: if asked.limit == 0 {
                max
            } else {
                asked.limit.min(max)
            },
        })
    }

    /// The organization of branch `code`, the Audit filter: a malformed or unknown code is the
    /// filter's error, one outside the caller's scope a refusal.
    async fn audited_branch_org(&self, caller: &Principal, code: &str) -> Result<String, AdminError> {
        if branchline_shared::validate_branch_code(code).is_err() {
            return Err(BadAuditFilter::new("branch", code, "not a branch code such as SZ").into());
        }
        let branch = branches::branch_by_code(&self.store, code)
            .await?
            .ok_or_else(|| BadAuditFilter::new("branch", code, "no branch is registered under this code"))?;
        self.scope(caller, CALL, caller.check_org(&branch.org)).await?;
        Ok(branch.org)
    }
}

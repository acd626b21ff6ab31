//! What the admin, report and account services know of their caller: the principal the
//! credential gate resolved (README "People and scopes"), and the audited refusal of a request
//! that reaches outside the caller's scope.

use crate::people::principal::{Principal, ScopeRefusal};
use crate::service::refusal_audit::RefusalLog;
use crate::store::registry::audit::Actor;

/// A call without a principal: only possible when a service runs without the gate in front,
/// which is then refused rather than trusted.
#[derive(Debug, Clone, thiserror::Error)]
#[error("missing or unknown credential: a person's token or the admin token")]
pub struct NoPrincipal;

/// The caller the gate admitted.
pub fn principal<T>(request: &tonic::Request<T>) -> Result<Principal, NoPrincipal> {
    request
        .extensions()
        .get::<Principal>()
        .cloned()
        .ok_or(NoPrincipal)
}

/// Passes `checked` through, auditing a refusal under `call` in the caller's name first.
pub async fn audited<T>(
    refusals: &RefusalLog,
    principal: &Principal,
    call: &str,
    checked: Result<T, ScopeRefusal>,
) -> Result<T, ScopeRefusal> {
    if let Err(refusal) = &checked {
        let actor = Actor::new(&principal.name, principal.audit_org());
        let detail = format!("{call}: {refusal}");
        refusals
            .record(actor, "refused: permission denied", call, &detail)
            .await;
    }
    checked
}

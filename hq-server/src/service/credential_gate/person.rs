//! The gate's check of an admin, report or account call: who the token is (the bootstrap admin
//! token, a person's token, a branch's), and whether the method's access rule admits that
//! caller's role. Every refusal is audited, naming the person or branch.

use super::caller::Caller;
use super::token_cache::Holder;
use super::{CredentialGate, GateError};
use crate::auth::digests_equal;
use crate::people::access::Access;
use crate::people::principal::Principal;
use crate::store::registry::{branches, people};
use sha2::{Digest, Sha256};

impl CredentialGate {
    /// The caller of admin, report or account method `method` ("Admin/AddOrg", also the name
    /// its refusals are audited under), if `access` admits it: `None` for a method that needs
    /// no credential.
    pub async fn screen_person(
        &self,
        method: &str,
        access: Access,
        caller: &Caller,
    ) -> Result<Option<Principal>, GateError> {
        let result = self.identify_person(method, access, caller).await;
        self.audit(method, &result).await;
        result
    }

    async fn identify_person(
        &self,
        method: &str,
        access: Access,
        caller: &Caller,
    ) -> Result<Option<Principal>, GateError> {
        if access == Access::Public {
            return Ok(None);
        }
        let unknown = GateError::UnknownAdminCredential;
        let Some(token) = caller.token.as_deref() else {
            return Err(self.refuse_unknown(caller, unknown));
        };
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let principal = if digests_equal(&digest, &self.admin_token_sha256) {
            Principal::bootstrap()
        } else {
            if let Some(None) = self.cached(&digest, caller).await? {
                return Err(self.refuse_unknown(caller, unknown));
            }
            self.person_of(&digest, method, caller).await?
        };
        if let Access::Role(needed) = access {
            if principal.role < needed {
                return Err(GateError::RoleTooLow {
                    org: principal.root.clone(),
                    name: principal.name,
                    role: principal.role,
                    method: method.to_owned(),
                    needed,
                });
            }
        }
        Ok(Some(principal))
    }

    /// The live person whose token has `digest`; a branch's token is PERMISSION_DENIED, anything
    /// else unknown.
    async fn person_of(
        &self,
        digest: &[u8; 32],
        method: &str,
        caller: &Caller,
    ) -> Result<Principal, GateError> {
        let digest_hex = hex::encode(digest);
        if let Some(person) = people::person_by_token_hash(&self.store, &digest_hex).await? {
            self.credentials.put(*digest, Some(Holder::Person));
            return Ok(Principal {
                name: person.name,
                role: person.role,
                root: Some(person.org),
            });
        }
        let branch = branches::branch_by_token_hash(&self.store, &digest_hex).await?;
        self.credentials.put(*digest, branch.clone().map(Holder::Branch));
        match branch {
            Some(branch) => Err(GateError::BranchNotAllowed {
                branch: branch.code,
                org: branch.org,
                service: method.split('/').next().unwrap_or(method).to_ascii_lowercase(),
            }),
            None => Err(self.refuse_unknown(caller, GateError::UnknownAdminCredential)),
        }
    }
}

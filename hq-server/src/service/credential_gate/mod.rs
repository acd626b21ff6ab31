//! The credential gate: a server-wide layer that checks every Branchline call's credential from
//! its headers, before the request body is read or decoded, and refuses cheaply what it can.
//!
//! Refusals that need no store access: a missing token; a token this replica has already seen
//! to be unknown; a branch over its request rate or without its client certificate, once its
//! token is in the cache; and any call with a token the cache does not know from an address
//! that is over `limits.unauthenticated_requests_per_second`. For the last, so that a branch
//! sharing its address with a flood is not locked out, the gate first reloads every live token
//! digest into the cache, at most once per [`CACHE_RELOAD_INTERVAL`] whatever the flood's size.
//!
//! A call that is let through has its token looked up in the store, as before, so the cache can
//! only ever refuse, never admit: a revoke or rotation done through any replica refuses the old
//! token on every replica from the next call on (see deploy/REPLICAS.md); the replica that did it
//! also forgets its cached tokens, so it answers UNAUTHENTICATED at once. The transfer service
//! gets the branch the gate resolved as the request extension [`AuthenticatedBranch`]; the admin,
//! report and account services get the [`Principal`](crate::people::principal::Principal) (a
//! person, or the bootstrap admin token) whose role the method's access rule admitted.
//!
//! This module is the gate's state and the branch checks; `person` the checks of admin, report
//! and account calls; `layer` runs the gate in front of the services, `caller` reads what a call
//! presents, `token_cache` holds the token digests.

pub mod caller;
pub mod layer;
mod person;
mod token_cache;

use crate::auth::{admin_token_digest, certificate_names_branch};
use crate::config::Limits;
use crate::people::role::Role;
use crate::rate::RateLimiter;
use crate::service::refusal_audit::{code_name, RefusalLog};
use crate::store::registry::audit::Actor;
use crate::store::registry::branches::{self, BranchRef};
use crate::store::registry::{credential, people};
use crate::store::{Store, StoreError};
use caller::Caller;
use sha2::{Digest, Sha256};
use token_cache::{CredentialCache, Holder, CREDENTIAL_CACHE_ENTRIES_MAX};
use tonic::Status;

/// Most often the cache is reloaded from the store, for a flooded address (see the module doc).
const CACHE_RELOAD_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Most caller addresses with an unauthenticated-rate bucket at once; past it, addresses whose
/// bucket has refilled are forgotten, and a new one is refused until there is room.
const ADDRESS_BUCKETS_MAX: usize = 65_536;

/// Most branches with a request-rate bucket at once (a bucket per registered branch that called).
const BRANCH_BUCKETS_MAX: usize = 1_000_000;

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("missing or unknown branch credential")]
    UnknownBranchCredential,
    #[error("missing or unknown credential: a person's token or the admin token")]
    UnknownAdminCredential,
    #[error("branch {branch} may not call the {service} service")]
    BranchNotAllowed {
        branch: String,
        org: String,
        service: String,
    },
    #[error("{name} ({role}) may not call {method}: it needs the {needed} role")]
    RoleTooLow {
        name: String,
        org: Option<String>,
        role: Role,
        method: String,
        needed: Role,
    },
    #[error(
        "too many calls without a known credential from {address} \
         (limits.unauthenticated_requests_per_second = {per_second})"
    )]
    AddressRateLimited { address: String, per_second: u32 },
    #[error("branch {branch} must present its client certificate (mutual TLS)")]
    CertificateMissing { branch: String, org: String },
    #[error("the client certificate does not name branch {branch}")]
    CertificateMismatch { branch: String, org: String },
    #[error("branch {branch} exceeds the request rate limit of {per_second}/s (limits.branch_requests_per_second)")]
    RateLimited {
        branch: String,
        org: String,
        per_second: u32,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl GateError {
    pub fn code(&self) -> tonic::Code {
        match self {
            GateError::UnknownBranchCredential
            | GateError::UnknownAdminCredential
            | GateError::CertificateMissing { .. } => tonic::Code::Unauthenticated,
            GateError::CertificateMismatch { .. }
            | GateError::BranchNotAllowed { .. }
            | GateError::RoleTooLow { .. } => tonic::Code::PermissionDenied,
            GateError::AddressRateLimited { .. } | GateError::RateLimited { .. } => {
                tonic::Code::ResourceExhausted
            }
            GateError::Store(_) => tonic::Code::Internal,
        }
    }

    pub fn to_status(&self) -> Status {
        if let GateError::Store(error) = self {
            tracing::error!(%error, "credential check failed");
        }
        Status::new(self.code(), self.to_string())
    }

    /// Who the audit log names: the branch or person when its token checked out, else "unknown".
    fn actor(&self) -> Actor<'_> {
        match self {
            GateError::CertificateMissing { branch, org }
            | GateError::CertificateMismatch { branch, org }
            | GateError::RateLimited { branch, org, .. }
            | GateError::BranchNotAllowed { branch, org, .. } => Actor::new(branch, Some(org)),
            GateError::RoleTooLow { name, org, .. } => Actor::new(name, org.as_deref()),
            _ => Actor::UNKNOWN,
        }
    }
}

/// The branch whose credential the gate checked, handed to the transfer service.
#[derive(Debug, Clone)]
pub struct AuthenticatedBranch(pub BranchRef);

/// The gate's state, shared by the layer and the services of one server.
pub struct CredentialGate {
    store: Store,
    refusals: RefusalLog,
    admin_token_sha256: [u8; 32],
    require_client_certificate: bool,
    branch_requests_per_second: u32,
    unauthenticated_requests_per_second: u32,
    branch_rate: RateLimiter,
    address_rate: RateLimiter,
    credentials: CredentialCache,
    /// When the cache was last reloaded with every live token; held while reloading.
    reloaded_at: tokio::sync::Mutex<Option<std::time::Instant>>,
}

impl CredentialGate {
    pub fn new(
        store: Store,
        limits: &Limits,
        admin_token: &str,
        require_client_certificate: bool,
        refusals: RefusalLog,
    ) -> CredentialGate {
        CredentialGate {
            store,
            refusals,
            admin_token_sha256: admin_token_digest(admin_token),
            require_client_certificate,
            branch_requests_per_second: limits.branch_requests_per_second,
            unauthenticated_requests_per_second: limits.unauthenticated_requests_per_second,
            branch_rate: RateLimiter::new(
                limits.branch_requests_per_second,
                limits.branch_request_burst,
                BRANCH_BUCKETS_MAX,
            ),
            address_rate: RateLimiter::new(
                limits.unauthenticated_requests_per_second,
                limits.unauthenticated_request_burst,
                ADDRESS_BUCKETS_MAX,
            ),
            credentials: CredentialCache::new(),
            reloaded_at: tokio::sync::Mutex::new(None),
        }
    }

    /// The calling branch of transfer call `call`, from its token and (mutual TLS) its client
    /// certificate, within its request rate. Every refusal is audited.
    pub async fn authenticate_branch(&self, call: &str, caller: &Caller) -> Result<BranchRef, GateError> {
        let result = self.identify_branch(caller).await;
        self.audit(call, &result).await;
        result
    }

    /// Forgets every cached known token (after a rotate or revoke through this replica).
    fn forget_known_tokens(&self) {
        self.credentials.forget_known();
    }

    async fn identify_branch(&self, caller: &Caller) -> Result<BranchRef, GateError> {
        let unknown = GateError::UnknownBranchCredential;
        let Some(token) = caller.token.as_deref() else {
            return Err(self.refuse_unknown(caller, unknown));
        };
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let admitted = match self.cached(&digest, caller).await? {
            Some(None) | Some(Some(Holder::Person)) => return Err(self.refuse_unknown(caller, unknown)),
            Some(Some(Holder::Branch(branch))) => {
                self.admit_branch(&branch, caller)?;
                Some(branch)
            }
            None => None,
        };
        let branch = branches::branch_by_token_hash(&self.store, &hex::encode(digest)).await?;
        self.credentials.put(digest, branch.clone().map(Holder::Branch));
        let Some(branch) = branch else {
            return Err(self.refuse_unknown(caller, unknown));
        };
        if admitted.as_ref().map(|admitted| &admitted.code) != Some(&branch.code) {
            self.admit_branch(&branch, caller)?;
        }
        Ok(branch)
    }

    /// A known branch's certificate (mutual TLS) and request rate, in that order, so that a
    /// stolen token without the certificate cannot spend the branch's rate.
    fn admit_branch(&self, branch: &BranchRef, caller: &Caller) -> Result<(), GateError> {
        let code = branch.code.as_str();
        let named = || (branch.code.clone(), branch.org.clone());
        if self.require_client_certificate {
            let certificate = caller
                .certificates
                .as_ref()
                .and_then(|certificates| certificates.first());
            let Some(certificate) = certificate else {
                let (branch, org) = named();
                return Err(GateError::CertificateMissing { branch, org });
            };
            if !certificate_names_branch(certificate, code) {
                let (branch, org) = named();
                return Err(GateError::CertificateMismatch { branch, org });
            }
        }
        if !self.branch_rate.admit(code) {
            let (branch, org) = named();
            return Err(GateError::RateLimited {
                branch,
                org,
                per_second: self.branch_requests_per_second,
            });
        }
        Ok(())
    }

    /// A call without a known credential spends one of its address's unauthenticated calls:
    /// `refusal` while the address has some left, RESOURCE_EXHAUSTED once it has none.
    fn refuse_unknown(&self, caller: &Caller, refusal: GateError) -> GateError {
        let address = caller.address_key();
        if self.address_rate.admit(&address) {
            refusal
        } else {
            self.address_rate_limited(address)
        }
    }

    /// What the cache knows of `digest`: Some(Some(holder)) whose it is, Some(None) nobody's,
    /// None not known (the caller looks it up). A token the cache does not know from an address
    /// with no unauthenticated call left is refused without a lookup, unless reloading the
    /// cache (at most once per interval, for all callers) shows whose it is.
    async fn cached(&self, digest: &[u8; 32], caller: &Caller) -> Result<Option<Option<Holder>>, GateError> {
        let cached = self.credentials.get(digest);
        if cached.is_some() {
            return Ok(cached);
        }
        let address = caller.address_key();
        if self.address_rate.has_room(&address) {
            return Ok(None);
        }
        self.reload_if_due().await?;
        match self.credentials.get(digest) {
            Some(Some(holder)) => Ok(Some(Some(holder))),
            _ => Err(self.address_rate_limited(address)),
        }
    }

    /// Loads every live token digest into the cache unless that was done less than
    /// [`CACHE_RELOAD_INTERVAL`] ago or is being done now.
    async fn reload_if_due(&self) -> Result<(), GateError> {
        let Ok(mut reloaded_at) = self.reloaded_at.try_lock() else {
            return Ok(());
        };
        if reloaded_at.is_some_and(|at| at.elapsed() < CACHE_RELOAD_INTERVAL) {
            return Ok(());
        }
        *reloaded_at = Some(std::time::Instant::now());
        let branches = credential::live_token_digests(&self.store, CREDENTIAL_CACHE_ENTRIES_MAX).await?;
        let persons = people::live_token_digests(&self.store, CREDENTIAL_CACHE_ENTRIES_MAX).await?;
        let holders = branches
            .into_iter()
            .map(|(digest, branch)| (digest, Holder::Branch(branch)))
            .chain(persons.into_iter().map(|(digest, _)| (digest, Holder::Person)));
        let known = holders
            .filter_map(|(digest, holder)| {
                let digest: [u8; 32] = hex::decode(digest).ok()?.try_into().ok()?;
                Some((digest, holder))
            })
            .collect();
        self.credentials.put_known(known);
        Ok(())
    }

    fn address_rate_limited(&self, address: String) -> GateError {
        GateError::AddressRateLimited {
            address,
            per_second: self.unauthenticated_requests_per_second,
        }
    }

    async fn audit<T>(&self, call: &str, result: &Result<T, GateError>) {
        let Err(error) = result else {
            return;
        };
        if matches!(error, GateError::Store(_)) {
            return;
        }
        let action = format!("refused: {}", code_name(error.code()));
        let detail = format!("{call}: {error}");
        self.refusals.record(error.actor(), &action, call, &detail).await;
    }
}

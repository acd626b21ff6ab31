//! The account service (README "People and scopes"): logins and logouts, who the caller is,
//! and the accounts an admin keeps within its scope (add, list, disable, enable, password,
//! personal tokens). The credential gate has checked the caller's role; a change to another account is
//! refused unless the caller is an admin whose scope holds it, and audited.
//!
//! Status codes: UNAUTHENTICATED (wrong name or password, missing or unknown token),
//! RESOURCE_EXHAUSTED (account or address locked out: the message says until when),
//! PERMISSION_DENIED (role or scope, audited), INVALID_ARGUMENT (name, role, organization code,
//! password length), ALREADY_EXISTS, NOT_FOUND (no such account), FAILED_PRECONDITION (unknown
//! organization, disabled account, the admin token logging out), INTERNAL.

mod address_guard;
mod login;

use crate::auth::bearer_token;
use crate::config::Limits;
use crate::people::names::{validate_password, NameError};
use crate::people::password::{hash_password, PasswordError};
use crate::people::principal::{Principal, ScopeRefusal};
use crate::people::role::{Role, UnknownRole};
use crate::service::credential_gate::caller::Caller;
use crate::service::principal::{audited, principal, NoPrincipal};
use crate::service::refusal_audit::RefusalLog;
use crate::store::registry::people::{self, PeopleError, Person};
use crate::store::registry::token::token_sha256;
use crate::store::{Store, StoreError};
use address_guard::AddressGuard;
use branchline_proto::v1::account_server::Account;
use branchline_proto::v1::*;
use branchline_shared::{validate_org_code, CodeError};
use tonic::{Request, Response, Status};

#[derive(Debug, thiserror::Error)]
enum AccountError {
    #[error(transparent)]
    NoPrincipal(#[from] NoPrincipal),
    #[error(transparent)]
    Scope(#[from] ScopeRefusal),
    #[error("wrong user name or password")]
    WrongCredentials,
    #[error("account {name} is locked until {until} after too many failed logins")]
    AccountLocked { name: String, until: String },
    #[error("too many failed logins from {address}: logins from it are refused until {until}")]
    AddressLocked { address: String, until: String },
    #[error("the admin token is not a login: it cannot log out (unset BRANCHLINE_ADMIN_TOKEN instead)")]
    BootstrapLogout,
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    Role(#[from] UnknownRole),
    #[error(transparent)]
    Code(#[from] CodeError),
    #[error(transparent)]
    People(#[from] PeopleError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("the password hashing task failed")]
    HashTaskFailed,
}

impl From<StoreError> for AccountError {
    fn from(error: StoreError) -> AccountError {
        AccountError::People(PeopleError::Store(error))
    }
}

fn to_status(error: AccountError) -> Status {
    let message = error.to_string();
    match error {
        AccountError::NoPrincipal(_) | AccountError::WrongCredentials => Status::unauthenticated(message),
        AccountError::AccountLocked { .. } | AccountError::AddressLocked { .. } => {
            Status::resource_exhausted(message)
        }
        AccountError::Scope(_) => Status::permission_denied(message),
        AccountError::Name(_) | AccountError::Role(_) | AccountError::Code(_) => {
            Status::invalid_argument(message)
        }
        AccountError::BootstrapLogout => Status::failed_precondition(message),
        AccountError::People(error) => match error {
            PeopleError::Name(_) => Status::invalid_argument(message),
            PeopleError::Exists { .. } | PeopleError::NameOfBranch { .. } => Status::already_exists(message),
            PeopleError::UnknownPerson { .. } => Status::not_found(message),
            PeopleError::UnknownOrg { .. } | PeopleError::Disabled { .. } => {
                Status::failed_precondition(message)
            }
            PeopleError::Store(error) => internal(&error),
        },
        AccountError::Password(_) | AccountError::HashTaskFailed => {
            tracing::error!(%message, "account call failed");
            Status::internal(message)
        }
    }
}

fn internal(error: &StoreError) -> Status {
    tracing::error!(%error, "account call failed");
    Status::internal(error.to_string())
}

fn user_to_wire(person: Person) -> User {
    User {
        name: person.name,
        role: person.role.as_str().to_owned(),
        org: person.org,
        disabled: person.disabled,
        has_password: person.password_hash.is_some(),
        live_tokens: person.live_tokens,
        locked_until: person.locked_until.unwrap_or_default(),
        created_at: person.created_at,
    }
}

/// Most password hashes computed at once. Each takes 19 MiB and a core for tens of
/// milliseconds, so a flood of logins waits its turn instead of exhausting memory.
const HASHES_AT_ONCE: usize = 4;

pub struct AccountService {
    store: Store,
    limits: Limits,
    refusals: RefusalLog,
    addresses: AddressGuard,
    hashing: tokio::sync::Semaphore,
}

impl AccountService {
    pub fn new(store: Store, limits: Limits, refusals: RefusalLog) -> AccountService {
        let window = std::time::Duration::from_secs(limits.login_lockout_seconds);
        AccountService {
            addresses: AddressGuard::new(limits.login_failures_per_address, window),
            hashing: tokio::sync::Semaphore::new(HASHES_AT_ONCE),
            store,
            limits,
            refusals,
        }
    }

    /// Runs `hash` (a password hash or check) off the async threads, a few at a time.
    async fn hash<T: Send + 'static>(
        &self,
        hash: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<T, AccountError> {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|_| AccountError::HashTaskFailed)?;
        Ok(tokio::task::spawn_blocking(hash)
            .await
            .map_err(|_| AccountError::HashTaskFailed)??)
    }

    /// Account `name`, which the caller must be or be an admin over (audited when not).
    async fn changeable(&self, caller: &Principal, call: &str, name: &str) -> Result<Person, AccountError> {
        let check = |person: &Person| caller.check_self_or_admin(&person.name, &person.org);
        self.account(caller, call, name, check).await
    }

    /// Account `name`, which must lie in the caller's scope (audited when not).
    async fn in_scope(&self, caller: &Principal, call: &str, name: &str) -> Result<Person, AccountError> {
        self.account(caller, call, name, |person| caller.check_org(&person.org))
            .await
    }

    /// Account `name` if `check` admits it; a refusal is audited in the caller's name.
    async fn account(
        &self,
        caller: &Principal,
        call: &str,
        name: &str,
        check: impl FnOnce(&Person) -> Result<(), ScopeRefusal>,
    ) -> Result<Person, AccountError> {
        let person = people::person(&self.store, name)
            .await?
            .ok_or_else(|| PeopleError::UnknownPerson {
                name: name.to_owned(),
            })?;
        audited(&self.refusals, caller, call, check(&person)).await?;
        Ok(person)
    }
}

#[tonic::async_trait]
impl Account for AccountService {
    #[tracing::instrument(skip_all)]
    async fn login(&self, request: Request<LoginRequest>) -> Result<Response<LoginResponse>, Status> {
        let address = Caller::from_tonic(&request).address_key();
        let result = self.login(&address, request.into_inner());
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn logout(&self, request: Request<LogoutRequest>) -> Result<Response<LogoutResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let (Some(org), Some(token)) = (&caller.root, bearer_token(request.metadata())) else {
                return Err(AccountError::BootstrapLogout);
            };
            people::revoke_token(&self.store, &caller.name, org, &token_sha256(token)).await?;
            Ok(LogoutResponse {})
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn who_am_i(&self, request: Request<WhoAmIRequest>) -> Result<Response<WhoAmIResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            Ok(WhoAmIResponse {
                name: caller.name,
                role: caller.role.as_str().to_owned(),
                org: caller.root.unwrap_or_default(),
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn add_user(&self, request: Request<AddUserRequest>) -> Result<Response<AddUserResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let asked = request.get_ref();
            let role = Role::parse(&asked.role)?;
            validate_org_code(&asked.org)?;
            audited(
                &self.refusals,
                &caller,
                "Account/AddUser",
                caller.check_org(&asked.org),
            )
            .await?;
            people::add_person(&self.store, &caller.name, &asked.name, role, &asked.org).await?;
            Ok(AddUserResponse {})
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn list_users(
        &self,
        request: Request<ListUsersRequest>,
    ) -> Result<Response<ListUsersResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let accounts = people::people(&self.store, caller.root.as_deref()).await?;
            Ok(ListUsersResponse {
                users: accounts.into_iter().map(user_to_wire).collect(),
            })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn disable_user(
        &self,
        request: Request<DisableUserRequest>,
    ) -> Result<Response<DisableUserResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let person = self
                .in_scope(&caller, "Account/DisableUser", &request.get_ref().name)
                .await?;
            people::disable_person(&self.store, &caller.name, &person.name).await?;
            Ok(DisableUserResponse {})
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn enable_user(
        &self,
        request: Request<EnableUserRequest>,
    ) -> Result<Response<EnableUserResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let person = self
                .in_scope(&caller, "Account/EnableUser", &request.get_ref().name)
                .await?;
            people::enable_person(&self.store, &caller.name, &person.name).await?;
            Ok(EnableUserResponse {})
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn set_password(
        &self,
        request: Request<SetPasswordRequest>,
    ) -> Result<Response<SetPasswordResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let asked = request.into_inner();
            let person = self
                .changeable(&caller, "Account/SetPassword", &asked.name)
                .await?;
            validate_password(&asked.password)?;
            let password = asked.password;
            let hash = self.hash(move || hash_password(&password)).await?;
            people::set_password_hash(&self.store, &caller.name, &person.name, &hash).await?;
            Ok(SetPasswordResponse {})
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn issue_token(
        &self,
        request: Request<IssueTokenRequest>,
    ) -> Result<Response<IssueTokenResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let person = self
                .changeable(&caller, "Account/IssueToken", &request.get_ref().name)
                .await?;
            let token = people::issue_token(&self.store, &caller.name, &person.name).await?;
            Ok(IssueTokenResponse { token })
        };
        result.await.map(Response::new).map_err(to_status)
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_tokens(
        &self,
        request: Request<RevokeTokensRequest>,
    ) -> Result<Response<RevokeTokensResponse>, Status> {
        let result = async {
            let caller = principal(&request)?;
            let person = self
                .changeable(&caller, "Account/RevokeTokens", &request.get_ref().name)
                .await?;
            let revoked = people::revoke_tokens(&self.store, &caller.name, &person.name).await?;
            Ok(RevokeTokensResponse { revoked })
        };
        result.await.map(Response::new).map_err(to_status)
    }
}

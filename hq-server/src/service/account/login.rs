//! A login: the password checked against the account's Argon2 hash off the async threads, a
//! fresh personal token on success, and the lock-outs (per account in the store, per address in
//! memory) on failure. Every success, failure and refusal is audited with the account's name.

use super::address_guard::time_after;
use super::{AccountError, AccountService};
use crate::people::password::{decoy_hash, verify_password};
use crate::store::db::value::now_text;
use crate::store::registry::audit::Actor;
use crate::store::registry::people::{self, Person};
use branchline_proto::v1::{LoginRequest, LoginResponse};
use std::time::Duration;

impl AccountService {
    /// Logs `asked.name` in from `address` (the caller's rate-limit key).
    pub(super) async fn login(
        &self,
        address: &str,
        asked: LoginRequest,
    ) -> Result<LoginResponse, AccountError> {
        if let Some(until) = self.addresses.locked_until(address) {
            let detail = format!("login from {address}: too many failed logins, until {until}");
            self.refusals
                .record(Actor::UNKNOWN, "login refused: locked", "Account/Login", &detail)
                .await;
            return Err(AccountError::AddressLocked {
                address: address.to_owned(),
                until,
            });
        }
        let person = people::person(&self.store, &asked.name).await?;
        if let Some(person) = &person {
            self.refuse_locked(person).await?;
        }
        let usable = person.as_ref().filter(|person| !person.disabled);
        let stored = usable
            .and_then(|person| person.password_hash.clone())
            .unwrap_or_else(|| decoy_hash().to_owned());
        let password = asked.password;
        let matches = self.hash(move || verify_password(&password, &stored)).await?;
        match usable {
            Some(person) if matches => {
                let token = people::login_succeeded(&self.store, person, address).await?;
                Ok(LoginResponse {
                    token,
                    role: person.role.as_str().to_owned(),
                    org: person.org.clone(),
                })
            }
            _ => Err(self.failed(person.as_ref(), &asked.name, address).await),
        }
    }

    /// Refuses a login to an account locked out now (even with the right password).
    async fn refuse_locked(&self, person: &Person) -> Result<(), AccountError> {
        let Some(until) = person.locked_until.as_deref() else {
            return Ok(());
        };
        if until <= now_text().as_str() {
            return Ok(());
        }
        let detail = format!("{} locked until {until}", person.name);
        let actor = Actor::new(&person.name, Some(&person.org));
        self.refusals
            .record(actor, "login refused: locked", "Account/Login", &detail)
            .await;
        Err(AccountError::AccountLocked {
            name: person.name.clone(),
            until: until.to_owned(),
        })
    }

    /// Counts a failed login against the address and the account, and says why it failed: a
    /// lock-out when this failure started one, else the same words whatever was wrong.
    async fn failed(&self, person: Option<&Person>, name: &str, address: &str) -> AccountError {
        self.addresses.failed(address);
        let Some(person) = person else {
            let name = branchline_shared::echo_prefix(name);
            let detail = format!("no account named {name:?}, from {address}");
            self.refusals
                .record(Actor::UNKNOWN, "login failed", "Account/Login", &detail)
                .await;
            return AccountError::WrongCredentials;
        };
        let lock_until = time_after(Duration::from_secs(self.limits.login_lockout_seconds));
        let failures_max = self.limits.login_failures_per_account;
        match people::login_failed(&self.store, person, address, failures_max, &lock_until).await {
            Ok(Some(until)) => AccountError::AccountLocked {
                name: person.name.clone(),
                until,
            },
            Ok(None) => AccountError::WrongCredentials,
            Err(error) => error.into(),
        }
    }
}

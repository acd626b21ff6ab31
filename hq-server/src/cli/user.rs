//! `hq-server admin user add|list|disable|password|token`: people at HQ (accounts with a role and
//! an organization scope), over the Account service.

use super::client::{refused, Account};
use super::output::{print_table, Format};
use super::password::{read_password, Purpose};
use branchline_proto::v1::{
    AddUserRequest, DisableUserRequest, EnableUserRequest, IssueTokenRequest, ListUsersRequest,
    RevokeTokensRequest, SetPasswordRequest, User,
};
use clap::{Subcommand, ValueEnum};
use serde_json::json;

#[derive(Debug, Subcommand)]
pub(super) enum UserCommand {
    /// Adds an account with a role over the subtree of organization ORG.
    ///
    /// It has no password (so cannot log in) until `user password NAME`; `user token NAME`
    /// works without one.
    Add {
        name: String,
        #[arg(long, value_enum)]
        role: Role,
        /// The root of the account's scope: that organization and everything under it.
        #[arg(long)]
        org: String,
    },
    /// The accounts within your scope.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Refuses the account's logins and every token it holds, at once.
    Disable { name: String },
    /// Lets a disabled account log in again; the tokens it held stay revoked.
    Enable { name: String },
    /// Sets the account's password: prompted twice on a terminal, else stdin's first line.
    Password { name: String },
    /// Issues a personal API token (the last stdout line, shown once), or revokes them all.
    ///
    /// With --revoke, every token the account holds is revoked and their number printed.
    Token {
        name: String,
        #[arg(long)]
        revoke: bool,
    },
}

/// What an account may do (viewer < operator < admin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Role {
    /// Reports, status, audit and trade listings.
    Viewer,
    /// A viewer's calls plus quarantine, bundles, templates and targets.
    Operator,
    /// Everything within its scope: organizations, branches, base data, accounts.
    Admin,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

pub(super) async fn run_user(client: &mut Account, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { name, role, org } => {
            let request = AddUserRequest {
                name: name.clone(),
                role: role.as_str().to_owned(),
                org: org.clone(),
            };
            client.add_user(request).await.map_err(refused)?;
            println!(
                "user {name} added: {} of {org} (no password yet: `hq-server admin user password {name}`)",
                role.as_str()
            );
        }
        UserCommand::List { format } => {
            let response = client
                .list_users(ListUsersRequest::default())
                .await
                .map_err(refused)?
                .into_inner();
            print_users(&response.users, format);
        }
        UserCommand::Disable { name } => {
            let request = DisableUserRequest { name: name.clone() };
            client.disable_user(request).await.map_err(refused)?;
            println!("user {name} disabled: its logins and tokens are refused from now on");
        }
        UserCommand::Enable { name } => {
            let request = EnableUserRequest { name: name.clone() };
            client.enable_user(request).await.map_err(refused)?;
            println!("user {name} enabled: it may log in again (its old tokens stay revoked)");
        }
        UserCommand::Password { name } => {
            let password = read_password(&format!("New password for {name}: "), Purpose::Set)?;
            let request = SetPasswordRequest {
                name: name.clone(),
                password,
            };
            client.set_password(request).await.map_err(refused)?;
            println!("password of {name} set");
        }
        UserCommand::Token { name, revoke } => token(client, name, revoke).await?,
    }
    Ok(())
}

async fn token(client: &mut Account, name: String, revoke: bool) -> anyhow::Result<()> {
    if revoke {
        let request = RevokeTokensRequest { name: name.clone() };
        let response = client.revoke_tokens(request).await.map_err(refused)?.into_inner();
        println!("user {name}: {} tokens revoked", response.revoked);
        return Ok(());
    }
    let request = IssueTokenRequest { name: name.clone() };
    let response = client.issue_token(request).await.map_err(refused)?.into_inner();
    println!("user {name}: new personal API token (shown once; revoke with `hq-server admin user token {name} --revoke`):");
    println!("{}", response.token);
    Ok(())
}

fn print_users(users: &[User], format: Format) {
    let or_null = |text: &str| {
        if text.is_empty() {
            serde_json::Value::Null
        } else {
            json!(text)
        }
    };
    match format {
        Format::Json => {
            let users: Vec<_> = users
                .iter()
                .map(|user| {
                    json!({
                        "name": user.name, "role": user.role, "org": user.org,
                        "disabled": user.disabled, "has_password": user.has_password,
                        "live_tokens": user.live_tokens, "locked_until": or_null(&user.locked_until),
                        "created_at": user.created_at,
                    })
                })
                .collect();
            println!("{}", json!({ "users": users }));
        }
        Format::Table => {
            let yes_no = |flag: bool| if flag { "yes" } else { "no" }.to_owned();
            let rows: Vec<Vec<String>> = users
                .iter()
                .map(|user| {
                    vec![
                        user.name.clone(),
                        user.role.clone(),
                        user.org.clone(),
                        yes_no(user.disabled),
                        yes_no(user.has_password),
                        user.live_tokens.to_string(),
                        if user.locked_until.is_empty() {
                            "-".to_owned()
                        } else {
                            user.locked_until.clone()
                        },
                        user.created_at.clone(),
                    ]
                })
                .collect();
            let header = [
                "name",
                "role",
                "org",
                "disabled",
                "password",
                "tokens",
                "locked_until",
                "created_at",
            ];
            print_table(&header, &rows);
        }
    }
}

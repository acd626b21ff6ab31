//! `hq-server login`, `logout` and `whoami`: a person's session at HQ. Login trades the
//! account's password for a personal token kept in the login file (see `credentials.rs`), which
//! `admin` and `report` then use when no `--token` is given; logout revokes it and removes the file.

use super::client::{account_client, anonymous_account_client, refused};
use super::credentials::{login_file_path, read_login, remove_login, write_login, HqArgs, Login, Target};
use super::output::one_line;
use super::password::{read_password, Purpose};
use anyhow::Context;
use branchline_proto::v1::{LoginRequest, LogoutRequest, WhoAmIRequest};
use std::path::PathBuf;
use std::time::Duration;

/// How long logout waits for HQ before removing the login file without it.
const LOGOUT_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, clap::Args)]
pub(super) struct LoginArgs {
    /// HQ address, e.g. https://hq.example:50051
    #[arg(long, env = "BRANCHLINE_HQ")]
    hq: String,
    /// The account's name.
    #[arg(long)]
    user: String,
    /// PEM CA certificate that signed HQ's certificate (for an https:// address); saved with the
    /// login.
    #[arg(long, env = "BRANCHLINE_CA")]
    ca: Option<PathBuf>,
}

/// Logs in with the password (prompted, or stdin's first line) and saves the personal token.
pub(super) async fn login(args: LoginArgs) -> anyhow::Result<()> {
    let path = login_file_path()?;
    // Saved absolute, so the login works from any directory.
    let ca = args
        .ca
        .map(|ca| {
            std::fs::canonicalize(&ca).with_context(|| format!("cannot read CA certificate {}", ca.display()))
        })
        .transpose()?;
    let mut client = anonymous_account_client(&args.hq, ca.as_deref()).await?;
    let prompt = format!("Password for {} at {}: ", args.user, args.hq);
    let password = read_password(&prompt, Purpose::LogIn)?;
    let request = LoginRequest {
        name: args.user.clone(),
        password,
    };
    let response = client.login(request).await.map_err(refused)?.into_inner();
    let login = Login {
        hq: args.hq,
        user: args.user,
        token: response.token,
        ca,
    };
    write_login(&path, &login)?;
    println!(
        "logged in to {} as {} ({}, {}); login saved in {}",
        login.hq,
        login.user,
        response.role,
        scope(&response.org),
        path.display()
    );
    Ok(())
}

/// Revokes the login's token at HQ and removes the login file; when HQ cannot be reached or
/// refuses, the file is removed all the same, with a warning on stderr.
pub(super) async fn logout() -> anyhow::Result<()> {
    let path = login_file_path()?;
    let Some(login) = read_login(&path)? else {
        eprintln!("hq-server: not logged in: there is no {}", path.display());
        return Ok(());
    };
    let target = Target {
        hq: login.hq.clone(),
        token: login.token.clone(),
        ca: login.ca.clone(),
    };
    let revoked = tokio::time::timeout(LOGOUT_TIMEOUT, async {
        let mut client = account_client(&target).await?;
        client.logout(LogoutRequest {}).await.map_err(refused)?;
        anyhow::Ok(())
    })
    .await
    .unwrap_or_else(|_| {
        Err(anyhow::anyhow!(
            "HQ at {} did not answer within {}s",
            login.hq,
            LOGOUT_TIMEOUT.as_secs()
        ))
    });
    if let Err(error) = revoked {
        eprintln!(
            "hq-server: warning: HQ did not revoke the token: {}; the login file is removed all \
             the same (an admin can revoke the token: `hq-server admin user token {} --revoke`)",
            one_line(&error),
            login.user
        );
    }
    remove_login(&path)?;
    println!(
        "logged out {} from {}; {} removed",
        login.user,
        login.hq,
        path.display()
    );
    Ok(())
}

/// Prints the name, role and scope of the credential in use.
pub(super) async fn whoami(args: HqArgs) -> anyhow::Result<()> {
    let target = args.resolve()?;
    let mut client = account_client(&target).await?;
    let me = client
        .who_am_i(WhoAmIRequest {})
        .await
        .map_err(refused)?
        .into_inner();
    println!("{} ({}, {}) at {}", me.name, me.role, scope(&me.org), target.hq);
    Ok(())
}

/// An account's scope in words: its root organization, or the whole group (empty).
fn scope(org: &str) -> String {
    if org.is_empty() {
        "the whole group".to_owned()
    } else {
        format!("org {org}")
    }
}

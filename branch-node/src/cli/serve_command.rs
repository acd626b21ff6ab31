//! `branch-node serve`: the workbench until SIGTERM or Ctrl-C, on loopback, or with
//! `--allow-network` on any address behind the password `branch-node user password` sets.

use crate::ledger::Ledger;
use crate::workbench::login::{password_path, Login, PASSWORD_MIN_CHARS};
use anyhow::Context;
use std::io::IsTerminal;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The address `listen` names (`localhost:PORT` is 127.0.0.1), or why it is refused: beyond
/// loopback only with `allow_network`.
fn address(listen: &str, allow_network: bool) -> anyhow::Result<SocketAddr> {
    let address = match listen.strip_prefix("localhost:") {
        Some(port) => port
            .parse()
            .ok()
            .map(|port| SocketAddr::from((Ipv4Addr::LOCALHOST, port))),
        None => listen.parse::<SocketAddr>().ok(),
    }
    .with_context(|| format!("--listen {listen:?}: expected HOST:PORT, e.g. 127.0.0.1:8040"))?;
    if !address.ip().is_loopback() && !allow_network {
        anyhow::bail!(
            "--listen {listen}: not a loopback address; to serve other machines add --allow-network \
             (every page then asks for the password set with `branch-node user password`)"
        );
    }
    Ok(address)
}

/// The login of `--allow-network`: the ledger's password hash, or why there is none.
fn login(ledger_path: &Path) -> anyhow::Result<Login> {
    let path = password_path(ledger_path);
    let hash = std::fs::read_to_string(&path).map_err(|_| {
        anyhow::anyhow!(
            "--allow-network needs the workbench's password: set it with `branch-node --ledger {} user password`",
            ledger_path.display()
        )
    })?;
    Ok(Login::new(hash.trim().to_owned()))
}

/// `user password`: the password read from the terminal (stdin when not a terminal), kept as
/// an Argon2id hash in `<ledger>.workbench-password`, readable by its owner only.
pub(super) fn set_password(ledger_path: &Path, out: &mut impl Write) -> anyhow::Result<()> {
    drop(Ledger::open(ledger_path)?);
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("workbench password: ").context("reading the password")?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.chars().count() < PASSWORD_MIN_CHARS {
        anyhow::bail!("the workbench password needs at least {PASSWORD_MIN_CHARS} characters");
    }
    let hash = branchline_shared::password::hash_password(&password)?;
    let path = password_path(ledger_path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    writeln!(file, "{hash}")?;
    writeln!(out, "workbench password set ({})", path.display())?;
    Ok(())
}

/// Completes on SIGTERM or Ctrl-C.
async fn stopped() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let terminated = async {
        match terminate.as_mut() {
            Some(terminate) => {
                terminate.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminated => {}
    }
}

pub(super) fn serve(
    ledger_path: &Path,
    listen: &str,
    allow_network: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let address = address(listen, allow_network)?;
    // A wrong path or a file that is no ledger is refused before anything listens.
    drop(Ledger::open(ledger_path)?);
    let login = allow_network.then(|| login(ledger_path)).transpose()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the workbench's runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("--listen {listen}: cannot listen"))?;
        writeln!(out, "workbench on http://{}", listener.local_addr()?)?;
        out.flush()?;
        crate::workbench::serve(ledger_path.to_owned(), login, listener, stopped())
            .await
            .context("serving the workbench")
    })
}

#[cfg(test)]
mod tests {
    use super::address;

    #[test]
    fn beyond_loopback_only_when_allowed() {
        assert_eq!(address("127.0.0.1:0", false).unwrap().port(), 0);
        assert!(address("[::1]:8040", false).unwrap().ip().is_loopback());
        assert!(address("localhost:8040", false).unwrap().ip().is_loopback());
        let refused = address("0.0.0.0:8040", false).unwrap_err().to_string();
        assert!(
            refused.contains("not a loopback address") && refused.contains("--allow-network"),
            "{refused}"
        );
        assert!(address("0.0.0.0:8040", true).is_ok());
        let bad = address("127.0.0.1", false).unwrap_err().to_string();
        assert!(bad.contains("expected HOST:PORT"), "{bad}");
    }
}

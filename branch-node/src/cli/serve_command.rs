//! `branch-node serve`: the workbench on a loopback address until SIGTERM or Ctrl-C. The
//! workbench has no login yet, so any other address is refused.

use crate::ledger::Ledger;
use anyhow::Context;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;

/// The loopback address `listen` names (`localhost:PORT` is 127.0.0.1), or why it is refused.
fn loopback(listen: &str) -> anyhow::Result<SocketAddr> {
    let address = match listen.strip_prefix("localhost:") {
        Some(port) => port
            .parse()
            .ok()
            .map(|port| SocketAddr::from((Ipv4Addr::LOCALHOST, port))),
        None => listen.parse::<SocketAddr>().ok(),
    }
    .with_context(|| format!("--listen {listen:?}: expected HOST:PORT, e.g. 127.0.0.1:8040"))?;
    if !address.ip().is_loopback() {
        anyhow::bail!(
            "--listen {listen}: not a loopback address; the workbench has no login yet and answers \
             on this machine only (127.0.0.1, [::1] or localhost)"
        );
    }
    Ok(address)
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

pub(super) fn serve(ledger_path: &Path, listen: &str, out: &mut impl Write) -> anyhow::Result<()> {
    let address = loopback(listen)?;
    // A wrong path or a file that is no ledger is refused before anything listens.
    drop(Ledger::open(ledger_path)?);
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
        crate::workbench::serve(ledger_path.to_owned(), listener, stopped())
            .await
            .context("serving the workbench")
    })
}

#[cfg(test)]
mod tests {
    use super::loopback;

    #[test]
    fn only_loopback_addresses_are_served() {
        assert_eq!(loopback("127.0.0.1:0").unwrap().port(), 0);
        assert!(loopback("[::1]:8040").unwrap().ip().is_loopback());
        assert!(loopback("localhost:8040").unwrap().ip().is_loopback());
        let refused = loopback("0.0.0.0:8040").unwrap_err().to_string();
        assert!(refused.contains("not a loopback address"), "{refused}");
        let bad = loopback("127.0.0.1").unwrap_err().to_string();
        assert!(bad.contains("expected HOST:PORT"), "{bad}");
    }
}

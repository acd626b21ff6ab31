//! A loopback address nobody answers, for tests of an unreachable server: a port held bound, so
//! no other test or server can take it, but never listening, so every connection is refused.

use anyhow::Context;
use std::net::SocketAddr;

/// A loopback port that refuses connections for as long as this value lives.
pub struct RefusingPort {
    _socket: tokio::net::TcpSocket,
    address: SocketAddr,
}

impl RefusingPort {
    /// Binds 127.0.0.1:0 without listening (and without `SO_REUSEADDR`, so nothing else can
    /// bind the port while it is held).
    pub fn bind() -> anyhow::Result<RefusingPort> {
        let socket = tokio::net::TcpSocket::new_v4().context("creating a socket")?;
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .context("binding a loopback port")?;
        let address = socket.local_addr()?;
        Ok(RefusingPort {
            _socket: socket,
            address,
        })
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// "127.0.0.1:PORT"
    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

//! What a call presents to the credential gate: its bearer token, the peer's address (and the
//! address's rate-limit key) and, under TLS, its client certificates.

use crate::auth::{bearer_token, bearer_value};
use std::net::IpAddr;
use std::sync::Arc;
use tonic::codegen::http;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};

/// What a call presents: its bearer token, the peer's address and (TLS) its certificates.
#[derive(Default)]
pub struct Caller {
    pub token: Option<String>,
    pub address: Option<IpAddr>,
    pub certificates: Option<Arc<Vec<rustls_pki_types::CertificateDer<'static>>>>,
}

impl Caller {
    pub fn from_tonic<T>(request: &tonic::Request<T>) -> Caller {
        Caller {
            token: bearer_token(request.metadata()).map(str::to_owned),
            address: request.remote_addr().map(|address| address.ip()),
            certificates: request.peer_certs(),
        }
    }

    pub(super) fn from_http<B>(request: &http::Request<B>) -> Caller {
        let token = request
            .headers()
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(bearer_value);
        let extensions = request.extensions();
        let tls = extensions.get::<TlsConnectInfo<TcpConnectInfo>>();
        let tcp = extensions
            .get::<TcpConnectInfo>()
            .or_else(|| tls.map(TlsConnectInfo::get_ref));
        Caller {
            token: token.map(str::to_owned),
            address: tcp
                .and_then(TcpConnectInfo::remote_addr)
                .map(|address| address.ip()),
            certificates: tls.and_then(TlsConnectInfo::peer_certs),
        }
    }

    /// The caller's rate-limit key: its IPv4 address, or its IPv6 /64, which one host commonly
    /// holds whole (so that a flood cannot spread over its addresses to escape the limit).
    pub fn address_key(&self) -> String {
        match self.address {
            None => "unknown address".to_owned(),
            Some(IpAddr::V6(address)) => match address.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let segments = address.segments();
                    let network = std::net::Ipv6Addr::new(
                        segments[0],
                        segments[1],
                        segments[2],
                        segments[3],
                        0,
                        0,
                        0,
                        0,
                    );
                    format!("{network}/64")
                }
            },
            Some(address) => address.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_slash_64_is_one_address_for_the_rate() {
        let key = |text: &str| {
            Caller {
                address: Some(text.parse().unwrap()),
                ..Caller::default()
            }
            .address_key()
        };
        assert_eq!(key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff:ee:dd:cc"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:3::1"), "2001:db8:1:3::/64");
        assert_eq!(key("10.0.0.7"), "10.0.0.7");
        assert_eq!(key("::ffff:10.0.0.7"), "10.0.0.7");
        assert_eq!(Caller::default().address_key(), "unknown address");
    }
}

//! A console client at the HTTP level, for what a browser test cannot see: response headers
//! (cookies' attributes, the security headers), forms posted without their CSRF field, and
//! HTTPS against the test PKI. It keeps cookies like a browser and logs in through the form.

use anyhow::Context;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{HeaderMap, COOKIE, SET_COOKIE};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_rustls::rustls;

/// One answer: status, headers and the body as text.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    /// The `Set-Cookie` header that sets `name`, whole.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }

    /// The value of the first hidden `csrf` input in the body.
    pub fn csrf(&self) -> Option<String> {
        let start = self.body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
        let end = self.body[start..].find('"')?;
        Some(self.body[start..start + end].to_owned())
    }

    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|value| value.to_str().ok())
    }
}

/// A browser-like client of one console.
pub struct ConsoleHttp {
    base: String,
    tls: Option<(tokio_rustls::TlsConnector, String)>,
    cookies: BTreeMap<String, String>,
}

impl ConsoleHttp {
    /// A client of `base` ("http://127.0.0.1:PORT").
    pub fn new(base: &str) -> ConsoleHttp {
        ConsoleHttp {
            base: base.trim_end_matches('/').to_owned(),
            tls: None,
            cookies: BTreeMap::new(),
        }
    }

    /// A client of `base` ("https://localhost:PORT") trusting the CA in `ca_pem`.
    pub fn trusting(base: &str, ca_pem: &[u8]) -> anyhow::Result<ConsoleHttp> {
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem) {
            roots.add(cert?)?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let host = base
            .trim_start_matches("https://")
            .rsplit_once(':')
            .map(|(host, _)| host.to_owned())
            .context("the console URL has no port")?;
        let mut client = ConsoleHttp::new(base);
        client.tls = Some((tokio_rustls::TlsConnector::from(Arc::new(config)), host));
        Ok(client)
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    /// Forgets cookie `name` (or sets it to `value`).
    pub fn set_cookie(&mut self, name: &str, value: Option<&str>) {
        match value {
            Some(value) => self.cookies.insert(name.to_owned(), value.to_owned()),
            None => self.cookies.remove(name),
        };
    }

    pub async fn get(&mut self, path: &str) -> anyhow::Result<Answer> {
        self.send("GET", path, None).await
    }

    /// Posts `fields` as an urlencoded form.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> anyhow::Result<Answer> {
        let body = fields
            .iter()
            .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
            .collect::<Vec<_>>()
            .join("&");
        self.send("POST", path, Some(body)).await
    }

    /// Logs in through the login form; the answer is the login's (a redirect on success).
    pub async fn login(&mut self, name: &str, password: &str) -> anyhow::Result<Answer> {
        let form = self.get("/login").await?;
        let csrf = form.csrf().context("the login page has no CSRF field")?;
        self.post(
            "/login",
            &[("csrf", &csrf), ("name", name), ("password", password)],
        )
        .await
    }

    async fn send(&mut self, method: &str, path: &str, body: Option<String>) -> anyhow::Result<Answer> {
        let address = self
            .base
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .replace("localhost", "127.0.0.1");
        let stream = TcpStream::connect(&address)
            .await
            .with_context(|| format!("connecting to {address}"))?;
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", &address);
        if !self.cookies.is_empty() {
            let cookies = self
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ");
            request = request.header(COOKIE, cookies);
        }
        if body.is_some() {
            request = request.header("content-type", "application/x-www-form-urlencoded");
        }
        let request = request.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
        let response = match &self.tls {
            Some((connector, host)) => {
                let name = rustls::pki_types::ServerName::try_from(host.clone())?;
                let stream = connector.connect(name, stream).await.context("TLS handshake")?;
                exchange(TokioIo::new(stream), request).await?
            }
            None => exchange(TokioIo::new(stream), request).await?,
        };
        let (parts, body) = response.into_parts();
        let body = String::from_utf8_lossy(&body.collect().await?.to_bytes()).into_owned();
        for value in parts.headers.get_all(SET_COOKIE) {
            let text = value.to_str()?;
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').context("a Set-Cookie without '='")?;
            if value.is_empty() || attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

async fn exchange<I>(
    io: I,
    request: Request<Full<Bytes>>,
) -> anyhow::Result<hyper::Response<hyper::body::Incoming>>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await?;
    tokio::spawn(connection);
    Ok(sender.send_request(request).await?)
}

/// `text` percent-encoded for a query string or an urlencoded form.
pub fn encode(text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => encoded.push(byte as char),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

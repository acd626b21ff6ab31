//! The console's way into HQ: the admin, report, account and commission services behind the
//! same credential gate and refusal audit as the gRPC port, called in process through tonic's own
//! clients. A page therefore sees exactly what a gRPC caller with the session's token would: the same roles,
//! scope checks, audit rows and figures.

use crate::service::account::AccountService;
use crate::service::admin::AdminService;
use crate::service::commission::CommissionService;
use crate::service::credential_gate::layer::CredentialGateLayer;
use crate::service::credential_gate::CredentialGate;
use crate::service::refusal_audit::{RefusalAuditLayer, RefusalLog};
use crate::service::report::ReportService;
use branchline_proto::v1::account_client::AccountClient;
use branchline_proto::v1::account_server::AccountServer;
use branchline_proto::v1::admin_client::AdminClient;
use branchline_proto::v1::admin_server::AdminServer;
use branchline_proto::v1::commission_client::CommissionClient;
use branchline_proto::v1::commission_server::CommissionServer;
use branchline_proto::v1::report_client::ReportClient;
use branchline_proto::v1::report_server::ReportServer;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tonic::codegen::http;
use tonic::transport::server::TcpConnectInfo;
use tower::util::BoxCloneSyncService;
use tower_layer::Layer;

/// The in-process gRPC stack, as a tonic client's transport.
pub type Grpc =
    BoxCloneSyncService<http::Request<tonic::body::Body>, http::Response<tonic::body::Body>, Infallible>;

/// The services a page may call.
#[derive(Clone)]
pub struct Api {
    grpc: Grpc,
    max_message_bytes: usize,
}

impl Api {
    pub fn new(
        gate: Arc<CredentialGate>,
        refusals: RefusalLog,
        services: (
            AdminServer<AdminService>,
            ReportServer<ReportService>,
            AccountServer<AccountService>,
            CommissionServer<CommissionService>,
        ),
        max_message_bytes: usize,
    ) -> Api {
        let (admin, report, account, commission) = services;
        let routes = tonic::service::Routes::new(admin)
            .add_service(report)
            .add_service(account)
            .add_service(commission);
        // As on the gRPC port: the refusal layer outside the gate, so it sees (and counts) the
        // gate's refusals too.
        let gated = CredentialGateLayer::new(gate).layer(routes);
        let audited = RefusalAuditLayer::new(refusals).layer(gated);
        Api {
            grpc: BoxCloneSyncService::new(audited),
            max_message_bytes,
        }
    }

    pub fn admin(&self) -> AdminClient<Grpc> {
        AdminClient::new(self.grpc.clone())
            .max_decoding_message_size(self.max_message_bytes)
            .max_encoding_message_size(self.max_message_bytes)
    }

    pub fn report(&self) -> ReportClient<Grpc> {
        ReportClient::new(self.grpc.clone())
            .max_decoding_message_size(self.max_message_bytes)
            .max_encoding_message_size(self.max_message_bytes)
    }

    pub fn account(&self) -> AccountClient<Grpc> {
        AccountClient::new(self.grpc.clone())
            .max_decoding_message_size(self.max_message_bytes)
            .max_encoding_message_size(self.max_message_bytes)
    }

    pub fn commission(&self) -> CommissionClient<Grpc> {
        CommissionClient::new(self.grpc.clone())
            .max_decoding_message_size(self.max_message_bytes)
            .max_encoding_message_size(self.max_message_bytes)
    }
}

/// `message` as a call from the browser at `address`, with `token` (none for a login): the gate
/// rates, locks out and audits by that address as it would a gRPC caller's.
pub fn request<T>(message: T, token: Option<&str>, address: SocketAddr) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(token) = token {
        if let Ok(value) = format!("Bearer {token}").parse() {
            request.metadata_mut().insert("authorization", value);
        }
    }
    request.extensions_mut().insert(TcpConnectInfo {
        local_addr: None,
        remote_addr: Some(address),
    });
    request
}

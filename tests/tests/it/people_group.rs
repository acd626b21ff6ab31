//! The regional group the people tests run on (orgs 001 > 001.002 > 001.002.001 and 001.003,
//! branches, documents, quarantine, a routed trade, accounts); what a regional account's
//! listings show when it names no org: its own subtree only (Status, QuarantineList,
//! RoutedList, ListTemplates' rollout, ListUsers, reports), equal to what the bootstrap token sees when it names that
//! subtree; what the walk's in-scope calls did; the methods the proto descriptors list; and one
//! call of each Transfer method, to show a person's token there.

use crate::hq_support::{batch, bundle_file, push, sales_out, setup_branch, wire};
use branchline_proto::v1::{
    AddBranchRequest, BundleUpload, CloseDayRequest, CreateTemplateRequest, ListTemplatesRequest,
    ListUsersRequest, PublishTemplateRequest, PullRequest, QuarantineListRequest, ReconcileDocumentsRequest,
    ReconcileSummaryRequest, ReportRequest, ReportResponse, RoutedListRequest, SetTargetRequest,
    StatusRequest, WhoAmIRequest,
};
use branchline_proto::PROTOCOL_VERSION;
use branchline_shared::{Document, EntryBody};
use branchline_tests::hq::{self, admin_client, launch_hq, HqHandle, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::people::{
    account_client, add_account, add_person, password_of, report_client, set_password, store_snapshot, Person,
};
use branchline_tests::security::hello_request;
use prost::Message;
use std::collections::BTreeSet;
use tonic::Code;

/// HQ with orgs 001 > 001.002 (SZ) > 001.002.001 (SZ1) and 001.003 (GZ), pushed documents,
/// a quarantined entry of SZ and of GZ, a routed trade SZ -> GZ, a template and a GZ target;
/// accounts of 001.002 (viewer, operator, admin), a group admin of 001, and targets for the
/// account calls in scope (sz1-clerk, sz1-leaver) and out of it (gz-viewer).
pub(crate) struct ScopedGroup {
    pub hq: HqHandle,
    pub sz_token: String,
    pub sz1_token: String,
    pub gz_token: String,
    pub viewer: Person,
    pub operator: Person,
    pub admin: Person,
    pub group_admin: Person,
    /// SZ's and GZ's quarantined entry ids.
    pub sz_quarantined: u64,
    pub gz_quarantined: u64,
}

fn poison(number: &str, branch: &str) -> Document {
    let mut document = sales_out(number, branch, "C001", "1");
    document.lines[0].product = "P999".into();
    document
}

fn document_entries(documents: Vec<Document>) -> Vec<branchline_proto::v1::OutboxEntry> {
    let mut entries = Vec::new();
    for (index, document) in documents.into_iter().enumerate() {
        entries.push(wire(index as u64 + 1, EntryBody::Document(document)));
    }
    entries
}

async fn push_documents(hq: &HqHandle, branch: &str, token: &str, documents: Vec<Document>) {
    let mut transfer = hq.transfer(token).await;
    push(&mut transfer, batch(branch, 1, document_entries(documents)))
        .await
        .unwrap_or_else(|refusal| panic!("push of {branch}: {refusal:?}"));
}

pub(crate) async fn scoped_group(store: HqStoreKind) -> ScopedGroup {
    scoped_group_on(launch_hq(store).await).await
}

/// The group on `hq`, a fresh HQ (one serving its web console, say).
pub(crate) async fn scoped_group_on(hq: HqHandle) -> ScopedGroup {
    let url = hq.url().to_owned();
    hq.add_org("001", "集团").await.unwrap();
    let sz_token = setup_branch(&url, "SZ", "001.002").await;
    let sz1_token = setup_branch(&url, "SZ1", "001.002.001").await;
    let gz_token = setup_branch(&url, "GZ", "001.003").await;
    hq.add_org("001.002.002", "深圳新店").await.unwrap();
    hq.add_org("001.003.002", "广州新店").await.unwrap();
    for code in ["NB", "NX"] {
        for (kind, record) in hq::counterpart_records(code) {
            hq.import(kind, &[record]).await.unwrap();
        }
    }
    let sz_documents = vec![
        sales_out("SZ-1", "SZ", "C001", "5"),
        sales_out("SZ-2", "SZ", "C-GZ", "2"),
        poison("SZ-3", "SZ"),
    ];
    push_documents(&hq, "SZ", &sz_token, sz_documents).await;
    push_documents(
        &hq,
        "SZ1",
        &sz1_token,
        vec![sales_out("SZ1-1", "SZ1", "C001", "3")],
    )
    .await;
    let gz_documents = vec![sales_out("GZ-1", "GZ", "C001", "7"), poison("GZ-2", "GZ")];
    push_documents(&hq, "GZ", &gz_token, gz_documents).await;
    let quarantined = hq.quarantine().await.unwrap();
    let quarantined_of = |branch: &str| {
        quarantined
            .iter()
            .find(|entry| entry.branch == branch)
            .unwrap_or_else(|| panic!("{branch}'s quarantined entry in {quarantined:?}"))
            .id
    };
    let (sz_quarantined, gz_quarantined) = (quarantined_of("SZ"), quarantined_of("GZ"));
    let mut admin = hq.admin().await;
    admin.create_template(create_template("base")).await.unwrap();
    admin.publish_template(publish("base", &["001"])).await.unwrap();
    admin.set_target(target("001.003")).await.unwrap();
    let viewer = add_person(&url, "sz-viewer", "viewer", "001.002").await.unwrap();
    let operator = add_person(&url, "sz-operator", "operator", "001.002")
        .await
        .unwrap();
    let admin = add_person(&url, "sz-admin", "admin", "001.002").await.unwrap();
    let group_admin = add_person(&url, "group-admin", "admin", "001").await.unwrap();
    for (name, org) in [
        ("gz-viewer", "001.003"),
        ("sz1-clerk", "001.002.001"),
        ("sz1-leaver", "001.002.001"),
    ] {
        add_account(&url, name, "viewer", org).await.unwrap();
        set_password(&url, name, &password_of(name)).await.unwrap();
    }
    ScopedGroup {
        hq,
        sz_token,
        sz1_token,
        gz_token,
        viewer,
        operator,
        admin,
        group_admin,
        sz_quarantined,
        gz_quarantined,
    }
}

/// Branch `code` under `org`, with counterparts C-, S- and W-`code`.
pub(crate) fn add_branch(code: &str, org: &str) -> AddBranchRequest {
    AddBranchRequest {
        code: code.into(),
        name: format!("branch {code}"),
        org: org.into(),
        customer: format!("C-{code}"),
        supplier: format!("S-{code}"),
        warehouse: format!("W-{code}"),
        mode: String::new(),
        adopt_existing: false,
    }
}

/// What the walk's in-scope calls did, as the bootstrap token sees it: the new org, branch
/// and account, the disabled account, the stock limit, SZ1 revoked, SZ's bundle applied, 001.002's target.
pub(crate) async fn assert_in_scope_calls_took_effect(group: &ScopedGroup) {
    let shown = store_snapshot(group.hq.url(), group.hq.db_url()).await.unwrap();
    let user = |name: &str| shown.users.iter().find(|user| user.name == name).cloned();
    assert_eq!(
        user("sz-new").map(|user| user.org),
        Some("001.002.001".to_owned())
    );
    assert_eq!(user("sz1-leaver").map(|user| user.disabled), Some(true));
    assert_eq!(user("gz-viewer").map(|user| user.disabled), Some(false));
    let rows = |query: &str| {
        let table = shown.tables.iter().find(|(sql, _)| sql.contains(query));
        table.map(|(_, rows)| rows.join("\n")).unwrap_or_default()
    };
    assert!(rows("FROM org").contains("001.002.009 "), "{}", rows("FROM org"));
    assert!(!rows("FROM org").contains("001.003.009 "), "{}", rows("FROM org"));
    assert!(
        rows("FROM branch ").contains("NB 001.002.002 "),
        "{}",
        rows("FROM branch ")
    );
    assert!(!rows("FROM branch ").contains("NX "), "{}", rows("FROM branch "));
    assert!(
        rows("FROM sales_target").contains("001.002 2026-01"),
        "{}",
        rows("FROM sales_target")
    );
    assert_eq!(
        rows("FROM stock_limit"),
        "P777  001 5",
        "the group admin's stock limit"
    );
    assert!(
        rows("FROM template ").contains("regional 1"),
        "{}",
        rows("FROM template ")
    );
    let sz = shown.status.iter().find(|status| status.branch == "SZ").unwrap();
    assert_eq!(sz.last_seq, 4, "SZ's bundle applied: {sz:?}");
    let gz = shown.status.iter().find(|status| status.branch == "GZ").unwrap();
    assert_eq!(gz.last_seq, 2, "GZ's bundle refused: {gz:?}");
    let mut sz1 = group.hq.transfer(&group.sz1_token).await;
    let refused = sz1.hello(hello_request("SZ1")).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated, "SZ1 revoked: {refused:?}");
}

/// The organization `org` lies in the subtree rooted at `root`.
pub(crate) fn in_subtree(org: &str, root: &str) -> bool {
    org == root || org.strip_prefix(root).is_some_and(|rest| rest.starts_with('.'))
}

pub(crate) async fn assert_listings_are_scoped(group: &ScopedGroup) {
    let url = group.hq.url();
    let mut bootstrap = admin_client(url, TEST_ADMIN_TOKEN).await;
    let mut viewer = admin_client(url, &group.viewer.token).await;
    let scope = |org: &str| StatusRequest { org: org.into() };
    let own = viewer.status(scope("")).await.unwrap().into_inner().branches;
    let named = bootstrap
        .status(scope("001.002"))
        .await
        .unwrap()
        .into_inner()
        .branches;
    assert_eq!(own, named, "a viewer's status is its subtree's");
    let codes: BTreeSet<&str> = own.iter().map(|status| status.branch.as_str()).collect();
    assert!(codes.contains("SZ") && codes.contains("SZ1"), "{codes:?}");
    assert!(!codes.contains("GZ"), "GZ is outside 001.002: {codes:?}");
    assert!(
        own.iter().all(|status| in_subtree(&status.org, "001.002")),
        "{own:?}"
    );
    let store = viewer
        .status(scope("001.002.001"))
        .await
        .unwrap()
        .into_inner()
        .branches;
    let store_codes: Vec<&str> = store.iter().map(|status| status.branch.as_str()).collect();
    assert_eq!(store_codes, ["SZ1"]);

    let mut operator = admin_client(url, &group.operator.token).await;
    let quarantine = |org: &str| QuarantineListRequest {
        org: org.into(),
        ..QuarantineListRequest::default()
    };
    let entries = operator
        .quarantine_list(quarantine(""))
        .await
        .unwrap()
        .into_inner()
        .entries;
    let named = bootstrap
        .quarantine_list(quarantine("001.002"))
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert_eq!(entries, named);
    assert!(
        entries.iter().any(|entry| entry.id == group.sz_quarantined),
        "{entries:?}"
    );
    assert!(
        entries.iter().all(|entry| codes.contains(entry.branch.as_str())),
        "{entries:?}"
    );

    let trades = viewer
        .routed_list(RoutedListRequest::default())
        .await
        .unwrap()
        .into_inner()
        .trades;
    assert!(
        trades.iter().any(|trade| trade.source_number == "SZ-2"),
        "{trades:?}"
    );
    for trade in &trades {
        let ours =
            codes.contains(trade.source_branch.as_str()) || codes.contains(trade.target_branch.as_str());
        assert!(ours, "a trade outside 001.002: {trade:?}");
    }
    assert_rollout_is_scoped(group).await;
    assert_reports_are_scoped(group).await;
    assert_accounts_are_scoped(group).await;
}

/// Template `base`, published to 001 (and by the walk to 001.002, so its new branch NB has it
/// too): a viewer of 001.002 sees its rollout to 001.002's branches only, not GZ's.
async fn assert_rollout_is_scoped(group: &ScopedGroup) {
    let url = group.hq.url();
    let asked = |org: &str| ListTemplatesRequest {
        name: "base".into(),
        org: org.into(),
    };
    let own = admin_client(url, &group.viewer.token)
        .await
        .list_templates(asked(""))
        .await
        .unwrap()
        .into_inner()
        .templates;
    let named = admin_client(url, TEST_ADMIN_TOKEN)
        .await
        .list_templates(asked("001.002"))
        .await
        .unwrap()
        .into_inner()
        .templates;
    assert_eq!(own, named, "a viewer's rollout is its subtree's");
    let branches: Vec<&str> = own[0].rollout.iter().map(|row| row.branch.as_str()).collect();
    assert_eq!(branches, ["NB", "SZ", "SZ1"], "{own:?}");
}

async fn assert_reports_are_scoped(group: &ScopedGroup) {
    let url = group.hq.url();
    let mut bootstrap = report_client(url, TEST_ADMIN_TOKEN).await;
    let mut viewer = report_client(url, &group.viewer.token).await;
    let request = |org: &str| ReportRequest {
        org: org.into(),
        by: vec!["org".into()],
        top: 10,
        ..ReportRequest::default()
    };
    let rows = |response: ReportResponse| (response.columns, response.rows);
    let own = rows(viewer.sales(request("")).await.unwrap().into_inner());
    let named = rows(bootstrap.sales(request("001.002")).await.unwrap().into_inner());
    assert_eq!(own, named, "a viewer's sales report with no org is 001.002's");
    assert!(!own.1.is_empty(), "SZ sold");
    assert!(own.1.iter().all(|row| in_subtree(&row.org, "001.002")), "{own:?}");
    let own = rows(viewer.inventory(request("")).await.unwrap().into_inner());
    let named = rows(
        bootstrap
            .inventory(request("001.002"))
            .await
            .unwrap()
            .into_inner(),
    );
    assert_eq!(own, named, "inventory");
    let own = rows(viewer.ranking(request("")).await.unwrap().into_inner());
    let named = rows(bootstrap.ranking(request("001.002")).await.unwrap().into_inner());
    assert_eq!(own, named, "ranking");
    let freshness = viewer.sales(request("")).await.unwrap().into_inner().freshness;
    assert!(
        freshness.iter().all(|fresh| in_subtree(&fresh.org, "001.002")),
        "{freshness:?}"
    );
    let refused = bootstrap.sales(request("")).await.unwrap_err();
    assert_eq!(
        refused.code(),
        Code::InvalidArgument,
        "the bootstrap token must name an org: {refused:?}"
    );
}

async fn assert_accounts_are_scoped(group: &ScopedGroup) {
    let url = group.hq.url();
    let mut admin = account_client(url, &group.admin.token).await;
    let users = admin
        .list_users(ListUsersRequest {})
        .await
        .unwrap()
        .into_inner()
        .users;
    let names: BTreeSet<&str> = users.iter().map(|user| user.name.as_str()).collect();
    for name in ["sz-viewer", "sz-operator", "sz-admin", "sz1-clerk"] {
        assert!(names.contains(name), "{name} missing from {names:?}");
    }
    for name in ["gz-viewer", "group-admin"] {
        assert!(!names.contains(name), "{name} is outside 001.002: {names:?}");
    }
    assert!(
        users.iter().all(|user| in_subtree(&user.org, "001.002")),
        "{users:?}"
    );
    let mut viewer = account_client(url, &group.viewer.token).await;
    let me = viewer.who_am_i(WhoAmIRequest {}).await.unwrap().into_inner();
    assert_eq!(
        (me.name.as_str(), me.role.as_str(), me.org.as_str()),
        ("sz-viewer", "viewer", "001.002")
    );
    let mut bootstrap = account_client(url, TEST_ADMIN_TOKEN).await;
    let me = bootstrap.who_am_i(WhoAmIRequest {}).await.unwrap().into_inner();
    assert_eq!(
        (me.name.as_str(), me.role.as_str(), me.org.as_str()),
        ("admin", "admin", "")
    );
}

/// "Service/Method" of every method of `service` in the proto descriptors.
pub(crate) fn service_methods(service: &str) -> Vec<String> {
    let descriptors = prost_types::FileDescriptorSet::decode(branchline_proto::FILE_DESCRIPTOR_SET)
        .expect("the proto descriptor set decodes");
    descriptors
        .file
        .iter()
        .filter(|file| file.package() == "branchline.v1")
        .flat_map(|file| file.service.iter())
        .filter(|described| described.name() == service)
        .flat_map(|described| described.method.iter())
        .map(|method| format!("{service}/{}", method.name()))
        .collect()
}

/// One call of Transfer `method` ("Transfer/Hello", ...) for SZ with `token`.
pub(crate) async fn transfer_call(hq: &HqHandle, method: &str, token: &str) -> Result<(), tonic::Status> {
    let mut transfer = hq.transfer(token).await;
    let branch = "SZ".to_owned();
    match method {
        "Transfer/Hello" => transfer.hello(hello_request("SZ")).await.map(drop),
        "Transfer/Push" => {
            let entry = wire(9, EntryBody::Document(sales_out("SZ-9", "SZ", "C001", "1")));
            push(&mut transfer, batch("SZ", 1, vec![entry])).await.map(drop)
        }
        "Transfer/Pull" => {
            let request = PullRequest {
                protocol_version: PROTOCOL_VERSION,
                after_seq: 0,
                max_entries: 10,
                branch,
            };
            transfer.pull(request).await.map(drop)
        }
        "Transfer/UploadBundle" => {
            let document = sales_out("SZ-8", "SZ", "C001", "1");
            let bundle = bundle_file("SZ", 1, &[(8, EntryBody::Document(document))]);
            transfer.upload_bundle(BundleUpload { bundle }).await.map(drop)
        }
        "Transfer/ReconcileSummary" => {
            let request = ReconcileSummaryRequest {
                protocol_version: PROTOCOL_VERSION,
                epoch: 1,
                branch,
            };
            transfer.reconcile_summary(request).await.map(drop)
        }
        "Transfer/ReconcileDocuments" => {
            let request = ReconcileDocumentsRequest {
                protocol_version: PROTOCOL_VERSION,
                epoch: 1,
                doc_type: "sales-out".into(),
                month: "2026-01".into(),
                branch,
            };
            transfer.reconcile_documents(request).await.map(drop)
        }
        "Transfer/CloseDay" => {
            let request = CloseDayRequest {
                protocol_version: PROTOCOL_VERSION,
                day: "2026-01-05".into(),
                ledger: None,
                branch,
            };
            transfer.close_day(request).await.map(drop)
        }
        other => panic!("Transfer method {other} has no case here: add one"),
    }
}

pub(crate) fn create_template(name: &str) -> CreateTemplateRequest {
    CreateTemplateRequest {
        name: name.into(),
        kinds: vec!["product".into()],
        codes: Vec::new(),
    }
}

pub(crate) fn publish(name: &str, orgs: &[&str]) -> PublishTemplateRequest {
    PublishTemplateRequest {
        name: name.into(),
        orgs: orgs.iter().map(|org| org.to_string()).collect(),
    }
}

pub(crate) fn target(org: &str) -> SetTargetRequest {
    SetTargetRequest {
        org: org.into(),
        month: "2026-01".into(),
        amount: "1000".into(),
    }
}

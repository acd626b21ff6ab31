//! People's roles and organization scopes, method by method: every Admin, Report and Account
//! and Commission method (enumerated from the proto descriptors, so a method added later without a case fails
//! here) is refused to an account of 001.002 when it names 001.003 (GZ), refused to a role below
//! the method's, and answered to the in-scope account of the right role. Each refusal is
//! PERMISSION_DENIED, audited naming the account, and changes nothing HQ shows.

use crate::hq_support::{bundle_file, record, sales_out};
use crate::people_cases::{case, Case, Need};
use crate::people_group::{
    add_branch, assert_in_scope_calls_took_effect, assert_listings_are_scoped, create_template, publish,
    scoped_group, service_methods, target, transfer_call, ScopedGroup,
};
use branchline_proto::v1::{
    AddOrgRequest, AddUserRequest, AuditRequest, BundleUpload, DisableUserRequest, EnableUserRequest,
    ExportTemplateRequest, ImportBaseDataRequest, ImportStockLimitsRequest, IssueTokenRequest,
    ListDayClosesRequest, ListOrgsRequest, ListTemplatesRequest, LoginRequest, QuarantineListRequest,
    QuarantineRetryRequest, ReportRequest, RevokeBranchRequest, RevokeTokensRequest,
    RotateBranchTokenRequest, RoutedListRequest, SetPasswordRequest, StatusRequest, StockLimitRow,
};
use branchline_shared::{BaseKind, EntryBody};
use branchline_tests::hq::{HqHandle, HqStoreKind};
use branchline_tests::people::{login, password_of, refusals_of, store_snapshot, Person, Probe};
use std::collections::BTreeSet;
use tonic::Code;

fn report(org: &str) -> ReportRequest {
    ReportRequest {
        org: org.into(),
        by: vec!["org".into()],
        top: 5,
        ..ReportRequest::default()
    }
}

/// A bundle of `branch` holding one more sales-out at `seq`.
fn bundle(branch: &str, seq: u64) -> BundleUpload {
    let document = sales_out(&format!("{branch}-B{seq}"), branch, "C001", "1");
    BundleUpload {
        bundle: bundle_file(branch, 1, &[(seq, EntryBody::Document(document))]),
    }
}

/// Admin's methods that change the registry or group-wide data.
fn admin_registry_cases() -> Vec<Case> {
    use Need::{Admin, GroupWide, Viewer};
    let product = ImportBaseDataRequest {
        kind: "product".into(),
        records: vec![(&record(BaseKind::Product, "P777")).into()],
    };
    // P777 is imported by the case before, as the in-scope calls run in order.
    let limit = ImportStockLimitsRequest {
        file: "limits.csv".into(),
        rows: vec![StockLimitRow {
            line: 2,
            product: "P777".into(),
            org: "001".into(),
            min: "5".into(),
            ..StockLimitRow::default()
        }],
    };
    let org = |code: &str| AddOrgRequest {
        code: code.into(),
        name: format!("org {code}"),
    };
    let rotate = |code: &str| RotateBranchTokenRequest { code: code.into() };
    let revoke = |code: &str| RevokeBranchRequest { code: code.into() };
    vec![
        case(
            Admin,
            Some(Probe::AddOrg(org("001.003.009"))),
            Probe::AddOrg(org("001.002.009")),
        ),
        case(
            Admin,
            Some(Probe::AddBranch(add_branch("NX", "001.003.002"))),
            Probe::AddBranch(add_branch("NB", "001.002.002")),
        ),
        case(
            GroupWide { admin: true },
            Some(Probe::ImportBaseData(product.clone())),
            Probe::ImportBaseData(product),
        ),
        case(
            GroupWide { admin: true },
            Some(Probe::ImportStockLimits(limit.clone())),
            Probe::ImportStockLimits(limit),
        ),
        case(
            GroupWide { admin: false },
            Some(Probe::CreateTemplate(create_template("regional"))),
            Probe::CreateTemplate(create_template("regional")),
        ),
        case(
            Admin,
            Some(Probe::RotateBranchToken(rotate("GZ"))),
            Probe::RotateBranchToken(rotate("SZ")),
        ),
        case(
            Admin,
            Some(Probe::RevokeBranch(revoke("GZ"))),
            Probe::RevokeBranch(revoke("SZ1")),
        ),
        case(
            Viewer,
            Some(Probe::ListDayCloses(ListDayClosesRequest { branch: "GZ".into() })),
            Probe::ListDayCloses(ListDayClosesRequest { branch: "SZ".into() }),
        ),
    ]
}

/// Admin's listings and operations on branches' data.
fn admin_operation_cases(group: &ScopedGroup) -> Vec<Case> {
    use Need::{Operator, Viewer};
    let status = |org: &str| StatusRequest { org: org.into() };
    let orgs = |org: &str| ListOrgsRequest { org: org.into() };
    let quarantine = |org: &str| QuarantineListRequest {
        org: org.into(),
        ..QuarantineListRequest::default()
    };
    let retry = |id: u64| QuarantineRetryRequest { id };
    let audit = |org: &str| AuditRequest {
        org: org.into(),
        ..AuditRequest::default()
    };
    let routed = |org: &str| RoutedListRequest {
        org: org.into(),
        ..RoutedListRequest::default()
    };
    let templates = |org: &str| ListTemplatesRequest {
        org: org.into(),
        ..ListTemplatesRequest::default()
    };
    vec![
        case(
            Viewer,
            Some(Probe::Status(status("001.003"))),
            Probe::Status(status("")),
        ),
        case(
            Viewer,
            Some(Probe::ListOrgs(orgs("001.003"))),
            Probe::ListOrgs(orgs("")),
        ),
        case(
            Operator,
            Some(Probe::QuarantineList(quarantine("001.003"))),
            Probe::QuarantineList(quarantine("")),
        ),
        case(
            Operator,
            Some(Probe::QuarantineRetry(retry(group.gz_quarantined))),
            Probe::QuarantineRetry(retry(group.sz_quarantined)),
        ),
        case(
            Operator,
            Some(Probe::ImportBundle(bundle("GZ", 3))),
            Probe::ImportBundle(bundle("SZ", 4)),
        ),
        case(
            Operator,
            Some(Probe::PublishTemplate(publish("base", &["001.003"]))),
            Probe::PublishTemplate(publish("base", &["001.002"])),
        ),
        case(
            Operator,
            None,
            Probe::ExportTemplate(ExportTemplateRequest { name: "base".into() }),
        ),
        case(
            Operator,
            Some(Probe::SetTarget(target("001.003"))),
            Probe::SetTarget(target("001.002")),
        ),
        case(
            Viewer,
            Some(Probe::Audit(audit("001.003"))),
            Probe::Audit(audit("")),
        ),
        case(
            Viewer,
            Some(Probe::RoutedList(routed("001.003"))),
            Probe::RoutedList(routed("")),
        ),
        case(
            Viewer,
            Some(Probe::ListTemplates(templates("001.003"))),
            Probe::ListTemplates(templates("")),
        ),
    ]
}

fn report_cases() -> Vec<Case> {
    use Need::Viewer;
    vec![
        case(
            Viewer,
            Some(Probe::Sales(report("001.003"))),
            Probe::Sales(report("")),
        ),
        case(
            Viewer,
            Some(Probe::Inventory(report("001.003"))),
            Probe::Inventory(report("")),
        ),
        case(
            Viewer,
            Some(Probe::Ranking(report("001.003"))),
            Probe::Ranking(report("")),
        ),
        case(
            Viewer,
            Some(Probe::CountDifferences(report("001.003"))),
            Probe::CountDifferences(report("")),
        ),
    ]
}

fn account_cases() -> Vec<Case> {
    use Need::{Admin, AnyAccount, NoToken, SelfOrAdmin};
    let user = |name: &str, org: &str| AddUserRequest {
        name: name.into(),
        role: "viewer".into(),
        org: org.into(),
    };
    let name = |name: &str| name.to_owned();
    let password = |name: &str| SetPasswordRequest {
        name: name.into(),
        password: "a-new-password-123".into(),
    };
    vec![
        case(
            NoToken,
            None,
            Probe::Login(LoginRequest {
                name: name("sz1-clerk"),
                password: password_of("sz1-clerk"),
            }),
        ),
        case(AnyAccount, None, Probe::Logout),
        case(AnyAccount, None, Probe::WhoAmI),
        case(
            Admin,
            Some(Probe::AddUser(user("gz-new", "001.003"))),
            Probe::AddUser(user("sz-new", "001.002.001")),
        ),
        case(Admin, None, Probe::ListUsers),
        case(
            Admin,
            Some(Probe::DisableUser(DisableUserRequest {
                name: name("gz-viewer"),
            })),
            Probe::DisableUser(DisableUserRequest {
                name: name("sz1-leaver"),
            }),
        ),
        case(
            Admin,
            Some(Probe::EnableUser(EnableUserRequest {
                name: name("gz-viewer"),
            })),
            Probe::EnableUser(EnableUserRequest {
                name: name("sz1-clerk"),
            }),
        ),
        case(
            SelfOrAdmin,
            Some(Probe::SetPassword(password("gz-viewer"))),
            Probe::SetPassword(password("sz1-clerk")),
        ),
        case(
            SelfOrAdmin,
            Some(Probe::IssueToken(IssueTokenRequest {
                name: name("gz-viewer"),
            })),
            Probe::IssueToken(IssueTokenRequest {
                name: name("sz1-clerk"),
            }),
        ),
        case(
            SelfOrAdmin,
            Some(Probe::RevokeTokens(RevokeTokensRequest {
                name: name("gz-viewer"),
            })),
            Probe::RevokeTokens(RevokeTokensRequest {
                name: name("sz1-clerk"),
            }),
        ),
    ]
}

/// Every case, checked against the descriptors: a method without a case (or a case without a
/// method) fails the test.
pub(crate) fn all_cases(group: &ScopedGroup) -> Vec<Case> {
    let mut cases = admin_registry_cases();
    cases.extend(admin_operation_cases(group));
    cases.extend(report_cases());
    cases.extend(account_cases());
    cases.extend(crate::people_commission::commission_cases());
    let described: BTreeSet<String> = ["Admin", "Report", "Account", "Commission"]
        .iter()
        .flat_map(|service| service_methods(service))
        .collect();
    assert!(described.len() >= 27, "too few methods described: {described:?}");
    let covered: BTreeSet<String> = cases
        .iter()
        .map(|case| case.in_scope.method().to_owned())
        .collect();
    assert_eq!(covered.len(), cases.len(), "one case per method");
    let missing: Vec<&String> = described.difference(&covered).collect();
    assert!(missing.is_empty(), "methods without a scope case: {missing:?}");
    let unknown: Vec<&String> = covered.difference(&described).collect();
    assert!(
        unknown.is_empty(),
        "cases of methods the proto lacks: {unknown:?}"
    );
    cases
}

/// `caller`'s `probe` is PERMISSION_DENIED, audited with `caller` as actor, and HQ shows the
/// same before and after.
pub(crate) async fn assert_refused(hq: &HqHandle, caller: &Person, probe: &Probe) {
    let (url, db_url) = (hq.url(), hq.db_url());
    let before = store_snapshot(url, db_url).await.unwrap();
    let refusals_before = refusals_of(url, &caller.name).await.unwrap();
    let refused = probe.send(url, &caller.token).await.expect_err(&format!(
        "{} by {} should be refused: {probe:?}",
        probe.method(),
        caller.name
    ));
    let what = format!("{} by {}: {refused:?}", probe.method(), caller.name);
    assert_eq!(refused.code(), Code::PermissionDenied, "{what}");
    let refusals_after = refusals_of(url, &caller.name).await.unwrap();
    assert_eq!(
        refusals_after.len(),
        refusals_before.len() + 1,
        "one refusal audited naming {what}"
    );
    let audited = refusals_after.last().unwrap();
    assert!(audited.detail.contains(probe.method()), "{what}: {audited:?}");
    let after = store_snapshot(url, db_url).await.unwrap();
    assert_eq!(before, after, "the refusal changed what HQ shows: {what}");
}

/// The account one role below `need`, or none when no role is below it.
fn lower_role(group: &ScopedGroup, need: Need) -> Option<&Person> {
    match need {
        Need::Operator | Need::GroupWide { admin: false } => Some(&group.viewer),
        Need::Admin | Need::GroupWide { admin: true } | Need::SelfOrAdmin => Some(&group.operator),
        Need::NoToken | Need::AnyAccount | Need::Viewer => None,
    }
}

/// The in-scope account of the right role for `case`, with a token it may spend (Logout).
async fn right_caller(group: &ScopedGroup, case: &Case) -> Person {
    match case.need {
        Need::NoToken => Person {
            name: "nobody".into(),
            password: String::new(),
            token: "no-token-at-all".into(),
        },
        Need::AnyAccount => {
            let mut viewer = group.viewer.clone();
            viewer.token = login(group.hq.url(), &viewer.name, &viewer.password)
                .await
                .unwrap()
                .token;
            viewer
        }
        Need::Viewer => group.viewer.clone(),
        Need::Operator => group.operator.clone(),
        Need::Admin | Need::SelfOrAdmin => group.admin.clone(),
        Need::GroupWide { .. } => group.group_admin.clone(),
    }
}

async fn walk_every_method(store: HqStoreKind) {
    let group = scoped_group(store).await;
    let cases = all_cases(&group);
    for case in &cases {
        if let Some(probe) = &case.out_of_scope {
            assert_refused(&group.hq, &group.admin, probe).await;
        }
    }
    for case in &cases {
        if let Some(caller) = lower_role(&group, case.need) {
            assert_refused(&group.hq, caller, &case.in_scope).await;
        }
    }
    for case in &cases {
        let caller = right_caller(&group, case).await;
        let answer = case.in_scope.send(group.hq.url(), &caller.token).await;
        let method = case.in_scope.method();
        assert!(answer.is_ok(), "{method} by {} in scope: {answer:?}", caller.name);
    }
    assert_in_scope_calls_took_effect(&group).await;
    assert_listings_are_scoped(&group).await;
}

async fn wider_requests_are_refused(store: HqStoreKind) {
    let group = scoped_group(store).await;
    let (viewer, operator) = (&group.viewer, &group.operator);
    for (caller, probe) in [
        (viewer, Probe::Sales(report("001"))),
        (viewer, Probe::Status(StatusRequest { org: "001".into() })),
        (viewer, Probe::ListOrgs(ListOrgsRequest { org: "001".into() })),
        (
            viewer,
            Probe::Audit(AuditRequest {
                org: "001".into(),
                ..AuditRequest::default()
            }),
        ),
        (
            operator,
            Probe::PublishTemplate(publish("base", &["001.002", "001.003"])),
        ),
        (operator, Probe::SetTarget(target("001"))),
        (
            operator,
            Probe::QuarantineList(QuarantineListRequest {
                org: "001".into(),
                ..QuarantineListRequest::default()
            }),
        ),
    ] {
        assert_refused(&group.hq, caller, &probe).await;
    }
}

/// A person's token on Transfer is UNAUTHENTICATED; a branch token on every Admin, Report and
/// Account method (Login needs none) is PERMISSION_DENIED.
async fn credentials_stay_in_their_services(store: HqStoreKind) {
    let group = scoped_group(store).await;
    let hq = &group.hq;
    let before = store_snapshot(hq.url(), hq.db_url()).await.unwrap();
    for case in all_cases(&group) {
        if case.need == Need::NoToken {
            continue;
        }
        let refused = case.in_scope.send(hq.url(), &group.sz_token).await.unwrap_err();
        let method = case.in_scope.method();
        assert_eq!(
            refused.code(),
            Code::PermissionDenied,
            "{method} with SZ's token: {refused:?}"
        );
    }
    let methods = service_methods("Transfer");
    assert!(methods.len() >= 6, "{methods:?}");
    for method in methods {
        for person in [&group.viewer, &group.admin, &group.group_admin] {
            let refused = transfer_call(hq, &method, &person.token)
                .await
                .expect_err(&format!("{method} with {}'s token", person.name));
            assert_eq!(refused.code(), Code::Unauthenticated, "{method}: {refused:?}");
        }
    }
    let admin_sees = store_snapshot(hq.url(), hq.db_url()).await.unwrap();
    assert_eq!(
        before.status, admin_sees.status,
        "nothing reached the branches' state"
    );
    // The people's tokens still work where they belong.
    let who = login(hq.url(), "sz-viewer", &password_of("sz-viewer"))
        .await
        .unwrap();
    assert_eq!((who.role.as_str(), who.org.as_str()), ("viewer", "001.002"));
}

on_both_stores!(
    walk_every_method,
    people_scope_every_method_on_sqlite,
    people_scope_every_method_on_postgres
);
on_both_stores!(
    wider_requests_are_refused,
    people_scope_wider_requests_refused_on_sqlite,
    people_scope_wider_requests_refused_on_postgres
);
on_both_stores!(
    credentials_stay_in_their_services,
    people_scope_credentials_stay_in_their_services_on_sqlite,
    people_scope_credentials_stay_in_their_services_on_postgres
);

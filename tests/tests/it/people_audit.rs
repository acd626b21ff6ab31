//! The audit log names people: every administrative action by an account has that account as
//! actor (the bootstrap token's: "admin"), logins and logouts included; a regional account's
//! Audit lists only its subtree's events, a group-wide account's also the group's own.

use crate::people_group::{scoped_group, ScopedGroup};
use branchline_proto::v1::{
    AddBranchRequest, AddOrgRequest, AddUserRequest, AuditEvent, AuditRequest, DisableUserRequest,
    IssueTokenRequest, PublishTemplateRequest, QuarantineRetryRequest, RevokeTokensRequest,
    RotateBranchTokenRequest, SetPasswordRequest, SetTargetRequest,
};
use branchline_shared::{BaseKind, BaseRecord};
use branchline_tests::hq::{admin_client, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::people::{all_audit_events, login, password_of, Person, Probe};

/// The audit events `token`'s holder sees of `org` (empty: its own scope).
async fn audit_as(url: &str, token: &str, org: &str) -> Vec<AuditEvent> {
    let request = AuditRequest {
        org: org.into(),
        ..AuditRequest::default()
    };
    admin_client(url, token)
        .await
        .audit(request)
        .await
        .unwrap()
        .into_inner()
        .events
}

/// The events after id `after`.
async fn events_after(url: &str, after: u64) -> Vec<AuditEvent> {
    let mut events = all_audit_events(url).await.unwrap();
    events.retain(|event| event.id > after);
    events
}

async fn last_event_id(url: &str) -> u64 {
    all_audit_events(url)
        .await
        .unwrap()
        .last()
        .map_or(0, |event| event.id)
}

/// The actions of `person`, each with the audit action it must write.
fn actions_of_a_regional_admin() -> Vec<(Probe, &'static str)> {
    let name = |name: &str| name.to_owned();
    vec![
        (
            Probe::AddOrg(AddOrgRequest {
                code: name("001.002.009"),
                name: name("深圳新区"),
            }),
            "org add",
        ),
        (
            Probe::AddBranch(AddBranchRequest {
                code: name("NB"),
                name: name("branch NB"),
                org: name("001.002.002"),
                customer: name("C-NB"),
                supplier: name("S-NB"),
                warehouse: name("W-NB"),
                mode: String::new(),
                adopt_existing: false,
            }),
            "branch add",
        ),
        (
            Probe::SetTarget(SetTargetRequest {
                org: name("001.002"),
                month: name("2026-01"),
                amount: name("5000"),
            }),
            "target set",
        ),
        (
            Probe::PublishTemplate(PublishTemplateRequest {
                name: name("base"),
                orgs: vec![name("001.002")],
            }),
            "template publish",
        ),
        (
            Probe::RotateBranchToken(RotateBranchTokenRequest { code: name("SZ1") }),
            "branch token rotate",
        ),
        (
            Probe::AddUser(AddUserRequest {
                name: name("sz-new"),
                role: name("viewer"),
                org: name("001.002.001"),
            }),
            "user add",
        ),
        (
            Probe::SetPassword(SetPasswordRequest {
                name: name("sz1-clerk"),
                password: name("another-password-88"),
            }),
            "user password",
        ),
        (
            Probe::IssueToken(IssueTokenRequest {
                name: name("sz1-clerk"),
            }),
            "user token",
        ),
        (
            Probe::RevokeTokens(RevokeTokensRequest {
                name: name("sz1-clerk"),
            }),
            "user token revoke",
        ),
        (
            Probe::DisableUser(DisableUserRequest {
                name: name("sz1-leaver"),
            }),
            "user disable",
        ),
    ]
}

/// `probe` by `person` succeeds and writes `action` with `person` as actor; every event it
/// wrote names `person`.
async fn assert_named(group: &ScopedGroup, person: &Person, probe: &Probe, action: &str) {
    let url = group.hq.url();
    let after = last_event_id(url).await;
    probe
        .send(url, &person.token)
        .await
        .unwrap_or_else(|refused| panic!("{} by {}: {refused:?}", probe.method(), person.name));
    let events = events_after(url, after).await;
    assert!(
        events.iter().any(|event| event.action == action),
        "{} wrote no {action:?}: {events:?}",
        probe.method()
    );
    for event in &events {
        assert_eq!(event.actor, person.name, "{}: {event:?}", probe.method());
    }
}

async fn every_action_names_its_person(store: HqStoreKind) {
    let group = scoped_group(store).await;
    let url = group.hq.url().to_owned();
    for (probe, action) in actions_of_a_regional_admin() {
        assert_named(&group, &group.admin, &probe, action).await;
    }
    // With the product HQ lacked imported, SZ's quarantined entry applies on retry.
    let p999 = BaseRecord::new(BaseKind::Product, "P999", "the missing product");
    group.hq.import(BaseKind::Product, &[p999]).await.unwrap();
    let retry = Probe::QuarantineRetry(QuarantineRetryRequest {
        id: group.sz_quarantined,
    });
    assert_named(&group, &group.operator, &retry, "quarantine retry").await;

    let after = last_event_id(&url).await;
    let token = login(&url, "sz-viewer", &password_of("sz-viewer"))
        .await
        .unwrap()
        .token;
    let _ = login(&url, "sz-viewer", "not-the-password").await.unwrap_err();
    let mut viewer = group.viewer.clone();
    viewer.token = token;
    assert_named(&group, &viewer, &Probe::Logout, "logout").await;
    let events = events_after(&url, after).await;
    for action in ["login", "login failed", "logout"] {
        let event = events.iter().find(|event| event.action == action);
        let event = event.unwrap_or_else(|| panic!("no {action:?} in {events:?}"));
        assert_eq!(event.actor, "sz-viewer", "{event:?}");
    }
    for event in &events {
        let secret = password_of("sz-viewer");
        assert!(
            !event.detail.contains(&secret),
            "a password in the audit log: {event:?}"
        );
    }
}

/// Everything the fixture did with the bootstrap token is audited as "admin".
async fn bootstrap_actions_are_named_admin(store: HqStoreKind) {
    let group = scoped_group(store).await;
    let events = all_audit_events(group.hq.url()).await.unwrap();
    let bootstrap_actions = [
        "org add",
        "branch add",
        "import",
        "template create",
        "template publish",
        "target set",
        "user add",
        "user password",
    ];
    for action in bootstrap_actions {
        let done: Vec<&AuditEvent> = events.iter().filter(|event| event.action == action).collect();
        assert!(!done.is_empty(), "no {action:?} in {events:?}");
        for event in done {
            assert_eq!(event.actor, "admin", "{event:?}");
        }
    }
}

/// A regional account sees its subtree's events only (what the bootstrap token sees when it
/// names the subtree); a group-wide account also sees the group's own events (imports).
async fn audit_is_scoped(store: HqStoreKind) {
    let group = scoped_group(store).await;
    let url = group.hq.url();
    // GZ's people act too.
    login(url, "gz-viewer", &password_of("gz-viewer")).await.unwrap();
    let regional = audit_as(url, &group.viewer.token, "").await;
    let named = audit_as(url, TEST_ADMIN_TOKEN, "001.002").await;
    assert_eq!(regional, named, "a regional Audit is its subtree's");
    let has = |events: &[AuditEvent], action: &str, detail_start: &str| {
        events
            .iter()
            .any(|event| event.action == action && event.detail.starts_with(detail_start))
    };
    assert!(has(&regional, "org add", "001.002.001"), "{regional:?}");
    assert!(has(&regional, "branch add", "SZ1 "), "{regional:?}");
    assert!(
        regional.iter().any(|event| event.actor == "sz-admin"),
        "sz-admin's login"
    );
    for event in &regional {
        let foreign = event.actor == "GZ"
            || event.actor == "gz-viewer"
            || event.actor == "group-admin"
            || (event.action == "org add" && event.detail.starts_with("001.003"))
            || (event.action == "branch add" && event.detail.starts_with("GZ "))
            || event.action == "import";
        assert!(!foreign, "outside 001.002: {event:?}");
    }
    let group_wide = audit_as(url, &group.group_admin.token, "").await;
    assert!(
        group_wide.iter().any(|event| event.action == "import"),
        "{group_wide:?}"
    );
    assert!(has(&group_wide, "branch add", "GZ "), "{group_wide:?}");
    assert!(
        group_wide.iter().any(|event| event.actor == "gz-viewer"),
        "gz-viewer's login"
    );
}

on_both_stores!(
    every_action_names_its_person,
    people_audit_every_action_names_its_person_on_sqlite,
    people_audit_every_action_names_its_person_on_postgres
);
on_both_stores!(
    bootstrap_actions_are_named_admin,
    people_audit_bootstrap_actions_named_admin_on_sqlite,
    people_audit_bootstrap_actions_named_admin_on_postgres
);
on_both_stores!(
    audit_is_scoped,
    people_audit_is_scoped_on_sqlite,
    people_audit_is_scoped_on_postgres
);

/// An account and a branch never share a name (in any case), so an audit event's actor names
/// one of them: each is refused where the other already holds the name, and nothing is added.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_audit_actors_are_unambiguous() {
    let hq = branchline_tests::hq::launch_hq(HqStoreKind::Sqlite).await;
    crate::hq_support::setup_branch(hq.url(), "SZ", "001.002").await;
    hq.add_org("001.003", "广州").await.unwrap();
    let status = branchline_tests::people::account_client(hq.url(), TEST_ADMIN_TOKEN)
        .await
        .add_user(AddUserRequest {
            name: "sz".into(),
            role: "viewer".into(),
            org: "001.002".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::AlreadyExists, "{status:?}");
    assert!(status.message().contains("is a branch's code"), "{status:?}");

    branchline_tests::people::add_account(hq.url(), "gz", "viewer", "001.003")
        .await
        .unwrap();
    let error = hq.add_branch("GZ", "001.003").await.unwrap_err();
    assert!(format!("{error:#}").contains("is an account's name"), "{error:#}");
    let branches: Vec<String> = hq
        .status()
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.branch)
        .collect();
    assert_eq!(branches, ["SZ"]);
}

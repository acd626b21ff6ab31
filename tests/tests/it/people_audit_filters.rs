//! Admin/Audit's filters run in the store: `until`, `actor` (any case), `branch` (the events of
//! its organization), `kind` (an action or its first words), newest first within a limit; each
//! answers what the same filter over the whole log keeps. A conflicting resend shows under its
//! kind with the branch as actor. A malformed filter is one INVALID_ARGUMENT line naming it; a
//! branch outside the caller's scope is refused, audited, and changes nothing else; so is a
//! QuarantineList of one entry of another scope's branch.

use crate::hq_support::{batch, push, sales_out, wire};
use crate::people_group::scoped_group;
use crate::people_scope::assert_refused;
use branchline_proto::v1::{AuditEvent, AuditRequest, QuarantineListRequest};
use branchline_shared::EntryBody;
use branchline_tests::hq::{admin_client, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::people::Probe;
use tonic::{Code, Status};

async fn audit(url: &str, token: &str, request: AuditRequest) -> Result<Vec<AuditEvent>, Status> {
    let mut admin = admin_client(url, token).await;
    Ok(admin.audit(request).await?.into_inner().events)
}

/// Whether `action` is `kind` or starts with its words.
fn of_kind(action: &str, kind: &str) -> bool {
    action == kind
        || [' ', ':']
            .iter()
            .any(|end| action.starts_with(&format!("{kind}{end}")))
}

/// One filter, what it must keep of the whole log, and whether that is nothing.
struct Case {
    request: AuditRequest,
    keeps: Box<dyn Fn(&AuditEvent) -> bool>,
    empty: bool,
}

fn case(request: AuditRequest, keeps: impl Fn(&AuditEvent) -> bool + 'static) -> Case {
    Case {
        request,
        keeps: Box::new(keeps),
        empty: false,
    }
}

fn nothing(request: AuditRequest, keeps: impl Fn(&AuditEvent) -> bool + 'static) -> Case {
    Case {
        empty: true,
        ..case(request, keeps)
    }
}

fn cases(mid: &str) -> Vec<Case> {
    let request = |edit: &dyn Fn(&mut AuditRequest)| {
        let mut request = AuditRequest::default();
        edit(&mut request);
        request
    };
    let mid_owned = mid.to_owned();
    let mid_again = mid.to_owned();
    vec![
        case(request(&|r| r.actor = "admin".into()), |e| e.actor == "admin"),
        case(request(&|r| r.actor = "SZ-Viewer".into()), |e| {
            e.actor == "sz-viewer"
        }),
        case(request(&|r| r.actor = "SZ".into()), |e| e.actor == "SZ"),
        case(request(&|r| r.branch = "SZ".into()), |e| e.org == "001.002"),
        case(request(&|r| r.branch = "SZ1".into()), |e| e.org == "001.002.001"),
        case(request(&|r| r.kind = "branch add".into()), |e| {
            e.action == "branch add"
        }),
        case(request(&|r| r.kind = "refused".into()), |e| {
            of_kind(&e.action, "refused")
        }),
        case(request(&|r| r.kind = "user".into()), |e| {
            of_kind(&e.action, "user")
        }),
        // Words, not letters: "user tok" is no action's first words.
        nothing(request(&|r| r.kind = "user tok".into()), |e| {
            of_kind(&e.action, "user tok")
        }),
        case(
            request(&|r| {
                r.kind = "refused: conflicting resend".into();
                r.branch = "SZ".into();
            }),
            |e| e.action == "refused: conflicting resend" && e.actor == "SZ",
        ),
        case(
            request(&|r| {
                r.since = mid_owned.clone();
                r.until = mid_owned.clone();
            }),
            move |e| e.at == mid_again,
        ),
        nothing(request(&|r| r.until = "2000-01-01T00:00:00Z".into()), |e| {
            e.at.as_str() <= "2000-01-01T00:00:00Z"
        }),
        case(
            request(&|r| {
                r.actor = "admin".into();
                r.kind = "org add".into();
                r.org = "001.002".into();
            }),
            |e| e.actor == "admin" && e.action == "org add" && e.org.starts_with("001.002"),
        ),
    ]
}

async fn filters_keep_what_they_name(store: HqStoreKind) {
    let group = scoped_group(store).await;
    let url = group.hq.url();
    // A refusal of sz-viewer's, and a conflicting resend of SZ's (its seq 1 with other content).
    let outside = AuditRequest {
        org: "001.003".into(),
        ..AuditRequest::default()
    };
    let refused = audit(url, &group.viewer.token, outside).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    let other = EntryBody::Document(sales_out("SZ-1", "SZ", "C001", "6"));
    let mut transfer = group.hq.transfer(&group.sz_token).await;
    let conflict = push(&mut transfer, batch("SZ", 1, vec![wire(1, other)]))
        .await
        .unwrap_err();
    assert!(conflict.message().contains("conflict"), "{conflict:?}");
    let sz = group.hq.status().await.unwrap();
    let sz = sz.iter().find(|row| row.branch == "SZ").unwrap();
    assert_eq!(sz.conflicts, 1, "{sz:?}");

    let all = audit(url, TEST_ADMIN_TOKEN, AuditRequest::default())
        .await
        .unwrap();
    let mid = all[all.len() / 2].at.clone();
    for case in cases(&mid) {
        let kept: Vec<AuditEvent> = all.iter().filter(|event| (case.keeps)(event)).cloned().collect();
        let answered = audit(url, TEST_ADMIN_TOKEN, case.request.clone()).await.unwrap();
        assert_eq!(answered, kept, "{:?}", case.request);
        assert_eq!(
            answered.is_empty(),
            case.empty,
            "{:?}: {answered:?}",
            case.request
        );
    }
    // An offset names the same instant.
    let at = chrono::DateTime::parse_from_rfc3339(&mid).unwrap();
    let east = at.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let until = |until: String| AuditRequest {
        until,
        ..AuditRequest::default()
    };
    assert_eq!(
        audit(url, TEST_ADMIN_TOKEN, until(east.to_rfc3339()))
            .await
            .unwrap(),
        audit(url, TEST_ADMIN_TOKEN, until(mid.clone())).await.unwrap(),
    );
    // Newest first: the limit keeps the newest; oldest first, the oldest.
    let newest = AuditRequest {
        newest_first: true,
        limit: 3,
        ..AuditRequest::default()
    };
    let newest = audit(url, TEST_ADMIN_TOKEN, newest).await.unwrap();
    let expected: Vec<AuditEvent> = all.iter().rev().take(3).cloned().collect();
    assert_eq!(newest, expected);
    let oldest = AuditRequest {
        limit: 2,
        ..AuditRequest::default()
    };
    assert_eq!(audit(url, TEST_ADMIN_TOKEN, oldest).await.unwrap(), all[..2]);
}

on_both_stores!(
    filters_keep_what_they_name,
    people_audit_filters_keep_what_they_name_on_sqlite,
    people_audit_filters_keep_what_they_name_on_postgres
);

/// Each malformed filter is refused in one line naming its field; a branch outside sz-viewer's
/// scope is refused and audited, one inside it answers its organization's events; one entry of
/// GZ's is refused to sz-operator, one of SZ's listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_audit_filters_are_checked() {
    let group = scoped_group(HqStoreKind::Sqlite).await;
    let url = group.hq.url();
    let long_kind = "x".repeat(65);
    let bad: [(&str, &str, &str); 8] = [
        ("since", "2026-01-05", "--since"),
        ("until", "garbage", "--until"),
        ("until", "2026-13-01T00:00:00Z", "--until"),
        ("actor", "sz viewer", "--actor"),
        ("kind", " user", "--kind"),
        ("kind", &long_kind, "--kind"),
        ("branch", "sz!", "--branch"),
        ("branch", "XX", "--branch"),
    ];
    for (field, text, named) in bad {
        let mut request = AuditRequest::default();
        match field {
            "since" => request.since = text.into(),
            "until" => request.until = text.into(),
            "actor" => request.actor = text.into(),
            "kind" => request.kind = text.into(),
            _ => request.branch = text.into(),
        }
        let refused = audit(url, &group.viewer.token, request).await.unwrap_err();
        assert_eq!(
            refused.code(),
            Code::InvalidArgument,
            "{field} {text:?}: {refused:?}"
        );
        assert!(refused.message().contains(named), "{refused:?}");
        assert!(!refused.message().contains('\n'), "{refused:?}");
    }

    // GZ is outside sz-viewer's scope, and GZ's quarantined entry outside sz-operator's.
    let foreign = Probe::Audit(AuditRequest {
        branch: "GZ".into(),
        ..AuditRequest::default()
    });
    assert_refused(&group.hq, &group.viewer, &foreign).await;
    let foreign_entry = Probe::QuarantineList(QuarantineListRequest {
        id: group.gz_quarantined,
        ..QuarantineListRequest::default()
    });
    assert_refused(&group.hq, &group.operator, &foreign_entry).await;
    let own_entry = QuarantineListRequest {
        id: group.sz_quarantined,
        ..QuarantineListRequest::default()
    };
    let mut admin = admin_client(url, &group.operator.token).await;
    let listed = admin
        .quarantine_list(own_entry)
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].id, group.sz_quarantined);
    let applied = QuarantineListRequest {
        id: group.sz_quarantined + 1000,
        ..QuarantineListRequest::default()
    };
    let unknown = admin.quarantine_list(applied).await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound, "{unknown:?}");

    let own = AuditRequest {
        branch: "SZ1".into(),
        ..AuditRequest::default()
    };
    let events = audit(url, &group.viewer.token, own).await.unwrap();
    assert!(!events.is_empty());
    assert!(
        events.iter().all(|event| event.org == "001.002.001"),
        "{events:?}"
    );
}

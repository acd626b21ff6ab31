//! The daily close (日结对账), on SQLite and on PostgreSQL, with the real `branch-node`,
//! `transfer-agent` and `hq-server admin` binaries:
//! - a day that matches at both ends is closed: `reconcile --day` exits 0 with both sides' equal
//!   figures, `admin close list` shows it, `admin status` names it the last closed day;
//! - a day doctored at HQ (a line changed with SQL) and missing a document HQ never received is
//!   reported with exit 1, each differing document named, and is not recorded as closed;
//! - a late red document dated on a closed day reopens it (audited) and a new matching reconcile
//!   closes it again;
//! - a `--day` that is not a day is refused in one line, exit 2, and changes nothing.

use branchline_proto::v1::AuditRequest;
use branchline_tests::agent::{agent_with, prepare_branch};
use branchline_tests::hq::{launch_hq, HqHandle, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::hq_db::HqDb;
use branchline_tests::ledger::branch_node;
use branchline_tests::process::{run, Run, TempDir};
use serde_json::Value;
use std::path::{Path, PathBuf};

const DAY: &str = "2026-11-05";
const NEXT_DAY: &str = "2026-11-06";

fn admin(hq: &HqHandle, args: &[&str]) -> Run {
    let mut full = vec!["admin", "--hq", hq.url(), "--token", TEST_ADMIN_TOKEN];
    full.extend_from_slice(args);
    run("hq-server", &full).expect("running hq-server admin")
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|error| panic!("{error}: {}", run.stdout))
}

/// `branch-node doc add` of one confirmed document dated `date`; its number.
fn doc_add(ledger: &Path, doc_type: &str, line: &str, date: &str) -> String {
    let mut args = vec![
        "doc",
        "add",
        "--type",
        doc_type,
        "--warehouse",
        "SZ-W",
        "--line",
        line,
        "--date",
        date,
    ];
    if doc_type != "opening" {
        args.extend(["--partner", "C001"]);
    }
    branch_node(ledger, &args)
        .unwrap()
        .expect_ok()
        .last_line()
        .to_owned()
}

/// `admin close list --branch SZ --format json`'s closes.
fn closes(hq: &HqHandle) -> Vec<Value> {
    let listed = admin(hq, &["close", "list", "--branch", "SZ", "--format", "json"]).expect_ok();
    json(&listed)["closes"].as_array().cloned().unwrap_or_default()
}

/// One branch SZ at HQ with its ledger and token.
struct Branch {
    hq: HqHandle,
    ledger: PathBuf,
    token: String,
    _dir: TempDir,
}

impl Branch {
    fn agent(&self, args: &[&str]) -> Run {
        agent_with(&self.ledger, self.hq.url(), &self.token, args).unwrap()
    }

    fn status_json(&self) -> Value {
        json(&admin(&self.hq, &["status", "--format", "json"]).expect_ok())
    }
}

/// Step 1: A matching day is closed, with both sides printed; HQ lists it and names it in status.
fn close_a_matching_day(branch: &Branch) {
    let closed = branch.agent(&["reconcile", "--day", DAY]).expect_ok();
    assert!(
        closed.stdout.contains("closed: the day matches"),
        "{}",
        closed.stdout
    );
    let shown = json(
        &branch
            .agent(&["reconcile", "--day", DAY, "--format", "json"])
            .expect_ok(),
    );
    assert_eq!(shown["ledger"], shown["hq"], "{shown}");
    assert_eq!(shown["ledger"]["documents"], 2, "{shown}");
    assert_eq!(shown["ledger"]["lines"], 2, "{shown}");
    assert_eq!(shown["ledger"]["qty"], "5.5", "{shown}");
    assert_eq!(shown["ledger"]["amount"], "46.20", "{shown}");
    let verdict = (
        shown["closed"].as_bool(),
        shown["differences"].as_array().map(Vec::len),
    );
    assert_eq!(verdict, (Some(true), Some(0)), "{shown}");
    let recorded = closes(&branch.hq);
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(
        (recorded[0]["day"].as_str(), recorded[0]["state"].as_str()),
        (Some(DAY), Some("closed"))
    );
    assert_eq!(
        (recorded[0]["documents"].as_u64(), recorded[0]["amount"].as_str()),
        (Some(2), Some("46.20"))
    );
    assert!(recorded[0]["reopened_at"].is_null(), "{recorded:?}");
    let status = branch.status_json();
    assert_eq!(status["branches"][0]["last_closed_day"], DAY, "{status}");
}

/// Step 2, a doctored day (a line changed at HQ, a document HQ never received): exit 1, each
/// differing document named, nothing recorded.
async fn refuse_a_doctored_day(branch: &Branch, doctored: &str) {
    let mut db = HqDb::connect(branch.hq.db_url()).await.unwrap();
    let doctor = format!("UPDATE document_line SET qty = qty * 2 WHERE number = '{doctored}'");
    db.execute(&doctor).await.unwrap();
    db.close().await.unwrap();
    let unsent = doc_add(&branch.ledger, "sales-out", "P0001:1@9", NEXT_DAY);
    let differs = branch.agent(&["reconcile", "--day", NEXT_DAY]).expect_err();
    assert_eq!(differs.status.code(), Some(1), "{differs:?}");
    assert!(
        differs.stdout.contains(&format!("different: {doctored}")),
        "{}",
        differs.stdout
    );
    assert!(
        differs.stdout.contains(&format!("missing at HQ: {unsent}")),
        "{}",
        differs.stdout
    );
    assert!(
        differs.stdout.contains("the day is not closed"),
        "{}",
        differs.stdout
    );
    assert!(closes(&branch.hq).iter().all(|close| close["day"] != NEXT_DAY));
}

/// Step 3: A late red document dated on the closed day reopens it, audited; closing again works.
async fn reopen_and_close_again(branch: &Branch, source: &str) -> Vec<Value> {
    branch_node(&branch.ledger, &["doc", "red", source, "--date", DAY])
        .unwrap()
        .expect_ok();
    branch.agent(&["once"]).expect_ok();
    let reopened = closes(&branch.hq);
    assert_eq!(reopened[0]["state"], "reopened", "{reopened:?}");
    assert!(reopened[0]["reopened_at"].is_string(), "{reopened:?}");
    let request = AuditRequest {
        kind: "day reopen".into(),
        ..AuditRequest::default()
    };
    let events = branch
        .hq
        .admin()
        .await
        .audit(request)
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].detail.contains(&format!("SZ {DAY}")), "{events:?}");
    let status = branch.status_json();
    assert!(status["branches"][0]["last_closed_day"].is_null(), "{status}");
    branch.agent(&["reconcile", "--day", DAY]).expect_ok();
    let again = closes(&branch.hq);
    assert_eq!(
        (again[0]["state"].as_str(), again[0]["documents"].as_u64()),
        (Some("closed"), Some(3))
    );
    again
}

/// Step 4: A bad --day: one line, exit 2, nothing compared or recorded.
fn refuse_a_bad_day(branch: &Branch, closes_before: &[Value]) {
    for bad in ["2026-13-01", "yesterday", "2026-11-5"] {
        let refused = branch.agent(&["reconcile", "--day", bad]).expect_err();
        assert_eq!(refused.status.code(), Some(2), "{refused:?}");
        assert_eq!(refused.stderr.trim().lines().count(), 1, "{}", refused.stderr);
        assert!(
            refused.stderr.contains(&format!("--day {bad:?}")),
            "{}",
            refused.stderr
        );
    }
    assert_eq!(closes(&branch.hq), closes_before);
}

async fn day_close_at_both_ends(store: HqStoreKind) {
    let hq = launch_hq(store).await;
    let dir = TempDir::new("day-close").unwrap();
    let (ledger, token) = prepare_branch(hq.url(), dir.path(), "SZ", "002", 0, 1)
        .await
        .unwrap();
    doc_add(&ledger, "opening", "P0001:100@5", "2026-11-01");
    let first = doc_add(&ledger, "sales-out", "P0001:2@10.50:0:0.13", DAY);
    doc_add(&ledger, "sales-out", "P0001:3.5@8:0.1:0.13", DAY);
    let next = doc_add(&ledger, "sales-out", "P0001:1@9", NEXT_DAY);
    let branch = Branch {
        hq,
        ledger,
        token,
        _dir: dir,
    };
    branch.agent(&["once"]).expect_ok();
    close_a_matching_day(&branch);
    refuse_a_doctored_day(&branch, &next).await;
    let closes_now = reopen_and_close_again(&branch, &first).await;
    refuse_a_bad_day(&branch, &closes_now);
}

on_both_stores!(
    day_close_at_both_ends,
    day_close_at_both_ends_on_sqlite,
    day_close_at_both_ends_on_postgres
);

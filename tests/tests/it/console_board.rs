//! The console's board (总览) in a real browser: an HQ administrator sees every branch with its
//! health, reason, backlog, templates and agent release; a branch that stops calling turns red on
//! the board's own reload once its silence passes the (tiny, tuned) red threshold, while one that
//! keeps calling does not; columns sort on the server; the subtree choice narrows the rows; the
//! English switch; and a regional account sees only its subtree and is refused another's with
//! HQ's message. Every page is screenshotted; no page logs a JavaScript error.

use crate::hq_support::{batch, push, record, wire};
use branchline_proto::v1::{
    AddBranchRequest, CreateTemplateRequest, HelloRequest, PublishTemplateRequest, PullRequest,
};
use branchline_proto::{v1, PROTOCOL_VERSION};
use branchline_shared::{BaseKind, EntryBody};
use branchline_tests::browser::{browser_available, Browser};
use branchline_tests::hq::{counterpart_records, launch_hq_console, HqHandle, HqStoreKind, HqTransferClient};
use branchline_tests::people::add_person;
use branchline_tests::security::hello_request;
use hq_server::health::HealthThresholds;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// A branch silent this long is red; the board reloads itself every 15 s.
const RED_SILENCE_SECONDS: u64 = 5;
/// Far longer than the silence and one reload take; a bound, not a measurement.
const RED_WAIT: Duration = Duration::from_secs(90);

/// Registers branch `code` (`name`) under `org` with its counterparts; returns its token.
async fn add_branch(hq: &HqHandle, code: &str, name: &str, org: &str) -> String {
    for (kind, record) in counterpart_records(code) {
        hq.import(kind, &[record]).await.unwrap();
    }
    let request = AddBranchRequest {
        code: code.into(),
        name: name.into(),
        org: org.into(),
        customer: format!("C-{code}"),
        supplier: format!("S-{code}"),
        warehouse: format!("W-{code}"),
        mode: String::new(),
        adopt_existing: false,
    };
    hq.admin()
        .await
        .add_branch(request)
        .await
        .unwrap()
        .into_inner()
        .token
}

/// 深圳 (keeps calling, with a backlog past amber and template `base` applied), 广州 (calls once,
/// then stops) and 珠海 (never calls) under 总公司.
async fn group(hq: &HqHandle) -> (String, String) {
    hq.add_org("001", "总公司").await.unwrap();
    for (code, name) in [
        ("001.002", "深圳分公司"),
        ("001.003", "广州分公司"),
        ("001.004", "珠海分公司"),
    ] {
        hq.add_org(code, name).await.unwrap();
    }
    let sz = add_branch(hq, "SZ", "深圳分公司", "001.002").await;
    let gz = add_branch(hq, "GZ", "广州分公司", "001.003").await;
    add_branch(hq, "ZH", "珠海分公司", "001.004").await;
    let mut admin = hq.admin().await;
    let template = CreateTemplateRequest {
        name: "base".into(),
        kinds: vec!["customer".into()],
        codes: Vec::new(),
    };
    admin.create_template(template).await.unwrap();
    let publish = PublishTemplateRequest {
        name: "base".into(),
        orgs: vec!["001.002".into()],
    };
    admin.publish_template(publish).await.unwrap();
    (sz, gz)
}

fn sz_hello() -> HelloRequest {
    HelloRequest {
        backlog: 1_500,
        backlog_documents: 700,
        inbox_seq: 1,
        agent_version: "0.1.0".into(),
        ..hello_request("SZ")
    }
}

/// A batch of `branch`'s ledger: one local customer, so that HQ has received something.
fn local_customer(branch: &str) -> v1::PushBatch {
    let customer = record(BaseKind::Customer, &format!("LC-{branch}"));
    batch(branch, 1, vec![wire(1, EntryBody::BaseRecord(customer))])
}

/// The branch codes of the board's rows, in the page's order.
async fn rows(browser: &Browser) -> Vec<String> {
    browser.texts("#branches tbody tr td:first-child").await.unwrap()
}

async fn badge(browser: &Browser, code: &str) -> String {
    let css = format!("#branches tr[data-branch=\"{code}\"] td.health .badge");
    browser.text(&css).await.unwrap()
}

/// Says `hello` every half second until the returned task is aborted.
fn keep_calling(mut client: HqTransferClient, hello: fn() -> HelloRequest) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let _ = client.hello(hello()).await;
        }
    })
}

/// 广州 pushes a batch and keeps calling (until the board has shown it green); 深圳 pulls the
/// template (HQ offers it), pushes, then keeps saying it applied it. Returns both callers.
async fn branches_call(
    hq: &HqHandle,
    sz_token: &str,
    gz_token: &str,
) -> (tokio::task::JoinHandle<()>, tokio::task::JoinHandle<()>) {
    let mut gz = hq.transfer(gz_token).await;
    gz.hello(hello_request("GZ")).await.unwrap();
    push(&mut gz, local_customer("GZ")).await.unwrap();
    let mut sz = hq.transfer(sz_token).await;
    let pull = PullRequest {
        protocol_version: PROTOCOL_VERSION,
        after_seq: 0,
        max_entries: 10,
        branch: "SZ".into(),
    };
    assert_eq!(sz.pull(pull).await.unwrap().into_inner().entries.len(), 1);
    push(&mut sz, local_customer("SZ")).await.unwrap();
    sz.hello(sz_hello()).await.unwrap();
    (
        keep_calling(sz, sz_hello),
        keep_calling(gz, || hello_request("GZ")),
    )
}

/// Every branch, worst first, with what HQ knows of it.
async fn every_branch_shown(browser: &Browser) {
    assert_eq!(browser.text("h1").await.unwrap(), "总览");
    let all: BTreeSet<String> = rows(browser).await.into_iter().collect();
    assert_eq!(all, BTreeSet::from(["GZ".into(), "SZ".into(), "ZH".into()]));
    assert_eq!(rows(browser).await[0], "ZH", "worst first: never in contact");
    let zh_reason = browser.text("tr[data-branch=\"ZH\"] .reason").await.unwrap();
    assert_eq!(zh_reason, "从未与总部联系", "HQ's cause in the page's language");
    let sz_row = browser.text("tr[data-branch=\"SZ\"]").await.unwrap();
    let sz_fresh = browser.text("tr[data-branch=\"SZ\"] td.freshness").await.unwrap();
    assert!(sz_fresh.ends_with(" 秒"), "received seconds ago: {sz_fresh}");
    for shown in ["深圳分公司", "001.002", "1500", "700", "base v1", "0.1.0", "注意"] {
        assert!(sz_row.contains(shown), "SZ's row lacks {shown}: {sz_row}");
    }
    assert_eq!(badge(browser, "GZ").await, "正常");
    assert_eq!(browser.text("#sort-last_closed_day").await.unwrap(), "最近日结");
    let sz_closed = browser
        .text("tr[data-branch=\"SZ\"] td.closed-day")
        .await
        .unwrap();
    assert_eq!(sz_closed, "—", "no day closed yet");
    assert_eq!(browser.text("#count-red").await.unwrap(), "告警 1");
    browser.screenshot("board").await.unwrap();
}

/// 广州 stops calling: the board's own reload shows it red, 深圳 still only amber.
async fn silent_branch_turns_red(browser: &Browser) {
    let started = Instant::now();
    while badge(browser, "GZ").await != "告警" {
        assert!(started.elapsed() < RED_WAIT, "GZ never turned red on the board");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let gz_reason = browser.text("tr[data-branch=\"GZ\"] .reason").await.unwrap();
    assert!(
        gz_reason.starts_with("已 ")
            && gz_reason.ends_with(&format!("（超过 {RED_SILENCE_SECONDS} 秒即告警）")),
        "{gz_reason}"
    );
    assert_eq!(badge(browser, "SZ").await, "注意");
    assert_eq!(browser.text("#count-red").await.unwrap(), "告警 2");
    browser.screenshot("board-silent-branch-red").await.unwrap();
}

/// Sorted by backlog both ways, one subtree, then the English page.
async fn sorted_narrowed_and_in_english(browser: &Browser, board: &str) {
    browser.submit("#sort-backlog").await.unwrap();
    assert_eq!(rows(browser).await[0], "SZ", "largest first");
    browser.screenshot("board-sorted-by-backlog").await.unwrap();
    browser.submit("#sort-backlog").await.unwrap();
    assert_eq!(rows(browser).await.last().unwrap(), "SZ");
    let url = browser.client().current_url().await.unwrap();
    assert_eq!(url.query(), Some("sort=backlog&dir=asc"));

    browser.fill("#org", "001.003").await.unwrap();
    browser.submit("#org-submit").await.unwrap();
    assert_eq!(rows(browser).await, ["GZ"]);
    browser.screenshot("board-subtree").await.unwrap();

    browser.goto(&format!("{board}?lang=en")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "Branch health");
    assert_eq!(badge(browser, "GZ").await, "red");
    let gz_reason = browser.text("tr[data-branch=\"GZ\"] .reason").await.unwrap();
    assert!(
        gz_reason.starts_with("silent for ")
            && gz_reason.ends_with(&format!("(red after {RED_SILENCE_SECONDS}s)")),
        "HQ's own words in English: {gz_reason}"
    );
    assert!(browser.text("#summary").await.unwrap().starts_with("3 branches"));
    let closed_heading = browser.text("#sort-last_closed_day").await.unwrap();
    assert_eq!(closed_heading, "Last closed day");
    browser.screenshot("board-english").await.unwrap();
    browser.goto(&format!("{board}?lang=zh")).await.unwrap();
}

/// A regional manager sees 深圳 only, and is refused 广州's subtree with HQ's message.
async fn regional_sees_its_subtree(browser: &Browser, board: &str) {
    assert_eq!(rows(browser).await, ["SZ"]);
    let choices = browser.texts("#org option").await.unwrap();
    assert_eq!(choices, ["全部范围", "001.002 深圳分公司"]);
    browser.screenshot("board-regional").await.unwrap();
    browser.goto(&format!("{board}?org=001.003")).await.unwrap();
    let refused = browser.text("main").await.unwrap();
    assert!(
        refused.contains("sz-manager may not reach organization 001.003"),
        "{refused}"
    );
    browser.screenshot("board-regional-refused").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_board_shows_every_branch_and_a_silent_one_turns_red() {
    if !browser_available() {
        return;
    }
    let thresholds = HealthThresholds {
        amber_silence_seconds: RED_SILENCE_SECONDS - 1,
        red_silence_seconds: RED_SILENCE_SECONDS,
        ..HealthThresholds::default()
    };
    let hq = launch_hq_console(HqStoreKind::Sqlite, |config| config.health = thresholds).await;
    let (sz_token, gz_token) = group(&hq).await;
    let admin = add_person(hq.url(), "hq-admin", "admin", "001").await.unwrap();
    let manager = add_person(hq.url(), "sz-manager", "viewer", "001.002")
        .await
        .unwrap();
    let (sz_calling, gz_calling) = branches_call(&hq, &sz_token, &gz_token).await;

    let browser = Browser::start().await.unwrap();
    let board = format!("{}/board", hq.console_url());
    browser
        .login(hq.console_url(), &admin.name, &admin.password)
        .await
        .unwrap();
    browser.goto(&board).await.unwrap();
    every_branch_shown(&browser).await;
    gz_calling.abort();
    silent_branch_turns_red(&browser).await;
    sorted_narrowed_and_in_english(&browser, &board).await;

    browser.submit("#logout").await.unwrap();
    browser
        .login(hq.console_url(), &manager.name, &manager.password)
        .await
        .unwrap();
    browser.goto(&board).await.unwrap();
    regional_sees_its_subtree(&browser, &board).await;

    sz_calling.abort();
    browser.close().await.unwrap();
    hq.shutdown().await.unwrap();
}

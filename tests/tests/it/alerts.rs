//! HQ's own alerts against a local HTTP receiver: a real `hq-server serve` whose branch's real
//! `transfer-agent` is SIGKILLed sends the silence alert to a WeCom robot (retrying once after
//! the robot refuses) and to a plain JSON webhook, and the clear once the agent runs again; two
//! replicas on one PostgreSQL database send each start and clear of three more rules (backlog to
//! a signed DingTalk robot, quarantine, a template not applied) once; every delivery is audited
//! without the webhooks' keys; a bad rule is refused in one line before anything starts.

use crate::hq_support::{batch, push, record, sales_out, setup_branch, wire};
use branchline_proto::v1::{
    CreateTemplateRequest, HelloRequest, PublishTemplateRequest, PullRequest, QuarantineListRequest,
    QuarantineRetryRequest,
};
use branchline_proto::PROTOCOL_VERSION;
use branchline_shared::{BaseKind, EntryBody};
use branchline_tests::agent::{kill_now, prepare_branch, spawn_agent, AgentConfig, TaskSpec};
use branchline_tests::hq::{
    admin_client, import, spawn_hq_process_with, status, transfer_client, HqProcess, HqStoreKind,
    TEST_ADMIN_TOKEN,
};
use branchline_tests::people::all_audit_events;
use branchline_tests::process::TempDir;
use branchline_tests::security::hello_request;
use branchline_tests::webhook_receiver::Receiver;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// A bound on waiting for a message, far above a few checks of a second each.
const WAIT: Duration = Duration::from_secs(90);
/// The silence that alerts: well above the agent's 1 s schedule, however loaded the machine.
const SILENT_SECONDS: u64 = 10;

/// Checks every second and retries after one.
const FAST_CHECKS: &str = "[alerts]\ncheck_seconds = 1\nretry_first_seconds = 1\nretry_max_seconds = 2\n";

/// `hq-server serve --config FILE` with `config` written to FILE in `dir`.
fn hq_with_config(dir: &Path, db_url: &str, name: &str, config: &str) -> anyhow::Result<HqProcess> {
    let path = dir.join(name);
    std::fs::write(&path, config)?;
    spawn_hq_process_with(db_url, &["--config", &path.display().to_string()], None)
}

fn content(message: &Value, key: &str) -> String {
    message["markdown"][key].as_str().unwrap_or_default().to_owned()
}

/// Two rules on a silence of `SILENT_SECONDS`: to a WeCom robot and to a plain JSON webhook.
fn silent_rules(wecom: &Receiver, plain: &Receiver) -> String {
    format!(
        "{FAST_CHECKS}
[[alert]]
name = \"branch-silent\"
when = \"silent\"
seconds = {SILENT_SECONDS}
webhook = \"{}\"
format = \"wecom\"

[[alert]]
name = \"branch-silent-json\"
when = \"silent\"
seconds = {SILENT_SECONDS}
webhook = \"{}\"
",
        wecom.url("/wecom?key=robot-key"),
        plain.url("/hook/secret-path")
    )
}

/// The silence's start at both webhooks, the robot's after it refused the first attempt;
/// the JSON event.
async fn both_start(plain: &Receiver, wecom: &Receiver) -> anyhow::Result<Value> {
    let started = plain.wait_for_accepted(1, WAIT).await?;
    assert_eq!(started[0]["alert"], "branch-silent-json");
    assert_eq!(
        (started[0]["state"].as_str(), started[0]["condition"].as_str()),
        (Some("firing"), Some("silent"))
    );
    assert_eq!(
        (started[0]["branch"].as_str(), started[0]["org"].as_str()),
        (Some("GZ"), Some("001.003"))
    );
    assert!(
        started[0]["value"].as_u64().unwrap() > SILENT_SECONDS,
        "{}",
        started[0]
    );
    assert_eq!(started[0]["threshold"], SILENT_SECONDS);
    let robot = wecom.wait_for_accepted(1, WAIT).await?;
    let start_text = content(&robot[0], "content");
    assert!(
        start_text.starts_with("### 【告警】branch GZ（GZ，001.003）"),
        "{start_text}"
    );
    assert!(
        start_text.contains("规则 branch-silent：已 ") && start_text.contains("未与总部联系"),
        "{start_text}"
    );
    let attempts = wecom.requests();
    assert!(
        !attempts[0].accepted && attempts[1].accepted,
        "refused once, then retried: {attempts:?}"
    );
    assert_eq!(attempts[1].path_and_query, "/wecom?key=robot-key");
    Ok(started[0].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_a_stopped_agent_is_reported_silent_and_cleared_when_it_resumes() -> anyhow::Result<()> {
    let wecom = Receiver::start().await?;
    let plain = Receiver::start().await?;
    wecom.refuse_next(1);
    let dir = TempDir::new("alerts-silent")?;
    let config = silent_rules(&wecom, &plain);
    let db_url = format!("sqlite://{}", dir.join("hq.db").display());
    let hq = hq_with_config(dir.path(), &db_url, "hq.toml", &config)?;
    let (ledger, token) = prepare_branch(&hq.url, dir.path(), "GZ", "003", 3, 11).await?;
    let mut agent_config = AgentConfig::new(&ledger, &hq.url, &token);
    agent_config.tasks = vec![TaskSpec::every("sync", "both", "1s")];
    let agent_path = agent_config.write(&dir.join("agent.toml"))?;
    let log = dir.join("agent.log");
    let mut agent = spawn_agent(&agent_path, &["run"], Some(&log))?;
    while status(&hq.url).await?[0].last_contact.is_empty() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    kill_now(&mut agent)?;
    let started = both_start(&plain, &wecom).await?;

    let mut agent = spawn_agent(&agent_path, &["run"], Some(&log))?;
    let cleared = plain.wait_for_accepted(2, WAIT).await?;
    assert_eq!(cleared[1]["state"], "resolved");
    assert_eq!(cleared[1]["started_at"], started["started_at"]);
    assert!(cleared[1]["cleared_at"].is_string(), "{}", cleared[1]);
    let robot = wecom.wait_for_accepted(2, WAIT).await?;
    let clear_text = content(&robot[1], "content");
    assert!(
        clear_text.starts_with("### 【恢复】branch GZ（GZ，001.003）"),
        "{clear_text}"
    );
    assert!(clear_text.contains("已恢复与总部联系"), "{clear_text}");
    kill_now(&mut agent)?;
    assert_eq!(
        (plain.accepted().len(), wecom.accepted().len()),
        (2, 2),
        "one start and one clear each"
    );

    deliveries_are_audited_without_keys(&hq.url).await
}

/// Four deliveries and the robot's refusal in the audit log, as HQ's, in GZ's scope; no
/// event shows a webhook's key or path.
async fn deliveries_are_audited_without_keys(url: &str) -> anyhow::Result<()> {
    let events = all_audit_events(url).await?;
    let alerts: Vec<_> = events
        .iter()
        .filter(|event| event.action.starts_with("alert "))
        .collect();
    let delivered = alerts
        .iter()
        .filter(|event| event.action == "alert delivered")
        .count();
    assert_eq!(delivered, 4, "{alerts:?}");
    let failed: Vec<_> = alerts
        .iter()
        .filter(|event| event.action == "alert delivery failed")
        .collect();
    assert_eq!(failed.len(), 1, "{alerts:?}");
    assert!(failed[0].detail.contains("errcode 45009"), "{}", failed[0].detail);
    assert!(
        failed[0]
            .detail
            .starts_with("rule branch-silent: start GZ to http://127.0.0.1:"),
        "{}",
        failed[0].detail
    );
    for event in &alerts {
        assert_eq!((event.actor.as_str(), event.org.as_str()), ("hq", "001.003"));
        assert!(
            !event.detail.contains("robot-key") && !event.detail.contains("secret-path"),
            "{}",
            event.detail
        );
    }
    Ok(())
}

/// Says hello for SZ with `backlog` entries waiting and its inbox applied up to `inbox_seq`.
fn sz_hello(backlog: u64, inbox_seq: u64) -> HelloRequest {
    HelloRequest {
        backlog,
        inbox_seq,
        ..hello_request("SZ")
    }
}

/// The three receivers of the replicas' rules.
struct Receivers {
    dingtalk: Receiver,
    wecom: Receiver,
    plain: Receiver,
}

impl Receivers {
    async fn start() -> anyhow::Result<Receivers> {
        Ok(Receivers {
            dingtalk: Receiver::start().await?,
            wecom: Receiver::start().await?,
            plain: Receiver::start().await?,
        })
    }

    /// Backlog above 1,000 to a signed DingTalk robot, quarantine (in subtree 001) to a WeCom
    /// robot, a template unapplied for 2 s to a JSON webhook.
    fn rules(&self) -> String {
        format!(
            "{FAST_CHECKS}
[[alert]]
name = \"backlog\"
when = \"backlog\"
above = 1000
webhook = \"{}\"
format = \"dingtalk\"
secret = \"SEC-test\"

[[alert]]
name = \"quarantine\"
when = \"quarantine\"
org = \"001\"
webhook = \"{}\"
format = \"wecom\"

[[alert]]
name = \"template\"
when = \"template\"
seconds = 2
webhook = \"{}\"
",
            self.dingtalk.url("/dingtalk/robot/send?access_token=t"),
            self.wecom.url("/wecom?key=k"),
            self.plain.url("/hook")
        )
    }

    /// Each rule's start, once.
    async fn starts_arrive(&self) -> anyhow::Result<()> {
        let backlog = self.dingtalk.wait_for_accepted(1, WAIT).await?;
        assert!(
            content(&backlog[0], "text").contains("积压 2000 条目（超过 1000 条即告警）"),
            "{}",
            backlog[0]
        );
        let signed = &self.dingtalk.requests()[0].path_and_query;
        assert!(
            signed.contains("access_token=t&timestamp=") && signed.contains("&sign="),
            "{signed}"
        );
        let quarantine = self.wecom.wait_for_accepted(1, WAIT).await?;
        assert!(
            content(&quarantine[0], "content").contains("隔离区有 1 个条目待处理"),
            "{}",
            quarantine[0]
        );
        let template = self.plain.wait_for_accepted(1, WAIT).await?;
        assert_eq!(
            (template[0]["condition"].as_str(), template[0]["state"].as_str()),
            (Some("template"), Some("firing"))
        );
        assert!(
            template[0]["summary"].as_str().unwrap().contains("模板 base v1"),
            "{}",
            template[0]
        );
        Ok(())
    }

    /// Each rule's clear, and nothing more after several checks of both replicas.
    async fn clears_arrive(&self) -> anyhow::Result<()> {
        for (receiver, words) in [
            (&self.dingtalk, "积压已降至 0 条目"),
            (&self.wecom, "隔离区已清空"),
        ] {
            let messages = receiver.wait_for_accepted(2, WAIT).await?;
            let text = format!(
                "{}{}",
                content(&messages[1], "text"),
                content(&messages[1], "content")
            );
            assert!(text.contains("【恢复】") && text.contains(words), "{text}");
        }
        let template = self.plain.wait_for_accepted(2, WAIT).await?;
        assert_eq!(template[1]["state"], "resolved");
        // Several more checks by both replicas change nothing.
        tokio::time::sleep(Duration::from_secs(4)).await;
        for receiver in [&self.dingtalk, &self.wecom, &self.plain] {
            assert_eq!(receiver.accepted().len(), 2, "{:?}", receiver.requests());
        }
        Ok(())
    }
}

/// SZ pushes an entry that is quarantined (an unknown product), reports a backlog of 2,000
/// and is sent a template it does not pull.
async fn branch_goes_wrong(a: &HqProcess, b: &HqProcess, token: &str) -> anyhow::Result<()> {
    let mut sz_a = transfer_client(&a.url, token).await;
    let mut sz_b = transfer_client(&b.url, token).await;
    let unknown_product = {
        let mut document = sales_out("SZ-1", "SZ", "C001", "1");
        document.lines[0].product = "P999".into();
        document
    };
    push(
        &mut sz_a,
        batch("SZ", 1, vec![wire(1, EntryBody::Document(unknown_product))]),
    )
    .await?;
    // After the push, which reports its own backlog.
    sz_b.hello(sz_hello(2_000, 0)).await?;
    let mut admin = admin_client(&a.url, TEST_ADMIN_TOKEN).await;
    let template = CreateTemplateRequest {
        name: "base".into(),
        kinds: vec!["customer".into()],
        codes: Vec::new(),
    };
    admin.create_template(template).await?;
    let publish = PublishTemplateRequest {
        name: "base".into(),
        orgs: vec!["001.001".into()],
    };
    admin.publish_template(publish).await?;
    Ok(())
}

/// Everything put right, each through the other replica.
async fn branch_put_right(a: &HqProcess, b: &HqProcess, token: &str) -> anyhow::Result<()> {
    let mut sz_a = transfer_client(&a.url, token).await;
    let mut sz_b = transfer_client(&b.url, token).await;
    let pull = PullRequest {
        protocol_version: PROTOCOL_VERSION,
        after_seq: 0,
        max_entries: 10,
        branch: "SZ".into(),
    };
    let inbox = sz_b.pull(pull).await?.into_inner().entries;
    let last = inbox.last().map_or(0, |entry| entry.seq);
    sz_a.hello(sz_hello(0, last)).await?;
    import(&b.url, BaseKind::Product, &[record(BaseKind::Product, "P999")]).await?;
    let mut admin_b = admin_client(&b.url, TEST_ADMIN_TOKEN).await;
    let quarantined = admin_b
        .quarantine_list(QuarantineListRequest::default())
        .await?
        .into_inner()
        .entries;
    let retried = admin_b
        .quarantine_retry(QuarantineRetryRequest {
            id: quarantined[0].id,
        })
        .await?
        .into_inner();
    assert!(retried.applied, "{}", retried.reason);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_two_replicas_send_each_start_and_clear_once() -> anyhow::Result<()> {
    let Some(HqStoreKind::Url(db_url)) = HqStoreKind::postgres("alerts_two_replicas").await else {
        return Ok(());
    };
    let receivers = Receivers::start().await?;
    let config = receivers.rules();
    let dir = TempDir::new("alerts-replicas")?;
    let replica_a = hq_with_config(dir.path(), &db_url, "a.toml", &config)?;
    let replica_b = hq_with_config(dir.path(), &db_url, "b.toml", &config)?;
    let token = setup_branch(&replica_a.url, "SZ", "001.001").await;
    branch_goes_wrong(&replica_a, &replica_b, &token).await?;
    receivers.starts_arrive().await?;
    branch_put_right(&replica_a, &replica_b, &token).await?;
    receivers.clears_arrive().await
}

/// A rule HQ cannot use stops `serve` before it opens the store, in one line naming the rule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_a_bad_rule_is_refused_in_one_line() -> anyhow::Result<()> {
    let dir = TempDir::new("alerts-bad-rule")?;
    let cases = [
        (
            "when = \"silent\"\nwebhook = \"http://127.0.0.1:9/h\"",
            "[[alert]] \"r\": when = \"silent\" needs minutes, hours or seconds",
        ),
        (
            "when = \"quarantine\"\nwebhook = \"${ALERT_HOOK}\"",
            "[[alert]] \"r\": webhook ",
        ),
        (
            "when = \"quiet\"\nwebhook = \"http://127.0.0.1:9/h\"",
            "unknown variant `quiet`",
        ),
    ];
    for (rule, refusal) in cases {
        let path = dir.join("bad.toml");
        std::fs::write(&path, format!("[[alert]]\nname = \"r\"\n{rule}\n"))?;
        let db = format!("sqlite://{}", dir.join("hq.db").display());
        let bad = std::process::Command::new(branchline_tests::process::binary("hq-server"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db", &db, "--config"])
            .arg(&path)
            .env("BRANCHLINE_ADMIN_TOKEN", TEST_ADMIN_TOKEN)
            .output()?;
        assert_eq!(bad.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&bad.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(refusal), "{rule}: {stderr}");
        assert!(!dir.join("hq.db").exists(), "nothing was created");
    }
    Ok(())
}

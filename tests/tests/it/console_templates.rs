//! The console's templates page (基础数据模板, `/templates`) and bundle upload (`/bundles`) in
//! a real headless Chromium, against a real HQ with the group's three real ledgers and agents: a
//! group admin creates a template and publishes it to a subtree, the branch pulls it and the
//! rollout shows it applied; the downloaded file is the bytes of `hq-server admin template
//! export`; a bundle exported by `branch-node bundle export` is uploaded and applied; a viewer
//! sees the page and its scope's rollout, but a publish is refused (403) and changes nothing.
//! Every page is screenshot.

use anyhow::{ensure, Context, Result};
use branchline_tests::browser::{browser_available, Browser};
use branchline_tests::group::{group_at, Group};
use branchline_tests::hq::{launch_hq_console, HqStoreKind};
use branchline_tests::people::{add_account, password_of, set_password};
use fantoccini::Locator;
use serde_json::{json, Value};

const ADMIN: &str = "tpl-admin";
const VIEWER: &str = "tpl-viewer";

async fn add_login(group: &Group, name: &str, role: &str, org: &str) -> Result<()> {
    add_account(group.hq.url(), name, role, org).await?;
    set_password(group.hq.url(), name, &password_of(name)).await
}

/// The text of `css` in the rollout row of `branch` for template `base`.
async fn rollout_cell(browser: &Browser, branch: &str, css: &str) -> Result<String> {
    browser.text(&format!("#rollout-base-{branch} {css}")).await
}

/// Two agent runs: the first pulls and applies the inbox, the second's Hello tells HQ so.
fn pull_and_report(group: &Group, code: &str) -> Result<()> {
    group.sync(code)?;
    group.sync(code)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_templates_publish_rollout_export_and_bundles() -> Result<()> {
    if !browser_available() {
        return Ok(());
    }
    let hq = launch_hq_console(HqStoreKind::Sqlite, |_| {}).await;
    let console = hq.console_url().to_owned();
    let group = group_at(hq, "console-templates").await?;
    add_login(&group, ADMIN, "admin", "001").await?;
    add_login(&group, VIEWER, "viewer", "001.003").await?;

    let browser = Browser::start().await?;
    browser.login(&console, ADMIN, &password_of(ADMIN)).await?;
    browser.goto(&format!("{console}/templates")).await?;
    browser.screenshot("console_templates_empty").await?;
    ensure!(browser.text("#no-templates").await?.contains("还没有模板"));

    create_and_publish(&browser, &group).await?;
    pull_and_report(&group, "ZH")?;
    browser.goto(&format!("{console}/templates")).await?;
    browser.screenshot("console_templates_applied").await?;
    assert_eq!(rollout_cell(&browser, "ZH", ".state").await?, "已应用");
    assert_eq!(rollout_cell(&browser, "ZH", ".applied-version").await?, "1");
    assert_eq!(browser.text("#template-base .applied-count").await?, "1");
    browser.goto(&format!("{console}/templates?lang=en")).await?;
    browser.screenshot("console_templates_applied_en").await?;
    assert_eq!(rollout_cell(&browser, "ZH", ".state").await?, "applied");

    assert_export_is_the_cli_file(&browser, &group).await?;
    upload_a_bundle(&browser, &group, &console).await?;
    viewer_is_refused_publishing(&browser, &group, &console).await?;
    browser.close().await?;
    group.hq.shutdown().await
}

/// Creates template `base` (every kind) and publishes it to 001.003 (ZH's region): ZH queued.
async fn create_and_publish(browser: &Browser, group: &Group) -> Result<()> {
    browser.fill("#create-name", "base").await?;
    browser.submit("#create-submit").await?;
    let created = browser.text("#notice").await?;
    browser.screenshot("console_templates_created").await?;
    ensure!(
        created.contains("模板 base 第 1 版已创建：14 条记录"),
        "{created}"
    );
    assert_eq!(browser.text("#template-base .version").await?, "1");

    browser.fill("#publish-name", "base").await?;
    browser.click("input[name='to:001.003']").await?;
    browser.submit("#publish-submit").await?;
    assert_eq!(browser.text("#published-queued").await?, "ZH");
    browser.screenshot("console_templates_published").await?;
    assert_eq!(browser.text("#published-already").await?, "无");
    assert_eq!(rollout_cell(browser, "ZH", ".state").await?, "排队中");
    assert_eq!(rollout_cell(browser, "ZH", ".applied-version").await?, "-");
    assert!(
        browser.texts("#rollout-base-SZ").await?.is_empty(),
        "SZ is outside 001.003"
    );
    let audit: Value =
        serde_json::from_str(&group.admin(&["audit", "--format", "json"])?.expect_ok().stdout)?;
    let published = audit["events"]
        .as_array()
        .context("audit events")?
        .iter()
        .any(|event| {
            event["actor"] == ADMIN && event["action"] == "template publish" && event["org"] == "001.003"
        });
    ensure!(published, "the publish is audited in the account's name: {audit}");
    Ok(())
}

/// The page's download (fetched by the browser with its session) is byte for byte the file
/// `hq-server admin template export` writes, named after the template and its version.
async fn assert_export_is_the_cli_file(browser: &Browser, group: &Group) -> Result<()> {
    let script = "const done = arguments[arguments.length - 1];
        fetch(document.querySelector('#export-base').getAttribute('href'))
          .then(async answer => done({
            status: answer.status,
            disposition: answer.headers.get('content-disposition'),
            bytes: Array.from(new Uint8Array(await answer.arrayBuffer())),
          }))
          .catch(error => done({ error: String(error) }));";
    let fetched = browser.client().execute_async(script, Vec::new()).await?;
    assert_eq!(fetched["status"], 200, "{fetched}");
    assert_eq!(
        fetched["disposition"],
        json!("attachment; filename=\"base.v1.template\"")
    );
    let downloaded: Vec<u8> = fetched["bytes"]
        .as_array()
        .context("the download's bytes")?
        .iter()
        .map(|byte| byte.as_u64().and_then(|byte| u8::try_from(byte).ok()))
        .collect::<Option<_>>()
        .context("bytes")?;
    let file = group.dir.join("base.template");
    group
        .admin(&["template", "export", "base", "--out", file.to_str().unwrap()])?
        .expect_ok();
    assert_eq!(
        downloaded,
        std::fs::read(&file)?,
        "the console's file is the CLI's"
    );
    Ok(())
}

/// ZH enters an opening document offline and exports its outbox as a bundle; the upload page
/// applies it, as `admin bundle import` would.
async fn upload_a_bundle(browser: &Browser, group: &Group, console: &str) -> Result<()> {
    let number = group.doc_add(
        "ZH",
        &["--type", "opening", "--warehouse", "W-ZH", "--line", "P001:5@8"],
    )?;
    let bundle = group.dir.join("zh.bundle");
    group
        .node("ZH", &["bundle", "export", "--out", bundle.to_str().unwrap()])?
        .expect_ok();
    browser.submit("#to-bundles").await?;
    browser.text("#upload").await?; // the bundles page is shown
    browser.screenshot("console_bundles").await?;
    browser
        .client()
        .find(Locator::Css("#bundle-files"))
        .await?
        .send_keys(bundle.to_str().unwrap())
        .await?;
    browser.submit("#bundle-submit").await?;
    assert_eq!(browser.text("tr.imported td.file").await?, "zh.bundle");
    browser.screenshot("console_bundles_imported").await?;
    assert_eq!(browser.text("tr.imported td.applied").await?, "1");
    assert_eq!(browser.text("tr.imported td.quarantined").await?, "0");
    let zh = group
        .hq
        .status()
        .await?
        .into_iter()
        .find(|status| status.branch == "ZH")
        .context("ZH's status")?;
    assert_eq!(zh.last_seq, 1, "HQ holds ZH's {number}: {zh:?}");
    // The same file again applies nothing twice.
    browser.goto(&format!("{console}/bundles")).await?;
    browser
        .client()
        .find(Locator::Css("#bundle-files"))
        .await?
        .send_keys(bundle.to_str().unwrap())
        .await?;
    browser.submit("#bundle-submit").await?;
    assert_eq!(browser.text("tr.imported td.duplicates").await?, "1");
    assert_eq!(browser.text("tr.imported td.applied").await?, "0");
    Ok(())
}

/// The viewer of 001.003 sees the templates and ZH's rollout, without forms; a publish posted
/// anyway (with the session's CSRF token) is HQ's refusal, 403, and queues nothing.
async fn viewer_is_refused_publishing(browser: &Browser, group: &Group, console: &str) -> Result<()> {
    browser.submit("#logout").await?;
    browser.login(console, VIEWER, &password_of(VIEWER)).await?;
    // The language switch is the browser's (a cookie), not the account's: back to Chinese.
    browser.goto(&format!("{console}/templates?lang=zh")).await?;
    browser.screenshot("console_templates_viewer").await?;
    assert_eq!(rollout_cell(browser, "ZH", ".state").await?, "已应用");
    assert!(browser.texts("#publish").await?.is_empty(), "no publish form");
    assert!(browser.texts("#export-base").await?.is_empty(), "no download");
    let forge = "const csrf = document.querySelector('input[name=csrf]').value;
        const form = document.createElement('form');
        form.method = 'post'; form.action = '/templates/publish';
        for (const [name, value] of [['csrf', csrf], ['name', 'base'], ['to:001', 'on']]) {
          const input = document.createElement('input');
          input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input);
        }
        const button = document.createElement('button');
        button.id = 'forged-publish'; button.type = 'submit'; button.textContent = 'publish';
        form.appendChild(button); document.querySelector('main').appendChild(form);";
    browser.client().execute(forge, Vec::new()).await?;
    browser.submit("#forged-publish").await?;
    // The refusal's message first: it is only on the answer page (the old page has an h1 too).
    let refusal = browser.text("#error").await?;
    ensure!(refusal.contains("Admin/PublishTemplate"), "{refusal}");
    assert_eq!(browser.text("h1").await?, "无权限");
    browser.screenshot("console_templates_viewer_refused").await?;
    let rollout: Value = serde_json::from_str(
        &group
            .admin(&["template", "rollout", "base", "--format", "json"])?
            .expect_ok()
            .stdout,
    )?;
    let branches: Vec<&str> = rollout["rollout"]
        .as_array()
        .context("rollout rows")?
        .iter()
        .filter_map(|row| row["branch"].as_str())
        .collect();
    assert_eq!(branches, ["ZH"], "the refused publish queued nothing: {rollout}");
    Ok(())
}

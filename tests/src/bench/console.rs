//! `bench console`: the server side of every console page, each timed from the request to its
//! last byte over loopback HTTP (a logged-in admin session), beside the same run's gRPC calls the
//! page makes (`Admin/Status`; the four `Report/Sales` and `Report/Ranking` calls of the sales
//! page, alone and in sequence; `Report/Inventory` of one product over every ledger, and of one
//! ledger; the list call of each other page), on SQLite after HQ's idle fold.
//!
//! Data: `bench reports`' data set (`report_data`) with `BENCH_CONSOLE_BRANCHES` ledgers
//! (default 1000) and `BENCH_CONSOLE_LINES` lines (default 10000000) of 2025; the sales page
//! asks for the full year of `--org 001`. `BENCH_CONSOLE_RUNS` (default 5) timings per figure,
//! the median shown; `BENCH_CONSOLE_DIR` keeps the loaded SQLite file for the next run.

use super::env_usize;
use super::report_data::{load_once, Shape, BATCH_DOCS};
use crate::console_http::ConsoleHttp;
use crate::hq::TEST_ADMIN_TOKEN;
use crate::people::{add_person, report_client, HqReportClient};
use crate::process::TempDir;
use anyhow::Context;
use branchline_proto::v1::{
    AuditRequest, ListOrgsRequest, ListTemplatesRequest, ListUsersRequest, QuarantineListRequest,
    ReportRequest, RoutedListRequest, StatusRequest,
};
use hq_server::config::ServeConfig;
use hq_server::store::rollup::fold;
use hq_server::store::Store;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// One page's figure and the gRPC figures beside it.
struct PageFigure {
    path: &'static str,
    bytes: usize,
    page: Duration,
    grpc: Vec<(&'static str, Duration)>,
}

/// The median of `runs` timings of `call`, and its last answer.
async fn median_of<T, Fut: std::future::Future<Output = anyhow::Result<T>>>(
    runs: usize,
    mut call: impl FnMut() -> Fut,
) -> anyhow::Result<(Duration, T)> {
    let mut timings = Vec::with_capacity(runs);
    let mut answer = None;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let answered = call().await?;
        timings.push(started.elapsed());
        answer = Some(answered);
    }
    timings.sort();
    Ok((timings[timings.len() / 2], answer.expect("at least one run")))
}

/// The median time of `runs` GETs of `path` (each must succeed) and the page's size.
async fn time_page(browser: &mut ConsoleHttp, path: &str, runs: usize) -> anyhow::Result<(Duration, usize)> {
    let mut timings = Vec::with_capacity(runs);
    let mut bytes = 0;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let answer = browser.get(path).await?;
        timings.push(started.elapsed());
        anyhow::ensure!(answer.status.is_success(), "GET {path}: {}", answer.status);
        bytes = answer.body.len();
    }
    timings.sort();
    Ok((timings[timings.len() / 2], bytes))
}

/// The sales page's four report calls for the full year of 2025, each timed alone, and their
/// sum (the page makes them at once).
async fn sales_calls_time(
    runs: usize,
    report: &HqReportClient,
) -> anyhow::Result<Vec<(&'static str, Duration)>> {
    let year = |by: &[&str], subtotals: bool, top: u32| ReportRequest {
        org: "001".into(),
        from: "2025-01-01".into(),
        to: "2025-12-31".into(),
        by: by.iter().map(|by| (*by).to_owned()).collect(),
        subtotals,
        top,
        ..ReportRequest::default()
    };
    let calls: [(&str, ReportRequest, bool); 4] = [
        (
            "Sales by org, subtotals (the table)",
            year(&["org"], true, 0),
            false,
        ),
        ("Ranking by month (trend)", year(&["month"], false, 1_200), true),
        ("Ranking by product, top 10", year(&["product"], false, 10), true),
        (
            "Sales by org,month (targets)",
            year(&["org", "month"], false, 0),
            false,
        ),
    ];
    let mut figures = Vec::new();
    let mut sequence = Duration::ZERO;
    for (what, request, ranking) in calls {
        let took = report_time(runs, report, &request, ranking).await?;
        sequence += took;
        figures.push((what, took));
    }
    figures.push(("the four in sequence", sequence));
    Ok(figures)
}

/// The inventory page's call: `org`'s subtree by org, warehouse and product (of `product` only
/// unless empty), with subtotals.
async fn inventory_time(
    runs: usize,
    report: &HqReportClient,
    org: &str,
    product: &str,
) -> anyhow::Result<Duration> {
    let request = ReportRequest {
        org: org.into(),
        product: product.into(),
        subtotals: true,
        ..ReportRequest::default()
    };
    let (took, _) = median_of(runs, || {
        let (mut client, request) = (report.clone(), request.clone());
        async move { Ok(client.inventory(request).await?.into_inner().rows.len()) }
    })
    .await?;
    Ok(took)
}

/// The median time of `runs` report calls of `request` (a ranking, else a sales summary).
async fn report_time(
    runs: usize,
    report: &HqReportClient,
    request: &ReportRequest,
    ranking: bool,
) -> anyhow::Result<Duration> {
    let (took, _) = median_of(runs, || {
        let (mut client, request) = (report.clone(), request.clone());
        async move {
            let response = match ranking {
                true => client.ranking(request).await?,
                false => client.sales(request).await?,
            };
            Ok(response.into_inner().rows.len())
        }
    })
    .await?;
    Ok(took)
}

pub fn run() -> anyhow::Result<()> {
    hq_server::memory::keep_freed_memory();
    let lines = env_usize("BENCH_CONSOLE_LINES", 10_000_000);
    let orgs = env_usize("BENCH_CONSOLE_BRANCHES", 1_000);
    let runs = env_usize("BENCH_CONSOLE_RUNS", 5);
    let shape = Shape {
        orgs,
        doc_lines: 10,
        batch_docs: BATCH_DOCS,
        ordered_days: false,
    };
    let (dir, _temp) = match std::env::var("BENCH_CONSOLE_DIR") {
        Ok(dir) => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {dir}"))?;
            (PathBuf::from(dir), None)
        }
        Err(_) => {
            let temp = TempDir::new("bench-console")?;
            (temp.path().to_owned(), Some(temp))
        }
    };
    let url = format!(
        "sqlite://{}",
        dir.join(format!("console_{orgs}_{lines}.db")).display()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let figures = runtime.block_on(async {
        let store = Store::open(&url, 4).await?;
        load_once("SQLite", &store, &url, lines, shape).await?;
        fold::fold_pending(&store).await?;
        store.close().await;
        measure(&url, runs).await
    })?;
    print_table(&figures, lines, orgs);
    Ok(())
}

/// Serves HQ with its console over `url` and times the pages and their gRPC calls.
async fn measure(url: &str, runs: usize) -> anyhow::Result<Vec<PageFigure>> {
    let grpc_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let console_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let grpc = format!("http://{}", grpc_listener.local_addr()?);
    let console = format!("http://{}", console_listener.local_addr()?);
    let hq = hq_server::serve::Hq::open(ServeConfig::new(url, TEST_ADMIN_TOKEN))
        .await?
        .with_console(console_listener);
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(hq.serve(grpc_listener, async {
        let _ = stopped.await;
    }));
    let name = format!("bench-admin-{}", std::process::id());
    let person = add_person(&grpc, &name, "admin", "001").await?;
    let mut browser = ConsoleHttp::new(&console);
    browser.login(&person.name, &person.password).await?;
    let report = report_client(&grpc, &person.token).await;
    let admin = crate::hq::admin_client(&grpc, &person.token).await;
    let mut figures = Vec::new();
    let account = crate::people::account_client(&grpc, &person.token).await;
    let calls = Calls {
        runs,
        admin,
        report,
        account,
    };
    for path in PAGES {
        let (page, bytes) = time_page(&mut browser, path, runs).await?;
        figures.push(PageFigure {
            path,
            bytes,
            page,
            grpc: calls.of_page(path).await?,
        });
    }
    let _ = stop.send(());
    server.await??;
    Ok(figures)
}

/// Every page of the console, as an administrator of the whole group opens it.
const PAGES: [&str; 10] = [
    "/board",
    "/sales?org=001&from=2025-01-01&to=2025-12-31&by=org",
    "/inventory?org=001&product=P00001",
    "/inventory?org=001.001",
    "/quarantine",
    "/trades",
    "/templates",
    "/orgs",
    "/accounts",
    "/audit",
];

/// The same run's gRPC clients, to time the calls a page makes.
struct Calls {
    runs: usize,
    admin: crate::hq::HqAdminClient,
    report: HqReportClient,
    account: crate::people::HqAccountClient,
}

impl Calls {
    /// The gRPC calls `path` makes, each timed alone (the median of `runs`).
    async fn of_page(&self, path: &str) -> anyhow::Result<Vec<(&'static str, Duration)>> {
        let runs = self.runs;
        let admin = || self.admin.clone();
        let timed = |what: &'static str, took: Duration| Ok(vec![(what, took)]);
        macro_rules! median {
            ($client:expr, $call:ident, $request:expr) => {
                median_of(runs, || {
                    let mut client = $client;
                    async move { Ok(client.$call($request).await?.into_inner()) }
                })
                .await?
                .0
            };
        }
        match path {
            "/board" => timed("Admin/Status", median!(admin(), status, StatusRequest::default())),
            "/inventory?org=001&product=P00001" => timed(
                "Inventory of P00001, subtotals",
                inventory_time(runs, &self.report, "001", "P00001").await?,
            ),
            "/inventory?org=001.001" => timed(
                "Inventory of one ledger, subtotals",
                inventory_time(runs, &self.report, "001.001", "").await?,
            ),
            "/quarantine" => timed(
                "Admin/QuarantineList",
                median!(admin(), quarantine_list, QuarantineListRequest::default()),
            ),
            "/trades" => timed(
                "Admin/RoutedList",
                median!(admin(), routed_list, RoutedListRequest::default()),
            ),
            "/templates" => timed(
                "Admin/ListTemplates",
                median!(admin(), list_templates, ListTemplatesRequest::default()),
            ),
            "/orgs" => timed(
                "Admin/ListOrgs",
                median!(admin(), list_orgs, ListOrgsRequest::default()),
            ),
            "/accounts" => timed(
                "Account/ListUsers",
                median!(self.account.clone(), list_users, ListUsersRequest {}),
            ),
            "/audit" => timed("Admin/Audit", median!(admin(), audit, AuditRequest::default())),
            _ => sales_calls_time(runs, &self.report).await,
        }
    }
}

fn print_table(figures: &[PageFigure], lines: usize, orgs: usize) {
    println!("console: {lines} lines, {orgs} ledgers under 001, SQLite (folded); median ms");
    println!("{:<58} {:>10} {:>10}", "page / same-run gRPC call", "ms", "bytes");
    for figure in figures {
        println!(
            "{:<58} {:>10.1} {:>10}",
            figure.path,
            figure.page.as_secs_f64() * 1000.0,
            figure.bytes
        );
        for (what, took) in &figure.grpc {
            println!("  {:<56} {:>10.1}", what, took.as_secs_f64() * 1000.0);
        }
    }
}

//! README's "People and scopes" with the built `hq-server`: the bootstrap admin adds 深圳
//! (001.002), its branch and a viewer `sz-manager` (password from stdin, or a terminal); the
//! manager logs in (a 0600 file in a 0700 directory), reports with no --token or --org and sees
//! only 001.002, is refused 001.003 in one line, logs out (its token refused afterwards). Also:
//! personal API tokens, a login file others may read, a logout with HQ unreachable, no
//! credential at all, and README's role matrix against HQ's access table.

use crate::hq_support::{batch, push, sales_out, setup_branch, wire};
use branchline_shared::EntryBody;
use branchline_tests::hq::{launch_hq, HqHandle, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::net::RefusingPort;
use branchline_tests::process::{binary, command, Run, TempDir};
use serde_json::Value;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

const MANAGER: &str = "sz-manager";
const PASSWORD: &str = "manager pass 1";

/// Someone at a shell of their own: HOME (and, unless `xdg` is off, XDG_CONFIG_HOME) in a temp
/// dir, none of Branchline's variables set.
struct Person {
    home: TempDir,
    xdg: bool,
}

impl Person {
    fn new(label: &str, xdg: bool) -> Person {
        Person {
            home: TempDir::new(label).unwrap(),
            xdg,
        }
    }

    /// Runs `hq-server ARGS` with `stdin` as its (non-terminal) standard input.
    fn run(&self, args: &[&str], stdin: &str) -> Run {
        self.run_command(command("hq-server", args), stdin)
    }

    /// Runs `hq-server ARGS` on a terminal of its own (util-linux `script`), `typed` at it;
    /// `None` when `script` is not installed.
    fn run_on_terminal(&self, args: &[&str], typed: &str) -> Option<Run> {
        let quoted: Vec<String> = std::iter::once(binary("hq-server").display().to_string())
            .chain(args.iter().map(|arg| (*arg).to_owned()))
            .map(|word| format!("'{}'", word.replace('\'', "'\\''")))
            .collect();
        let probe = std::process::Command::new("script").arg("--version").output();
        if probe.is_err() {
            eprintln!("util-linux `script` is not installed: the terminal prompts go untested");
            return None;
        }
        let mut script = std::process::Command::new("script");
        // The terminal's output (hq-server's stdout and stderr, and its prompts) is script's stdout.
        script.args(["-qec", &quoted.join(" "), "/dev/null"]);
        Some(self.run_command(script, typed))
    }

    fn run_command(&self, mut hq_server: std::process::Command, stdin: &str) -> Run {
        hq_server
            .env("HOME", self.home.path())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("BRANCHLINE_ADMIN_TOKEN")
            .env_remove("BRANCHLINE_HQ")
            .env_remove("BRANCHLINE_CA")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if self.xdg {
            hq_server.env("XDG_CONFIG_HOME", self.home.join("config"));
        }
        let mut child = hq_server.spawn().expect("starting hq-server");
        let mut input = child.stdin.take().unwrap();
        // A command that never reads stdin may have exited already.
        let _ = input.write_all(stdin.as_bytes());
        drop(input);
        child.wait_with_output().expect("running hq-server").into()
    }

    fn login_file(&self) -> PathBuf {
        let config = if self.xdg { "config" } else { ".config" };
        self.home.join(config).join("branchline").join("hq-login.toml")
    }

    fn login(&self, url: &str) -> Run {
        self.run(
            &["login", "--hq", url, "--user", MANAGER],
            &format!("{PASSWORD}\n"),
        )
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn json_of(run: Run) -> Value {
    let run = run.expect_ok();
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|error| panic!("not one JSON document ({error}): {}", run.stdout))
}

/// Fails with exactly one stderr line holding every one of `needles`.
#[track_caller]
fn assert_refused_in_one_line(run: Run, needles: &[&str]) {
    let run = run.expect_err();
    let stderr = run.stderr.trim();
    assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} missing: {stderr}");
    }
}

fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// The bootstrap admin's commands: explicit --hq and --token, nothing from a login file.
fn bootstrap(admin: &Person, url: &str, args: &[&str], stdin: &str) -> Run {
    let mut full = vec!["admin", "--hq", url, "--token", TEST_ADMIN_TOKEN];
    full.extend_from_slice(args);
    admin.run(&full, stdin)
}

/// 广州 (001.003, branch GZ) exists already; the bootstrap admin adds 深圳 (001.002) and its
/// branch SZ as the README does, then each branch pushes one sale.
async fn group_with_two_regions(hq: &HqHandle, admin: &Person) {
    let url = hq.url();
    let gz_token = setup_branch(url, "GZ", "001.003").await;
    bootstrap(admin, url, &["org", "add", "001.002", "--name", "深圳"], "").expect_ok();
    for (kind, csv) in [
        ("customers", "code,name\nC-SZ,深圳分公司\n"),
        ("suppliers", "code,name\nS-SZ,深圳分公司\n"),
        (
            "warehouses",
            "code,name,branch\nW-SZ,深圳分公司,SZ\nSZ-W,深圳仓,SZ\n",
        ),
    ] {
        let path = admin.home.join(format!("{kind}.csv"));
        std::fs::write(&path, csv).unwrap();
        bootstrap(admin, url, &["import", kind, path.to_str().unwrap()], "").expect_ok();
    }
    let add_sz = words(
        "branch add SZ --name 深圳分公司 --org 001.002 --customer C-SZ --supplier S-SZ --warehouse W-SZ",
    );
    let branch = bootstrap(admin, url, &add_sz, "").expect_ok();
    let sz_token = branch.last_line().to_owned();
    for (code, token, qty) in [("SZ", &sz_token, "17"), ("GZ", &gz_token, "5")] {
        let mut client = hq.transfer(token).await;
        let sale = sales_out(&format!("{code}-1"), code, "C001", qty);
        let entries = vec![wire(1, EntryBody::Document(sale))];
        let ack = push(&mut client, batch(code, 1, entries)).await.expect("push");
        assert_eq!((ack.applied, ack.quarantined), (1, 0));
    }
}

/// `user add` and `user password` (from stdin); `user list` shows the account as JSON.
fn add_the_manager(admin: &Person, url: &str) {
    let added = bootstrap(
        admin,
        url,
        &["user", "add", MANAGER, "--role", "viewer", "--org", "001.002"],
        "",
    )
    .expect_ok();
    assert!(added.stdout.contains("user sz-manager added"), "{}", added.stdout);
    bootstrap(
        admin,
        url,
        &["user", "password", MANAGER],
        &format!("{PASSWORD}\n"),
    )
    .expect_ok();
    let list = json_of(bootstrap(admin, url, &["user", "list", "--format", "json"], ""));
    let users = list["users"].as_array().expect("users");
    let manager = users
        .iter()
        .find(|user| user["name"] == MANAGER)
        .unwrap_or_else(|| panic!("{MANAGER} not listed: {list}"));
    assert_eq!(manager["role"], "viewer");
    assert_eq!(manager["org"], "001.002");
    assert_eq!(manager["disabled"], false);
    assert_eq!(manager["has_password"], true);
    assert_eq!(manager["live_tokens"], 0);
    assert_eq!(manager["locked_until"], Value::Null);
    assert!(manager["created_at"].as_str().is_some_and(|at| !at.is_empty()));
}

/// On a terminal a new password is asked twice (two that differ change nothing) and a login's
/// once, without echo.
fn passwords_on_a_terminal(admin: &Person, url: &str) {
    bootstrap(
        admin,
        url,
        &["user", "add", "gz-viewer", "--role", "viewer", "--org", "001.003"],
        "",
    )
    .expect_ok();
    let set = format!("admin --hq {url} --token {TEST_ADMIN_TOKEN} user password gz-viewer");
    let set = words(&set);
    let Some(differ) = admin.run_on_terminal(&set, "viewer pass 1\nviewer pass 2\n") else {
        return;
    };
    let differ = differ.expect_err();
    assert!(
        differ.stdout.contains("the two passwords differ"),
        "{}",
        differ.stdout
    );
    let has_password = || {
        let list = json_of(bootstrap(admin, url, &["user", "list", "--format", "json"], ""));
        let users = list["users"].as_array().unwrap().clone();
        users.iter().find(|user| user["name"] == "gz-viewer").unwrap()["has_password"].clone()
    };
    assert_eq!(has_password(), false);
    let twice = admin
        .run_on_terminal(&set, "viewer pass 1\nviewer pass 1\n")
        .unwrap();
    twice.expect_ok();
    assert_eq!(has_password(), true);
    let login = ["login", "--hq", url, "--user", "gz-viewer"];
    let login = admin
        .run_on_terminal(&login, "viewer pass 1\n")
        .unwrap()
        .expect_ok();
    assert!(
        login.stdout.contains("as gz-viewer (viewer, org 001.003)"),
        "{}",
        login.stdout
    );
    admin.run(&["logout"], "").expect_ok();
}

/// A wrong password writes nothing; the right one writes a 0600 file in a 0700 directory and
/// prints one line naming the user, role, org and file.
fn manager_logs_in(manager: &Person, url: &str) {
    let wrong = manager.run(&["login", "--hq", url, "--user", MANAGER], "not the password\n");
    assert_refused_in_one_line(wrong, &["wrong user name or password"]);
    assert!(!manager.login_file().exists(), "a failed login wrote a file");

    let login = manager.login(url).expect_ok();
    let file = manager.login_file();
    let line = login.stdout.trim();
    assert_eq!(line.lines().count(), 1, "{line}");
    for needle in [MANAGER, "viewer", "001.002", file.to_str().unwrap()] {
        assert!(line.contains(needle), "{needle:?} missing: {line}");
    }
    assert_eq!(mode(&file), 0o600, "login file mode");
    assert_eq!(mode(file.parent().unwrap()), 0o700, "login directory mode");
    let whoami = manager.run(&["whoami"], "").expect_ok();
    assert!(
        whoami.stdout.contains("sz-manager (viewer, org 001.002)"),
        "{}",
        whoami.stdout
    );
}

/// Without --token, --hq or --org the manager's report is 001.002's, equal to the bootstrap
/// admin's report of 001.002; 001.003 and an operator's call are refused in one line.
fn manager_reports_within_scope(manager: &Person, admin: &Person, url: &str) {
    let own = json_of(manager.run(&["report", "sales", "--by", "org", "--format", "json"], ""));
    let rows = own["rows"].as_array().unwrap();
    assert!(!rows.is_empty(), "{own}");
    assert!(
        rows.iter()
            .all(|row| row["org"] == "001.002" && row["branch"] == "SZ"),
        "rows outside 001.002: {own}"
    );
    let of_shenzhen =
        format!("report --hq {url} --token {TEST_ADMIN_TOKEN} sales --org 001.002 --by org --format json");
    let of_shenzhen = json_of(admin.run(&words(&of_shenzhen), ""));
    assert_eq!(own, of_shenzhen, "the manager's report is 001.002's");

    let foreign = manager.run(&["report", "sales", "--org", "001.003"], "");
    assert_refused_in_one_line(foreign, &["PermissionDenied"]);

    let status = json_of(manager.run(&["admin", "status", "--format", "json"], ""));
    let branches: Vec<&str> = status["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|branch| branch["branch"].as_str().unwrap())
        .collect();
    assert_eq!(branches, ["SZ"], "{status}");
    let foreign = manager.run(&["admin", "status", "--org", "001.003"], "");
    assert_refused_in_one_line(foreign, &["PermissionDenied"]);
    for args in [
        &["admin", "audit", "--org", "001.003"][..],
        &["admin", "trade", "list", "--org", "001.003"],
        &["admin", "quarantine", "list", "--org", "001.003"],
        &["admin", "org", "add", "001.002.009", "--name", "x"],
    ] {
        assert_refused_in_one_line(manager.run(args, ""), &["PermissionDenied"]);
    }
    // An explicit --token wins over the login file.
    let bootstrap = manager
        .run(&["whoami", "--token", TEST_ADMIN_TOKEN], "")
        .expect_ok();
    assert!(
        bootstrap.stdout.contains("admin (admin, the whole group)"),
        "{}",
        bootstrap.stdout
    );
}

/// The audit log names the manager: the bootstrap admin sees its login and its refusals; the
/// manager's own audit holds only events of 001.002's subtree.
fn audit_names_the_manager(manager: &Person, admin: &Person, url: &str) {
    let all = json_of(bootstrap(admin, url, &["audit", "--format", "json"], ""));
    let events = all["events"].as_array().unwrap();
    let by_manager = |action: &str| {
        events
            .iter()
            .any(|event| event["actor"] == MANAGER && event["action"] == action)
    };
    assert!(
        by_manager("login") && by_manager("refused: permission denied"),
        "{all}"
    );
    let own = json_of(manager.run(&["admin", "audit", "--format", "json"], ""));
    let orgs: Vec<&str> = own["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["org"].as_str().unwrap_or("-"))
        .collect();
    let in_scope = |org: &&str| *org == "001.002" || org.starts_with("001.002.");
    assert!(!orgs.is_empty() && orgs.iter().all(in_scope), "{own}");
}

/// Logout removes the file and revokes the token: used explicitly afterwards, it is refused.
fn manager_logs_out(manager: &Person, url: &str) {
    let file = manager.login_file();
    let text = std::fs::read_to_string(&file).unwrap();
    let token = text
        .lines()
        .find_map(|line| line.strip_prefix("token = "))
        .map(|quoted| quoted.trim_matches('"').to_owned())
        .unwrap_or_else(|| panic!("no token in {text}"));
    let logout = manager.run(&["logout"], "").expect_ok();
    assert!(
        logout.stdout.contains("logged out sz-manager"),
        "{}",
        logout.stdout
    );
    assert!(!file.exists(), "logout left {}", file.display());
    let old = manager.run(&["whoami", "--hq", url, "--token", &token], "");
    assert_refused_in_one_line(old, &["Unauthenticated"]);
    assert_no_credential(manager);
}

/// With no flag, variable or login file: one line naming the three ways to give a credential.
fn assert_no_credential(person: &Person) {
    for args in [&["report", "sales"][..], &["admin", "status"], &["whoami"]] {
        assert_refused_in_one_line(
            person.run(args, ""),
            &["pass --token, set BRANCHLINE_ADMIN_TOKEN or run `hq-server login`"],
        );
    }
}

/// A personal API token works without a password prompt and is revoked with `--revoke`.
fn personal_token(admin: &Person, url: &str) {
    let issued = bootstrap(admin, url, &["user", "token", MANAGER], "").expect_ok();
    let token = issued.last_line().to_owned();
    let whoami = admin
        .run(&["whoami", "--hq", url, "--token", &token], "")
        .expect_ok();
    assert!(whoami.stdout.contains("sz-manager (viewer"), "{}", whoami.stdout);
    let revoked = bootstrap(admin, url, &["user", "token", MANAGER, "--revoke"], "").expect_ok();
    assert!(revoked.stdout.contains("1 tokens revoked"), "{}", revoked.stdout);
    let after = admin.run(&["whoami", "--hq", url, "--token", &token], "");
    assert_refused_in_one_line(after, &["Unauthenticated"]);
}

/// A login file others may read is refused as ssh does; chmod 600 makes it usable again.
fn login_file_readable_by_others(manager: &Person, url: &str) {
    manager.login(url).expect_ok();
    let file = manager.login_file();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let refused = manager.run(&["report", "sales"], "").expect_err();
    let shown = file.display();
    assert_eq!(
        refused.stderr.trim(),
        format!("hq-server: error: {shown} is readable by others (mode 0644): chmod 600 {shown}")
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    manager.run(&["report", "sales"], "").expect_ok();
    manager.run(&["logout"], "").expect_ok();
}

/// HQ unreachable at logout: the file goes all the same, with a warning; the token stays live
/// (an admin revokes it).
fn logout_while_hq_is_unreachable(manager: &Person, admin: &Person, url: &str) {
    manager.login(url).expect_ok();
    let file = manager.login_file();
    let refusing = RefusingPort::bind().unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let moved = text.replace(url, &format!("http://{}", refusing.address()));
    assert_ne!(moved, text);
    std::fs::write(&file, moved).unwrap();
    let logout = manager.run(&["logout"], "").expect_ok();
    assert!(logout.stderr.contains("warning"), "{}", logout.stderr);
    assert!(logout.stderr.contains("cannot reach HQ"), "{}", logout.stderr);
    assert!(!file.exists(), "logout left {}", file.display());
    let revoked = bootstrap(admin, url, &["user", "token", MANAGER, "--revoke"], "").expect_ok();
    assert!(revoked.stdout.contains("1 tokens revoked"), "{}", revoked.stdout);
}

async fn regional_manager_walkthrough(store: HqStoreKind) {
    let hq = launch_hq(store).await;
    let url = hq.url().to_owned();
    let admin = Person::new("people-admin", true);
    let manager = Person::new("people-manager", true);
    assert_no_credential(&manager);

    group_with_two_regions(&hq, &admin).await;
    add_the_manager(&admin, &url);
    passwords_on_a_terminal(&admin, &url);
    manager_logs_in(&manager, &url);
    manager_reports_within_scope(&manager, &admin, &url);
    audit_names_the_manager(&manager, &admin, &url);
    manager_logs_out(&manager, &url);
    personal_token(&admin, &url);
    login_file_readable_by_others(&manager, &url);
    logout_while_hq_is_unreachable(&manager, &admin, &url);

    // Without XDG_CONFIG_HOME the login lives in ~/.config.
    let plain = Person::new("people-home", false);
    plain.login(&url).expect_ok();
    assert_eq!(mode(&plain.login_file()), 0o600);
    plain.run(&["whoami"], "").expect_ok();
    plain.run(&["logout"], "").expect_ok();

    hq.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_cli_regional_manager_on_sqlite() {
    regional_manager_walkthrough(HqStoreKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_cli_regional_manager_on_postgres() {
    let Some(store) = HqStoreKind::postgres("people_cli").await else {
        return;
    };
    regional_manager_walkthrough(store).await;
}

/// README's role matrix is the access table HQ enforces: one row per method, the same roles.
#[test]
fn people_cli_readme_role_matrix_is_the_access_table() {
    use hq_server::people::{access::Access, access::METHODS, role::Role};
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let rows: Vec<Vec<&str>> = readme
        .lines()
        .filter(|line| {
            ["| Admin/", "| Report/", "| Account/", "| Commission/"]
                .iter()
                .any(|p| line.starts_with(p))
        })
        .map(|line| line.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect();
    assert_eq!(rows.len(), METHODS.len(), "README rows: {rows:?}");
    for (service, method, access) in METHODS {
        let name = format!("{service}/{method}");
        let row = rows.iter().find(|row| row[0] == name);
        let roles = &row.unwrap_or_else(|| panic!("README has no row {name}"))[1..4];
        let wanted: &[&[&str]] = match access {
            Access::Public => &[&["no token"; 3]],
            Access::Account => &[&["✓"; 3], &["itself", "itself", "✓"]],
            Access::Role(Role::Viewer) => &[&["✓", "✓", "✓"]],
            Access::Role(Role::Operator) => &[&["—", "✓", "✓"]],
            Access::Role(Role::Admin) => &[&["—", "—", "✓"]],
        };
        assert!(
            wanted.contains(&roles),
            "README {name}: {roles:?}, HQ: {access:?}"
        );
    }
}

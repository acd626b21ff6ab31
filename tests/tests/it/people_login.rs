//! Logging in: a wrong password is UNAUTHENTICATED; consecutive failures lock the account (and
//! too many from one address lock the address) for `limits.login_lockout_seconds`, even against
//! the right password; a disabled account's tokens and logins are refused at once; Logout and
//! RevokeTokens revoke tokens; and no password ever reaches the audit log or the store.

use branchline_proto::v1::{
    DisableUserRequest, EnableUserRequest, IssueTokenRequest, RevokeTokensRequest, WhoAmIRequest,
    WhoAmIResponse,
};
use branchline_tests::hq::{launch_hq_with, HqHandle, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::hq_db::HqDb;
use branchline_tests::people::{
    account_client, add_account, add_person, all_audit_events, login, set_password, text_rows, Person,
};
use hq_server::config::ServeConfig;
use std::time::Duration;
use tonic::{Code, Status};

const WRONG_LOGIN: &str = "wrong user name or password";

/// The login limits of `config` set to `lockout_seconds` and `failures_per_address`.
fn login_limits(config: &mut ServeConfig, lockout_seconds: u64, failures_per_address: u32) {
    config.limits.login_lockout_seconds = lockout_seconds;
    config.limits.login_failures_per_address = failures_per_address;
}

/// HQ with org 001 and the login limits given.
async fn hq_with_limits(store: HqStoreKind, lockout_seconds: u64, failures_per_address: u32) -> HqHandle {
    let hq = launch_hq_with(store, |config| {
        login_limits(config, lockout_seconds, failures_per_address);
    })
    .await;
    hq.add_org("001", "集团").await.unwrap();
    hq
}

async fn who_am_i(hq: &HqHandle, token: &str) -> Result<WhoAmIResponse, Status> {
    let mut account = account_client(hq.url(), token).await;
    Ok(account.who_am_i(WhoAmIRequest {}).await?.into_inner())
}

fn assert_wrong_login(answer: Result<impl std::fmt::Debug, Status>, what: &str) {
    let refused = answer.expect_err(what);
    assert_eq!(refused.code(), Code::Unauthenticated, "{what}: {refused:?}");
    assert!(refused.message().contains(WRONG_LOGIN), "{what}: {refused:?}");
}

fn assert_locked(answer: Result<impl std::fmt::Debug, Status>, needles: &[&str]) {
    let refused = answer.expect_err("a locked login");
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    for needle in needles {
        assert!(
            refused.message().contains(needle),
            "{needle:?} missing: {refused:?}"
        );
    }
    let (_, until) = refused.message().rsplit_once("until ").expect("until when");
    let until = until.split_whitespace().next().unwrap_or_default();
    let until = until.trim_end_matches(|character: char| !character.is_ascii_alphanumeric());
    let parsed = chrono::DateTime::parse_from_rfc3339(until);
    assert!(parsed.is_ok(), "not an RFC 3339 time {until:?}: {refused:?}");
}

/// Five wrong passwords lock the account: the right one is refused too, naming the account
/// and until when; the lock shows in ListUsers and the audit log. A success resets the count.
async fn failures_lock_the_account(store: HqStoreKind) {
    let hq = hq_with_limits(store, 900, 100).await;
    let url = hq.url();
    let clerk = add_person(url, "clerk", "viewer", "001").await.unwrap();
    assert_wrong_login(login(url, "clerk", "not-the-password").await, "wrong password");
    assert_wrong_login(
        login(url, "nobody-here", "not-the-password").await,
        "unknown name",
    );
    for attempt in 2..=4 {
        assert_wrong_login(
            login(url, "clerk", "still-not-it").await,
            &format!("failure {attempt}"),
        );
    }
    let fifth = login(url, "clerk", "still-not-it").await.unwrap_err();
    assert!(
        matches!(fifth.code(), Code::Unauthenticated | Code::ResourceExhausted),
        "{fifth:?}"
    );
    assert_locked(
        login(url, "clerk", &clerk.password).await,
        &["clerk", "locked until"],
    );
    let users = account_client(url, TEST_ADMIN_TOKEN)
        .await
        .list_users(branchline_proto::v1::ListUsersRequest {})
        .await
        .unwrap()
        .into_inner()
        .users;
    let listed = users.iter().find(|user| user.name == "clerk").unwrap();
    assert!(!listed.locked_until.is_empty(), "{listed:?}");
    // The lock-out stops logins, not the tokens already issued.
    assert_eq!(who_am_i(&hq, &clerk.token).await.unwrap().name, "clerk");
    let events = all_audit_events(url).await.unwrap();
    let actions_of_clerk: Vec<&str> = events
        .iter()
        .filter(|event| event.actor == "clerk")
        .map(|event| event.action.as_str())
        .collect();
    assert!(actions_of_clerk.contains(&"login failed"), "{actions_of_clerk:?}");
    assert!(
        actions_of_clerk.contains(&"login refused: locked"),
        "{actions_of_clerk:?}"
    );

    let steady = add_person(url, "steady", "viewer", "001").await.unwrap();
    for _round in 0..2 {
        for _failure in 0..4 {
            assert_wrong_login(login(url, "steady", "a-wrong-guess").await, "steady's failure");
        }
        login(url, "steady", &steady.password)
            .await
            .expect("a success resets the count");
    }
}

/// With `limits.login_lockout_seconds = 1` the lock expires and the right password works.
async fn the_lock_expires(store: HqStoreKind) {
    let hq = hq_with_limits(store, 1, 20).await;
    let url = hq.url();
    let clerk = add_person(url, "clerk", "viewer", "001").await.unwrap();
    for _failure in 0..5 {
        let _ = login(url, "clerk", "not-the-password").await.unwrap_err();
    }
    assert_locked(
        login(url, "clerk", &clerk.password).await,
        &["clerk", "locked until"],
    );
    let mut answer = Err(Status::unknown("not tried"));
    for _attempt in 0..60 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        answer = login(url, "clerk", &clerk.password).await;
        match &answer {
            Err(refused) if refused.code() == Code::ResourceExhausted => continue,
            _ => break,
        }
    }
    let token = answer.expect("the lock expired").token;
    assert_eq!(who_am_i(&hq, &token).await.unwrap().name, "clerk");
}

/// Failures for different names from one address lock the address, whatever the name.
async fn failures_lock_the_address(store: HqStoreKind) {
    let hq = hq_with_limits(store, 900, 3).await;
    let url = hq.url();
    let clerk = add_person(url, "clerk", "viewer", "001").await.unwrap();
    for name in ["guess-1", "guess-2", "clerk"] {
        assert_wrong_login(login(url, name, "not-the-password").await, name);
    }
    let needles = ["too many failed logins from", "127.0.0.1", "until"];
    assert_locked(login(url, "clerk", &clerk.password).await, &needles);
    assert_locked(login(url, "someone-else", "whatever-it-is").await, &needles);
}

/// A disabled account's tokens (login and API) are refused at once, and it cannot log in;
/// enabled again, it logs in with a new token while the old ones stay refused.
async fn a_disabled_account_is_shut_out(store: HqStoreKind) {
    let hq = hq_with_limits(store, 900, 20).await;
    let url = hq.url();
    let leaver = add_person(url, "leaver", "operator", "001").await.unwrap();
    let mut bootstrap = account_client(url, TEST_ADMIN_TOKEN).await;
    let name = || "leaver".to_owned();
    let api_token = bootstrap
        .issue_token(IssueTokenRequest { name: name() })
        .await
        .unwrap()
        .into_inner()
        .token;
    for token in [&leaver.token, &api_token] {
        assert_eq!(who_am_i(&hq, token).await.unwrap().role, "operator");
    }
    bootstrap
        .disable_user(DisableUserRequest { name: name() })
        .await
        .unwrap();
    for token in [&leaver.token, &api_token] {
        let refused = who_am_i(&hq, token).await.unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
        let status = branchline_tests::hq::admin_client(url, token)
            .await
            .status(branchline_proto::v1::StatusRequest::default())
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    }
    assert_wrong_login(login(url, "leaver", &leaver.password).await, "a disabled account");

    // Enabled again, it logs in anew; the tokens its disabling revoked stay refused.
    bootstrap
        .enable_user(EnableUserRequest { name: name() })
        .await
        .unwrap();
    let back = login(url, "leaver", &leaver.password).await.unwrap();
    assert_eq!(who_am_i(&hq, &back.token).await.unwrap().name, "leaver");
    for token in [&leaver.token, &api_token] {
        let refused = who_am_i(&hq, token).await.unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    }
}

/// Logout revokes the calling token only; RevokeTokens revokes the rest and counts them. An
/// account without a password cannot log in, yet IssueToken gives it a working token.
async fn logout_and_revoke_tokens(store: HqStoreKind) {
    let hq = hq_with_limits(store, 900, 20).await;
    let url = hq.url();
    let worker = add_person(url, "worker", "viewer", "001").await.unwrap();
    let mut own = account_client(url, &worker.token).await;
    let issue = || IssueTokenRequest {
        name: "worker".into(),
    };
    let api_1 = own.issue_token(issue()).await.unwrap().into_inner().token;
    let api_2 = own.issue_token(issue()).await.unwrap().into_inner().token;
    own.logout(branchline_proto::v1::LogoutRequest {}).await.unwrap();
    let refused = who_am_i(&hq, &worker.token).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated, "after logout: {refused:?}");
    assert_eq!(who_am_i(&hq, &api_1).await.unwrap().name, "worker");
    let revoked = account_client(url, TEST_ADMIN_TOKEN)
        .await
        .revoke_tokens(RevokeTokensRequest {
            name: "worker".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .revoked;
    assert_eq!(
        revoked, 2,
        "the two API tokens (the login token was already revoked)"
    );
    for token in [&api_1, &api_2] {
        let refused = who_am_i(&hq, token).await.unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated, "after revoke: {refused:?}");
    }
    login(url, "worker", &worker.password)
        .await
        .expect("logging in again");

    add_account(url, "robot", "viewer", "001").await.unwrap();
    assert_wrong_login(login(url, "robot", "").await, "no password yet");
    assert_wrong_login(login(url, "robot", "any-password-1").await, "no password yet");
    let robot = account_client(url, TEST_ADMIN_TOKEN)
        .await
        .issue_token(IssueTokenRequest { name: "robot".into() })
        .await
        .unwrap()
        .into_inner()
        .token;
    assert_eq!(who_am_i(&hq, &robot).await.unwrap().name, "robot");
}

/// Passwords (right, wrong, replaced) appear nowhere: not in the audit log, not in any person
/// row, not in the SQLite file or its WAL; the stored hash is argon2's.
async fn passwords_are_never_stored(store: HqStoreKind) {
    let hq = hq_with_limits(store, 900, 20).await;
    let url = hq.url();
    let first: Person = add_person(url, "keeper", "admin", "001").await.unwrap();
    let replaced = "Replaced-Password-7731";
    let wrong = "Mistyped-Password-5512";
    set_password(url, "keeper", replaced).await.unwrap();
    assert_wrong_login(login(url, "keeper", wrong).await, "mistyped");
    let mut own = account_client(url, &first.token).await;
    let latest = "Latest-Password-9904";
    own.set_password(branchline_proto::v1::SetPasswordRequest {
        name: "keeper".into(),
        password: latest.into(),
    })
    .await
    .unwrap();
    login(url, "keeper", latest).await.expect("the latest password");
    let secrets = [first.password.as_str(), replaced, wrong, latest];
    for event in all_audit_events(url).await.unwrap() {
        let text = format!("{} {} {}", event.actor, event.action, event.detail);
        assert!(!secrets.iter().any(|secret| text.contains(secret)), "{event:?}");
    }
    let mut db = HqDb::connect(hq.db_url()).await.unwrap();
    let rows = [
        "SELECT name || ' ' || COALESCE(password_hash, '') FROM person",
        "SELECT actor || ' ' || action || ' ' || detail FROM audit",
        "SELECT person || ' ' || token_sha256 FROM person_token",
    ];
    for sql in rows {
        for row in text_rows(&mut db, sql).await.unwrap() {
            assert!(!secrets.iter().any(|secret| row.contains(secret)), "{sql}: {row}");
        }
    }
    let hashes = text_rows(&mut db, "SELECT COALESCE(password_hash, '') FROM person")
        .await
        .unwrap();
    assert!(
        hashes.iter().all(|hash| hash.starts_with("$argon2")),
        "{hashes:?}"
    );
    db.close().await.unwrap();
    if let Some(path) = hq.db_url().strip_prefix("sqlite://") {
        for file in [path.to_owned(), format!("{path}-wal")] {
            let Ok(bytes) = std::fs::read(&file) else { continue };
            for secret in secrets {
                let found = bytes
                    .windows(secret.len())
                    .any(|window| window == secret.as_bytes());
                assert!(!found, "{secret} in {file}");
            }
        }
    }
}

on_both_stores!(
    failures_lock_the_account,
    people_login_failures_lock_the_account_on_sqlite,
    people_login_failures_lock_the_account_on_postgres
);
on_both_stores!(
    the_lock_expires,
    people_login_lock_expires_on_sqlite,
    people_login_lock_expires_on_postgres
);
on_both_stores!(
    failures_lock_the_address,
    people_login_failures_lock_the_address_on_sqlite,
    people_login_failures_lock_the_address_on_postgres
);
on_both_stores!(
    a_disabled_account_is_shut_out,
    people_login_disabled_account_on_sqlite,
    people_login_disabled_account_on_postgres
);
on_both_stores!(
    logout_and_revoke_tokens,
    people_login_logout_and_revoke_on_sqlite,
    people_login_logout_and_revoke_on_postgres
);
on_both_stores!(
    passwords_are_never_stored,
    people_login_passwords_never_stored_on_sqlite,
    people_login_passwords_never_stored_on_postgres
);

//! `branch add` refuses counterparts that would route trade to the wrong branch: codes HQ's
//! master data does not hold, codes another branch already claims, a warehouse of another
//! branch, and a customer already in trade use unless adopted explicitly (audited). A refusal
//! changes nothing: a sale to that ordinary customer is still not routed.

use crate::hq_support::{batch, push, record, sales_out, setup_branch, wire};
use branchline_proto::v1::{AddBranchRequest, AuditRequest, ImportBaseDataRequest, RoutedListRequest};
use branchline_shared::{BaseKind, BaseRecord, EntryBody};
use branchline_tests::hq::{launch_hq, HqHandle, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::process::run;
use tonic::Code;

/// HQ with branch SZ (counterparts C-SZ, S-SZ, W-SZ), master customer C001 and org 001.009 free
/// for the new branch NB; NB's own counterparts C-NB, S-NB, W-NB are imported, not yet claimed.
async fn hq_with_sz(store: HqStoreKind) -> (HqHandle, String) {
    let hq = launch_hq(store).await;
    let sz_token = setup_branch(hq.url(), "SZ", "001.001").await;
    hq.add_org("001.009", "new branch").await.unwrap();
    hq.import(BaseKind::Customer, &[record(BaseKind::Customer, "C-NB")])
        .await
        .unwrap();
    hq.import(BaseKind::Supplier, &[record(BaseKind::Supplier, "S-NB")])
        .await
        .unwrap();
    let mut warehouse = record(BaseKind::Warehouse, "W-NB");
    warehouse.branch = "NB".into();
    let mut foreign = record(BaseKind::Warehouse, "W-GZ");
    foreign.branch = "GZ".into();
    hq.import(BaseKind::Warehouse, &[warehouse, foreign])
        .await
        .unwrap();
    (hq, sz_token)
}

fn nb(customer: &str, supplier: &str, warehouse: &str) -> AddBranchRequest {
    AddBranchRequest {
        code: "NB".into(),
        name: "new branch".into(),
        org: "001.009".into(),
        customer: customer.into(),
        supplier: supplier.into(),
        warehouse: warehouse.into(),
        mode: String::new(),
        adopt_existing: false,
    }
}

/// Refused with `code`, the message holding every one of `needles`; NB stays unregistered.
async fn assert_refused(hq: &HqHandle, request: AddBranchRequest, code: Code, needles: &[&str]) {
    let refused = hq.admin().await.add_branch(request).await.unwrap_err();
    assert_eq!(refused.code(), code, "{refused:?}");
    for needle in needles {
        assert!(
            refused.message().contains(needle),
            "{needle:?} missing: {}",
            refused.message()
        );
    }
    let statuses = hq.status().await.unwrap();
    assert!(
        statuses.iter().all(|status| status.branch != "NB"),
        "NB was registered"
    );
}

async fn unknown_codes_are_refused(store: HqStoreKind) {
    let (hq, _) = hq_with_sz(store).await;
    let hint = "hq-server admin import";
    for (request, kind, code) in [
        (nb("C-NONE", "S-NB", "W-NB"), "customer", "C-NONE"),
        (nb("C-NB", "S-NONE", "W-NB"), "supplier", "S-NONE"),
        (nb("C-NB", "S-NB", "W-NONE"), "warehouse", "W-NONE"),
    ] {
        let named = format!("counterpart {kind} {code} is not in HQ's master data");
        assert_refused(&hq, request, Code::FailedPrecondition, &[&named, hint]).await;
    }
    hq.admin()
        .await
        .add_branch(nb("C-NB", "S-NB", "W-NB"))
        .await
        .expect("imported counterparts");
}

async fn shared_codes_are_refused(store: HqStoreKind) {
    let (hq, _) = hq_with_sz(store).await;
    for request in [
        nb("C-SZ", "S-NB", "W-NB"),
        nb("C-NB", "S-SZ", "W-NB"),
        nb("C-NB", "S-NB", "W-SZ"),
    ] {
        assert_refused(
            &hq,
            request,
            Code::AlreadyExists,
            &["already branch SZ's counterpart"],
        )
        .await;
    }
}

async fn warehouse_of_another_branch_is_refused(store: HqStoreKind) {
    let (hq, _) = hq_with_sz(store).await;
    let named = "counterpart warehouse W-GZ belongs to branch GZ";
    assert_refused(
        &hq,
        nb("C-NB", "S-NB", "W-GZ"),
        Code::FailedPrecondition,
        &[named],
    )
    .await;

    // Nor can a later warehouse import hand SZ's counterpart warehouse to another branch.
    let mut reassigned = record(BaseKind::Warehouse, "W-SZ");
    reassigned.branch = "GZ".into();
    let import = |record: &BaseRecord| ImportBaseDataRequest {
        kind: "warehouse".into(),
        records: vec![record.into()],
    };
    let mut admin = hq.admin().await;
    let refused = admin.import_base_data(import(&reassigned)).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    let named =
        "warehouse W-SZ is branch SZ's counterpart warehouse: the import cannot assign it to branch GZ";
    assert_eq!(refused.message(), named);
    reassigned.branch = "SZ".into();
    admin
        .import_base_data(import(&reassigned))
        .await
        .expect("the warehouse stays SZ's");
}

/// Routed trades HQ lists.
async fn routed(hq: &HqHandle) -> Vec<(String, String)> {
    let trades = hq
        .admin()
        .await
        .routed_list(RoutedListRequest::default())
        .await
        .unwrap();
    let trades = trades.into_inner().trades;
    trades
        .into_iter()
        .map(|trade| (trade.source_number, trade.target_branch))
        .collect()
}

async fn customer_in_trade_use_needs_adoption(store: HqStoreKind) {
    let (hq, sz_token) = hq_with_sz(store).await;
    let mut sz = hq.transfer(&sz_token).await;
    let sale = |number: &str, seq| wire(seq, EntryBody::Document(sales_out(number, "SZ", "C001", "2")));
    push(&mut sz, batch("SZ", 1, vec![sale("SZ-1", 1)]))
        .await
        .unwrap();

    let refused = ["customer C001 is in trade use", "1 documents", "--adopt-existing"];
    assert_refused(
        &hq,
        nb("C001", "S-NB", "W-NB"),
        Code::FailedPrecondition,
        &refused,
    )
    .await;
    // The refused add changed nothing: a sale to the ordinary customer C001 is not routed.
    push(&mut sz, batch("SZ", 1, vec![sale("SZ-2", 2)]))
        .await
        .unwrap();
    assert_eq!(routed(&hq).await, [], "a sale to an ordinary customer was routed");

    // With --adopt-existing (the CLI flag) the customer becomes NB's counterpart, audited.
    let added = run(
        "hq-server",
        [
            "admin",
            "--hq",
            hq.url(),
            "--token",
            TEST_ADMIN_TOKEN,
            "branch",
            "add",
            "NB",
            "--name",
            "nb",
            "--org",
            "001.009",
            "--customer",
            "C001",
            "--supplier",
            "S-NB",
            "--warehouse",
            "W-NB",
            "--adopt-existing",
        ],
    )
    .unwrap()
    .expect_ok();
    assert_eq!(added.last_line().len(), 64, "{}", added.stdout);
    let events = hq
        .admin()
        .await
        .audit(AuditRequest::default())
        .await
        .unwrap()
        .into_inner()
        .events;
    let adopted: Vec<_> = events
        .iter()
        .filter(|event| event.action == "counterpart adopt")
        .collect();
    assert_eq!(adopted.len(), 1, "{events:?}");
    for needle in ["customer C001", "branch NB", "2 documents"] {
        assert!(
            adopted[0].detail.contains(needle),
            "{needle:?}: {}",
            adopted[0].detail
        );
    }
    push(&mut sz, batch("SZ", 1, vec![sale("SZ-3", 3)]))
        .await
        .unwrap();
    assert_eq!(routed(&hq).await, [("SZ-3".to_owned(), "NB".to_owned())]);
}

on_both_stores!(
    unknown_codes_are_refused,
    branch_counterparts_unknown_codes_are_refused_on_sqlite,
    branch_counterparts_unknown_codes_are_refused_on_postgres
);
on_both_stores!(
    shared_codes_are_refused,
    branch_counterparts_shared_codes_are_refused_on_sqlite,
    branch_counterparts_shared_codes_are_refused_on_postgres
);
on_both_stores!(
    warehouse_of_another_branch_is_refused,
    branch_counterparts_warehouse_of_another_branch_is_refused_on_sqlite,
    branch_counterparts_warehouse_of_another_branch_is_refused_on_postgres
);
on_both_stores!(
    customer_in_trade_use_needs_adoption,
    branch_counterparts_customer_in_trade_use_needs_adoption_on_sqlite,
    branch_counterparts_customer_in_trade_use_needs_adoption_on_postgres
);

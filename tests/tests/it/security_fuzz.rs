//! README, "What is guaranteed": bounded property tests: arbitrary bytes and arbitrary well-formed-but-wrong
//! messages through decode → validate → apply — bundle and template files (`decode_container`,
//! HQ's `decode_bundle`), wire entries (`TryFrom`) and HQ ingestion through the real server —
//! never panic, and a refused push changes nothing at HQ.

use crate::hq_support::{batch, bundle_file, push, sales_out, setup_branch};
use branchline_proto::v1;
use branchline_shared::{decode_container, ContainerKind, EntryBody, OutboxEntry};
use branchline_tests::agent::hq_totals;
use branchline_tests::hq::{launch_hq, HqStoreKind};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use prost::Message;

/// Strings that look like field values: codes, decimals (good, over-precise, malformed), dates.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("P001".to_owned()),
        Just("C001".to_owned()),
        Just("SZ-W".to_owned()),
        Just("P999".to_owned()),
        Just("sales-out".to_owned()),
        Just("purchase-in".to_owned()),
        Just("2026-01-05".to_owned()),
        Just("2026-02-30".to_owned()),
        Just("1".to_owned()),
        Just("-3".to_owned()),
        Just("0".to_owned()),
        Just("21.50".to_owned()),
        Just("0.123456789".to_owned()),
        Just("1e5".to_owned()),
        Just("NaN".to_owned()),
        Just("99999999999999999999999999999".to_owned()),
        "[ -~]{0,12}",
        "\\PC{0,6}",
    ]
}

fn wire_line() -> impl Strategy<Value = v1::DocLine> {
    (field(), field(), field(), field(), field()).prop_map(|(product, qty, price, discount, tax_rate)| {
        v1::DocLine {
            product,
            qty,
            price,
            discount,
            tax_rate,
        }
    })
}

fn wire_entry() -> impl Strategy<Value = v1::OutboxEntry> {
    let document = (
        field(),
        field(),
        field(),
        field(),
        field(),
        field(),
        prop::collection::vec(wire_line(), 0..4),
        field(),
        field(),
    )
        .prop_map(
            |(number, doc_type, date, partner, warehouse, red_of, lines, link_branch, link_number)| {
                v1::outbox_entry::Body::Document(v1::Document {
                    number,
                    doc_type,
                    date,
                    partner,
                    warehouse,
                    to_warehouse: String::new(),
                    red_of,
                    lines,
                    link_branch,
                    link_number,
                })
            },
        );
    let record = (field(), field(), field(), field(), field(), field()).prop_map(
        |(kind, code, name, unit, price, branch)| {
            v1::outbox_entry::Body::BaseRecord(v1::BaseRecord {
                kind,
                code,
                name,
                unit,
                price,
                branch,
            })
        },
    );
    let rejection =
        (field(), field(), field(), field()).prop_map(|(number, link_branch, link_number, reason)| {
            v1::outbox_entry::Body::Rejection(v1::DocRejection {
                number,
                link_branch,
                link_number,
                reason,
            })
        });
    (
        0u64..6,
        prop::option::weighted(0.9, prop_oneof![document, record, rejection]),
    )
        .prop_map(|(seq, body)| v1::OutboxEntry { seq, body })
}

fn valid_bundle() -> Vec<u8> {
    bundle_file(
        "SZ",
        1,
        &[
            (1, EntryBody::Document(sales_out("SZ-1", "SZ", "C001", "2"))),
            (2, EntryBody::Document(sales_out("SZ-2", "SZ", "C001", "3"))),
        ],
    )
}

#[test]
fn security_fuzz_files_and_wire_entries_never_panic() {
    let bundle = valid_bundle();
    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    // Arbitrary bytes, and a valid bundle with bytes flipped, inserted or cut.
    let bytes = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        (0..bundle.len(), any::<u8>(), 0u8..3).prop_map(move |(position, byte, how)| {
            let mut copy = bundle.clone();
            match how {
                0 => copy[position] ^= byte.max(1),
                1 => copy.insert(position, byte),
                _ => copy.truncate(position),
            }
            copy
        }),
    ];
    runner
        .run(&bytes, |bytes| {
            let _ = decode_container(&bytes, ContainerKind::Bundle);
            let _ = decode_container(&bytes, ContainerKind::Template);
            if let Ok(bundle) = hq_server::bundle::decode_bundle(&bytes, 100) {
                prop_assert_eq!(bundle.source, "SZ");
            }
            let _ = v1::PushBatch::decode(bytes.as_slice());
            Ok(())
        })
        .unwrap();

    // Well-formed wire entries with wrong contents: conversion and validation return errors.
    runner
        .run(&wire_entry(), |entry| {
            if let Ok(OutboxEntry {
                body: EntryBody::Document(document),
                ..
            }) = OutboxEntry::try_from(&entry)
            {
                let _ = document.validate();
                let _ = document.content_checksum();
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn security_fuzz_hq_ingestion_is_all_or_nothing() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (hq, client) = runtime.block_on(async {
        let hq = launch_hq(HqStoreKind::Sqlite).await;
        let token = setup_branch(hq.url(), "SZ", "001.001").await;
        let client = hq.transfer(&token).await;
        (hq, client)
    });
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let batches = (1u64..3, prop::collection::vec(wire_entry(), 0..6));
    runner
        .run(&batches, |(epoch, entries)| {
            runtime.block_on(async {
                let before_totals = hq_totals(hq.db_url(), "SZ").await.unwrap();
                let before = hq.status().await.unwrap();
                let n_entries = entries.len() as u64;
                let mut client = client.clone();
                let result = push(&mut client, batch("SZ", epoch, entries)).await;
                let after_totals = hq_totals(hq.db_url(), "SZ").await.unwrap();
                let after = hq.status().await.unwrap();
                match result {
                    Err(status) => {
                        prop_assert_ne!(status.code(), tonic::Code::Internal, "{:?}", status);
                        prop_assert_eq!(&before_totals, &after_totals);
                        prop_assert_eq!(before[0].last_seq, after[0].last_seq);
                        prop_assert_eq!(before[0].quarantined, after[0].quarantined);
                    }
                    Ok(ack) => {
                        let accounted = u64::from(ack.applied + ack.duplicates + ack.quarantined);
                        prop_assert!(accounted <= n_entries, "{:?}", ack);
                        prop_assert_eq!(ack.acked_seq, after[0].last_seq);
                        prop_assert_eq!(
                            after[0].quarantined - before[0].quarantined,
                            u64::from(ack.quarantined)
                        );
                    }
                }
                Ok(())
            })
        })
        .unwrap();
    runtime.block_on(hq.shutdown()).unwrap();
}

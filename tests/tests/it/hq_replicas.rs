//! Two `hq-server` processes on one PostgreSQL database: a branch's pushes alternate between
//! them, and the same batch sent to both at once, still apply everything exactly once; templates
//! published through both at once all reach the branch's inbox, in one gapless order.

use crate::hq_support::{assert_hq_holds, batch, push, sales_out, setup_branch, wire};
use branchline_proto::v1::{CreateTemplateRequest, PublishTemplateRequest, PullRequest};
use branchline_proto::PROTOCOL_VERSION;
use branchline_shared::{Document, EntryBody};
use branchline_tests::hq::{
    admin_client, spawn_hq_process, status, transfer_client, HqStoreKind, TEST_ADMIN_TOKEN,
};

const N_BATCHES: u64 = 12;
const ENTRIES_PER_BATCH: u64 = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_two_replicas_on_postgres_apply_exactly_once() {
    let Some(HqStoreKind::Url(db_url)) = HqStoreKind::postgres("hq_two_replicas_on_postgres").await else {
        return;
    };
    let replica_a = spawn_hq_process(&db_url).expect("replica A");
    let replica_b = spawn_hq_process(&db_url).expect("replica B");
    let token = setup_branch(&replica_a.url, "SZ", "001.001").await;
    let mut client_a = transfer_client(&replica_a.url, &token).await;
    let mut client_b = transfer_client(&replica_b.url, &token).await;

    let mut documents: Vec<Document> = Vec::new();
    for batch_idx in 0..N_BATCHES {
        let first_seq = batch_idx * ENTRIES_PER_BATCH + 1;
        let entries: Vec<_> = (first_seq..first_seq + ENTRIES_PER_BATCH)
            .map(|seq| {
                let document = sales_out(&format!("SZ-{seq}"), "SZ", "C001", &seq.to_string());
                documents.push(document.clone());
                wire(seq, EntryBody::Document(document))
            })
            .collect();
        let last_seq = first_seq + ENTRIES_PER_BATCH - 1;
        if batch_idx % 3 == 2 {
            // The same batch to both replicas at once (a retry racing the original).
            let (ack_a, ack_b) = tokio::join!(
                push(&mut client_a, batch("SZ", 1, entries.clone())),
                push(&mut client_b, batch("SZ", 1, entries))
            );
            let (ack_a, ack_b) = (ack_a.expect("push to A"), ack_b.expect("push to B"));
            assert_eq!(
                ack_a.applied + ack_b.applied,
                ENTRIES_PER_BATCH as u32,
                "applied once in total"
            );
            assert_eq!(ack_a.duplicates + ack_b.duplicates, ENTRIES_PER_BATCH as u32);
            assert_eq!((ack_a.acked_seq, ack_b.acked_seq), (last_seq, last_seq));
        } else {
            let client = if batch_idx % 2 == 0 {
                &mut client_a
            } else {
                &mut client_b
            };
            let ack = push(client, batch("SZ", 1, entries.clone())).await.expect("push");
            assert_eq!((ack.applied, ack.acked_seq), (ENTRIES_PER_BATCH as u32, last_seq));
            // The lost-ack resend lands on the other replica.
            let other = if batch_idx % 2 == 0 {
                &mut client_b
            } else {
                &mut client_a
            };
            let resend = push(other, batch("SZ", 1, entries)).await.expect("resend");
            assert_eq!((resend.applied, resend.duplicates), (0, ENTRIES_PER_BATCH as u32));
        }
    }
    let held: Vec<&Document> = documents.iter().collect();
    assert_hq_holds(&db_url, "SZ", &held).await;
    for url in [&replica_a.url, &replica_b.url] {
        let branches = status(url).await.unwrap();
        assert_eq!(branches[0].last_seq, N_BATCHES * ENTRIES_PER_BATCH);
        assert_eq!((branches[0].conflicts, branches[0].quarantined), (0, 0));
    }
}

const TEMPLATES_PER_REPLICA: usize = 25;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_two_replicas_publishing_at_once_fill_one_gapless_inbox() {
    let Some(HqStoreKind::Url(db_url)) = HqStoreKind::postgres("hq_two_replicas_inbox").await else {
        return;
    };
    let replicas = [
        spawn_hq_process(&db_url).expect("replica A"),
        spawn_hq_process(&db_url).expect("replica B"),
    ];
    let token = setup_branch(&replicas[0].url, "SZ", "001.001").await;
    let publishers = replicas.iter().enumerate().map(|(replica_idx, replica)| {
        let url = replica.url.clone();
        tokio::spawn(async move {
            let mut admin = admin_client(&url, TEST_ADMIN_TOKEN).await;
            for template_idx in 0..TEMPLATES_PER_REPLICA {
                let name = format!("catalog-{replica_idx}-{template_idx}");
                let create = CreateTemplateRequest {
                    name: name.clone(),
                    kinds: vec!["product".into()],
                    codes: vec![],
                };
                admin.create_template(create).await.expect("create template");
                let publish = PublishTemplateRequest {
                    name,
                    orgs: vec!["001".into()],
                };
                let published = admin.publish_template(publish).await.expect("publish template");
                assert_eq!(published.into_inner().branches, ["SZ"]);
            }
        })
    });
    for publisher in publishers.collect::<Vec<_>>() {
        publisher.await.expect("publisher");
    }
    let mut client = transfer_client(&replicas[1].url, &token).await;
    let page = client
        .pull(PullRequest {
            protocol_version: PROTOCOL_VERSION,
            after_seq: 0,
            max_entries: 1_000,
            branch: "SZ".into(),
        })
        .await
        .expect("pull")
        .into_inner();
    let seqs: Vec<u64> = page.entries.iter().map(|entry| entry.seq).collect();
    let expected: Vec<u64> = (1..=2 * TEMPLATES_PER_REPLICA as u64).collect();
    assert_eq!(seqs, expected, "the inbox is not one gapless sequence");
}

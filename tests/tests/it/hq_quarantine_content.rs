//! A quarantined entry is listed with its content as HQ holds it: the document with its lines,
//! as JSON text that reads back as the very entry the branch sent; an entry that was malformed
//! when it arrived has none (there is nothing HQ could read).

use crate::hq_support::{batch, counts, push, sales_out, setup_branch, wire};
use branchline_proto::v1;
use branchline_shared::EntryBody;
use branchline_tests::hq::{launch_hq, HqStoreKind};

async fn quarantined_entries_carry_their_content(store: HqStoreKind) {
    let hq = launch_hq(store).await;
    let token = setup_branch(hq.url(), "SZ", "001.002").await;
    let mut unknown_product = sales_out("SZ-1", "SZ", "C001", "2");
    unknown_product.lines[0].product = "P999".into();
    let sent = EntryBody::Document(unknown_product);
    let mut malformed = wire(2, EntryBody::Document(sales_out("SZ-2", "SZ", "C001", "1")));
    if let Some(v1::outbox_entry::Body::Document(document)) = &mut malformed.body {
        document.lines[0].qty = "1e5".into();
    }
    let mut transfer = hq.transfer(&token).await;
    let ack = push(
        &mut transfer,
        batch("SZ", 1, vec![wire(1, sent.clone()), malformed]),
    )
    .await
    .unwrap();
    assert_eq!(counts(&ack), (0, 0, 2, 2));

    let quarantined = hq.quarantine().await.unwrap();
    assert_eq!(quarantined.len(), 2, "{quarantined:?}");
    let held: EntryBody = serde_json::from_str(&quarantined[0].content)
        .unwrap_or_else(|error| panic!("{error}: {}", quarantined[0].content));
    assert_eq!(held, sent);
    assert!(
        quarantined[0].content.contains("\"P999\""),
        "{}",
        quarantined[0].content
    );
    assert_eq!(quarantined[1].content, "", "a malformed entry has no content");
    hq.shutdown().await.unwrap();
}

on_both_stores!(
    quarantined_entries_carry_their_content,
    hq_quarantined_entries_carry_their_content_on_sqlite,
    hq_quarantined_entries_carry_their_content_on_postgres
);

//! The daily close (日结对账, README "HQ administrator's guide"): a branch's business day whose
//! figures matched at the ledger and at HQ. `figures` computes HQ's side of a day from the
//! documents it stored; `register` records closes, lists them and reopens a closed day when a
//! document dated on it arrives (in that ingestion's transaction).

pub mod figures;
pub mod register;

//! Test harness: ledger (filled in by its owner).

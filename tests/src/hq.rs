//! Test harness: hq (filled in by its owner).

//! Test harness: postgres (filled in by its owner).

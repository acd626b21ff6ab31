//! Test harness: agent (filled in by its owner).

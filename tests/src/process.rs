//! Test harness: process (filled in by its owner).

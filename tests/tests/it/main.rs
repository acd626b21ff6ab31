//! The integration test binary: every module here drives real components through the harness.

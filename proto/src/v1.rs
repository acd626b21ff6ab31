//! The code `tonic-prost-build` generates from `proto/*.proto` (package `branchline.v1`).

tonic::include_proto!("branchline.v1");

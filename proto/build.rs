//! Compiles `proto/branchline/v1/*.proto` with protox (pure Rust, no system `protoc`)
//! and writes the descriptor set used by server reflection.
use prost::Message;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/branchline/v1/common.proto",
        "proto/branchline/v1/transfer.proto",
        "proto/branchline/v1/admin.proto",
        "proto/branchline/v1/report.proto",
        "proto/branchline/v1/account.proto",
        "proto/branchline/v1/commission.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptor_set = protox::compile(files, ["proto"])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("branchline_descriptor.bin"),
        descriptor_set.encode_to_vec(),
    )?;
    tonic_prost_build::configure().compile_fds(descriptor_set)?;
    Ok(())
}

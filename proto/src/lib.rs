//! The Branchline wire contract (`branchline.v1`): generated gRPC types and services.
//!
//! Only the gRPC edges (`hq-server`'s services and `transfer-agent`'s client) use these types;
//! everything else works with `branchline-shared` types. Conversions live in `convert`.

/// Protocol version spoken by this build; a peer with another version is refused
/// with FAILED_PRECONDITION naming both.
pub const PROTOCOL_VERSION: u32 = 1;

/// Serialized `FileDescriptorSet` of every Branchline proto, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/branchline_descriptor.bin"));

/// The generated messages, clients and servers. Lints are silenced for generated code only.
#[allow(unreachable_pub, clippy::all, clippy::pedantic)]
pub mod v1;

pub mod convert;
pub use convert::WireError;

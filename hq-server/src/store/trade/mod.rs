//! Inter-branch trade and the branch inbox: routing a trade document to the other branch
//! (`routing`), the branches as trading partners (`counterpart`), the register of routed trades
//! (`register`), and the inbox each branch pulls (`inbox`) and HQ fills (`inbox_queue`).

pub(crate) mod counterpart;
pub mod inbox;
pub(crate) mod inbox_queue;
pub mod register;
pub(crate) mod routing;

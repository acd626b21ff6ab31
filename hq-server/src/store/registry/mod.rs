//! Who and what HQ knows: organizations and branches (`branches`) and their status (`status`), the audit
//! log (`audit`), people at HQ and their tokens (`people`), the rules a branch's counterpart codes must pass (`counterpart_check`), branch
//! credentials (`credential`) and bearer tokens' digests (`token`), HQ master data (`master`), monthly sales targets (`target`), stock limits (`stock_limit`),
//! templates of master data published to branches (`template`) and their rollout, which branch
//! applied which version (`template_rollout`), and the organization tree as listed (`tree`).

pub mod audit;
pub mod branches;
pub mod counterpart_check;
pub mod credential;
pub mod master;
pub mod people;
pub mod status;
pub mod stock_limit;
pub mod target;
pub mod template;
pub mod template_rollout;
pub mod token;
pub mod tree;

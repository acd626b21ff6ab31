//! What HQ's alerts keep in the store (README "Alerts"): the facts each rule is judged on,
//! which rule fires for which branch (`firing`), and the messages owed to webhooks (`outbox`).
//! Every replica evaluates; the store makes each start, clear and delivery happen once.

pub mod facts;
pub mod firing;
pub mod outbox;

//! The use cases, one module each: what the HTTP handlers and the CLI call
//! once they have parsed their input. A service takes the store
//! (`&dyn Store`) and the index registry ([`Indexes`](crate::index::Indexes))
//! and knows nothing of serving HTTP (the webhook worker is an HTTP
//! client, through reqwest, and nothing more).
//!
//! ```text
//! http / CLI ──► service::{ingest, import, publish, export, coding, tokens, retention,
//!                  invitations, cases, alerts, webhooks,
//!                  safeguarding, places, funnel, proof, secrets, intercoder,
//!                  sessions, actions, learning}
//!                   ├──► store (durable)
//!                   └──► index (in memory)
//! ```

pub mod actions;
pub mod alerts;
pub mod background;
pub mod cases;
pub mod coding;
pub mod export;
pub mod funnel;
pub mod import;
pub mod ingest;
pub mod intercoder;
pub mod invitations;
pub mod learning;
pub mod places;
pub mod proof;
pub mod publish;
pub mod retention;
pub mod safeguarding;
pub mod secrets;
pub mod sessions;
pub mod tags;
pub mod tokens;
pub mod webhooks;

//! The use cases, one module each: what the HTTP handlers and the CLI call
//! once they have parsed their input. A service takes the store
//! (`&dyn Store`) and the index registry ([`Indexes`](crate::index::Indexes))
//! and knows nothing of HTTP.
//!
//! ```text
//! http / CLI ──► service::{ingest, import, publish, export, coding, tokens, retention,
//!                 safeguarding}
//!                   ├──► store (durable)
//!                   └──► index (in memory)
//! ```

pub mod coding;
pub mod export;
pub mod import;
pub mod ingest;
pub mod publish;
pub mod retention;
pub mod safeguarding;
pub mod tokens;

//! Collector integration tests: a real sled database in a temp dir, the
//! real router over a real socket on 127.0.0.1.

mod access;
mod analytics;
mod api;
mod backup;
mod common;
mod crash;
mod csv_export;
mod durability;
mod errors;
mod examples;
mod limits;
mod ops;
mod retention;
mod safeguarding;
mod security_headers;
mod store_conformance;
mod text_coding;

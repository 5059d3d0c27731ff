//! Collector integration tests: a real sled database in a temp dir, the
//! real router over a real socket on 127.0.0.1.

mod analytics;
mod api;
mod common;
mod csv_export;
mod durability;
mod errors;
mod examples;
mod limits;
mod store_conformance;
mod text_coding;

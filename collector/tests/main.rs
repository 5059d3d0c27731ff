//! Collector integration tests: a real sled database in a temp dir, the
//! real router over a real socket on 127.0.0.1.

mod access;
mod alert_stream;
mod analytics;
mod api;
mod backup;
mod cli;
mod common;
mod crash;
mod csv_export;
mod dashboard;
mod durability;
mod errors;
mod examples;
mod funnel;
mod hooks;
mod learning;
mod limits;
mod ops;
mod places;
mod posters;
mod proof;
mod recovery;
mod retention;
mod safeguarding;
mod security_headers;
mod store_conformance;
mod teams;
mod text_coding;

//! End-to-end tests, compiled as one binary. Each module owns one area.

mod browser;

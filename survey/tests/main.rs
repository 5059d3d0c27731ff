//! Integration tests of the shared form model, compiled as one binary.
//!
//! - `examples`: the published forms in `examples/forms` parse, pass
//!   `check_form`, round-trip, and say what the real surveys must say.
//! - `wire`: JSON fixtures of submissions as posted, accepted or rejected
//!   with the exact field and code (`fixtures/valid`, `fixtures/invalid`).
//! - `show_if`: skip logic, including chains.
//! - `check`: `check_form` catching broken form definitions.
//! - `read`: reading a form from JSON, and the path of each fault.
//! - `safeguarding`: the safeguarding section read, checked and matched.
//! - `safeguarding_eval`: the shipped phrase lists on the labelled sets,
//!   held to the false-positive and miss figures the README states.
//! - `props`: property tests that validation never panics and only blames
//!   fields that exist.

mod check;
mod examples;
mod props;
mod read;
mod safeguarding;
mod safeguarding_eval;
mod show_if;
mod util;
mod wire;

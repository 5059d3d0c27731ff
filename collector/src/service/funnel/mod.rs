//! Response rates and drop-off: which places and channels bring answers,
//! and where people give up.
//!
//! The widget and the hosted page say when a form is shown (`view`), first
//! answered (`start`) and left part-way (`leave`, with the furthest question
//! answered); the collector itself counts a `complete` when it stores a
//! response for the first time, so completions are exact and cannot be
//! sent in. Nothing says who: each event only adds one to a count of its
//! (form, version, day, place, channel, language, step, question).
//!
//! ```text
//! POST /api/v1/events ─► event::key ─┐
//! GET /f/{form}  ─► event::view ─────┼─► Tally (memory, capped) ─every second─► store.add_counts
//! ingest::record ─► event::completion┘          └──────────────┬──────────────────┘
//! GET …/funnel ─► query::funnel ◄── Tally::counts (stored + not yet flushed)
//! ```

mod event;
mod query;
mod tally;

pub use event::{completion, implied_start, key, view};
pub use query::{funnel, By, Figures, Funnel, FunnelQuery, Group, Stop};
pub use tally::{run, Tally, FLUSH_EVERY, MAX_KEYS};

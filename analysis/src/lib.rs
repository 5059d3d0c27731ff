//! Analysis of responses: sentiment, themes, statistics and disclosure
//! control, for the collector.
//!
//! The collector calls this crate when it stores a response (sentiment and
//! theme codes for each free-text answer) and when it answers aggregate
//! queries (Wilson intervals, financial-year quarters, control charts,
//! small-cell suppression, agreement between automatic and manual codes).
//!
//! ```text
//! free text ─► sentiment::Scorer, themes::Coder ─► compound, Label, theme ids (stored)
//! index counts ─► stats, suppress, agreement ─► intervals, charts, shown cells, kappa
//! ```
//!
//! Everything here is pure computation over values the caller passes in: no
//! I/O, no clocks, no global state, so the same inputs give the same
//! figures on every collector instance.
//!
//! - [`sentiment`]: VADER (parity with Python `vaderSentiment` 3.3.2) plus a
//!   versioned policing and community-safety lexicon layer.
//! - [`themes`]: codes answers against a form's codebook on word stems.
//! - [`stats`]: proportions, scales, periods and control charts.
//! - [`suppress`]: primary and secondary suppression of small cells.
//! - [`agreement`]: Cohen's kappa between automatic and manual codes.
//! - [`theme_model`]: the shipped theme model, trained on the development
//!   comments, whose finds are added to the codebook's.
//! - [`learn`], [`choose`]: theme models learned from analysts' codes, and
//!   per theme the coder (codebook or model) that agrees better with them.
//! - [`label_model`], [`flag_model`]: the shipped sentiment label and
//!   mixed and actionable flags, trained on the development comments.
//! - [`sentiment_model`], [`mixed_model`], [`signals`]: the learned
//!   sentiment label a deployment retrains with its analysts' labels, the
//!   mixed signal, trained on the development comments, and the rules
//!   (mixed, actionable) they start from or stand beside.

#![deny(missing_docs)]

mod dev_set;
mod negation;
mod text;
mod voice;

pub mod agreement;
pub mod choose;
pub mod flag_model;
pub mod label_model;
pub mod learn;
pub mod mixed_model;
pub mod sentiment;
pub mod sentiment_model;
pub mod signals;
pub mod stacking;
pub mod stats;
pub mod suppress;
pub mod svm;
pub mod theme_model;
pub mod themes;

pub use agreement::Agreement;
pub use choose::{Choice, ThemeChoice};
pub use flag_model::{Flags, ShippedFlags};
pub use label_model::ShippedLabel;
pub use learn::{Featurizer, ThemeModel, Training};
pub use mixed_model::MixedModel;
pub use sentiment::{Label, Lexicon, Scorer, Sentiment, DOMAIN_LEXICON_VERSION};
pub use sentiment_model::{LabelChoice, SentimentModel};
pub use signals::Clauses;
pub use stats::{
    wilson, Change, ControlChart, FiscalQuarter, MonthlyMean, Period, Proportion, ScaleSummary,
};
pub use suppress::{Linked, Protected, Table};
pub use theme_model::ShippedThemes;
pub use themes::Coder;

/// What can go wrong in this crate.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Error {
    /// A lexicon file or JSON object is malformed.
    #[error("lexicon line {line}: {message}")]
    Lexicon {
        /// 1-based line number (0 when not from a file).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A table to suppress is malformed.
    #[error("table: {0}")]
    Table(String),
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    /// The collector builds one scorer and one coder per form and shares
    /// them between request handlers.
    #[test]
    fn scorers_and_coders_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<crate::Scorer>();
        shared::<crate::Coder>();
        shared::<crate::Lexicon>();
    }
}

//! The form model shared by the collector and the widget.
//!
//! A [`Form`] is a versioned JSON document: questions of a few kinds, skip
//! logic (`show_if`), every user-facing string plain or per language, the
//! partner origins allowed to embed it, and optionally a codebook and alert
//! rules for the collector's analysis, and safeguarding phrases with the
//! support numbers to show when free text matches them. A [`Submission`] is what a person
//! sends; [`validate`] checks it against one form version and returns every
//! problem at once, each naming the field at fault.
//!
//! ```text
//! form JSON ─► Form ─┬─► widget / hosted page (render, show_if)
//!                    └─► validate(Form, Submission) ─► Valid | [Problem] (both sides)
//! ```
//!
//! This crate does no I/O, so the browser and the server run exactly the
//! same rules. A form is read from a parsed JSON value ([`Form::from_value`]),
//! whichever parser made it.
#![deny(missing_docs)]

mod check;
mod form;
mod read;
mod safeguard;
mod submission;
mod text;
mod validate;

pub use check::{check_form, FormProblem};
pub use form::{
    AlertCondition, AlertRule, ChoiceOption, Codebook, Draw, Form, Headline, Kind, OneQuestion,
    Place, PlaceLevel, Question, ScaleLabel, SentimentLabel, ShowIf, Theme, UNKNOWN_PLACE,
};
pub use read::ReadError;
pub use safeguard::{normalise, Category, Contact, Matched, Matcher, PhraseList, Safeguarding};
pub use submission::{Answer, Atom, Submission};
pub use text::Text;
pub use validate::{
    is_channel, is_known_place, validate, validate_codes, validate_json, Problem, ProblemKind,
    Valid,
};

/// Longest free-text answer any form may allow, in characters.
pub const MAX_TEXT_LENGTH: usize = 5000;

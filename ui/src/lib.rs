//! What the widget and the collector's hosted page (the no-JavaScript
//! form) both show around a form's own questions: the words, in every
//! language a form ships in, and the stylesheet. One copy, so a person
//! sees the same wording and look whichever of the two they get.
//!
//! ```text
//! i18n::strings(lang), style ─┬─► widget (Yew components)
//!                             └─► collector's hosted page (server-rendered HTML)
//! ```

pub mod i18n;
pub mod results;
pub mod style;

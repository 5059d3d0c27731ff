//! The shipped theme model: a [`ThemeModel`] over word stems, stem pairs
//! and character 4-grams ([`Featurizer::features`]), trained on
//! every development comment (the frozen set's `dev` part and all the
//! extra development comments, compiled in; no held-out comment is read
//! here), whose finds are added to the codebook's. A theme is given when
//! a codebook phrase finds it *or* the model does.
//!
//! ```text
//! text ─► codebook phrases ────────────────────────────────────────┐
//!      └─► stems, pairs, 4-grams ─► one Binary per theme ≥ 0.35 ─┴─► union, kept to the form's themes
//! ```
//!
//! Why a union: the codebooks find what their phrases say, and people say
//! the same thing in words no phrase lists ("Police? What police", "the
//! flat that had people in and out all night got shut down"). Tuning the
//! phrases further did not carry to comments written apart from them
//! (codebooks version 4, tuned on the 595 later development comments:
//! test part 0.765 against version 3's 0.775, fresh set 0.639 against
//! 0.626; not shipped). The model alone finds too little (recall about
//! 0.5) but is rarely wrong where it finds (precision about 0.88), so
//! it adds what the phrases miss. Chosen by 5-fold cross-validation on
//! the development comments (micro-F1 0.752 for the codebooks, 0.770 for
//! the union, `eval_text --split extra`; with word stems alone 0.763);
//! on the held-out comments see `analysis/README.md`. Versions `dev-2`
//! to `dev-7` are the same recipe trained on 713, then 1,197, then
//! 1,180, then 2,356, then 1,196, then 1,187 more development comments,
//! in voices the earlier ones had few of (over all 9,226 extra comments,
//! each batch coded by a model trained on the others, `eval_text --split
//! extra --by-round`: codebooks 0.662, union 0.768).
//!
//! Theme ids are those of the example forms' codebooks; a form's codebook
//! that uses the same ids gets the model's finds for those themes, and
//! any other theme is coded by its phrases alone.

use crate::dev_set;
use crate::learn::{Featurizer, ThemeModel, Training};

/// The version stored beside the codes it gives.
pub const VERSION: &str = "dev-7";

/// The theme model trained on the development comments.
pub struct ShippedThemes {
    featurizer: Featurizer,
    model: ThemeModel,
}

impl std::fmt::Debug for ShippedThemes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShippedThemes")
            .field("version", &VERSION)
            .field("themes", &self.model.themes.len())
            .finish()
    }
}

impl ShippedThemes {
    /// Trained on every development comment (a fraction of a second; the
    /// same comments give the same model, bit for bit).
    pub fn from_development_set() -> ShippedThemes {
        let rows = dev_set::all_rows();
        let labels: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                r.themes
                    .split(';')
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .collect();
        let mut themes: Vec<String> = labels.iter().flatten().cloned().collect();
        themes.sort_unstable();
        themes.dedup();
        let featurizer = Featurizer::new();
        let model = ThemeModel::train(
            VERSION,
            &themes,
            rows.iter()
                .zip(&labels)
                .map(|(r, l)| (r.text, l.as_slice())),
            &featurizer,
            Training::default(),
        );
        // The lookup table is built here, not by the first comment after.
        let _ = model.probabilities(&[]);
        ShippedThemes { featurizer, model }
    }

    /// The model trained once per process and shared (training takes a
    /// fraction of a second, seconds in a debug build).
    pub fn shared() -> std::sync::Arc<ShippedThemes> {
        static SHARED: std::sync::OnceLock<std::sync::Arc<ShippedThemes>> =
            std::sync::OnceLock::new();
        SHARED
            .get_or_init(|| std::sync::Arc::new(ShippedThemes::from_development_set()))
            .clone()
    }

    /// `codes` (the codebook's themes of `text`) with the themes the model
    /// finds in `text` added, of those `of_form` accepts (the form's own
    /// themes), in the model's order after the codebook's.
    pub fn add(
        &self,
        text: &str,
        mut codes: Vec<String>,
        of_form: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let found = self.model.code(&self.featurizer.features(text));
        for theme in found {
            if of_form(&theme) && !codes.contains(&theme) {
                codes.push(theme);
            }
        }
        codes
    }

    /// The theme ids the model knows.
    pub fn themes(&self) -> impl Iterator<Item = &str> {
        self.model.themes.iter().map(|(id, _)| id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same comments give the same model, and it adds to the
    /// codebook's codes only themes of the form, and only those its
    /// phrases missed.
    #[test]
    fn adds_what_the_phrases_miss_within_the_form() {
        let a = ShippedThemes::from_development_set();
        let b = ShippedThemes::from_development_set();
        assert_eq!(a.model, b.model, "deterministic");
        assert_eq!(a.themes().count(), 20);
        let all = |_: &str| true;
        let text = "Havent seen a bobby walking round here for years, not one";
        let added = a.add(text, Vec::new(), all);
        assert!(added.contains(&"visible-policing".to_owned()), "{added:?}");
        // Kept to the form's themes.
        assert!(a
            .add(text, Vec::new(), |t| t != "visible-policing")
            .is_empty());
        // The codebook's own codes stay, first, once.
        let kept = a.add(text, vec!["visible-policing".to_owned()], all);
        assert_eq!(kept, vec!["visible-policing".to_owned()]);
        // A comment about nothing the model knows gets nothing.
        assert!(a.add("ok", Vec::new(), all).is_empty());
    }
}

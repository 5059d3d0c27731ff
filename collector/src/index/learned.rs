//! The learned theme models in use, one per form at most, and what they
//! leave to do: the forms whose manual codes changed (to retrain) and
//! responses coded while a model was being swapped (to code again).
//!
//! ```text
//! service::learning ─► adopt(form, model) ─► themes_of (ingest and re-coding)
//! set_code ─► codes changed ─┐
//! ingest across a swap ─► stale ─┴─► take_work ─► service::learning
//! ```
//!
//! A model is used only for the codebook version it was trained with: a
//! form republished with a new codebook is coded by its phrases until a
//! model is trained for it.

use crate::model::ResponseId;
use analysis::{Choice, Featurizer};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// A model adopted for a form.
#[derive(Debug, Clone, PartialEq)]
pub struct Adopted {
    /// The model's version (1, 2, … per form).
    pub version: u32,
    /// The codebook version it was trained with.
    pub codebook_version: u32,
    /// The model and, per theme, whether it or the codebook codes it.
    pub choice: Choice,
    /// The sentiment label model retrained with the analysts' labels,
    /// when it labels better than the shipped one.
    pub labeller: Option<analysis::SentimentModel>,
}

/// What the learning service has to do for a form.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Work {
    /// Manual codes changed since the last look: retrain.
    pub retrain: bool,
    /// A response at or after this one was coded by a model no longer in
    /// use: code again from here.
    pub recode_from: Option<ResponseId>,
    /// Retrain now, however recently the last model was trained (an
    /// analyst asked).
    pub now: bool,
    /// The shipped coding changed since the stored answers were coded:
    /// make this much of each again (with `recode_from` at the first),
    /// and note the coding as the form's once the pass is done.
    pub shipped: Option<Redo>,
}

/// How much of each stored answer's coding a re-coding pass makes again.
/// Each redoes what the one before it does, and more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Redo {
    /// Its themes, and its label where a label model learned from the
    /// analysts is or was in use: a new model learned from the analysts,
    /// or a new shipped theme model.
    Themes,
    /// Its themes and its label: a new shipped label model, the lexicon
    /// and the flags alike (its compound and flags stay as stored).
    Label,
    /// All of it: compound, label, themes and flags.
    Whole,
}

/// Learned models in use and the work they leave.
#[derive(Default)]
pub struct Learned {
    featurizer: Featurizer,
    adopted: RwLock<HashMap<String, Arc<Adopted>>>,
    /// Bumped at each adoption: a response coded under one generation
    /// and stored under another may have been coded by the old model.
    generation: AtomicU64,
    work: Mutex<BTreeMap<String, Work>>,
    /// Set when the server stops: a re-coding pass ends early.
    stopping: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Learned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Learned")
            .field("generation", &self.generation)
            .finish()
    }
}

impl Learned {
    /// The featurizer models are trained and used with.
    pub fn featurizer(&self) -> &Featurizer {
        &self.featurizer
    }

    /// Puts `model` in use for `form`.
    pub fn adopt(&self, form: &str, model: Adopted) {
        // Its lookup table is built here, not by the first answer after.
        let _ = model.choice.model.probabilities(&[]);
        self.adopted
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(form.to_owned(), Arc::new(model));
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The model in use for `form`, if any.
    pub fn adopted(&self, form: &str) -> Option<Arc<Adopted>> {
        self.adopted
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(form)
            .cloned()
    }

    /// The current generation (see [`Learned::adopt`]).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Themes of `text` given the codebook's (`codes`, from codebook
    /// `codebook_version`): the adopted model's choice where one applies.
    pub fn themes(
        &self,
        form: &str,
        codebook_version: u32,
        text: &str,
        codes: Vec<String>,
    ) -> Vec<String> {
        match self.adopted(form) {
            Some(a) if a.codebook_version == codebook_version && a.choice.uses_learned() => {
                a.choice.code(&self.featurizer, text, &codes)
            }
            _ => codes,
        }
    }

    /// Whether `form` has a retrained label model in use.
    pub fn labels(&self, form: &str) -> bool {
        self.adopted(form).is_some_and(|a| a.labeller.is_some())
    }

    /// The label of `text` (lexicon compound `compound`, cut into
    /// `clauses`) by `form`'s retrained label model, if one is in use.
    pub fn label(
        &self,
        form: &str,
        text: &str,
        compound: f64,
        clauses: &analysis::Clauses,
    ) -> Option<analysis::Label> {
        let a = self.adopted(form)?;
        Some(a.labeller.as_ref()?.label_with(text, compound, clauses))
    }

    fn work(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Work>> {
        self.work.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes that an analyst changed a code of `form`.
    pub fn codes_changed(&self, form: &str) {
        self.work().entry(form.to_owned()).or_default().retrain = true;
    }

    /// Notes that an analyst asked for `form`'s model to be retrained now.
    pub fn retrain_now(&self, form: &str) {
        let mut work = self.work();
        let w = work.entry(form.to_owned()).or_default();
        w.retrain = true;
        w.now = true;
    }

    /// Puts back work that was taken but not done.
    pub fn put_back(&self, form: &str, undone: Work) {
        let mut work = self.work();
        let w = work.entry(form.to_owned()).or_default();
        w.retrain |= undone.retrain;
        w.now |= undone.now;
        w.shipped = w.shipped.max(undone.shipped);
        if let Some(id) = undone.recode_from {
            w.recode_from = Some(w.recode_from.map_or(id, |from| from.min(id)));
        }
    }

    /// Notes that `form`'s stored answers were coded by another shipped
    /// coding, which makes `redo` of each again ([`Redo::Themes`] and
    /// [`Redo::Label`] cost a pass over a million comments a fraction of
    /// [`Redo::Whole`]); work noted before that redoes more is kept.
    pub fn shipped_changed(&self, form: &str, redo: Redo) {
        let mut work = self.work();
        let w = work.entry(form.to_owned()).or_default();
        w.shipped = w.shipped.max(Some(redo));
        w.recode_from = Some(ResponseId { ms: 0, seq: 0 });
    }

    /// Tells a re-coding pass under way to end early (the server stops).
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
    }

    /// Lets passes run again (the server starts).
    pub fn start(&self) {
        self.stopping.store(false, Ordering::Release);
    }

    /// Whether [`Learned::stop`] was called.
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Notes that response `id` of `form` may have been coded by a model
    /// no longer in use.
    pub fn stale(&self, form: &str, id: ResponseId) {
        let mut work = self.work();
        let w = work.entry(form.to_owned()).or_default();
        w.recode_from = Some(w.recode_from.map_or(id, |from| from.min(id)));
    }

    /// Takes the work noted so far.
    pub fn take_work(&self) -> BTreeMap<String, Work> {
        std::mem::take(&mut *self.work())
    }

    /// Forms with a model in use.
    pub fn forms(&self) -> HashSet<String> {
        self.adopted
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two changes of the shipped coding before a pass, or a pass put
    /// back after a stop, leave the larger of the two passes to do, from
    /// the first answer.
    #[test]
    fn the_pass_left_to_do_is_the_larger_of_two() {
        let learned = Learned::default();
        learned.shipped_changed("f", Redo::Label);
        learned.shipped_changed("f", Redo::Themes);
        learned.shipped_changed("g", Redo::Themes);
        let work = learned.take_work();
        assert_eq!(work["f"].shipped, Some(Redo::Label));
        assert_eq!(work["g"].shipped, Some(Redo::Themes));
        let first = Some(ResponseId { ms: 0, seq: 0 });
        assert_eq!(work["f"].recode_from, first);

        learned.put_back("f", work["f"].clone());
        learned.shipped_changed("f", Redo::Whole);
        learned.put_back("f", work["f"].clone());
        let work = learned.take_work();
        assert_eq!(work["f"].shipped, Some(Redo::Whole));
        assert_eq!(work["f"].recode_from, first);
        assert!(learned.take_work().is_empty());
    }
}

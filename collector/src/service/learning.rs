//! Learning from analysts: every theme an analyst sets by hand is training
//! data. In the background, a form's theme model is retrained from its
//! manual codes, judged against them on codes it was not trained on, and
//! used per theme only where it agrees with the analysts better than the
//! codebook's phrases (`analysis::choose`). Each model is a numbered
//! version kept in the store, so a figure can be traced to the model that
//! coded it; after a change, the stored answers are coded again.
//!
//! ```text
//! set_code ─► Learned::codes_changed ─┐
//!                       run (every second) ─► train ─► Doc::Model form/version ─► Learned::adopt
//!                                         └─► recode ─► Store::recode (batches) ─► Indexes::rebuild
//! ingest across an adoption ─► Learned::stale ─► recode from that response
//! ```
//!
//! No request waits on any of it: training and re-coding run on the
//! blocking pool, a form at a time. Training takes the most recent
//! [`MAX_EXAMPLES`] hand-coded answers at most, which bounds its time (a
//! second or two on this project's 2-core machine; `bench_learning`).

use super::background;
use crate::error::{Error, Result};
use crate::index::learned::{Adopted, Work};
use crate::index::Indexes;
use crate::model::{now_ms, Label, ResponseId, StoredResponse, ERASED_TEXT};
use crate::store::{Doc, Store};
use analysis::choose::Example;
use analysis::{Choice, Training};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Weak};
use survey::{Answer, Form};

/// Fewer hand-coded answers than this train no model: five folds of four
/// say nothing.
pub const MIN_EXAMPLES: usize = 20;

/// The most hand-coded answers a model is trained on (the most recent).
pub const MAX_EXAMPLES: usize = 5_000;

/// How the stored answers were coded again after a model was adopted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Recoded {
    /// When the pass finished, ms since the Unix epoch.
    pub at_ms: u64,
    /// Coded answers read (by the last pass, when several ran).
    #[serde(default)]
    pub answers: u64,
    /// Answers whose themes changed.
    pub changed: u64,
    /// How long it took, ms (the index rebuild included).
    pub took_ms: u64,
}

/// A trained model as stored (`Doc::Model`, key `form/version`; the key
/// `form` holds the newest version's number).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRecord {
    /// Form id.
    pub form: String,
    /// 1, 2, … per form.
    pub version: u32,
    /// The features it was trained on ([`analysis::learn::FEATURES`]): a
    /// model is used only with the features it was trained on.
    #[serde(default)]
    pub features: u32,
    /// The codebook version it was trained with (used only with it).
    pub codebook_version: u32,
    /// When it was trained, ms since the Unix epoch.
    pub trained_at_ms: u64,
    /// How long training and judging took, ms.
    pub training_ms: u64,
    /// SHA-256 of the manual codes it was trained on: the same codes
    /// train no new version.
    pub codes_digest: String,
    /// The model and the per-theme choice, with the held-out figures.
    pub choice: Choice,
    /// The sentiment label retrained with the analysts' labels, and
    /// whether it labels instead of the shipped model; none with fewer
    /// than [`MIN_EXAMPLES`] labels set by hand.
    #[serde(default)]
    pub sentiment: Option<analysis::LabelChoice>,
    /// The pass that coded the stored answers with it, once finished.
    pub recoded: Option<Recoded>,
}

impl ModelRecord {
    fn key(&self) -> String {
        key(&self.form, self.version)
    }
}

fn key(form: &str, version: u32) -> String {
    format!("{form}/{version:08}")
}

/// Every model of `form`, oldest first.
pub fn models(store: &dyn Store, form: &str) -> Result<Vec<ModelRecord>> {
    let prefix = format!("{form}/");
    let mut out = Vec::new();
    let mut after = prefix.clone();
    loop {
        let page = store.docs(Doc::Model, Some(&after), 50)?;
        let Some((last, _)) = page.last() else { break };
        after = last.clone();
        let mut done = false;
        for (k, v) in &page {
            if !k.starts_with(&prefix) {
                done = true;
                break;
            }
            out.push(serde_json::from_slice(v).map_err(|e| Error::Corrupt(e.to_string()))?);
        }
        if done || page.len() < 50 {
            break;
        }
    }
    Ok(out)
}

/// The newest model of `form`, through the pointer at key `form`.
pub fn latest(store: &dyn Store, form: &str) -> Result<Option<ModelRecord>> {
    let version: Option<u32> = store
        .get_doc(Doc::Model, form)?
        .and_then(|v| serde_json::from_slice(&v).ok());
    match version {
        Some(v) => store
            .get_doc(Doc::Model, &key(form, v))?
            .map(|v| serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string())))
            .transpose(),
        None => Ok(models(store, form)?.pop()),
    }
}

pub use crate::index::learned::Redo;

/// What a pass must make again of answers scored by coding `was` for
/// them to count as coding `now` ([`Indexes::coding_version`]) scores
/// them. A coding noted before it had a themes part coded themes with the
/// codebook alone; one with no label part is scored again whole.
pub fn redo_between(was: &str, now: &str) -> Redo {
    let split = |c: &str| {
        let mut parts = c.split("; ");
        let lexicon = parts.next().unwrap_or_default().to_owned();
        let (mut label, mut mixed, mut themes) = (None, None, "codebook".to_owned());
        for part in parts {
            match part.split_once(' ') {
                Some(("label", l)) => label = Some(l.to_owned()),
                Some(("mixed", m)) => mixed = Some(m.to_owned()),
                Some(("themes", t)) => themes = t.to_owned(),
                _ => {}
            }
        }
        (lexicon, label, mixed, themes)
    };
    let (was_lexicon, was_label, was_mixed, _) = split(was);
    let (now_lexicon, now_label, now_mixed, _) = split(now);
    // The lexicon's label is the compound's: only a model's is made again
    // from the stored compound.
    let model = |l: &Option<String>| l.as_deref().is_some_and(|l| l != "lexicon");
    if was_lexicon != now_lexicon || was_mixed != now_mixed || was_label.is_none() {
        Redo::Whole
    } else if was_label == now_label {
        Redo::Themes
    } else if model(&was_label) && model(&now_label) {
        Redo::Label
    } else {
        Redo::Whole
    }
}

fn put(store: &dyn Store, m: &ModelRecord) -> Result<()> {
    let json = serde_json::to_vec(m).map_err(|e| Error::Corrupt(e.to_string()))?;
    store.put_doc(Doc::Model, &m.key(), &json)?;
    store.put_doc(Doc::Model, &m.form, m.version.to_string().as_bytes())?;
    Ok(())
}

/// At start: notes a pass that scores a form's stored answers again where
/// they were scored by another shipped coding (lexicon, label model,
/// mixed signal, theme model: [`Indexes::coding_version`]) than this
/// collector's, so old and new answers count alike (only as much as
/// differs: [`Redo`]); puts each form's
/// newest model in use (if it was trained on the features this collector
/// makes; else it is trained again, as it is where the shipped coding it
/// was judged against changed), and notes a re-coding pass that a stop
/// interrupted. A model that cannot be read is logged and left out: the
/// codebook codes that form until the next model.
pub fn load(store: &dyn Store, indexes: &Indexes) -> Result<()> {
    let coding = indexes.coding_version();
    for form in store.form_ids() {
        let scored = store.get_doc(Doc::Coding, &form)?;
        if scored.is_none() && store.responses(&form, None, 1)?.is_empty() {
            // A form with no answers yet: its first are coded as now.
            store.put_doc(Doc::Coding, &form, coding.as_bytes())?;
        } else if scored.as_deref() != Some(coding.as_bytes()) {
            let was = String::from_utf8_lossy(
                scored.as_deref().unwrap_or(b"(before versions were noted)"),
            );
            let redo = redo_between(&was, &coding);
            tracing::info!(form = %form, was = %was, now = %coding,
            "stored answers were coded by another coding: {}",
            match redo {
                Redo::Themes => "coding their themes again",
                Redo::Label => "labelling them and coding their themes again",
                Redo::Whole => "scoring them again",
            });
            indexes.learned().shipped_changed(&form, redo);
        }
        let m = match latest(store, &form) {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(e) => {
                tracing::error!(form = %form, error = %e, "the theme model could not be read: the codebook codes this form");
                continue;
            }
        };
        if m.features != analysis::learn::FEATURES {
            // Made by an older collector: trained again from the same
            // codes in the background, which also codes again what it
            // coded (see [`train`]).
            tracing::warn!(form = %form, version = m.version, "the theme model was trained on other features: the codebook codes this form until it is trained again, which starts now");
            indexes.learned().retrain_now(&form);
            continue;
        }
        if scored.as_deref() != Some(coding.as_bytes()) {
            // Judged against the coding before: trained again (if the new
            // coding gives its examples other codes, see [`examples`]).
            indexes.learned().codes_changed(&form);
        }
        let unfinished = m.recoded.is_none();
        adopt(indexes, m);
        if unfinished {
            indexes.learned().stale(&form, ResponseId { ms: 0, seq: 0 });
        }
    }
    Ok(())
}

fn adopt(indexes: &Indexes, m: ModelRecord) {
    indexes.learned().adopt(
        &m.form,
        Adopted {
            version: m.version,
            codebook_version: m.codebook_version,
            choice: m.choice,
            labeller: m.sentiment.filter(|s| s.use_learned).map(|s| s.model),
        },
    );
}

/// A hand-coded answer: what was written, the codebook's themes for it,
/// the analyst's themes, and the analyst's sentiment label if set.
type Coded = (String, Vec<String>, Vec<String>, Option<Label>);

/// The hand-coded answers of `form` to the questions its codebook codes,
/// oldest first, at most the newest [`MAX_EXAMPLES`]: `(text, codebook
/// themes, manual themes)`, and the digest of what a model is trained and
/// judged on (the codes, the shipped coding's themes of each answer, the
/// shipped label model's version).
fn examples(store: &dyn Store, indexes: &Indexes, form: &Form) -> Result<(Vec<Coded>, String)> {
    let mut codes = store.manual_codes(&form.id)?;
    codes.sort_by_key(|(id, _)| *id);
    let mut out = Vec::new();
    let mut digest = Sha256::new();
    // A retrained label is judged against the shipped one.
    digest.update(analysis::label_model::VERSION.as_bytes());
    for (id, by_question) in codes {
        let Some(r) = store.response(&form.id, id)? else {
            continue;
        };
        for (question, code) in by_question {
            let Some(Answer::Text(text)) = r.answers.get(&question) else {
                continue;
            };
            if text == ERASED_TEXT {
                continue;
            }
            let Some(codebook) = indexes.codebook_themes(form, &question, text) else {
                continue;
            };
            digest.update(id.to_bytes());
            digest.update(question.as_bytes());
            for t in &code.themes {
                digest.update([0]);
                digest.update(t.as_bytes());
            }
            digest.update([1]);
            if let Some(l) = code.sentiment {
                digest.update(l.as_str().as_bytes());
            }
            // What the shipped coding gives it too: a model is judged
            // against the shipped coding, so a new shipped theme model
            // (or codebook) makes the same hand codes train a new one.
            for t in &codebook {
                digest.update([2]);
                digest.update(t.as_bytes());
            }
            out.push((text.clone(), codebook, code.themes, code.sentiment));
        }
    }
    let skip = out.len().saturating_sub(MAX_EXAMPLES);
    out.drain(..skip);
    Ok((out, hex::encode(digest.finalize())))
}

/// Trains a new model of `form` from its manual codes and puts it in use,
/// unless the codes are those the newest model was trained on (with the
/// same codebook and features), or too few. Returns the new model.
pub fn train(store: &dyn Store, indexes: &Indexes, form: &str) -> Result<Option<ModelRecord>> {
    let Some(published) = store.form(form) else {
        return Ok(None);
    };
    let form = &published.form;
    let Some(codebook) = &form.codebook else {
        return Ok(None);
    };
    let started = std::time::Instant::now();
    let (coded, codes_digest) = examples(store, indexes, form)?;
    let previous = latest(store, &form.id)?;
    if coded.len() < MIN_EXAMPLES
        || previous.as_ref().is_some_and(|p| {
            p.codes_digest == codes_digest
                && p.codebook_version == codebook.version
                && p.features == analysis::learn::FEATURES
        })
    {
        return Ok(None);
    }
    let version = previous.as_ref().map_or(1, |p| p.version + 1);
    let themes: Vec<String> = codebook.themes.iter().map(|t| t.id.clone()).collect();
    let examples: Vec<Example<'_>> = coded
        .iter()
        .map(|(text, codebook, manual, _)| Example {
            text,
            codebook: codebook.clone(),
            manual,
        })
        .collect();
    let choice = Choice::make(
        &key(&form.id, version),
        &themes,
        &examples,
        indexes.learned().featurizer(),
        Training::default(),
    );
    // The label, retrained with the analysts' labels, when there are
    // enough of them and a shipped model to judge it against.
    let labels: Vec<(&str, Label)> = coded
        .iter()
        .filter_map(|(text, _, _, label)| Some((text.as_str(), (*label)?)))
        .collect();
    let sentiment = match indexes.labeller() {
        Some(shipped) if labels.len() >= MIN_EXAMPLES => Some(analysis::LabelChoice::make(
            indexes.scorer(),
            shipped,
            &labels,
        )),
        _ => None,
    };
    let relabels = |s: &Option<analysis::LabelChoice>| s.as_ref().is_some_and(|s| s.use_learned);
    let changes_coding = choice.uses_learned()
        || relabels(&sentiment)
        || previous
            .as_ref()
            .is_some_and(|p| p.choice.uses_learned() || relabels(&p.sentiment));
    let record = ModelRecord {
        form: form.id.clone(),
        version,
        features: analysis::learn::FEATURES,
        codebook_version: codebook.version,
        trained_at_ms: now_ms(),
        training_ms: started.elapsed().as_millis() as u64,
        codes_digest,
        choice,
        sentiment,
        // A model that codes as the codebook did leaves nothing to redo.
        recoded: (!changes_coding).then(|| Recoded {
            at_ms: now_ms(),
            answers: 0,
            changed: 0,
            took_ms: 0,
        }),
    };
    put(store, &record)?;
    tracing::info!(form = %form.id, version, examples = examples.len(),
                   learned = record.choice.themes.iter().filter(|t| t.use_learned).count(),
                   ms = record.training_ms, "theme model trained");
    adopt(indexes, record.clone());
    if changes_coding {
        indexes
            .learned()
            .stale(&form.id, ResponseId { ms: 0, seq: 0 });
    }
    Ok(Some(record))
}

/// What a re-coding pass did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pass {
    /// Coded answers read.
    pub answers: u64,
    /// Of which the themes changed.
    pub changed: u64,
    /// Whether it ended early because the server stops.
    pub stopped: bool,
}

/// Codes again the stored answers to `form` from `from` on with the coding
/// in use, as much of each as `redo` says, then rebuilds its index. With
/// [`Redo::Themes`] their labels too if a label model learned from the
/// analysts is or ever was in use. With [`Redo::Whole`], once the pass is
/// done the coding it used is noted as the form's ([`Doc::Coding`]).
pub fn recode(
    store: &dyn Store,
    indexes: &Indexes,
    form: &str,
    from: ResponseId,
    redo: Redo,
) -> Result<Pass> {
    let started = std::time::Instant::now();
    let relabel = models(store, form)?
        .iter()
        .any(|m| m.sentiment.as_ref().is_some_and(|s| s.use_learned));
    let versions = store.form_versions(form)?;
    let from = (from != ResponseId { ms: 0, seq: 0 }).then_some(from);
    let (mut answers, mut changed, mut stopped) = (0u64, 0u64, false);
    // Each run of responses is coded on every core, below the server's
    // priority: scoring a million answers whole is mostly this.
    let n = store.recode(form, from, &mut |run: &mut [StoredResponse]| {
        if indexes.learned().stopping() {
            stopped = true;
            return None;
        }
        let counts = background::map(run, |r| {
            let Some(version) = versions.iter().find(|v| v.version == r.version) else {
                return (0, 0);
            };
            let (mut answers, mut changed) = (0u64, 0u64);
            for (question, coding) in &mut r.coding {
                let Some(Answer::Text(text)) = r.answers.get(question) else {
                    continue;
                };
                if text == ERASED_TEXT {
                    continue;
                }
                let now = match redo {
                    Redo::Whole => Some(indexes.rescore(version, question, text)),
                    Redo::Label => Some(indexes.relabel(version, question, text, coding)),
                    Redo::Themes => indexes.recode(version, question, text, coding, relabel),
                };
                if let Some(now) = now {
                    answers += 1;
                    if now != *coding {
                        *coding = now;
                        changed += 1;
                    }
                }
            }
            (answers, changed)
        });
        answers += counts.iter().map(|c| c.0).sum::<u64>();
        changed += counts.iter().map(|c| c.1).sum::<u64>();
        Some(counts.iter().map(|c| c.1 > 0).collect())
    })?;
    if n > 0 {
        if let Some(published) = store.form(form) {
            indexes.rebuild(store, &published.form)?;
        }
    }
    if redo == Redo::Whole && !stopped {
        store.put_doc(Doc::Coding, form, indexes.coding_version().as_bytes())?;
    }
    // Note the pass on the model in use, if it is still the newest (a
    // pass cut short is done again from the start at the next start).
    if let (Some(mut m), Some(adopted), false) = (
        latest(store, form)?,
        indexes.learned().adopted(form),
        stopped,
    ) {
        if m.version == adopted.version && (m.recoded.is_none() || changed > 0) {
            m.recoded = Some(Recoded {
                at_ms: now_ms(),
                answers,
                changed: m.recoded.as_ref().map_or(0, |r| r.changed) + changed,
                took_ms: started.elapsed().as_millis() as u64,
            });
            put(store, &m)?;
        }
    }
    tracing::info!(
        form,
        answers,
        changed,
        ms = started.elapsed().as_millis() as u64,
        "answers coded again"
    );
    Ok(Pass {
        answers,
        changed,
        stopped,
    })
}

/// Does the work noted so far: retrains the forms whose codes changed
/// (a form whose model is younger than `retrain_after` waits, unless an
/// analyst asked), then codes again what a new model (or a response coded
/// across an adoption) left to redo. Returns the forms given a new model.
/// Work that fails is noted again for the next round, and the other forms'
/// work still done; the first error is returned.
pub fn run_once(
    store: &dyn Store,
    indexes: &Indexes,
    retrain_after: std::time::Duration,
) -> Result<Vec<String>> {
    let learned = indexes.learned();
    let mut trained = Vec::new();
    let mut first_error = None;
    // Training notes a pass of its own: the second round does it.
    for _ in 0..2 {
        let work = learned.take_work();
        if work.is_empty() {
            break;
        }
        for (form, w) in work {
            let mut undone = Work::default();
            if w.retrain {
                let young = !w.now
                    && latest(store, &form).ok().flatten().is_some_and(|m| {
                        now_ms().saturating_sub(m.trained_at_ms) < retrain_after.as_millis() as u64
                    });
                if young {
                    undone.retrain = true;
                } else {
                    match train(store, indexes, &form) {
                        Ok(Some(_)) => trained.push(form.clone()),
                        Ok(None) => {}
                        Err(e) => {
                            undone.retrain = true;
                            undone.now = w.now;
                            first_error.get_or_insert(e);
                        }
                    }
                }
            }
            if let Some(from) = w.recode_from {
                let redo = w.shipped.unwrap_or(Redo::Themes);
                match recode(store, indexes, &form, from, redo) {
                    Ok(pass) if pass.stopped => {
                        undone.recode_from = Some(from);
                        undone.shipped = w.shipped;
                    }
                    Ok(_) => {
                        // A whole pass notes the coding itself.
                        if w.shipped.is_some() && redo != Redo::Whole {
                            let coding = indexes.coding_version();
                            if let Err(e) = store.put_doc(Doc::Coding, &form, coding.as_bytes()) {
                                undone.recode_from = Some(from);
                                undone.shipped = w.shipped;
                                first_error.get_or_insert(e.into());
                            }
                        }
                    }
                    Err(e) => {
                        undone.recode_from = Some(from);
                        undone.shipped = w.shipped;
                        first_error.get_or_insert(e);
                    }
                }
            }
            if undone != Work::default() {
                learned.put_back(&form, undone);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(trained),
    }
}

/// Runs [`run_once`] every `every` until `stop` resolves, on the blocking
/// pool; holds the store weakly, so it closes when the app is dropped.
/// The caller ends a pass under way with [`Learned::stop`] before it
/// resolves `stop`.
///
/// [`Learned::stop`]: crate::index::learned::Learned::stop
pub async fn run(
    store: Weak<dyn Store>,
    indexes: Arc<Indexes>,
    every: std::time::Duration,
    retrain_after: std::time::Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    indexes.learned().start();
    let mut stop = std::pin::pin!(stop);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = &mut stop => return,
        }
        let Some(store) = store.upgrade() else { return };
        let indexes = indexes.clone();
        let done =
            tokio::task::spawn_blocking(move || run_once(store.as_ref(), &indexes, retrain_after))
                .await;
        match done {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "learning from analysts' codes failed"),
            Err(e) => tracing::error!(error = %e, "learning from analysts' codes stopped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{redo_between as redo, Redo};

    #[test]
    fn a_pass_makes_again_only_what_differs_between_two_codings() {
        let now = "vader-3.3.2+domain-2; label svm-2; mixed svm-1; themes svm-1";
        // Noted before the themes had a part: the codebook alone.
        assert_eq!(
            redo("vader-3.3.2+domain-2; label svm-2; mixed svm-1", now),
            Redo::Themes
        );
        assert_eq!(
            redo(
                "vader-3.3.2+domain-2; label svm-2; mixed svm-1; themes codebook",
                now
            ),
            Redo::Themes
        );
        // A new label model: labels (and themes) again, from the stored
        // compound.
        assert_eq!(
            redo(
                "vader-3.3.2+domain-2; label svm-1; mixed svm-1; themes svm-1",
                now
            ),
            Redo::Label
        );
        assert_eq!(
            redo(
                "vader-3.3.2+domain-2; label svm-1; mixed svm-1; themes codebook",
                now
            ),
            Redo::Label
        );
        // The lexicon, the flags, or a label to or from the lexicon's:
        // whole.
        assert_eq!(
            redo(
                "vader-3.3.2+domain-1; label svm-2; mixed svm-1; themes svm-1",
                now
            ),
            Redo::Whole
        );
        assert_eq!(
            redo(
                "vader-3.3.2+domain-2; label svm-2; mixed dev-1; themes svm-1",
                now
            ),
            Redo::Whole
        );
        assert_eq!(
            redo(
                "vader-3.3.2+domain-2; label lexicon; mixed svm-1; themes svm-1",
                now
            ),
            Redo::Whole
        );
        assert_eq!(
            redo(
                now,
                "vader-3.3.2+domain-2; label lexicon; mixed svm-1; themes svm-1"
            ),
            Redo::Whole
        );
        assert_eq!(
            redo("vader-3.3.2; label lexicon; mixed rule", now),
            Redo::Whole
        );
        assert_eq!(redo("vader-3.3.2+domain-2", now), Redo::Whole);
        assert_eq!(redo("(before versions were noted)", now), Redo::Whole);
    }
}

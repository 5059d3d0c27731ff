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
//! ingest across an adoption ─► owe (Learned::stale, Doc::Owed) ─► recode from that response
//! ```
//!
//! No request waits on any of it: training and re-coding run on the
//! blocking pool, a form at a time. Training takes the most recent
//! [`MAX_EXAMPLES`] hand-coded answers at most, which bounds its time (a
//! second or two on this project's 2-core machine; `bench_learning`).

mod pass;
mod worker;

pub use crate::index::learned::Redo;
pub use pass::{recode, redo_between, Pass};
pub use worker::{run, run_once};

use crate::error::{Error, Result};
use crate::index::learned::Adopted;
use crate::index::Indexes;
use crate::model::{now_ms, Label, ResponseId, ERASED_TEXT};
use crate::store::{Doc, Store};
use analysis::choose::Example;
use analysis::{Choice, Training};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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
    docs_under(store, Doc::Model, form)?
        .into_iter()
        .map(|(_, v)| serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string())))
        .collect()
}

/// The documents of `kind` keyed `form/…`, in key order.
fn docs_under(store: &dyn Store, kind: Doc, form: &str) -> Result<Vec<(String, Vec<u8>)>> {
    const PAGE: usize = 50;
    let prefix = format!("{form}/");
    let mut out = Vec::new();
    let mut after = prefix.clone();
    loop {
        let page = store.docs(kind, Some(&after), PAGE)?;
        let full = page.len() == PAGE;
        let Some((last, _)) = page.last() else { break };
        after = last.clone();
        let before = out.len();
        out.extend(page.into_iter().take_while(|(k, _)| k.starts_with(&prefix)));
        if !full || out.len() - before < PAGE {
            break;
        }
    }
    Ok(out)
}

/// Notes that answer `id` to `form` was coded across an adoption (by a
/// model no longer in use): for the worker's next round, and in the store
/// ([`Doc::Owed`]), so that a stop before that round does not leave it
/// with the old model's codes. Rare (the answers stored in the moment a
/// model is adopted), so the note's own sync costs ingest nothing.
pub fn owe(store: &dyn Store, indexes: &Indexes, form: &str, id: ResponseId) -> Result<()> {
    indexes.learned().stale(form, id);
    Ok(store.put_doc(Doc::Owed, &owed_key(form, id), b"")?)
}

fn owed_key(form: &str, id: ResponseId) -> String {
    format!("{form}/{id}")
}

/// The answers to `form` noted by [`owe`] and not yet coded again.
fn owed(store: &dyn Store, form: &str) -> Result<Vec<ResponseId>> {
    Ok(docs_under(store, Doc::Owed, form)?
        .into_iter()
        .filter_map(|(k, _)| ResponseId::parse(k.rsplit('/').next()?))
        .collect())
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
        if store.form(&form).is_some_and(|p| p.form.codebook.is_some()) {
            // Codes set before a stop, and not yet learned from, would wait
            // for the next code an analyst sets: a look costs reading the
            // hand codes, and retrains only where they are not the newest
            // model's (see [`train`]).
            indexes.learned().codes_changed(&form);
        }
        // Answers coded across an adoption before a stop (see [`owe`]).
        if let Some(first) = owed(store, &form)?.into_iter().min() {
            indexes.learned().stale(&form, first);
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
            if m.choice.uses_learned() || m.sentiment.as_ref().is_some_and(|s| s.use_learned) {
                // Its codes are on the stored answers, and retraining may
                // give no model (too few hand codes left): they are coded
                // again as now, whatever it gives.
                indexes.learned().stale(&form, ResponseId { ms: 0, seq: 0 });
            }
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

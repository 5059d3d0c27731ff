//! The answer indexes: one compact in-memory index per form, which the
//! aggregate, trend and free-text queries run on, and the sentiment and
//! theme coding of free text when a response is stored.
//!
//! ```text
//! store ──scan_records / scan_raw──► Indexes::rebuild ──► FormIndex (per form)
//! ingest ──code_text, then append──► FormIndex
//! http ──index(form)──► query::aggregate / trends ──► cells
//!                    ├─► text::find ──► response ids and questions of a page
//!                    └─► agreement::counts ──► automatic vs manual codes
//! ```
//!
//! The index owns its row format: the fields of [`FormIndex`] and its
//! columns are private to this module, and the floors above read an index
//! only through its methods and the queries here.

pub mod agreement;
mod dict;
pub mod form_index;
pub mod learned;
pub mod query;
pub mod record;
mod stored_json;
pub mod text;

use crate::error::{Error, Result};
use crate::model::{ManualCode, NewResponse, ResponseId, StoredResponse, TextCoding};
use crate::store::Store;
use analysis::{Coder, Scorer};
use form_index::FormIndex;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use survey::{Answer, Form, Kind};

/// The index registry: the scorer, compiled codebooks and one answer index
/// per form.
pub struct Indexes {
    scorer: Scorer,
    /// The shipped sentiment label model, when configured.
    labeller: Option<Arc<analysis::ShippedLabel>>,
    /// The shipped mixed and actionable flags, configured with the label.
    flagger: Option<Arc<analysis::ShippedFlags>>,
    /// The shipped theme model, whose finds are added to the codebook's,
    /// when configured.
    themer: Option<Arc<analysis::ShippedThemes>>,
    /// Each form's codebook coders, by form id and version: read for
    /// every answer coded (on every core during a pass), made once.
    coders: RwLock<HashMap<String, HashMap<u32, Arc<Coder>>>>,
    indexes: RwLock<HashMap<String, Arc<RwLock<FormIndex>>>>,
    /// Forms whose index is being rebuilt, with the changes made to them
    /// meanwhile; held while an index is changed or swapped, so that no
    /// change falls between the old index and the new one.
    journal: Mutex<HashMap<String, Vec<Change>>>,
    /// One rebuild at a time.
    rebuilding: Mutex<()>,
    /// Learned theme models in use.
    learned: learned::Learned,
}

/// A change to an index made while it was being rebuilt.
enum Change {
    Response(StoredResponse),
    Code(ResponseId, String, ManualCode),
}

impl std::fmt::Debug for Indexes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexes")
            .field("scorer", &self.scorer)
            .finish()
    }
}

impl Indexes {
    /// Indexes with this sentiment scorer.
    pub fn new(scorer: Scorer) -> Indexes {
        Indexes {
            scorer,
            labeller: None,
            flagger: None,
            themer: None,
            coders: RwLock::default(),
            indexes: RwLock::default(),
            journal: Mutex::default(),
            rebuilding: Mutex::default(),
            learned: learned::Learned::default(),
        }
    }

    /// The learned theme models in use and the work they leave.
    pub fn learned(&self) -> &learned::Learned {
        &self.learned
    }

    /// These indexes, labelling sentiment and flagging mixed and
    /// actionable comments with the models learned from the development
    /// comments (trained again at start with this scorer where it is not
    /// the policing layer's).
    pub fn with_sentiment_model(mut self) -> Indexes {
        self.labeller = Some(analysis::ShippedLabel::for_scorer(&self.scorer));
        self.flagger = Some(analysis::ShippedFlags::for_scorer(&self.scorer));
        self
    }

    /// These indexes, coding themes with the shipped theme model beside
    /// each codebook's phrases (`analysis::theme_model`).
    pub fn with_theme_model(mut self) -> Indexes {
        self.themer = Some(analysis::ShippedThemes::shared());
        self
    }

    /// What the shipped coding is: the scorer's lexicon, the label model,
    /// the flags (mixed and actionable) and the theme model in use. Answers stored under another are
    /// scored again (`service::learning::load`).
    pub fn coding_version(&self) -> String {
        format!(
            "{}; label {}; mixed {}; themes {}",
            self.scorer.version(),
            self.labeller
                .as_ref()
                .map_or("lexicon", |_| analysis::label_model::VERSION),
            self.flagger
                .as_ref()
                .map_or("rule", |_| analysis::flag_model::VERSION),
            self.themer
                .as_ref()
                .map_or("codebook", |_| analysis::theme_model::VERSION),
        )
    }

    /// The whole coding of `text`, an answer to text question `question`
    /// of `form` (the version it answered), as a new answer gets it now:
    /// compound, label, themes and flags.
    pub fn rescore(&self, form: &Form, question: &str, text: &str) -> TextCoding {
        self.code_one(form, self.coder(form).as_deref(), question, text)
    }

    /// The shipped sentiment label model, when configured.
    pub fn labeller(&self) -> Option<&analysis::ShippedLabel> {
        self.labeller.as_deref()
    }

    /// The label of `text` in `form` whose lexicon compound is `compound`
    /// (`lexicon` its lexicon label): the form's retrained label model's,
    /// else the shipped model's, else the lexicon's.
    pub fn label_of(
        &self,
        form: &str,
        text: &str,
        compound: f64,
        lexicon: analysis::Label,
    ) -> analysis::Label {
        // Only a form's retrained label reads the clauses.
        if !self.learned.labels(form) {
            return self
                .labeller
                .as_ref()
                .map_or(lexicon, |m| m.label(text, compound));
        }
        let clauses = analysis::Clauses::of(&self.scorer, text, compound);
        self.label_with(form, text, compound, lexicon, &clauses)
    }

    /// [`Indexes::label_of`], of `text` cut into `clauses`.
    fn label_with(
        &self,
        form: &str,
        text: &str,
        compound: f64,
        lexicon: analysis::Label,
        clauses: &analysis::Clauses,
    ) -> analysis::Label {
        match (
            self.learned.label(form, text, compound, clauses),
            &self.labeller,
        ) {
            (Some(l), _) => l,
            (None, Some(m)) => m.label(text, compound),
            (None, None) => lexicon,
        }
    }

    /// The sentiment scorer in use.
    pub fn scorer(&self) -> &Scorer {
        &self.scorer
    }

    fn coder(&self, form: &Form) -> Option<Arc<Coder>> {
        let codebook = form.codebook.as_ref()?;
        let known = self
            .coders
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&form.id)
            .and_then(|v| v.get(&form.version))
            .cloned();
        if known.is_some() {
            return known;
        }
        let mut coders = self.coders.write().unwrap_or_else(|e| e.into_inner());
        Some(
            coders
                .entry(form.id.clone())
                .or_default()
                .entry(form.version)
                .or_insert_with(|| Arc::new(Coder::new(codebook)))
                .clone(),
        )
    }

    /// Sentiment and themes of each free-text answer.
    pub fn code_text(
        &self,
        form: &Form,
        answers: &BTreeMap<String, Answer>,
    ) -> BTreeMap<String, TextCoding> {
        let coder = self.coder(form);
        let mut out = BTreeMap::new();
        for q in &form.questions {
            let (Kind::Text { .. }, Some(Answer::Text(text))) = (&q.kind, answers.get(&q.id))
            else {
                continue;
            };
            out.insert(
                q.id.clone(),
                self.code_one(form, coder.as_deref(), &q.id, text),
            );
        }
        out
    }

    /// The coding of `text`, an answer to `question` of `form`, by the
    /// lexicon, label model, codebook and learned themes in use now.
    fn code_one(
        &self,
        form: &Form,
        coder: Option<&Coder>,
        question: &str,
        text: &str,
    ) -> TextCoding {
        let s = self.scorer.score(text);
        // Cut and scored once, for a retrained label and the flags or
        // the mixed rule.
        let clauses = analysis::Clauses::of(&self.scorer, text, s.compound);
        let flags = match &self.flagger {
            Some(m) => m.flags(text, &clauses),
            None => analysis::Flags {
                mixed: clauses.mixed(),
                actionable: analysis::signals::actionable(text),
            },
        };
        TextCoding {
            compound: s.compound,
            label: self.label_with(&form.id, text, s.compound, s.label, &clauses),
            themes: self.themes_of(form, coder, question, text),
            mixed: flags.mixed,
            actionable: flags.actionable,
        }
    }

    /// The themes of `text`, an answer to `question` of `form`: the
    /// codebook's, or the learned model's for the themes it took over.
    fn themes_of(
        &self,
        form: &Form,
        coder: Option<&Coder>,
        question: &str,
        text: &str,
    ) -> Vec<String> {
        match coder {
            Some(c) if c.applies_to(question) => {
                self.learned
                    .themes(&form.id, c.version(), text, self.shipped_themes(c, text))
            }
            _ => Vec::new(),
        }
    }

    /// The themes of `text` by the shipped coding: the codebook's phrases,
    /// decided with the shipped theme model among the codebook's themes
    /// when it is configured (`ShippedThemes::add`).
    fn shipped_themes(&self, coder: &Coder, text: &str) -> Vec<String> {
        let codes = coder.code(text);
        match &self.themer {
            Some(t) => t.add(text, codes, |theme| coder.has_theme(theme)),
            None => codes,
        }
    }

    /// The shipped coding's themes for `text`, an answer to `question` of
    /// `form`: the codebook's, decided with the shipped theme model when
    /// it is configured (no model learned from the analysts); `None` when
    /// the question is not coded.
    pub fn codebook_themes(&self, form: &Form, question: &str, text: &str) -> Option<Vec<String>> {
        let coder = self.coder(form)?;
        coder
            .applies_to(question)
            .then(|| self.shipped_themes(&coder, text))
    }

    /// The coding an answer to `question` of `form` (the version it
    /// answered), stored as `stored`, gets after a model change: the themes
    /// in use now, and with `relabel` the label in use now; the rest as
    /// stored. The compound and the flags, which no model changes, are not
    /// scored again, and the label only when a label model learned from
    /// the analysts is or was in use: each costs a pass over a million
    /// comments tens of seconds. A learned label labels every text answer
    /// of its form, as at ingest, whether the codebook codes the question
    /// or not. `None` when nothing is to be made again: the codebook does
    /// not code the question and the label is not asked for.
    pub fn recode(
        &self,
        form: &Form,
        question: &str,
        text: &str,
        stored: &TextCoding,
        relabel: bool,
    ) -> Option<TextCoding> {
        let coder = self.coder(form);
        let coded = coder.as_deref().is_some_and(|c| c.applies_to(question));
        (coded || relabel).then(|| TextCoding {
            themes: if coded {
                self.themes_of(form, coder.as_deref(), question, text)
            } else {
                stored.themes.clone()
            },
            label: if relabel {
                self.label_of(
                    &form.id,
                    text,
                    stored.compound,
                    analysis::Label::of(stored.compound),
                )
            } else {
                stored.label
            },
            ..stored.clone()
        })
    }

    /// The coding an answer to `question` of `form` (the version it
    /// answered), stored as `stored`, gets after the shipped label model
    /// changed and the lexicon did not: its label and (where the codebook
    /// codes `question`) its themes as now, its compound and flags as
    /// stored. Scoring them again too makes a pass over a million comments
    /// about 1.7 times as long (`bench_learning --whole` against
    /// `--label`).
    pub fn relabel(
        &self,
        form: &Form,
        question: &str,
        text: &str,
        stored: &TextCoding,
    ) -> TextCoding {
        let coder = self.coder(form);
        TextCoding {
            themes: match coder.as_deref() {
                Some(c) if c.applies_to(question) => self.themes_of(form, Some(c), question, text),
                _ => stored.themes.clone(),
            },
            label: self.label_of(
                &form.id,
                text,
                stored.compound,
                analysis::Label::of(stored.compound),
            ),
            ..stored.clone()
        }
    }

    /// The index record of a new response to `form` (the version it
    /// answers), for the store to keep beside it.
    pub fn record(&self, form: &Form, r: &NewResponse) -> Vec<u8> {
        record::encode(r, Some(&record::Names::of(form)))
    }

    /// Rebuilds the index of `form` from every stored response: from their
    /// index records, or from their JSON while some have no record yet.
    ///
    /// Responses and codes that arrive while it runs go to the old index
    /// (which queries keep using) and to a journal, replayed into the new
    /// index before it replaces the old one: none is lost, none counted
    /// twice.
    pub fn rebuild(&self, store: &dyn Store, form: &Form) -> Result<()> {
        let _one_at_a_time = self.rebuilding.lock().unwrap_or_else(|e| e.into_inner());
        self.journal_lock().insert(form.id.clone(), Vec::new());
        let built = self.build(store, form);
        let mut journal = self.journal_lock();
        let changes = journal.remove(&form.id).unwrap_or_default();
        let mut ix = built?;
        for change in changes {
            match change {
                Change::Response(r) => ix.push_new(&r),
                Change::Code(id, question, code) => {
                    if let Some(row) = ix.row_of(id) {
                        apply_manual(&mut ix, row, &question, &code);
                    }
                }
            }
        }
        ix.shrink();
        tracing::info!(form = %form.id, rows = ix.len(), bytes_per_row = ix.bytes_per_row(), "answer index built");
        self.indexes
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(form.id.clone(), Arc::new(RwLock::new(ix)));
        drop(journal);
        Ok(())
    }

    fn journal_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Change>>> {
        self.journal.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new index of `form` from what the store holds now.
    fn build(&self, store: &dyn Store, form: &Form) -> Result<FormIndex> {
        let mut ix = FormIndex::new(form);
        if store.records_complete() {
            // A record that cannot stand in for its response (an unknown
            // format, damage, or free text left out that the form now needs
            // as a choice) is replaced by the stored response itself.
            let mut from_json = 0usize;
            let versions = store.form_versions(&form.id)?;
            let names: Vec<record::Names<'_>> = versions.iter().map(record::Names::of).collect();
            let columns: Vec<Vec<Option<usize>>> =
                names.iter().map(|n| ix.columns_of(n.questions())).collect();
            two_stages(
                &mut |f| Ok(store.scan_records(&form.id, f)?),
                &mut |id, bytes| {
                    let version = |v| names.iter().position(|n| n.version() == v);
                    let pushed = record::decode(bytes, |v| version(v).map(|i| &names[i]))
                        .ok()
                        .is_some_and(|r| {
                            let columns = version(r.version).map_or(&[][..], |i| &columns[i]);
                            ix.push_record(id, &r, columns).is_ok()
                        });
                    if !pushed {
                        let r = store.response(&form.id, id)?.ok_or_else(|| {
                            Error::Corrupt(format!("response {id} has an index record only"))
                        })?;
                        ix.push(&r);
                        from_json += 1;
                    }
                    Ok(())
                },
            )?;
            if from_json > 0 {
                tracing::info!(form = %form.id, responses = from_json, "indexed from stored JSON, not index records");
            }
        } else {
            two_stages(
                &mut |f| Ok(store.scan_raw(&form.id, f)?),
                &mut |id, json| {
                    ix.push_json(id, json)
                        .map_err(|e| Error::Corrupt(format!("response {id}: {e}")))
                },
            )?;
        }
        for (id, codes) in store.manual_codes(&form.id)? {
            if let Some(row) = ix.row_of(id) {
                for (question, code) in codes {
                    apply_manual(&mut ix, row, &question, &code);
                }
            }
        }
        ix.mark_built();
        Ok(ix)
    }

    /// Adds a newly stored response to its form's index (once: a response
    /// a rebuild already found is not added again).
    pub fn append(&self, r: &StoredResponse) {
        let mut journal = self.journal_lock();
        if let Some(changes) = journal.get_mut(&r.form) {
            changes.push(Change::Response(r.clone()));
        }
        if let Some(ix) = self.index(&r.form) {
            ix.write().unwrap_or_else(|e| e.into_inner()).push_new(r);
        }
        drop(journal);
    }

    /// A copy of `form`'s index with the responses a bot check doubted
    /// added (from their stored JSON): what an analyst's `include=flagged`
    /// reads. Made for the one query, so it clones the index; flagged
    /// responses are few and the question is rare. `None` for an unknown
    /// form.
    pub fn with_flagged(&self, store: &dyn Store, form: &str) -> Result<Option<FormIndex>> {
        let Some(ix) = self.index(form) else {
            return Ok(None);
        };
        let mut copy = ix.read().unwrap_or_else(|e| e.into_inner()).clone();
        for r in store.flagged(form, usize::MAX)? {
            copy.push(&r);
        }
        Ok(Some(copy))
    }

    /// Puts an analyst's code for one answer into its form's index.
    pub fn set_code(&self, form: &str, id: ResponseId, question: &str, code: &ManualCode) {
        self.learned.codes_changed(form);
        let mut journal = self.journal_lock();
        if let Some(changes) = journal.get_mut(form) {
            changes.push(Change::Code(id, question.to_owned(), code.clone()));
        }
        if let Some(ix) = self.index(form) {
            let mut ix = ix.write().unwrap_or_else(|e| e.into_inner());
            if let Some(row) = ix.row_of(id) {
                apply_manual(&mut ix, row, question, code);
            }
        }
        drop(journal);
    }

    /// The index of a form.
    pub fn index(&self, form: &str) -> Option<Arc<RwLock<FormIndex>>> {
        self.indexes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(form)
            .cloned()
    }
}

/// What a store scan calls with each response's id and stored bytes.
type Visit<'a> = dyn FnMut(ResponseId, &[u8]) + 'a;

/// Runs `scan` on this thread, handing what it finds in batches to `index`
/// on a second one, so that walking sled and reading what it holds overlap.
/// Stops at the first error of either.
fn two_stages(
    scan: &mut dyn FnMut(&mut Visit<'_>) -> Result<()>,
    index: &mut (dyn FnMut(ResponseId, &[u8]) -> Result<()> + Send),
) -> Result<()> {
    const BATCH: usize = 4096;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(8);
    let (scanned, indexed) = std::thread::scope(|scope| {
        let indexer = scope.spawn(move || -> Result<()> {
            for batch in rx {
                for (i, &id) in batch.ids.iter().enumerate() {
                    index(id, &batch.bytes[batch.ends[i]..batch.ends[i + 1]])?;
                }
            }
            Ok(())
        });
        let mut batch = Batch::with_capacity(BATCH);
        let scanned = scan(&mut |id, bytes| {
            batch.push(id, bytes);
            if batch.ids.len() == BATCH {
                // A send fails only if the indexer stopped, which the join
                // below reports.
                let _ = tx.send(std::mem::replace(&mut batch, Batch::with_capacity(BATCH)));
            }
        });
        if !batch.ids.is_empty() {
            let _ = tx.send(batch);
        }
        drop(tx);
        let indexed = indexer
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (scanned, indexed)
    });
    indexed?;
    scanned
}

/// Stored bytes on their way from the sled walk to the indexer: one buffer
/// for a batch rather than an allocation per response.
struct Batch {
    ids: Vec<ResponseId>,
    bytes: Vec<u8>,
    /// Where each record ends in `bytes`, after a leading 0.
    ends: Vec<usize>,
}

impl Batch {
    fn with_capacity(n: usize) -> Batch {
        let mut ends = Vec::with_capacity(n + 1);
        ends.push(0);
        Batch {
            ids: Vec::with_capacity(n),
            bytes: Vec::with_capacity(n * 64),
            ends,
        }
    }

    fn push(&mut self, id: ResponseId, bytes: &[u8]) {
        self.ids.push(id);
        self.bytes.extend_from_slice(bytes);
        self.ends.push(self.bytes.len());
    }
}

/// Puts a manual code into the index row.
pub fn apply_manual(ix: &mut FormIndex, row: usize, question: &str, code: &ManualCode) {
    let Some((col, c)) = ix.column(question) else {
        return;
    };
    let mut mask = 0u32;
    for t in &code.themes {
        if let Some(b @ 1..=32) = c.dict.code(t) {
            mask |= 1 << (b - 1);
        }
    }
    let label = code.sentiment.map(record::label_code);
    ix.set_manual(row, col, mask, label);
}

#[cfg(test)]
mod tests {
    use super::form_index::FormIndex;
    use super::{record, Indexes};
    use crate::service::import;
    use synth::{Generator, Options};

    #[test]
    fn index_rows_read_from_json_equal_rows_pushed_live() {
        // The rebuild at start reads index records (or stored JSON in place,
        // while records are missing); live writes push the response itself.
        // All must give the same row.
        let analysis = Indexes::new(analysis::Scorer::new());
        for id in synth::FORMS {
            let text =
                std::fs::read_to_string(synth::forms_dir().join(format!("{id}.json"))).unwrap();
            let form: survey::Form = serde_json::from_str(&text).unwrap();
            let mut live = FormIndex::new(&form);
            let mut read = FormIndex::new(&form);
            let mut recorded = FormIndex::new(&form);
            let options = Options {
                seed: 5,
                count: 500,
                ..Options::default()
            };
            for (i, g) in Generator::new(&form, options).unwrap().enumerate() {
                let mut r = import::stored(&analysis, &form, &g.submission, g.received_ms).unwrap();
                let rid = crate::store::ResponseId {
                    ms: r.received_ms,
                    seq: i as u64 + 1,
                };
                r.id = Some(rid);
                // Case attributes on some rows, first seen part way in.
                if i >= 7 && i % 3 != 0 {
                    let team = ["East response", "West response", "CID"][i % 3];
                    r.attributes.insert("team".into(), team.into());
                }
                if i % 5 == 1 {
                    r.attributes
                        .insert("category".into(), format!("category {}", i % 4));
                }
                live.push(&r);
                read.push_json(rid, &serde_json::to_vec(&r).unwrap())
                    .unwrap();
                let names = record::Names::of(&form);
                let record = record::encode(&r, Some(&names));
                let record = record::decode(&record, |_| Some(&names)).unwrap();
                // Questions found by position in the version, or by id.
                let columns = recorded.columns_of(names.questions());
                let columns = if i % 2 == 0 { &columns[..] } else { &[] };
                recorded.push_record(rid, &record, columns).unwrap();
            }
            assert_eq!(live, recorded, "{id}: rows from index records");
            assert_eq!(live.ms, read.ms);
            assert_eq!(live.seq, read.seq);
            assert_eq!(live.location, read.location);
            assert_eq!(live.channel, read.channel);
            assert_eq!(live.lang, read.lang);
            assert_eq!(live.version, read.version);
            assert_eq!(live.attributes, read.attributes);
            assert_eq!(live.attributes.len(), 2, "{id}: team and category");
            assert_eq!(live.attributes[0].codes.len(), live.len());
            for (a, b) in live.columns.iter().zip(&read.columns) {
                assert_eq!(a.codes, b.codes, "{id}: {}", a.id);
                assert_eq!(a.masks, b.masks, "{id}: {}", a.id);
                assert_eq!(a.flags, b.flags, "{id}: {}", a.id);
            }
        }
    }
}

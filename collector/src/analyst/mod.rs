//! What analysts get from the collector: sentiment and theme coding of free
//! text when a response is stored, and the in-memory answer index that
//! aggregate and trend queries run on.

pub mod index;
pub mod query;

use crate::error::Result;
use crate::store::{ResponseId, Store, StoredResponse, TextCoding};
use analysis::{Coder, Scorer};
use index::FormIndex;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use survey::{Answer, Form, Kind};

/// Shared analysis state: the scorer, compiled codebooks and the indexes.
pub struct Analysis {
    scorer: Scorer,
    coders: Mutex<HashMap<(String, u32), Arc<Coder>>>,
    indexes: RwLock<HashMap<String, Arc<RwLock<FormIndex>>>>,
}

impl std::fmt::Debug for Analysis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analysis")
            .field("scorer", &self.scorer)
            .finish()
    }
}

impl Analysis {
    /// Analysis with this sentiment scorer.
    pub fn new(scorer: Scorer) -> Analysis {
        Analysis {
            scorer,
            coders: Mutex::default(),
            indexes: RwLock::default(),
        }
    }

    /// The sentiment scorer in use.
    pub fn scorer(&self) -> &Scorer {
        &self.scorer
    }

    fn coder(&self, form: &Form) -> Option<Arc<Coder>> {
        let codebook = form.codebook.as_ref()?;
        let mut coders = self.coders.lock().unwrap_or_else(|e| e.into_inner());
        Some(
            coders
                .entry((form.id.clone(), form.version))
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
            let s = self.scorer.score(text);
            let themes = coder
                .as_ref()
                .filter(|c| c.applies_to(&q.id))
                .map(|c| c.code(text))
                .unwrap_or_default();
            out.insert(
                q.id.clone(),
                TextCoding {
                    compound: s.compound,
                    label: s.label.as_str().to_owned(),
                    themes,
                },
            );
        }
        out
    }

    /// Rebuilds the index of `form` from every stored response.
    pub fn rebuild(&self, store: &dyn Store, form: &Form) -> Result<()> {
        // Two stages on two threads: this one walks sled and hands batches
        // of stored JSON to a second that parses them into index rows.
        const BATCH: usize = 4096;
        let mut ix = FormIndex::new(form);
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(ResponseId, Vec<u8>)>>(8);
        let (scanned, bad) = std::thread::scope(|scope| {
            let parser = scope.spawn(|| {
                let mut bad = None;
                for batch in rx {
                    for (id, json) in batch {
                        if let Err(e) = ix.push_json(id, &json) {
                            bad.get_or_insert((id, e));
                        }
                    }
                }
                bad
            });
            let mut batch = Vec::with_capacity(BATCH);
            let scanned = store.scan_raw(&form.id, &mut |id, json| {
                batch.push((id, json.to_vec()));
                if batch.len() == BATCH {
                    // A send fails only if the parser is gone, which the
                    // join below reports.
                    let _ = tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                }
            });
            if !batch.is_empty() {
                let _ = tx.send(batch);
            }
            drop(tx);
            let bad = parser
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (scanned, bad)
        });
        scanned?;
        if let Some((id, e)) = bad {
            return Err(crate::error::Error::Corrupt(format!("response {id}: {e}")));
        }
        for (id, codes) in store.manual_codes(&form.id)? {
            if let Some(row) = ix.row_of(id) {
                for (question, code) in codes {
                    apply_manual(&mut ix, row, &question, &code);
                }
            }
        }
        ix.shrink();
        tracing::info!(form = %form.id, rows = ix.len(), bytes_per_row = ix.bytes_per_row(), "answer index built");
        self.indexes
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(form.id.clone(), Arc::new(RwLock::new(ix)));
        Ok(())
    }

    /// Adds a newly stored response to its form's index.
    pub fn append(&self, r: &StoredResponse) {
        if let Some(ix) = self.index(&r.form) {
            ix.write().unwrap_or_else(|e| e.into_inner()).push(r);
        }
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

/// An analyst's codes for one text answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ManualCode {
    /// Theme ids.
    pub themes: Vec<String>,
    /// `positive`, `neutral` or `negative`, if the analyst set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<String>,
    /// Who coded it (the token's fingerprint).
    pub by: String,
    /// When, ms since the Unix epoch.
    pub at_ms: u64,
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
    let label = code
        .sentiment
        .as_deref()
        .and_then(|s| index::SENTIMENT_LABELS.iter().position(|l| *l == s))
        .map(|i| i as u8 + 1);
    ix.set_manual(row, col, mask, label);
}

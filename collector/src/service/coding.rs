//! Coding free text: the automatic codes of an answer, the analysts' codes
//! stored beside it, and setting them (stored durably, then applied to the
//! answer index at once so aggregates and filters see them).

use crate::error::{Error, Result};
use crate::index::Indexes;
use crate::model::{Label, ManualCode, ResponseId, StoredResponse, TextCoding};
use crate::store::Store;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use survey::Form;

/// The automatic coding of an answer: as stored, or computed now for a
/// response stored before its question was coded.
pub fn auto_coding(
    indexes: &Indexes,
    form: &Form,
    r: &StoredResponse,
    question: &str,
) -> TextCoding {
    if let Some(c) = r.coding.get(question) {
        return c.clone();
    }
    indexes
        .code_text(form, &r.answers)
        .remove(question)
        .unwrap_or(TextCoding {
            compound: 0.0,
            label: Label::Neutral,
            themes: Vec::new(),
            mixed: false,
            actionable: false,
        })
}

/// Every manual code of a form for the responses in `ids`.
pub fn manual_codes_of(
    store: &dyn Store,
    form: &str,
    ids: &HashSet<ResponseId>,
) -> Result<HashMap<ResponseId, BTreeMap<String, ManualCode>>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(store
        .manual_codes(form)?
        .into_iter()
        .filter(|(id, _)| ids.contains(id))
        .collect())
}

/// Finds a response by id among every form's responses.
pub fn find_response(store: &dyn Store, id: ResponseId) -> Result<Option<StoredResponse>> {
    for form in store.form_ids() {
        if let Some(r) = store.response(&form, id)? {
            return Ok(Some(r));
        }
    }
    Ok(None)
}

/// Stores an analyst's code for one answer, then puts it in the index.
pub async fn set(
    store: Arc<dyn Store>,
    indexes: &Indexes,
    form: &str,
    id: ResponseId,
    question: &str,
    code: &ManualCode,
) -> Result<()> {
    // The store syncs to disk before it returns: keep that off the runtime.
    let (f, q, stored) = (form.to_owned(), question.to_owned(), code.clone());
    tokio::task::spawn_blocking(move || store.set_manual_code(&f, id, &q, &stored))
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    indexes.set_code(form, id, question, code);
    Ok(())
}

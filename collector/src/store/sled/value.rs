//! How a response's value is read and written in the `responses` tree:
//! under its `r` key the *rest* (arrival time, free text, compound scores;
//! see [`crate::model::stored`]) and under its `x` key its index record,
//! which holds everything else. A response stored as JSON (before schema
//! 2, and every flagged response) is read as JSON; the compaction pass
//! rewrites old JSON responses as record and rest.
//!
//! ```text
//! r key: rest ─┐
//! x key: record┴─ join (names of the version answered) ─► StoredResponse
//! r key: {JSON} ─────────────────────────────────────────► StoredResponse
//! ```

use super::SledStore;
use crate::model::record::{self, Names};
use crate::model::stored;
use crate::model::StoredResponse;
use crate::store::keys::{self, ResponseId};
use crate::store::{Error, Result};
use std::sync::Arc;
use survey::Form;

/// Every published version of one form, oldest first, and their names for
/// reading records.
pub(super) struct Versions {
    forms: Vec<Arc<Form>>,
}

impl Versions {
    pub(super) fn new(forms: Vec<Arc<Form>>) -> Versions {
        Versions { forms }
    }

    /// The names of every version, to decode records with.
    pub(super) fn names(&self) -> Vec<Names<'_>> {
        self.forms.iter().map(|f| Names::of(f)).collect()
    }
}

/// The names of version `v` among `names`.
fn names_of<'a, 'f>(names: &'a [Names<'f>], v: u32) -> Option<&'a Names<'f>> {
    names.iter().find(|n| n.version() == v)
}

impl SledStore {
    /// The versions of `form` the store holds.
    pub(super) fn versions(&self, form: &str) -> Versions {
        Versions::new(
            self.versions
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(form)
                .cloned()
                .unwrap_or_default(),
        )
    }

    /// The response stored under the response key `key` with value
    /// `value`, given the names of its form's versions.
    pub(super) fn read_value(
        &self,
        form: &str,
        id: ResponseId,
        key: &[u8],
        value: &[u8],
        names: &[Names<'_>],
    ) -> Result<StoredResponse> {
        let mut r = if stored::is_rest(value) {
            let rec = self
                .responses
                .get(keys::record_of(key))?
                .ok_or_else(|| Error::Corrupt(format!("response {id} has no index record")))?;
            let decoded = record::decode(&rec, |v| names_of(names, v))
                .map_err(|e| Error::Corrupt(format!("response {id}: {e}")))?;
            stored::join(&decoded, value)
                .map_err(|e| Error::Corrupt(format!("response {id}: {e}")))?
        } else {
            serde_json::from_slice(value).map_err(|e| Error::Corrupt(e.to_string()))?
        };
        r.id = Some(id);
        r.form = form.to_owned();
        Ok(r)
    }
}

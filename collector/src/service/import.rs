//! Bulk import of historic submissions (demo data, migrations), with the
//! server stopped: each is validated and coded exactly as ingest would,
//! then written in large batches with one flush at the end.
//!
//! ```text
//! (submission, arrival ms)… ─► validate + code (as ingest) ─► SledStore::import (+ index records)
//! ```

use super::ingest;
use crate::index::{record, Indexes};
use crate::model::{NewResponse, StoredResponse};
use crate::store::{Doc, SledStore, Store};
use survey::{Form, Problem, Submission};

/// The response ingest would hand the store for `submission`: validated
/// against `form` and with its free text coded by `indexes`.
pub fn new_response(
    indexes: &Indexes,
    form: &Form,
    submission: &Submission,
) -> Result<NewResponse, Vec<Problem>> {
    let valid = survey::validate(form, submission)?;
    Ok(ingest::new_response(indexes, form, valid, None))
}

/// The response ingest would store for `submission` arriving at
/// `received_ms`, as a bulk import takes it (with no id yet: the import
/// gives it one).
pub fn stored(
    indexes: &Indexes,
    form: &Form,
    submission: &Submission,
    received_ms: u64,
) -> Result<StoredResponse, Vec<Problem>> {
    let r = new_response(indexes, form, submission)?;
    Ok(StoredResponse {
        id: None,
        form: r.form,
        version: r.version,
        received_ms,
        location: r.location,
        channel: r.channel,
        lang: r.lang,
        answers: r.answers,
        coding: r.coding,
        flag: r.flag,
        // Historic rows come with no invitation, and their personal
        // answers (if a row carried any) are not imported.
        attributes: r.attributes,
    })
}

/// Validates, codes and bulk-imports `rows` (submissions with their
/// arrival times, oldest first) into `store`; returns how many were stored.
///
/// Rows are streamed (validated and written 10,000 at a time), so a
/// million of them need no more memory than a few thousand. Stops at the
/// first row that is not valid, after storing those before it.
pub fn load(
    store: &SledStore,
    indexes: &Indexes,
    form: &Form,
    rows: impl IntoIterator<Item = (Submission, u64)>,
) -> anyhow::Result<usize> {
    // The coding its answers get is the form's if it had none stored, or
    // had these already; else the collector scores all again at its next
    // start (`service::learning::load`).
    let coding = indexes.coding_version();
    let noted = store.get_doc(Doc::Coding, &form.id)?;
    let alike = noted.as_deref() == Some(coding.as_bytes())
        || (noted.is_none() && store.responses(&form.id, None, 1)?.is_empty());
    let mut problem = None;
    let rows = rows
        .into_iter()
        .map_while(|(s, ms)| match stored(indexes, form, &s, ms) {
            Ok(r) => Some(r),
            Err(p) => {
                problem = Some(p);
                None
            }
        });
    let n = store.import(form, rows, record::encoder)?;
    if alike {
        store.put_doc(Doc::Coding, &form.id, coding.as_bytes())?;
    }
    if let Some(p) = problem {
        anyhow::bail!(
            "a generated response to {} is not valid: {}",
            form.id,
            p.iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    Ok(n)
}

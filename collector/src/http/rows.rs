//! The rows a query reads (`include=flagged`): the form's live answer
//! index, or, when an analyst asks for the responses a bot check doubted
//! too, a copy of it made for that query with them added. Aggregates,
//! trends and free text read through it; the export reads the flagged
//! responses from the store beside the others.

use super::auth::Staff;
use super::forms::no_form;
use super::AppState;
use crate::error::{Error, Result};
use crate::index::form_index::FormIndex;

/// Whether the query asks for the responses a bot check doubted too
/// (`include=flagged`): analysts and admins only, since a supervisor's
/// view is of their own teams' real answers.
pub(super) fn include_flagged(staff: &Staff, pairs: &[(String, String)]) -> Result<bool> {
    let mut flagged = false;
    for (_, v) in pairs.iter().filter(|(k, _)| k == "include") {
        match v.as_str() {
            "flagged" => flagged = true,
            other => {
                return Err(Error::BadRequest(format!(
                    "include: '{other}' is not 'flagged' (the responses a bot check doubted)"
                )))
            }
        }
    }
    if flagged && staff.scope.is_some() {
        return Err(Error::Forbidden(
            "include=flagged is for analysts and admins".into(),
        ));
    }
    Ok(flagged)
}

/// The rows a query reads: the form's live index, or with
/// `include=flagged` a copy with the doubted responses added.
pub(super) enum Rows {
    Live(std::sync::Arc<std::sync::RwLock<FormIndex>>),
    WithFlagged(Box<FormIndex>),
}

/// [`Rows`] while read.
pub(super) enum ReadRows<'a> {
    Live(std::sync::RwLockReadGuard<'a, FormIndex>),
    WithFlagged(&'a FormIndex),
}

impl Rows {
    pub(super) fn read(&self) -> ReadRows<'_> {
        match self {
            Rows::Live(ix) => ReadRows::Live(ix.read().unwrap_or_else(|e| e.into_inner())),
            Rows::WithFlagged(ix) => ReadRows::WithFlagged(ix),
        }
    }
}

impl std::ops::Deref for ReadRows<'_> {
    type Target = FormIndex;
    fn deref(&self) -> &FormIndex {
        match self {
            ReadRows::Live(g) => g,
            ReadRows::WithFlagged(ix) => ix,
        }
    }
}

/// The rows `form`'s query reads, as its `include` asks.
pub(super) fn rows(
    state: &AppState,
    staff: &Staff,
    form: &str,
    pairs: &[(String, String)],
) -> Result<Rows> {
    if include_flagged(staff, pairs)? {
        let copy = state
            .indexes
            .with_flagged(state.store.as_ref(), form)?
            .ok_or_else(|| no_form(form))?;
        Ok(Rows::WithFlagged(Box::new(copy)))
    } else {
        Ok(Rows::Live(
            state.indexes.index(form).ok_or_else(|| no_form(form))?,
        ))
    }
}

//! "We did": what the force did about what people raised. An admin
//! records a short entry against a form's themes and the wards it
//! concerns; each ward's public page (`/results/{ward}`) lists the
//! entries for it beside the themes people raised there.
//!
//! ```text
//! POST /api/v1/actions (admin) ─check─► store (Doc::Action, by id) ─► for_ward ─► /results/{ward}, the dashboard
//! ```

use crate::error::{Error, Result};
use crate::model::{now_ms, Level, Register};
use crate::store::{Doc, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use survey::{Problem, ProblemKind};

/// Longest entry, in characters, in any language.
pub const MAX_TEXT: usize = 600;

/// An entry as given: what was done, where, about what.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAction {
    /// The form whose themes it answers.
    pub form: String,
    /// Theme ids of the form's codebook it answers (at least one).
    pub themes: Vec<String>,
    /// Ward ids it concerns (at least one).
    pub wards: Vec<String>,
    /// What was done: language → text (the form's default language at
    /// least), up to 600 characters each.
    #[schema(value_type = BTreeMap<String, String>)]
    pub text: BTreeMap<String, String>,
    /// When it was done, `YYYY-MM-DD`.
    pub done_on: String,
}

/// An entry as stored and listed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Action {
    /// Its id.
    pub id: String,
    /// The form whose themes it answers.
    pub form: String,
    /// Theme ids.
    pub themes: Vec<String>,
    /// Ward ids.
    pub wards: Vec<String>,
    /// Language → text.
    #[schema(value_type = BTreeMap<String, String>)]
    pub text: BTreeMap<String, String>,
    /// When it was done, `YYYY-MM-DD`.
    pub done_on: String,
    /// Who recorded it: the token's id.
    pub by: String,
    /// When it was recorded, ms since the Unix epoch.
    pub created_ms: u64,
}

fn problem(field: &str, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        code: ProblemKind::Invalid,
        message: message.into(),
    }
}

/// Checks and stores a new entry; the problems name each field at fault.
pub fn add(store: &dyn Store, register: &Register, new: NewAction, by: String) -> Result<Action> {
    let mut problems = Vec::new();
    let published = store.form(&new.form);
    match &published {
        None => problems.push(problem("form", format!("no form '{}'", new.form))),
        Some(p) => {
            if new.themes.is_empty() {
                problems.push(problem("themes", "name at least one theme"));
            }
            let codebook = p.form.codebook.as_ref();
            for (i, t) in new.themes.iter().enumerate() {
                if !codebook.is_some_and(|c| c.themes.iter().any(|x| &x.id == t)) {
                    problems.push(problem(
                        &format!("themes[{i}]"),
                        format!("'{t}' is not a theme of the form's codebook"),
                    ));
                }
            }
            let default = &p.form.default_lang;
            if !new.text.contains_key(default) {
                problems.push(problem(
                    "text",
                    format!("give the text in the form's default language, '{default}'"),
                ));
            }
            for (lang, text) in &new.text {
                if !p.form.languages.contains(lang) {
                    problems.push(problem(
                        &format!("text.{lang}"),
                        format!("'{lang}' is not one of the form's languages"),
                    ));
                }
                let n = text.trim().chars().count();
                if n == 0 || n > MAX_TEXT {
                    problems.push(problem(
                        &format!("text.{lang}"),
                        format!("must be 1 to {MAX_TEXT} characters"),
                    ));
                }
            }
        }
    }
    if new.wards.is_empty() {
        problems.push(problem("wards", "name at least one ward"));
    }
    for (i, w) in new.wards.iter().enumerate() {
        if !register.has(Level::Ward, w) {
            problems.push(problem(
                &format!("wards[{i}]"),
                format!("'{w}' is not a ward of the register"),
            ));
        }
    }
    if time::Date::parse(
        &new.done_on,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .is_err()
    {
        problems.push(problem("done_on", "must be a date, YYYY-MM-DD"));
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let created_ms = now_ms();
    let mut random = [0u8; 4];
    getrandom::fill(&mut random).map_err(|e| Error::Io(std::io::Error::other(e)))?;
    let action = Action {
        // Sorts in the order recorded.
        id: format!("{created_ms:013}-{}", hex::encode(random)),
        form: new.form,
        themes: new.themes,
        wards: new.wards,
        text: new
            .text
            .into_iter()
            .map(|(k, v)| (k, v.trim().to_owned()))
            .collect(),
        done_on: new.done_on,
        by,
        created_ms,
    };
    let json = serde_json::to_vec(&action).map_err(|e| Error::Io(std::io::Error::other(e)))?;
    store.put_doc(Doc::Action, &action.id, &json)?;
    Ok(action)
}

/// Every entry, newest done first.
pub fn all(store: &dyn Store) -> Result<Vec<Action>> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.docs(Doc::Action, after.as_deref(), 500)?;
        let Some((last, _)) = page.last() else { break };
        after = Some(last.clone());
        let full = page.len() == 500;
        for (k, v) in page {
            let a: Action = serde_json::from_slice(&v)
                .map_err(|e| Error::Corrupt(format!("action {k}: {e}")))?;
            out.push(a);
        }
        if !full {
            break;
        }
    }
    out.sort_by(|a, b| b.done_on.cmp(&a.done_on).then(b.id.cmp(&a.id)));
    Ok(out)
}

/// The entries for `ward`, newest done first.
pub fn for_ward(store: &dyn Store, ward: &str) -> Result<Vec<Action>> {
    Ok(all(store)?
        .into_iter()
        .filter(|a| a.wards.iter().any(|w| w == ward))
        .collect())
}

/// Removes the entry `id`; false if there was none.
pub fn remove(store: &dyn Store, id: &str) -> Result<bool> {
    Ok(store.remove_doc(Doc::Action, id)?)
}

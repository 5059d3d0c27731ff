//! The register of places in use: loaded from the deployment's file at
//! start, edited by admins, kept in the store, and put into the forms
//! that take their places from it.
//!
//! ```text
//! places.json ──start (when the file changed)──┐
//! PUT /api/v1/places ──────────────────────────┴─► store (Doc::Places) ─► Places (in memory)
//!                                                        └─► republish the forms with "place_register"
//! ```
//!
//! The file wins when it changed since it was last loaded; otherwise the
//! stored register (an admin's edits) is kept across restarts.

use crate::error::{Error, Result};
use crate::model::Register;
use crate::store::{Doc, Store};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use survey::{Form, UNKNOWN_PLACE};

/// The register's one record in the store.
const KEY: &str = "register";

/// The register in use, shared by every request.
#[derive(Debug, Default)]
pub struct Places {
    current: RwLock<Arc<Register>>,
}

impl Places {
    /// Places holding `register`.
    pub fn new(register: Register) -> Places {
        Places {
            current: RwLock::new(Arc::new(register)),
        }
    }

    /// The register now.
    pub fn get(&self) -> Arc<Register> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set(&self, register: Register) {
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(register);
    }
}

/// What the store keeps: the register, and the digest of the file it was
/// last loaded from.
#[derive(Serialize, Deserialize)]
struct Saved {
    register: Register,
    #[serde(default)]
    file_sha256: Option<String>,
}

fn saved(store: &dyn Store) -> Result<Option<Saved>> {
    match store.get_doc(Doc::Places, KEY)? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Corrupt(format!("the stored register of places: {e}"))),
    }
}

fn save(store: &dyn Store, s: &Saved) -> Result<()> {
    let bytes = serde_json::to_vec(s).map_err(|e| Error::Corrupt(e.to_string()))?;
    store.put_doc(Doc::Places, KEY, &bytes)?;
    Ok(())
}

/// The register file a deployment uses: `configured`, else `places.json`
/// beside the forms folder when there is one.
pub fn file_for(configured: Option<&Path>, forms: &Path) -> Option<PathBuf> {
    if let Some(p) = configured {
        return Some(p.to_owned());
    }
    let beside = forms.parent()?.join("places.json");
    beside.is_file().then_some(beside)
}

/// Loads the register at start: from `file` when it changed since it was
/// last loaded (or nothing is stored yet), else the stored one; an empty
/// register when there is neither. A file with problems stops the start.
pub fn load(store: &dyn Store, file: Option<&Path>) -> anyhow::Result<Register> {
    let stored = saved(store)?;
    let Some(path) = file else {
        return Ok(stored.map(|s| s.register).unwrap_or_default());
    };
    let bytes = std::fs::read(path).map_err(|e| {
        anyhow::anyhow!("cannot read the register of places {}: {e}", path.display())
    })?;
    let digest = hex::encode(sha2::Sha256::digest(&bytes));
    if let Some(s) = stored.filter(|s| s.file_sha256.as_deref() == Some(digest.as_str())) {
        return Ok(s.register);
    }
    let register = Register::from_json(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: not a register of places: {e}", path.display()))?;
    if let Err(problems) = register.check() {
        let lines: Vec<String> = problems
            .iter()
            .map(|p| format!("  {}: {}", p.path, p.message))
            .collect();
        anyhow::bail!("{} has problems:\n{}", path.display(), lines.join("\n"));
    }
    save(
        store,
        &Saved {
            register: register.clone(),
            file_sha256: Some(digest),
        },
    )?;
    tracing::info!(
        file = %path.display(),
        sites = register.sites.len(),
        wards = register.wards.len(),
        "register of places loaded"
    );
    Ok(register)
}

/// Replaces the register (an admin's edit), durably; the file it was
/// last loaded from is remembered, so a restart keeps the edit until the
/// file itself changes.
pub fn replace(store: &dyn Store, places: &Places, register: Register) -> Result<()> {
    if let Err(problems) = register.check() {
        return Err(Error::InvalidRows(
            problems
                .into_iter()
                .map(|p| serde_json::json!({"field": p.path, "message": p.message}))
                .collect(),
        ));
    }
    let file_sha256 = saved(store)?.and_then(|s| s.file_sha256);
    save(
        store,
        &Saved {
            register: register.clone(),
            file_sha256,
        },
    )?;
    places.set(register);
    Ok(())
}

/// Puts the register's places into a form that takes them from it.
pub fn resolve(form: &mut Form, register: &Register) {
    if let Some(level) = form.place_register {
        form.places = register.places_at(level);
    }
}

/// A response's place as stored: `loc` when the form or the register
/// knows it, else [`UNKNOWN_PLACE`]: a mangled or unknown tag never costs
/// a person their answer.
pub fn normalise(register: &Register, form: &Form, loc: Option<String>) -> Option<String> {
    let loc = loc?;
    if form.place(&loc).is_some() || register.lineage(&loc).is_some() {
        Some(loc)
    } else {
        Some(UNKNOWN_PLACE.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn register() -> Register {
        Register::from_json(
            br#"{"sectors": [{"id": "east", "name": "East"}],
                 "clusters": [{"id": "c", "name": "C", "sector": "east"}],
                 "wards": [{"id": "tower", "name": "Tower", "cluster": "c"}],
                 "sites": [{"id": "tower-hill", "name": "Tower Hill", "ward": "tower", "installed": "2025-04-01"}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn an_unknown_or_mangled_place_is_kept_as_unknown() {
        let form = Form::from_value(&serde_json::json!({
            "id": "f", "title": "T", "default_lang": "en", "languages": ["en"],
            "privacy_notice": "P", "not_for_reporting": "N", "place_register": "ward",
            "questions": [{"id": "q", "kind": "scale", "text": "Q", "min": 1, "max": 5, "required": true}]
        }))
        .unwrap();
        let r = register();
        let n = |l: &str| normalise(&r, &form, Some(l.to_owned()));
        assert_eq!(n("tower-hill").as_deref(), Some("tower-hill"));
        assert_eq!(n("tower").as_deref(), Some("tower"));
        assert_eq!(n("narnia").as_deref(), Some(UNKNOWN_PLACE));
        assert_eq!(n("<script>").as_deref(), Some(UNKNOWN_PLACE));
        assert_eq!(normalise(&r, &form, None), None);
        let mut form = form;
        resolve(&mut form, &r);
        assert_eq!(form.places.len(), 1);
        assert_eq!(form.places[0].id, "tower");
    }
}

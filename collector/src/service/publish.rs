//! Publishing forms from a folder of JSON files, at start and for
//! `demo-data`: a changed file becomes a new version, an unchanged one is
//! left as it is.

use crate::error::Result;
use crate::index::Indexes;
use crate::store::{self, Published, Store};
use std::path::Path;
use std::sync::Arc;
use survey::Form;

/// Publishes `form` as a new version (unless it equals the current one)
/// and lays its answer index out anew: a new version may add questions or
/// options. Syncs to disk and reads every response: call it off the async
/// runtime.
pub fn publish(store: &dyn Store, indexes: &Indexes, form: Form) -> Result<Arc<Published>> {
    let published = store.publish(form)?;
    indexes.rebuild(store, &published.form)?;
    Ok(published)
}

/// Publishes every `*.json` form in `dir`.
pub fn publish_folder(store: &dyn Store, dir: &Path) -> anyhow::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(dir = %dir.display(), "no forms folder; serving the forms already published");
            return Ok(());
        }
        Err(e) => return Err(anyhow::anyhow!("cannot read {}: {e}", dir.display())),
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path)?;
        let form: survey::Form = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: not a valid form: {e}", path.display()))?;
        let published = store.publish(form).map_err(|e| match e {
            store::Error::InvalidForm(problems) => {
                let list: Vec<String> = problems
                    .iter()
                    .map(|p| format!("  {}: {}", p.path, p.message))
                    .collect();
                anyhow::anyhow!("{} has problems:\n{}", path.display(), list.join("\n"))
            }
            e => anyhow::anyhow!("{}: {e}", path.display()),
        })?;
        tracing::info!(form = %published.form.id, version = published.form.version, "form published");
    }
    Ok(())
}

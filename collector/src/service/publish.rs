//! Publishing forms from a folder of JSON files, at start and for
//! `demo-data`: a changed file becomes a new version, an unchanged one is
//! left as it is. A deployment's own safeguarding lists
//! ([`Overrides`]) go into the forms they name first.

use crate::error::Result;
use crate::index::Indexes;
use crate::model::Register;
use crate::service::safeguarding::Overrides;
use crate::store::{self, Published, Store};
use std::path::Path;
use std::sync::Arc;
use survey::Form;

/// Publishes the forms that take their places from the register anew
/// with `register`'s places: those whose places changed become a new
/// version, the others are left as they are.
pub fn republish_register_forms(
    store: &dyn Store,
    indexes: &Indexes,
    register: &Register,
) -> Result<Vec<Arc<Published>>> {
    let mut out = Vec::new();
    for id in store.form_ids() {
        let Some(current) = store.form(&id) else {
            continue;
        };
        if current.form.place_register.is_none() {
            continue;
        }
        let mut form = current.form.clone();
        super::places::resolve(&mut form, register);
        if form.places != current.form.places {
            let published = publish(store, indexes, form)?;
            log_published(&published.form, None);
            out.push(published);
        }
    }
    Ok(out)
}

/// Publishes `form` as a new version (unless it equals the current one)
/// and lays its answer index out anew: a new version may add questions or
/// options. Syncs to disk and reads every response: call it off the async
/// runtime.
pub fn publish(store: &dyn Store, indexes: &Indexes, form: Form) -> Result<Arc<Published>> {
    let published = store.publish(form)?;
    indexes.rebuild(store, &published.form)?;
    Ok(published)
}

/// Publishes every `*.json` form in `dir`, with the register of places
/// the store holds (else the one beside `dir`, loaded into the store).
pub fn publish_folder(store: &dyn Store, dir: &Path) -> anyhow::Result<()> {
    let register = super::places::load(store, super::places::file_for(None, dir).as_deref())?;
    publish_folder_with(store, dir, &Overrides::default(), &register)
}

/// Publishes every `*.json` form in `dir`, with a deployment's own
/// safeguarding lists put in first; then puts them into any other form
/// they name that is already published. A form they name that is neither
/// stops the start: the lists would silently apply to nothing.
pub fn publish_folder_with(
    store: &dyn Store,
    dir: &Path,
    overrides: &Overrides,
    register: &Register,
) -> anyhow::Result<()> {
    let mut done = Vec::new();
    publish_files(store, dir, overrides, register, &mut done)?;
    for id in overrides
        .form_ids()
        .filter(|id| !done.iter().any(|d| d == id))
    {
        let Some(current) = store.form(id) else {
            anyhow::bail!("safeguarding phrases are given for '{id}', which is not a form");
        };
        let mut form = current.form.clone();
        let version = overrides.apply(&mut form).map(str::to_owned);
        super::places::resolve(&mut form, register);
        let published = store.publish(form).map_err(|e| problems(id, e))?;
        log_published(&published.form, version.as_deref());
    }
    Ok(())
}

fn publish_files(
    store: &dyn Store,
    dir: &Path,
    overrides: &Overrides,
    register: &Register,
    done: &mut Vec<String>,
) -> anyhow::Result<()> {
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
        let mut form: survey::Form = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: not a valid form: {e}", path.display()))?;
        let version = overrides.apply(&mut form).map(str::to_owned);
        super::places::resolve(&mut form, register);
        done.push(form.id.clone());
        let published = store
            .publish(form)
            .map_err(|e| problems(&path.display().to_string(), e))?;
        log_published(&published.form, version.as_deref());
    }
    Ok(())
}

/// A form the store refused, every problem on its own line.
fn problems(what: &str, e: store::Error) -> anyhow::Error {
    match e {
        store::Error::InvalidForm(problems) => {
            let list: Vec<String> = problems
                .iter()
                .map(|p| format!("  {}: {}", p.path, p.message))
                .collect();
            anyhow::anyhow!("{what} has problems:\n{}", list.join("\n"))
        }
        e => anyhow::anyhow!("{what}: {e}"),
    }
}

fn log_published(form: &survey::Form, deployment_lists: Option<&str>) {
    match deployment_lists {
        None => tracing::info!(form = %form.id, version = form.version, "form published"),
        Some(lists) => tracing::info!(
            form = %form.id,
            version = form.version,
            safeguarding_lists = lists,
            "form published with the deployment's safeguarding phrases"
        ),
    }
}

//! The background worker: retrains the forms whose hand codes changed and
//! runs the passes that a new model, a shipped coding or an adoption left
//! to do, a form at a time, on the blocking pool.

use super::{latest, recode, train, Redo};
use crate::error::Result;
use crate::index::learned::Work;
use crate::index::Indexes;
use crate::model::now_ms;
use crate::store::{Doc, Store};
use std::sync::{Arc, Weak};

/// Does the work noted so far: retrains the forms whose codes changed
/// (a form whose model is younger than `retrain_after` waits, unless an
/// analyst asked), then codes again what a new model (or a response coded
/// across an adoption) left to redo. Returns the forms given a new model.
/// Work that fails is noted again for the next round, and the other forms'
/// work still done; the first error is returned.
pub fn run_once(
    store: &dyn Store,
    indexes: &Indexes,
    retrain_after: std::time::Duration,
) -> Result<Vec<String>> {
    let learned = indexes.learned();
    let mut trained = Vec::new();
    let mut first_error = None;
    // Training notes a pass of its own: the second round does it.
    for _ in 0..2 {
        let work = learned.take_work();
        if work.is_empty() {
            break;
        }
        for (form, w) in work {
            let mut undone = Work::default();
            if w.retrain {
                let young = !w.now
                    && latest(store, &form).ok().flatten().is_some_and(|m| {
                        now_ms().saturating_sub(m.trained_at_ms) < retrain_after.as_millis() as u64
                    });
                if young {
                    undone.retrain = true;
                } else {
                    match train(store, indexes, &form) {
                        Ok(Some(_)) => trained.push(form.clone()),
                        Ok(None) => {}
                        Err(e) => {
                            undone.retrain = true;
                            undone.now = w.now;
                            first_error.get_or_insert(e);
                        }
                    }
                }
            }
            if let Some(from) = w.recode_from {
                let redo = w.shipped.unwrap_or(Redo::Themes);
                match recode(store, indexes, &form, from, redo) {
                    Ok(pass) if pass.stopped => {
                        undone.recode_from = Some(from);
                        undone.shipped = w.shipped;
                    }
                    Ok(_) => {
                        // A whole pass notes the coding itself.
                        if w.shipped.is_some() && redo != Redo::Whole {
                            let coding = indexes.coding_version();
                            if let Err(e) = store.put_doc(Doc::Coding, &form, coding.as_bytes()) {
                                undone.recode_from = Some(from);
                                undone.shipped = w.shipped;
                                first_error.get_or_insert(e.into());
                            }
                        }
                    }
                    Err(e) => {
                        undone.recode_from = Some(from);
                        undone.shipped = w.shipped;
                        first_error.get_or_insert(e);
                    }
                }
            }
            if undone != Work::default() {
                learned.put_back(&form, undone);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(trained),
    }
}

/// Runs [`run_once`] every `every` until `stop` resolves, on the blocking
/// pool; holds the store weakly, so it closes when the app is dropped.
/// The caller ends a pass under way with [`Learned::stop`] before it
/// resolves `stop`.
///
/// [`Learned::stop`]: crate::index::learned::Learned::stop
pub async fn run(
    store: Weak<dyn Store>,
    indexes: Arc<Indexes>,
    every: std::time::Duration,
    retrain_after: std::time::Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    indexes.learned().start();
    let mut stop = std::pin::pin!(stop);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = &mut stop => return,
        }
        let Some(store) = store.upgrade() else { return };
        let indexes = indexes.clone();
        let done =
            tokio::task::spawn_blocking(move || run_once(store.as_ref(), &indexes, retrain_after))
                .await;
        match done {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "learning from analysts' codes failed"),
            Err(e) => tracing::error!(error = %e, "learning from analysts' codes stopped"),
        }
    }
}

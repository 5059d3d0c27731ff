//! A pass over a form's stored answers: what must be made again of
//! answers scored by another coding ([`redo_between`]), and coding them
//! again on the background threads, a run of answers at a time
//! ([`recode`]).

use super::{latest, models, owed, owed_key, put, Recoded};
use crate::error::Result;
use crate::index::Indexes;
use crate::model::{now_ms, ResponseId, StoredResponse, ERASED_TEXT};
use crate::service::background;
use crate::store::{Doc, Store};
use survey::Answer;

use crate::index::learned::Redo;

/// What a pass must make again of answers scored by coding `was` for
/// them to count as coding `now` ([`Indexes::coding_version`]) scores
/// them. A coding noted before it had a themes part coded themes with the
/// codebook alone; one with no label part is scored again whole.
pub fn redo_between(was: &str, now: &str) -> Redo {
    let split = |c: &str| {
        let mut parts = c.split("; ");
        let lexicon = parts.next().unwrap_or_default().to_owned();
        let (mut label, mut mixed, mut themes) = (None, None, "codebook".to_owned());
        for part in parts {
            match part.split_once(' ') {
                Some(("label", l)) => label = Some(l.to_owned()),
                Some(("mixed", m)) => mixed = Some(m.to_owned()),
                Some(("themes", t)) => themes = t.to_owned(),
                _ => {}
            }
        }
        (lexicon, label, mixed, themes)
    };
    let (was_lexicon, was_label, was_mixed, _) = split(was);
    let (now_lexicon, now_label, now_mixed, _) = split(now);
    // The lexicon's label is the compound's: only a model's is made again
    // from the stored compound.
    let model = |l: &Option<String>| l.as_deref().is_some_and(|l| l != "lexicon");
    if was_lexicon != now_lexicon || was_mixed != now_mixed || was_label.is_none() {
        Redo::Whole
    } else if was_label == now_label {
        Redo::Themes
    } else if model(&was_label) && model(&now_label) {
        Redo::Label
    } else {
        Redo::Whole
    }
}

/// What a re-coding pass did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pass {
    /// Coded answers read.
    pub answers: u64,
    /// Of which the themes changed.
    pub changed: u64,
    /// Whether it ended early because the server stops.
    pub stopped: bool,
}

/// Codes again the stored answers to `form` from `from` on with the coding
/// in use, as much of each as `redo` says, then rebuilds its index. With
/// [`Redo::Themes`] their labels too if a label model learned from the
/// analysts is or ever was in use. With [`Redo::Whole`], once the pass is
/// done the coding it used is noted as the form's ([`Doc::Coding`]).
pub fn recode(
    store: &dyn Store,
    indexes: &Indexes,
    form: &str,
    from: ResponseId,
    redo: Redo,
) -> Result<Pass> {
    let started = std::time::Instant::now();
    let relabel = models(store, form)?
        .iter()
        .any(|m| m.sentiment.as_ref().is_some_and(|s| s.use_learned));
    let versions = store.form_versions(form)?;
    // The answers noted as coded across an adoption that this pass codes
    // (each stored before its note, so before the pass begins).
    let covered: Vec<ResponseId> = owed(store, form)?
        .into_iter()
        .filter(|id| *id >= from)
        .collect();
    let from = (from != ResponseId { ms: 0, seq: 0 }).then_some(from);
    let (mut answers, mut changed, mut stopped) = (0u64, 0u64, false);
    // Each run of responses is coded on every core, below the server's
    // priority: scoring a million answers whole is mostly this.
    let n = store.recode(form, from, &mut |run: &mut [StoredResponse]| {
        if indexes.learned().stopping() {
            stopped = true;
            return None;
        }
        let counts = background::map(run, |r| {
            let Some(version) = versions.iter().find(|v| v.version == r.version) else {
                return (0, 0);
            };
            let (mut answers, mut changed) = (0u64, 0u64);
            for (question, coding) in &mut r.coding {
                let Some(Answer::Text(text)) = r.answers.get(question) else {
                    continue;
                };
                if text == ERASED_TEXT {
                    continue;
                }
                let now = match redo {
                    Redo::Whole => Some(indexes.rescore(version, question, text)),
                    Redo::Label => Some(indexes.relabel(version, question, text, coding)),
                    Redo::Themes => indexes.recode(version, question, text, coding, relabel),
                };
                if let Some(now) = now {
                    answers += 1;
                    if now != *coding {
                        *coding = now;
                        changed += 1;
                    }
                }
            }
            (answers, changed)
        });
        answers += counts.iter().map(|c| c.0).sum::<u64>();
        changed += counts.iter().map(|c| c.1).sum::<u64>();
        Some(counts.iter().map(|c| c.1 > 0).collect())
    })?;
    if n > 0 {
        if let Some(published) = store.form(form) {
            indexes.rebuild(store, &published.form)?;
        }
    }
    if redo == Redo::Whole && !stopped {
        store.put_doc(Doc::Coding, form, indexes.coding_version().as_bytes())?;
    }
    if !stopped {
        for id in covered {
            store.remove_doc(Doc::Owed, &owed_key(form, id))?;
        }
    }
    // Note the pass on the model in use, if it is still the newest (a
    // pass cut short is done again from the start at the next start). Only
    // a pass from the first answer notes the model as coded again: one
    // from a later answer (coded across an adoption) leaves the earlier
    // ones to the pass from the start, which a model not yet noted gets
    // at every start until it is; it adds only what it changed.
    if let (Some(mut m), Some(adopted), false) = (
        latest(store, form)?,
        indexes.learned().adopted(form),
        stopped,
    ) {
        let took_ms = started.elapsed().as_millis() as u64;
        let noted = match (&mut m.recoded, from) {
            (None, None) => {
                m.recoded = Some(Recoded {
                    at_ms: now_ms(),
                    answers,
                    changed,
                    took_ms,
                });
                true
            }
            (Some(r), None) if changed > 0 => {
                *r = Recoded {
                    at_ms: now_ms(),
                    answers,
                    changed: r.changed + changed,
                    took_ms,
                };
                true
            }
            (Some(r), Some(_)) if changed > 0 => {
                r.changed += changed;
                true
            }
            _ => false,
        };
        if m.version == adopted.version && noted {
            put(store, &m)?;
        }
    }
    tracing::info!(
        form,
        answers,
        changed,
        ms = started.elapsed().as_millis() as u64,
        "answers coded again"
    );
    Ok(Pass {
        answers,
        changed,
        stopped,
    })
}

#[cfg(test)]
mod tests {
    use super::{redo_between as redo, Redo};

    #[test]
    fn a_pass_makes_again_only_what_differs_between_two_codings() {
        let now = "vader-3.3.2+domain-2; label svm-2; mixed svm-1; themes svm-1";
        // Noted before the themes had a part: the codebook alone.
        assert_eq!(
            redo("vader-3.3.2+domain-2; label svm-2; mixed svm-1", now),
            Redo::Themes
        );
        assert_eq!(
            redo(
                "vader-3.3.2+domain-2; label svm-2; mixed svm-1; themes codebook",
                now
            ),
            Redo::Themes
        );
        // A new label model: labels (and themes) again, from the stored
        // compound.
        assert_eq!(
            redo(
                "vader-3.3.2+domain-2; label svm-1; mixed svm-1; themes svm-1",
                now
            ),
            Redo::Label
        );
        assert_eq!(
            redo(
                "vader-3.3.2+domain-2; label svm-1; mixed svm-1; themes codebook",
                now
            ),
            Redo::Label
        );
        // The lexicon, the flags, or a label to or from the lexicon's:
        // whole.
        assert_eq!(
            redo(
                "vader-3.3.2+domain-1; label svm-2; mixed svm-1; themes svm-1",
                now
            ),
            Redo::Whole
        );
        assert_eq!(
            redo(
                "vader-3.3.2+domain-2; label svm-2; mixed dev-1; themes svm-1",
                now
            ),
            Redo::Whole
        );
        assert_eq!(
            redo(
                "vader-3.3.2+domain-2; label lexicon; mixed svm-1; themes svm-1",
                now
            ),
            Redo::Whole
        );
        assert_eq!(
            redo(
                now,
                "vader-3.3.2+domain-2; label lexicon; mixed svm-1; themes svm-1"
            ),
            Redo::Whole
        );
        assert_eq!(
            redo("vader-3.3.2; label lexicon; mixed rule", now),
            Redo::Whole
        );
        assert_eq!(redo("vader-3.3.2+domain-2", now), Redo::Whole);
        assert_eq!(redo("(before versions were noted)", now), Redo::Whole);
    }
}

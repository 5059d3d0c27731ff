//! Two analysts coding the same answers blind. The first coder's codes are
//! the manual codes (`PUT …/codes`, which win in aggregates); a second
//! coder's go to `PUT …/check-codes`, are kept apart and count nowhere
//! but here. The report compares the two over the answers both coded: per
//! theme Cohen's kappa with its 2×2 counts, kappa on the sentiment labels
//! both set, and how many answers both must code for kappa's 95% interval
//! to be no wider than ± `precision`.
//!
//! ```text
//! PUT …/codes        ─► manual codes (first coder) ─┐
//! PUT …/check-codes  ─► Doc::CheckCode (second)    ─┴► report(form, question) ─► kappa per theme, sentiment, n needed
//! ```

use crate::error::{Error, Result};
use crate::model::{Label, ManualCode, ResponseId};
use crate::store::{Doc, Store};
use analysis::agreement::Agreement;
use std::collections::BTreeMap;
use survey::Form;

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_964;

fn key(form: &str, id: ResponseId, question: &str) -> String {
    format!("{form}/{id}/{question}")
}

/// Records the second coder's codes for one answer (replacing earlier
/// ones); durable on return.
pub fn set(
    store: &dyn Store,
    form: &str,
    id: ResponseId,
    question: &str,
    code: &ManualCode,
) -> Result<()> {
    let json = serde_json::to_vec(code).map_err(|e| Error::Corrupt(e.to_string()))?;
    Ok(store.put_doc(Doc::CheckCode, &key(form, id, question), &json)?)
}

/// Every second coder's code of `form`, by response and question.
pub fn checks(store: &dyn Store, form: &str) -> Result<BTreeMap<(ResponseId, String), ManualCode>> {
    let prefix = format!("{form}/");
    let mut out = BTreeMap::new();
    let mut after: Option<String> = Some(prefix.clone());
    'pages: loop {
        let page = store.docs(Doc::CheckCode, after.as_deref(), 1000)?;
        let Some((last, _)) = page.last() else {
            break;
        };
        let next = last.clone();
        for (k, v) in page {
            let Some(rest) = k.strip_prefix(&prefix) else {
                break 'pages;
            };
            let Some((id, question)) = rest.split_once('/') else {
                continue;
            };
            let Some(id) = ResponseId::parse(id) else {
                continue;
            };
            let code: ManualCode =
                serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?;
            out.insert((id, question.to_owned()), code);
        }
        after = Some(next);
    }
    Ok(out)
}

/// Agreement between the two coders on one theme.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ThemeKappa {
    /// Theme id.
    pub theme: String,
    /// Answers both coded.
    pub n: u64,
    /// Both gave the theme.
    pub both_yes: u64,
    /// Only the first coder gave it.
    pub first_only: u64,
    /// Only the second coder gave it.
    pub second_only: u64,
    /// Neither gave it.
    pub both_no: u64,
    /// Cohen's kappa; null when undefined (both gave it always, or never).
    pub kappa: Option<f64>,
    /// Answers both must code for kappa's 95% interval to be ± the
    /// precision asked for, at the agreement seen so far; null while kappa
    /// is undefined.
    pub needed: Option<u64>,
}

/// Agreement on sentiment labels, over the answers both labelled.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct LabelKappa {
    /// Answers both coders gave a label to.
    pub n: u64,
    /// Of which they gave the same.
    pub agreed: u64,
    /// Cohen's kappa over positive, neutral and negative.
    pub kappa: Option<f64>,
    /// As for themes.
    pub needed: Option<u64>,
}

/// `GET /api/v1/forms/{form}/intercoder`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Report {
    /// Form id.
    pub form: String,
    /// Question compared.
    pub question: String,
    /// Answers both coders coded.
    pub n: u64,
    /// The half-width of kappa's 95% interval `needed` is worked out for.
    pub precision: f64,
    /// One entry per theme of the question's codebook.
    pub themes: Vec<ThemeKappa>,
    /// Sentiment labels.
    pub sentiment: LabelKappa,
}

/// The sample size for kappa's 95% interval to be ± `precision`, from the
/// large-sample variance of kappa, po(1 − po) / (n (1 − pe)²).
fn needed(observed: f64, expected: f64, precision: f64) -> Option<u64> {
    if expected >= 1.0 || precision <= 0.0 {
        return None;
    }
    let n = Z95 * Z95 * observed * (1.0 - observed)
        / (precision * precision * (1.0 - expected).powi(2));
    Some(n.ceil().max(2.0) as u64)
}

/// The two coders' agreement on `question` of `form`.
pub fn report(store: &dyn Store, form: &Form, question: &str, precision: f64) -> Result<Report> {
    let first: BTreeMap<ResponseId, ManualCode> = store
        .manual_codes(&form.id)?
        .into_iter()
        .filter_map(|(id, mut codes)| codes.remove(question).map(|c| (id, c)))
        .collect();
    let second = checks(store, &form.id)?;
    let pairs: Vec<(&ManualCode, &ManualCode)> = second
        .iter()
        .filter(|((_, q), _)| q == question)
        .filter_map(|((id, _), s)| first.get(id).map(|f| (f, s)))
        .collect();
    let theme_ids: Vec<&str> = form
        .codebook
        .iter()
        .filter(|c| c.questions.is_empty() || c.questions.iter().any(|q| q == question))
        .flat_map(|c| c.themes.iter().map(|t| t.id.as_str()))
        .collect();
    let themes = theme_ids
        .iter()
        .map(|t| {
            let a = Agreement::from_pairs(pairs.iter().map(|(f, s)| {
                (
                    f.themes.iter().any(|x| x == t),
                    s.themes.iter().any(|x| x == t),
                )
            }));
            ThemeKappa {
                theme: (*t).to_owned(),
                n: a.n(),
                both_yes: a.both_yes,
                first_only: a.auto_only,
                second_only: a.manual_only,
                both_no: a.both_no,
                kappa: a.kappa,
                needed: a
                    .kappa
                    .and(a.observed.zip(a.expected))
                    .and_then(|(o, e)| needed(o, e, precision)),
            }
        })
        .collect();
    let labels = [Label::Positive, Label::Neutral, Label::Negative];
    let mut table = [[0u64; 3]; 3];
    for (f, s) in &pairs {
        if let (Some(a), Some(b)) = (f.sentiment, s.sentiment) {
            let (i, j) = (
                labels.iter().position(|l| *l == a).unwrap_or(1),
                labels.iter().position(|l| *l == b).unwrap_or(1),
            );
            table[i][j] += 1;
        }
    }
    let n: u64 = table.iter().flatten().sum();
    let agreed: u64 = (0..3).map(|i| table[i][i]).sum();
    let (kappa, label_needed) = if n == 0 {
        (None, None)
    } else {
        let observed = agreed as f64 / n as f64;
        let expected = (0..3)
            .map(|k| {
                let row: u64 = table[k].iter().sum();
                let col: u64 = (0..3).map(|i| table[i][k]).sum();
                row as f64 * col as f64
            })
            .sum::<f64>()
            / (n as f64 * n as f64);
        if expected >= 1.0 {
            (None, None)
        } else {
            (
                Some((observed - expected) / (1.0 - expected)),
                needed(observed, expected, precision),
            )
        }
    };
    Ok(Report {
        form: form.id.clone(),
        question: question.to_owned(),
        n: pairs.len() as u64,
        precision,
        themes,
        sentiment: LabelKappa {
            n,
            agreed,
            kappa,
            needed: label_needed,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At 90% agreement and 50% by chance, ± 0.1 needs 139 answers:
    /// 1.96² · 0.9 · 0.1 / (0.01 · 0.25) = 138.3.
    #[test]
    fn the_sample_needed_follows_the_variance_of_kappa() {
        assert_eq!(needed(0.9, 0.5, 0.1), Some(139));
        assert_eq!(needed(0.9, 0.5, 0.05), Some(554));
        assert_eq!(needed(0.5, 1.0, 0.1), None);
    }
}

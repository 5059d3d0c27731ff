//! The response export, as NDJSON rows or a CSV page: each stored response
//! with its effective codes (an analyst's win over the automatic ones).
//! Knows nothing of HTTP: the handler pages and picks the format.
//!
//! ```text
//! store.responses(after, limit) ─► + manual codes ─► export_row (NDJSON) | export_csv
//! ```

use super::coding::manual_codes_of;
use crate::error::{Error, Result};
use crate::model::{rfc3339, Level, ManualCode, Register, ResponseId, StoredResponse};
use crate::store::Store;
use std::collections::{BTreeMap, HashMap, HashSet};
use survey::{Answer, Form, Kind};

/// The register levels a response's place lies in, as export columns:
/// site, ward, cluster, sector (empty where it has none; all empty for
/// no place or one the register does not know).
pub fn place_columns(register: &Register, r: &StoredResponse) -> [Option<String>; 4] {
    let lineage = r.location.as_deref().and_then(|l| register.lineage(l));
    Level::ALL.map(|level| lineage.and_then(|l| l.at(level)).map(str::to_owned))
}

/// Whether a response's place passes the register filters `levels`
/// (`ward=…`, `sector=…`): all must hold.
pub fn in_places(register: &Register, levels: &[(Level, Vec<String>)], r: &StoredResponse) -> bool {
    let lineage = r.location.as_deref().and_then(|l| register.lineage(l));
    levels.iter().all(|(level, ids)| {
        lineage
            .and_then(|l| l.at(*level))
            .is_some_and(|at| ids.iter().any(|id| id == at))
    })
}

/// A response as an export row: `{id, form, version, received_at, …}`,
/// with `place` naming the site, ward, cluster and sector its place lies
/// in when the register knows it.
pub fn export_row(r: &StoredResponse, register: &Register) -> serde_json::Value {
    let received_at = rfc3339(r.received_ms);
    let answers: serde_json::Map<String, serde_json::Value> = r
        .answers
        .iter()
        .map(|(k, v): (&String, &Answer)| (k.clone(), v.to_json()))
        .collect();
    let mut row = serde_json::json!({
        "id": r.id.map(|i| i.to_string()),
        "form": r.form,
        "version": r.version,
        "received_at": received_at,
        "location": r.location,
        "channel": r.channel,
        "lang": r.lang,
        "answers": answers,
    });
    let [site, ward, cluster, sector] = place_columns(register, r);
    if ward.is_some() {
        row["place"] =
            serde_json::json!({"site": site, "ward": ward, "cluster": cluster, "sector": sector});
    }
    if !r.coding.is_empty() {
        row["text_coding"] = serde_json::json!(r.coding);
    }
    if let Some(flag) = &r.flag {
        row["flag"] = serde_json::json!(flag);
    }
    if !r.attributes.is_empty() {
        row["attributes"] = serde_json::json!(r.attributes);
    }
    row
}

/// The case attributes the CSV export has a column for: those the form's
/// responses carry (`seen`), the ones the deployment configures first, in
/// its order, then any other by name. A form no invitation went to gets
/// no such column; every page of an export has the same columns while no
/// new attribute arrives.
pub fn attribute_columns<'a>(
    configured: &[String],
    seen: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut seen: Vec<&str> = seen.into_iter().collect();
    seen.sort_unstable();
    seen.dedup();
    let mut out: Vec<String> = configured
        .iter()
        .filter(|c| seen.contains(&c.as_str()))
        .cloned()
        .collect();
    out.extend(
        seen.into_iter()
            .filter(|s| !configured.iter().any(|c| c == s))
            .map(String::from),
    );
    out
}

/// The manual codes of the responses on an export page.
pub fn manual_codes_for_page(
    store: &dyn Store,
    form: &str,
    rows: &[StoredResponse],
) -> Result<HashMap<ResponseId, BTreeMap<String, ManualCode>>> {
    // Hand-coding is rare next to responses: one scan of the form's codes
    // per page is cheaper than a lookup per row.
    let ids: HashSet<ResponseId> = rows.iter().filter_map(|r| r.id).collect();
    manual_codes_of(store, form, &ids)
}

/// An analyst's codes as export rows and the text endpoint show them:
/// `{themes, sentiment, by, at}` with `at` in RFC 3339.
pub fn manual_json(m: &ManualCode) -> serde_json::Value {
    serde_json::json!({
        "themes": m.themes,
        "sentiment": m.sentiment,
        "by": m.by,
        "at": rfc3339(m.at_ms),
    })
}

/// Puts an NDJSON export row's effective codes in place: where an analyst
/// coded an answer, `text_coding` carries their label and themes, the
/// automatic ones under `auto`, and who coded it and when under `manual`.
pub fn with_manual_codes(
    row: &mut serde_json::Value,
    codes: Option<&BTreeMap<String, ManualCode>>,
) {
    let Some(codes) = codes else { return };
    for (question, m) in codes {
        let Some(entry) = row
            .get_mut("text_coding")
            .and_then(|t| t.get_mut(question.as_str()))
        else {
            continue;
        };
        let auto = serde_json::json!({"label": entry["label"], "themes": entry["themes"]});
        if let Some(s) = &m.sentiment {
            entry["label"] = serde_json::json!(s);
        }
        entry["themes"] = serde_json::json!(m.themes);
        entry["auto"] = auto;
        entry["manual"] = manual_json(m);
    }
}

fn csv_cell(a: &Answer) -> String {
    match a {
        Answer::Text(s) => s.clone(),
        Answer::Choices(v) => v.join(";"),
        Answer::Number(n) => n.to_string(),
        Answer::Consent(b) => b.to_string(),
    }
}

/// Free text is typed by the public: a cell that a spreadsheet would read
/// as a formula gets a leading apostrophe (OWASP's advice on CSV injection).
fn defuse(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// The CSV export of one page: a UTF-8 byte-order mark, then `id, form,
/// version, received_at, location, site, ward, cluster, sector, channel,
/// lang`, one column per question
/// of the current form (multiple choice as option ids joined with `;`), and
/// for each text question `<q>_sentiment`, `<q>_compound`, `<q>_themes`
/// (manual codes win), then `attr.<name>` for each case attribute of
/// `attributes` (see [`attribute_columns`]), and last, `with_flag`, the bot
/// check each flagged response failed.
pub fn export_csv(
    form: &Form,
    rows: &[StoredResponse],
    manual: &HashMap<ResponseId, BTreeMap<String, ManualCode>>,
    attributes: &[String],
    register: &Register,
    with_flag: bool,
) -> Result<Vec<u8>> {
    let io = |e: csv::Error| Error::Io(std::io::Error::other(e));
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let texts: Vec<&str> = form
        .questions
        .iter()
        .filter(|q| matches!(q.kind, Kind::Text { .. }))
        .map(|q| q.id.as_str())
        .collect();
    let mut header: Vec<String> = [
        "id",
        "form",
        "version",
        "received_at",
        "location",
        "site",
        "ward",
        "cluster",
        "sector",
        "channel",
        "lang",
    ]
    .map(String::from)
    .to_vec();
    header.extend(form.questions.iter().map(|q| q.id.clone()));
    for q in &texts {
        header.extend([
            format!("{q}_sentiment"),
            format!("{q}_compound"),
            format!("{q}_themes"),
        ]);
    }
    header.extend(attributes.iter().map(|a| format!("attr.{a}")));
    if with_flag {
        header.push("flag".into());
    }
    w.write_record(&header).map_err(io)?;
    for r in rows {
        let mut rec: Vec<String> = vec![
            r.id.map(|i| i.to_string()).unwrap_or_default(),
            r.form.clone(),
            r.version.to_string(),
            rfc3339(r.received_ms).unwrap_or_default(),
            r.location.clone().unwrap_or_default(),
        ];
        rec.extend(place_columns(register, r).map(Option::unwrap_or_default));
        rec.extend([r.channel.clone(), r.lang.clone()]);
        for q in &form.questions {
            let cell = r.answers.get(&q.id).map(csv_cell).unwrap_or_default();
            rec.push(if matches!(q.kind, Kind::Text { .. }) {
                defuse(&cell)
            } else {
                cell
            });
        }
        let codes = r.id.and_then(|id| manual.get(&id));
        for q in &texts {
            let auto = r.coding.get(*q);
            let m = codes.and_then(|c| c.get(*q));
            match auto {
                Some(a) => {
                    let label = m.and_then(|m| m.sentiment).unwrap_or(a.label);
                    let themes = m.map_or(&a.themes, |m| &m.themes);
                    rec.extend([
                        label.as_str().to_owned(),
                        format!("{:.4}", a.compound),
                        themes.join(";"),
                    ]);
                }
                None => rec.extend([String::new(), String::new(), String::new()]),
            }
        }
        // Attributes come from an admin's upload, not the public, but
        // are defused all the same: a spreadsheet must not run them.
        rec.extend(
            attributes
                .iter()
                .map(|a| r.attributes.get(a).map(|v| defuse(v)).unwrap_or_default()),
        );
        if with_flag {
            rec.push(r.flag.clone().unwrap_or_default());
        }
        w.write_record(&rec).map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))
}

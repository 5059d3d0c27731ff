//! The response export, as NDJSON rows or a CSV page: each stored response
//! with its effective codes (an analyst's win over the automatic ones).
//! Knows nothing of HTTP: the handler pages and picks the format.
//!
//! ```text
//! store.responses(after, limit) ─► + manual codes ─► write_row (NDJSON) | export_csv
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

/// Writes a response as an NDJSON export row (and its newline):
/// `{answers, attributes?, channel, flag?, form, id, lang, location,
/// place?, received_at, text_coding?, version}`, keys in that order.
/// `place` names the site, ward, cluster and sector its place lies in when
/// the register knows it; `text_coding` carries the effective codes (an
/// analyst's `codes` win, the automatic ones under `auto`).
///
/// Serialised straight from the stored response through borrowed views
/// rather than a `serde_json::Value` per row: the export's speed target
/// (100,000 rows a second) needs it.
pub fn write_row(
    out: &mut Vec<u8>,
    r: &StoredResponse,
    register: &Register,
    codes: Option<&BTreeMap<String, ManualCode>>,
) -> Result<()> {
    let lineage = r.location.as_deref().and_then(|l| register.lineage(l));
    let text_coding = r
        .coding
        .iter()
        .map(|(q, c)| {
            let manual = codes.and_then(|m| m.get(q));
            let coding = match manual {
                None => Coding {
                    actionable: c.actionable,
                    auto: None,
                    compound: c.compound,
                    label: serde_json::json!(c.label),
                    manual: None,
                    mixed: c.mixed,
                    themes: &c.themes,
                },
                Some(m) => Coding {
                    actionable: c.actionable,
                    auto: Some(Auto {
                        label: c.label,
                        themes: &c.themes,
                    }),
                    compound: c.compound,
                    label: match &m.sentiment {
                        Some(s) => serde_json::json!(s),
                        None => serde_json::json!(c.label),
                    },
                    manual: Some(manual_json(m)),
                    mixed: c.mixed,
                    themes: &m.themes,
                },
            };
            (q.as_str(), coding)
        })
        .collect();
    let row = Row {
        answers: &r.answers,
        attributes: &r.attributes,
        channel: &r.channel,
        flag: &r.flag,
        form: &r.form,
        id: r.id.map(|i| i.to_string()),
        lang: &r.lang,
        location: &r.location,
        place: lineage.map(|l| Place {
            cluster: l.at(Level::Cluster),
            sector: l.at(Level::Sector),
            site: l.at(Level::Site),
            ward: l.at(Level::Ward),
        }),
        received_at: rfc3339(r.received_ms),
        text_coding,
        version: r.version,
    };
    serde_json::to_writer(&mut *out, &row).map_err(|e| Error::Corrupt(e.to_string()))?;
    out.push(b'\n');
    Ok(())
}

/// An export row, borrowed from the stored response.
#[derive(serde::Serialize)]
struct Row<'a> {
    answers: &'a BTreeMap<String, Answer>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    attributes: &'a BTreeMap<String, String>,
    channel: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    flag: &'a Option<String>,
    form: &'a str,
    id: Option<String>,
    lang: &'a str,
    location: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    place: Option<Place<'a>>,
    received_at: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    text_coding: BTreeMap<&'a str, Coding<'a>>,
    version: u32,
}

/// The register levels of a row's place.
#[derive(serde::Serialize)]
struct Place<'a> {
    cluster: Option<&'a str>,
    sector: Option<&'a str>,
    site: Option<&'a str>,
    ward: Option<&'a str>,
}

/// One text answer's effective codes (keys in alphabetical order, as the
/// rows were written before).
#[derive(serde::Serialize)]
struct Coding<'a> {
    #[serde(skip_serializing_if = "is_false")]
    actionable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    auto: Option<Auto<'a>>,
    compound: f64,
    label: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    manual: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "is_false")]
    mixed: bool,
    themes: &'a [String],
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The automatic codes an analyst's replaced.
#[derive(serde::Serialize)]
struct Auto<'a> {
    label: crate::model::Label,
    themes: &'a [String],
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
/// (manual codes win), `<q>_mixed` and `<q>_actionable` (`true` or
/// `false`), then `attr.<name>` for each case attribute of
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
            format!("{q}_mixed"),
            format!("{q}_actionable"),
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
                        a.mixed.to_string(),
                        a.actionable.to_string(),
                    ]);
                }
                None => rec.extend(std::iter::repeat_n(String::new(), 5)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Label, TextCoding};

    /// The row as it was built before `write_row`: a `serde_json::Value`
    /// per row (keys sorted), codes put in place afterwards. `write_row`
    /// must write exactly its bytes.
    fn value_row(
        r: &StoredResponse,
        register: &Register,
        codes: Option<&BTreeMap<String, ManualCode>>,
    ) -> Vec<u8> {
        let answers: serde_json::Map<String, serde_json::Value> = r
            .answers
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect();
        let mut row = serde_json::json!({
            "id": r.id.map(|i| i.to_string()),
            "form": r.form,
            "version": r.version,
            "received_at": rfc3339(r.received_ms),
            "location": r.location,
            "channel": r.channel,
            "lang": r.lang,
            "answers": answers,
        });
        let [site, ward, cluster, sector] = place_columns(register, r);
        if ward.is_some() {
            row["place"] = serde_json::json!({"site": site, "ward": ward, "cluster": cluster, "sector": sector});
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
        for (question, m) in codes.into_iter().flatten() {
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
        let mut out = serde_json::to_vec(&row).unwrap();
        out.push(b'\n');
        out
    }

    /// Rows with and without a known place, codes, an analyst's codes
    /// (with and without a label), a flag and attributes: `write_row`
    /// writes what the `Value` row did, byte for byte.
    #[test]
    fn rows_are_written_as_the_value_rows_were() {
        let register =
            Register::from_json(include_bytes!("../../../examples/places.json")).unwrap();
        let mut coding = BTreeMap::new();
        coding.insert(
            "safety_comment".to_owned(),
            TextCoding {
                compound: -0.4767,
                label: Label::Negative,
                themes: vec!["lighting".into(), "theft".into()],
                mixed: true,
                actionable: true,
            },
        );
        coding.insert(
            "other".to_owned(),
            TextCoding {
                compound: 0.25,
                label: Label::Positive,
                themes: vec![],
                mixed: false,
                actionable: false,
            },
        );
        let mut answers = BTreeMap::new();
        answers.insert("feel_safe_dark".to_owned(), Answer::Number(2));
        answers.insert(
            "priorities".to_owned(),
            Answer::Choices(vec!["asb".into(), "other \"quoted\"".into()]),
        );
        answers.insert(
            "safety_comment".to_owned(),
            Answer::Text("Dark alley — lamps out\nagain".into()),
        );
        answers.insert("consent".to_owned(), Answer::Consent(true));
        let base = StoredResponse {
            id: Some(ResponseId {
                ms: 1_700_000_000_000,
                seq: 7,
            }),
            form: "community-safety".into(),
            version: 3,
            received_ms: 1_700_000_000_000,
            location: Some("liverpool-street".into()),
            channel: "qr".into(),
            lang: "pl".into(),
            answers,
            coding,
            flag: None,
            attributes: BTreeMap::new(),
        };
        let mut unknown = base.clone();
        unknown.location = Some("nowhere".into());
        unknown.id = None;
        let mut bare = base.clone();
        bare.location = None;
        bare.coding.clear();
        let mut flagged = base.clone();
        flagged.flag = Some("too-fast".into());
        flagged.attributes.insert("team".into(), "city-east".into());
        let mut codes = BTreeMap::new();
        codes.insert(
            "safety_comment".to_owned(),
            ManualCode {
                themes: vec!["lighting".into()],
                sentiment: Some(Label::Neutral),
                by: "ab12".into(),
                at_ms: 1_700_000_100_000,
            },
        );
        codes.insert(
            "other".to_owned(),
            ManualCode {
                themes: vec![],
                sentiment: None,
                by: "cd34".into(),
                at_ms: 1_700_000_200_000,
            },
        );
        let mut checked = 0;
        for r in [&base, &unknown, &bare, &flagged] {
            for c in [None, Some(&codes)] {
                let mut out = Vec::new();
                write_row(&mut out, r, &register, c).unwrap();
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    String::from_utf8(value_row(r, &register, c)).unwrap()
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 8);
    }
}

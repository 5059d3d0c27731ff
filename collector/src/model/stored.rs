//! A response as the store keeps it: its index record (the answers as
//! codes, see [`super::record`]) and beside it the *rest*, what the record
//! leaves out: the arrival time, the free text and the exact compound
//! scores. Together they are the whole [`StoredResponse`] in a fraction of
//! its JSON's bytes (a community-safety response: about 90 bytes against
//! 525), and a reader builds the response from them without parsing JSON.
//!
//! Layout of the rest (integers as LEB128 varints, a string as its length
//! then UTF-8):
//!
//! ```text
//! tag(u8 = 0xC1) received_ms
//! count, then per coded answer (in question order):
//!   question (string), text: 0 none | 1 string, compound (f64, 8 bytes LE)
//! ```
//!
//! The tag is a byte no JSON document starts with, so a store can hold
//! responses written as JSON before and read both.

use super::record::{self, DecodeError, Names, Reader, Record, RecordAnswer, LABELS};
use super::{StoredResponse, TextCoding};
use std::collections::BTreeMap;
use survey::Answer;

/// The first byte of a rest.
pub const REST: u8 = 0xC1;

/// Whether `value` is a rest (and not a response's JSON).
pub fn is_rest(value: &[u8]) -> bool {
    value.first() == Some(&REST)
}

/// The rest of a response: what its record leaves out.
pub fn rest(
    received_ms: u64,
    answers: &BTreeMap<String, Answer>,
    coding: &BTreeMap<String, TextCoding>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + coding.len() * 48);
    out.push(REST);
    record::varint(&mut out, received_ms);
    record::varint(&mut out, coding.len() as u64);
    for (q, c) in coding {
        record::string(&mut out, q);
        match answers.get(q) {
            Some(Answer::Text(t)) => {
                out.push(1);
                record::string(&mut out, t);
            }
            _ => out.push(0),
        }
        out.extend_from_slice(&c.compound.to_le_bytes());
    }
    out
}

/// A response's record and rest, if reading them back gives the response
/// exactly (`names`: those of the version it answered); `None` when
/// something in it has no place in them, and it must be kept as it is.
pub fn split(r: &StoredResponse, names: &Names<'_>) -> Option<(Vec<u8>, Vec<u8>)> {
    let record = record::encode(r, Some(names));
    let rest = rest(r.received_ms, &r.answers, &r.coding);
    let decoded = record::decode(&record, |_| Some(names)).ok()?;
    let mut back = join(&decoded, &rest).ok()?;
    back.id = r.id;
    back.form.clone_from(&r.form);
    (back == *r).then_some((record, rest))
}

/// The response a record and its rest hold (with no id and no form: the
/// caller knows them from the key).
pub fn join(record: &Record<'_>, rest: &[u8]) -> Result<StoredResponse, DecodeError> {
    let mut r = Reader { bytes: rest, at: 0 };
    if r.byte()? != REST {
        return Err(DecodeError::Malformed);
    }
    let received_ms = r.varint()?;
    let n = r.count()?;
    let mut texts: Vec<(&str, Option<&str>, f64)> = Vec::with_capacity(n);
    for _ in 0..n {
        let q = r.string()?;
        let text = match r.byte()? {
            0 => None,
            1 => Some(r.string()?),
            _ => return Err(DecodeError::Malformed),
        };
        let end = r.at + 8;
        let bits = rest.get(r.at..end).ok_or(DecodeError::Malformed)?;
        r.at = end;
        let compound = f64::from_le_bytes(bits.try_into().map_err(|_| DecodeError::Malformed)?);
        texts.push((q, text, compound));
    }
    if r.at != rest.len() {
        return Err(DecodeError::Malformed);
    }
    let of = |q: &str| texts.iter().find(|(t, _, _)| *t == q);
    let mut answers = BTreeMap::new();
    for (q, _, a) in &record.answers {
        let a = match a {
            RecordAnswer::Text(t) => Answer::Text((*t).to_owned()),
            RecordAnswer::FreeText => Answer::Text(
                of(q)
                    .and_then(|(_, t, _)| *t)
                    .ok_or(DecodeError::Malformed)?
                    .to_owned(),
            ),
            RecordAnswer::Choices(v) => {
                Answer::Choices(v.iter().map(|s| (*s).to_owned()).collect())
            }
            RecordAnswer::Number(n) => Answer::Number(*n),
            RecordAnswer::Consent(b) => Answer::Consent(*b),
        };
        answers.insert((*q).to_owned(), a);
    }
    let mut coding = BTreeMap::new();
    for (q, _, label, flags, themes) in &record.coding {
        let label = usize::from(*label)
            .checked_sub(1)
            .and_then(|i| LABELS.get(i))
            .ok_or(DecodeError::Malformed)?;
        let (_, _, compound) = of(q).ok_or(DecodeError::Malformed)?;
        coding.insert(
            (*q).to_owned(),
            TextCoding {
                compound: *compound,
                label: *label,
                themes: themes.iter().map(|t| (*t).to_owned()).collect(),
                mixed: flags & record::MIXED != 0,
                actionable: flags & record::ACTIONABLE != 0,
            },
        );
    }
    Ok(StoredResponse {
        id: None,
        form: String::new(),
        version: record.version,
        received_ms,
        location: record.location.map(str::to_owned),
        channel: record.channel.to_owned(),
        lang: record.lang.to_owned(),
        answers,
        coding,
        flag: None,
        attributes: record
            .attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use survey::Form;

    fn forms() -> Vec<Form> {
        ["community-safety", "victim-satisfaction", "street-feedback"]
            .iter()
            .map(|id| {
                let path = format!("{}/../examples/forms/{id}.json", env!("CARGO_MANIFEST_DIR"));
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
            })
            .collect()
    }

    /// Every generated response to every example form comes back exactly
    /// from its record and rest, free text, compound scores, attributes
    /// and all, in a fraction of its JSON's bytes.
    #[test]
    fn record_and_rest_give_back_the_response() {
        for form in forms() {
            let names = Names::of(&form);
            let generated = synth::Generator::new(
                &form,
                synth::Options {
                    seed: 5,
                    count: 2_000,
                    ..synth::Options::default()
                },
            )
            .unwrap();
            let (mut json, mut compact) = (0usize, 0usize);
            for (i, g) in generated.enumerate() {
                let mut r = StoredResponse {
                    id: None,
                    form: form.id.clone(),
                    version: form.version,
                    received_ms: g.received_ms,
                    location: g.submission.location.clone(),
                    channel: g.submission.channel.clone().unwrap_or_default(),
                    lang: g.submission.lang.clone().unwrap_or_default(),
                    answers: g
                        .submission
                        .answers
                        .iter()
                        .map(|(k, v)| (k.clone(), serde_json::from_value(v.clone()).unwrap()))
                        .collect(),
                    coding: BTreeMap::new(),
                    flag: None,
                    attributes: BTreeMap::new(),
                };
                for (q, a) in &r.answers {
                    if let (Answer::Text(t), true) = (
                        a,
                        form.question(q)
                            .is_some_and(|q| matches!(q.kind, survey::Kind::Text { .. })),
                    ) {
                        r.coding.insert(
                            q.clone(),
                            TextCoding {
                                compound: -0.1234 * (t.len() % 7) as f64 / 3.0,
                                label: LABELS[i % 3],
                                themes: Vec::new(),
                                mixed: i % 4 == 1,
                                actionable: i % 6 == 1,
                            },
                        );
                    }
                }
                if i % 5 == 0 {
                    r.attributes
                        .insert("team".into(), format!("team-{}", i % 3));
                }
                let (record, rest) = split(&r, &names).expect("kept exactly");
                json += serde_json::to_vec(&r).unwrap().len();
                compact += record.len() + rest.len();
            }
            assert!(compact * 3 < json, "{}: {compact} vs {json}", form.id);
        }
    }

    /// A rest cut short, or with a stray byte, is refused, never misread.
    #[test]
    fn a_damaged_rest_is_refused() {
        let mut answers = BTreeMap::new();
        answers.insert("c".to_owned(), Answer::Text("dark street".into()));
        let mut coding = BTreeMap::new();
        coding.insert(
            "c".to_owned(),
            TextCoding {
                compound: -0.5,
                label: LABELS[2],
                themes: vec![],
                mixed: false,
                actionable: false,
            },
        );
        let rest = rest(1_700_000_000_000, &answers, &coding);
        let record = Record {
            version: 1,
            location: None,
            channel: "qr",
            lang: "en",
            answers: vec![("c", None, RecordAnswer::FreeText)],
            coding: vec![("c", None, 3, 0, vec![])],
            attributes: vec![],
        };
        let r = join(&record, &rest).unwrap();
        assert_eq!(r.answers["c"], Answer::Text("dark street".into()));
        assert_eq!(r.coding["c"].compound, -0.5);
        for cut in 0..rest.len() {
            assert!(join(&record, &rest[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = rest.clone();
        longer.push(0);
        assert!(join(&record, &longer).is_err());
    }
}

//! Index records: a compact binary copy of what the answer index reads from
//! a stored response, written in the same batch as the response, so that
//! the index is rebuilt at start from small records instead of by parsing
//! every response's JSON.
//!
//! The response's JSON stays the source of truth; a record holds nothing
//! the JSON does not. It keeps strings (option, place and theme ids), not
//! the index's codes, so it stays valid whatever versions of the form come
//! later. Free text is left out: the index reads only its sentiment and
//! themes. A record carries a format byte, so a later layout can be told
//! apart and the record rebuilt from the JSON.
//!
//! Layout (integers as LEB128 varints, strings as length then UTF-8):
//!
//! ```text
//! format(u8 = 1) version location(0 = none, else len + 1, bytes) channel lang
//! answers: count, then per answer: question tag payload
//!   tag 0 text (payload: the text)   tag 1 free text left out (no payload)
//!   tag 2 choices (count, ids)       tag 3 number (zigzag)
//!   tag 4 consent false              tag 5 consent true
//! coding: count, then per text answer: question label(u8) themes(count, ids)
//! ```

use super::StoredResponse;
use survey::Answer;

/// The layout written by [`encode`].
const FORMAT: u8 = 1;

const TEXT: u8 = 0;
const FREE_TEXT: u8 = 1;
const CHOICES: u8 = 2;
const NUMBER: u8 = 3;
const CONSENT_NO: u8 = 4;
const CONSENT_YES: u8 = 5;

/// Sentiment labels in code order (code = position + 1; 0 = other).
pub const LABELS: [&str; 3] = ["positive", "neutral", "negative"];

/// The code of a sentiment label: 1 to 3, or 0 for anything else.
pub fn label_code(label: &str) -> u8 {
    LABELS
        .iter()
        .position(|l| *l == label)
        .map_or(0, |i| i as u8 + 1)
}

/// An answer as a record holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordAnswer<'a> {
    /// A single-choice or location answer (or text that was not coded).
    Text(&'a str),
    /// A free-text answer, left out of the record.
    FreeText,
    /// Option ids of a multiple-choice answer.
    Choices(Vec<&'a str>),
    /// A scale value.
    Number(i64),
    /// A consent tick.
    Consent(bool),
}

/// A decoded record; strings borrow from the record's bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<'a> {
    /// Form version answered.
    pub version: u32,
    /// Place id.
    pub location: Option<&'a str>,
    /// Channel.
    pub channel: &'a str,
    /// Language.
    pub lang: &'a str,
    /// Answers by question id, in question id order.
    pub answers: Vec<(&'a str, RecordAnswer<'a>)>,
    /// Sentiment label code and theme ids of each coded text answer, by
    /// question id, in question id order.
    pub coding: Vec<(&'a str, u8, Vec<&'a str>)>,
}

/// The index record of a stored response.
pub fn encode(r: &StoredResponse) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.push(FORMAT);
    varint(&mut out, u64::from(r.version));
    match &r.location {
        None => out.push(0),
        Some(l) => {
            varint(&mut out, l.len() as u64 + 1);
            out.extend_from_slice(l.as_bytes());
        }
    }
    string(&mut out, &r.channel);
    string(&mut out, &r.lang);
    varint(&mut out, r.answers.len() as u64);
    for (q, a) in &r.answers {
        string(&mut out, q);
        match a {
            // A text answer with a coding is free text (choices and places
            // are never coded): the index needs only the coding.
            Answer::Text(_) if r.coding.contains_key(q) => out.push(FREE_TEXT),
            Answer::Text(t) => {
                out.push(TEXT);
                string(&mut out, t);
            }
            Answer::Choices(v) => {
                out.push(CHOICES);
                varint(&mut out, v.len() as u64);
                for s in v {
                    string(&mut out, s);
                }
            }
            Answer::Number(n) => {
                out.push(NUMBER);
                varint(&mut out, ((n << 1) ^ (n >> 63)) as u64);
            }
            Answer::Consent(b) => out.push(if *b { CONSENT_YES } else { CONSENT_NO }),
        }
    }
    varint(&mut out, r.coding.len() as u64);
    for (q, c) in &r.coding {
        string(&mut out, q);
        out.push(label_code(&c.label));
        varint(&mut out, c.themes.len() as u64);
        for t in &c.themes {
            string(&mut out, t);
        }
    }
    out
}

/// Why a record could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Written in a layout this collector does not know.
    #[error("index record format {0} is not known")]
    Format(u8),
    /// Cut short or not well formed.
    #[error("index record is malformed")]
    Malformed,
}

/// Reads a record written by [`encode`].
pub fn decode(bytes: &[u8]) -> Result<Record<'_>, DecodeError> {
    let mut r = Reader { bytes, at: 0 };
    match r.byte()? {
        FORMAT => {}
        other => return Err(DecodeError::Format(other)),
    }
    let version = u32::try_from(r.varint()?).map_err(|_| DecodeError::Malformed)?;
    let location = match r.varint()? {
        0 => None,
        n => Some(r.str_of(n as usize - 1)?),
    };
    let channel = r.string()?;
    let lang = r.string()?;
    let n = r.count()?;
    let mut answers = Vec::with_capacity(n);
    for _ in 0..n {
        let q = r.string()?;
        let a = match r.byte()? {
            TEXT => RecordAnswer::Text(r.string()?),
            FREE_TEXT => RecordAnswer::FreeText,
            CHOICES => {
                let n = r.count()?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(r.string()?);
                }
                RecordAnswer::Choices(v)
            }
            NUMBER => {
                let z = r.varint()?;
                RecordAnswer::Number(((z >> 1) as i64) ^ -((z & 1) as i64))
            }
            CONSENT_NO => RecordAnswer::Consent(false),
            CONSENT_YES => RecordAnswer::Consent(true),
            _ => return Err(DecodeError::Malformed),
        };
        answers.push((q, a));
    }
    let n = r.count()?;
    let mut coding = Vec::with_capacity(n);
    for _ in 0..n {
        let q = r.string()?;
        let label = r.byte()?;
        let k = r.count()?;
        let mut themes = Vec::with_capacity(k);
        for _ in 0..k {
            themes.push(r.string()?);
        }
        coding.push((q, label, themes));
    }
    if r.at != bytes.len() {
        return Err(DecodeError::Malformed);
    }
    Ok(Record {
        version,
        location,
        channel,
        lang,
        answers,
        coding,
    })
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn string(out: &mut Vec<u8>, s: &str) {
    varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self.bytes.get(self.at).ok_or(DecodeError::Malformed)?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(DecodeError::Malformed)
    }

    /// A count of items that each take at least a byte, so a corrupt count
    /// cannot ask for a huge allocation.
    fn count(&mut self) -> Result<usize, DecodeError> {
        let n = self.varint()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.bytes.len() - self.at)
            .ok_or(DecodeError::Malformed)
    }

    fn str_of(&mut self, len: usize) -> Result<&'a str, DecodeError> {
        let end = self
            .at
            .checked_add(len)
            .filter(|&e| e <= self.bytes.len())
            .ok_or(DecodeError::Malformed)?;
        let s =
            std::str::from_utf8(&self.bytes[self.at..end]).map_err(|_| DecodeError::Malformed)?;
        self.at = end;
        Ok(s)
    }

    fn string(&mut self) -> Result<&'a str, DecodeError> {
        let n = self.varint()?;
        self.str_of(usize::try_from(n).map_err(|_| DecodeError::Malformed)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::TextCoding;
    use std::collections::BTreeMap;

    fn response() -> StoredResponse {
        let mut answers = BTreeMap::new();
        answers.insert("area".to_owned(), Answer::Text("town-centre".into()));
        answers.insert(
            "comment".to_owned(),
            Answer::Text("Street lights out on Mill Lane — «dark»".into()),
        );
        answers.insert(
            "priorities".to_owned(),
            Answer::Choices(vec!["drugs".into(), "speeding".into()]),
        );
        answers.insert("safe".to_owned(), Answer::Number(-3));
        answers.insert("big".to_owned(), Answer::Number(i64::MIN));
        answers.insert("consent".to_owned(), Answer::Consent(true));
        answers.insert("empty".to_owned(), Answer::Choices(vec![]));
        let mut coding = BTreeMap::new();
        coding.insert(
            "comment".to_owned(),
            TextCoding {
                compound: -0.4,
                label: "negative".into(),
                themes: vec!["lighting".into()],
            },
        );
        StoredResponse {
            id: None,
            form: "f".into(),
            version: 7,
            received_ms: 1,
            location: Some("town-centre".into()),
            channel: "qr".into(),
            lang: "cy".into(),
            answers,
            coding,
        }
    }

    #[test]
    fn records_keep_what_the_index_reads_and_leave_out_free_text() {
        let bytes = encode(&response());
        let r = decode(&bytes).unwrap();
        assert_eq!(
            (r.version, r.location, r.channel, r.lang),
            (7, Some("town-centre"), "qr", "cy")
        );
        assert_eq!(
            r.answers,
            vec![
                ("area", RecordAnswer::Text("town-centre")),
                ("big", RecordAnswer::Number(i64::MIN)),
                ("comment", RecordAnswer::FreeText),
                ("consent", RecordAnswer::Consent(true)),
                ("empty", RecordAnswer::Choices(vec![])),
                (
                    "priorities",
                    RecordAnswer::Choices(vec!["drugs", "speeding"])
                ),
                ("safe", RecordAnswer::Number(-3)),
            ]
        );
        assert_eq!(r.coding, vec![("comment", 3, vec!["lighting"])]);
        assert!(!bytes.windows(6).any(|w| w == b"Street"));
    }

    #[test]
    fn malformed_records_are_refused_not_misread() {
        let bytes = encode(&response());
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), Err(DecodeError::Malformed));
        let mut other = bytes;
        other[0] = 2;
        assert_eq!(decode(&other), Err(DecodeError::Format(2)));
        let none = StoredResponse {
            location: None,
            ..response()
        };
        assert_eq!(decode(&encode(&none)).unwrap().location, None);
    }
}

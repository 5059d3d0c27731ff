//! Index records: a compact binary copy of what the answer index reads from
//! a stored response, written in the same batch as the response, so that
//! the index is rebuilt at start from small records instead of by parsing
//! every response's JSON.
//!
//! With the rest beside it (the arrival time, the free text and the exact
//! compound scores; see [`super::stored`]) a record is the whole stored
//! response: the sled store keeps nothing else for it.
//!
//! Question, option, place and theme ids are written as
//! their position in the form version the response answered (published
//! versions never change), so a record is a few dozen bytes and stays
//! valid whatever versions come later; an id that version does not list is
//! written out. Free text is left out: the index reads only its sentiment
//! and themes. A record starts with a format byte, so a later layout can be
//! told apart.
//!
//! Format 3 adds the case attributes an invitation carried (`team`,
//! `category`, …), written out as name and value strings: they come from
//! no form, so there is no list to number them by, and a response has a
//! handful at most. Format 2 records (written before) are still read, as
//! records without attributes. Format 4 adds a flags byte to each coded
//! answer (mixed, actionable); format 3 records are read with none set.
//!
//! Layout (integers as LEB128 varints; a *name* is 0 then a string, length
//! then UTF-8, or n + 1 for the n-th id of the list it is drawn from):
//!
//! ```text
//! format(u8 = 3) version
//! location: 0 none, else a name of the form's places
//! channel, lang: strings
//! answers: count, then per answer: question (a name of the questions), tag
//!   tag 0 text: a name of the question's options (places for a location)
//!   tag 1 free text, left out        tag 2 choices: count, option names
//!   tag 3 number (zigzag)            tag 4 consent false   tag 5 consent true
//! coding: count, then per text answer: question name, label(u8),
//!   flags (u8, format 4 only: 1 mixed, 2 actionable),
//!   themes: count, names of the codebook's themes
//! attributes (format 3 only): count, then per attribute: name, value (strings)
//! ```

use super::{Label, NewResponse, StoredResponse, TextCoding};
use std::collections::BTreeMap;
use survey::{Answer, Form, Kind};

/// The layout written by [`encode`].
const FORMAT: u8 = 4;

/// The layout before the mixed and actionable flags, still read.
const FORMAT_3: u8 = 3;

/// The layout before attributes, still read.
const FORMAT_2: u8 = 2;

const TEXT: u8 = 0;
const FREE_TEXT: u8 = 1;
const CHOICES: u8 = 2;
const NUMBER: u8 = 3;
const CONSENT_NO: u8 = 4;
const CONSENT_YES: u8 = 5;

/// Sentiment labels in code order (code = position + 1; 0 = other).
pub const LABELS: [Label; 3] = [Label::Positive, Label::Neutral, Label::Negative];

/// The code of a sentiment label: 1 to 3.
pub fn label_code(label: Label) -> u8 {
    LABELS
        .iter()
        .position(|l| *l == label)
        .map_or(0, |i| i as u8 + 1)
}

/// The code of a sentiment label as written: 1 to 3, or 0 for anything else.
pub fn label_code_of(label: &str) -> u8 {
    Label::parse(label).map_or(0, label_code)
}

/// What a record is made of: a response's content, before or after it is
/// stored (a record holds no id and no arrival time).
#[derive(Debug, Clone, Copy)]
pub struct Content<'a> {
    version: u32,
    location: Option<&'a str>,
    channel: &'a str,
    lang: &'a str,
    answers: &'a BTreeMap<String, Answer>,
    coding: &'a BTreeMap<String, TextCoding>,
    attributes: &'a BTreeMap<String, String>,
}

impl<'a> From<&'a NewResponse> for Content<'a> {
    fn from(r: &'a NewResponse) -> Content<'a> {
        Content {
            version: r.version,
            location: r.location.as_deref(),
            channel: &r.channel,
            lang: &r.lang,
            answers: &r.answers,
            coding: &r.coding,
            attributes: &r.attributes,
        }
    }
}

impl<'a> From<&'a StoredResponse> for Content<'a> {
    fn from(r: &'a StoredResponse) -> Content<'a> {
        Content {
            version: r.version,
            location: r.location.as_deref(),
            channel: &r.channel,
            lang: &r.lang,
            answers: &r.answers,
            coding: &r.coding,
            attributes: &r.attributes,
        }
    }
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

/// A coded text answer as a record holds it: question id, its position in
/// the form version (when listed), sentiment label code, flags
/// ([`MIXED`], [`ACTIONABLE`]) and theme ids.
pub type RecordCoding<'a> = (&'a str, Option<usize>, u8, u8, Vec<&'a str>);

/// A decoded record; strings borrow from the record's bytes or the form.
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
    /// Answers by question id (with the question's position in the form
    /// version, when it lists the question).
    pub answers: Vec<(&'a str, Option<usize>, RecordAnswer<'a>)>,
    /// Sentiment label code and theme ids of each coded text answer, by
    /// question id (and position, as for answers).
    pub coding: Vec<RecordCoding<'a>>,
    /// Case attributes, name and value, in name order (none in a format 2
    /// record).
    pub attributes: Vec<(&'a str, &'a str)>,
}

/// The ids a record's names are drawn from: those of one form version.
#[derive(Debug, Clone, Default)]
pub struct Names<'f> {
    version: u32,
    questions: Vec<&'f str>,
    /// Per question, its option ids (places for a location question).
    options: Vec<Vec<&'f str>>,
    places: Vec<&'f str>,
    themes: Vec<&'f str>,
}

impl<'f> Names<'f> {
    /// The ids of a form version.
    pub fn of(form: &'f Form) -> Names<'f> {
        let places: Vec<&str> = form.places.iter().map(|p| p.id.as_str()).collect();
        Names {
            version: form.version,
            questions: form.questions.iter().map(|q| q.id.as_str()).collect(),
            options: form
                .questions
                .iter()
                .map(|q| match &q.kind {
                    Kind::SingleChoice { options } | Kind::MultipleChoice { options, .. } => {
                        options.iter().map(|o| o.id.as_str()).collect()
                    }
                    Kind::Location {} => places.clone(),
                    _ => Vec::new(),
                })
                .collect(),
            places,
            themes: form
                .codebook
                .iter()
                .flat_map(|c| c.themes.iter().map(|t| t.id.as_str()))
                .collect(),
        }
    }

    /// The form version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Its question ids, in form order.
    pub fn questions(&self) -> &[&'f str] {
        &self.questions
    }

    fn options(&self, question: Option<usize>) -> &[&'f str] {
        question
            .and_then(|q| self.options.get(q))
            .map_or(&[], Vec::as_slice)
    }
}

/// The index record of a response; `names` are those of the form version
/// it answered (ids are then written as positions; without them, or for
/// another version, ids are written out).
pub fn encode<'a>(r: impl Into<Content<'a>>, names: Option<&Names<'_>>) -> Vec<u8> {
    let r: Content<'a> = r.into();
    let none = Names::default();
    let names = names.filter(|n| n.version == r.version).unwrap_or(&none);
    let mut out = Vec::with_capacity(64);
    out.push(FORMAT);
    varint(&mut out, u64::from(r.version));
    match r.location {
        None => out.push(0),
        // 0 is "none" here, so listed places count from 2.
        Some(l) => match names.places.iter().position(|p| *p == l) {
            Some(i) => varint(&mut out, i as u64 + 2),
            None => {
                out.push(1);
                string(&mut out, l);
            }
        },
    }
    string(&mut out, r.channel);
    string(&mut out, r.lang);
    varint(&mut out, r.answers.len() as u64);
    for (q, a) in r.answers {
        let at = write_name(&mut out, q, &names.questions);
        match a {
            // A text answer with a coding is free text (choices and places
            // are never coded): the index needs only the coding.
            Answer::Text(_) if r.coding.contains_key(q) => out.push(FREE_TEXT),
            Answer::Text(t) => {
                out.push(TEXT);
                write_name(&mut out, t, names.options(at));
            }
            Answer::Choices(v) => {
                out.push(CHOICES);
                varint(&mut out, v.len() as u64);
                for s in v {
                    write_name(&mut out, s, names.options(at));
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
    for (q, c) in r.coding {
        write_name(&mut out, q, &names.questions);
        out.push(label_code(c.label));
        out.push(flags_of(c));
        varint(&mut out, c.themes.len() as u64);
        for t in &c.themes {
            write_name(&mut out, t, &names.themes);
        }
    }
    varint(&mut out, r.attributes.len() as u64);
    for (name, value) in r.attributes {
        string(&mut out, name);
        string(&mut out, value);
    }
    out
}

/// The flags byte of a coded answer: [`MIXED`] and [`ACTIONABLE`].
pub fn flags_of(c: &TextCoding) -> u8 {
    flags(c.mixed, c.actionable)
}

/// The flags byte for these two signals.
pub fn flags(mixed: bool, actionable: bool) -> u8 {
    (u8::from(mixed) * MIXED) | (u8::from(actionable) * ACTIONABLE)
}

/// The flag of a mixed answer.
pub const MIXED: u8 = 1;

/// The flag of an actionable answer.
pub const ACTIONABLE: u8 = 2;

/// Writes `s` as its position in `list`, or written out; the position.
fn write_name(out: &mut Vec<u8>, s: &str, list: &[&str]) -> Option<usize> {
    let at = list.iter().position(|id| *id == s);
    match at {
        Some(i) => varint(out, i as u64 + 1),
        None => {
            out.push(0);
            string(out, s);
        }
    }
    at
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
    /// Names ids of a form version that is not at hand.
    #[error("index record names ids of form version {0}, which is not known")]
    NoForm(u32),
}

/// Reads a record written by [`encode`]; `names` gives the ids of the
/// form version the record answered, if that version is known.
pub fn decode<'a>(
    bytes: &'a [u8],
    names: impl FnOnce(u32) -> Option<&'a Names<'a>>,
) -> Result<Record<'a>, DecodeError> {
    let mut r = Reader { bytes, at: 0 };
    let format = match r.byte()? {
        f @ (FORMAT | FORMAT_3 | FORMAT_2) => f,
        other => return Err(DecodeError::Format(other)),
    };
    let version = u32::try_from(r.varint()?).map_err(|_| DecodeError::Malformed)?;
    let names = names(version).ok_or(DecodeError::NoForm(version));
    let location = match r.varint()? {
        0 => None,
        1 => Some(r.string()?),
        n => Some(listed(n - 1, &names.clone()?.places)?),
    };
    let channel = r.string()?;
    let lang = r.string()?;
    let n = r.count()?;
    let mut answers = Vec::with_capacity(n);
    for _ in 0..n {
        let (q, at) = r.name(|| Ok(&names.clone()?.questions))?;
        let a = match r.byte()? {
            TEXT => RecordAnswer::Text(r.name(|| Ok(names.clone()?.options(at)))?.0),
            FREE_TEXT => RecordAnswer::FreeText,
            CHOICES => {
                let n = r.count()?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(r.name(|| Ok(names.clone()?.options(at)))?.0);
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
        answers.push((q, at, a));
    }
    let n = r.count()?;
    let mut coding = Vec::with_capacity(n);
    for _ in 0..n {
        let (q, at) = r.name(|| Ok(&names.clone()?.questions))?;
        let label = r.byte()?;
        let flags = if format == FORMAT { r.byte()? } else { 0 };
        let k = r.count()?;
        let mut ids = Vec::with_capacity(k);
        for _ in 0..k {
            ids.push(r.name(|| Ok(&names.clone()?.themes))?.0);
        }
        coding.push((q, at, label, flags, ids));
    }
    let mut attributes = Vec::new();
    if format != FORMAT_2 {
        let n = r.count()?;
        attributes.reserve(n);
        for _ in 0..n {
            attributes.push((r.string()?, r.string()?));
        }
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
        attributes,
    })
}

/// The n-th (from 1) id of `list`.
fn listed<'a>(n: u64, list: &[&'a str]) -> Result<&'a str, DecodeError> {
    usize::try_from(n - 1)
        .ok()
        .and_then(|i| list.get(i))
        .copied()
        .ok_or(DecodeError::Malformed)
}

pub(super) fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(super) fn string(out: &mut Vec<u8>, s: &str) {
    varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

pub(super) struct Reader<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) at: usize,
}

impl<'a> Reader<'a> {
    /// A name: an id written out, or the n-th of the list `list` gives;
    /// with its position when listed.
    fn name(
        &mut self,
        list: impl FnOnce() -> Result<&'a [&'a str], DecodeError>,
    ) -> Result<(&'a str, Option<usize>), DecodeError> {
        match self.varint()? {
            0 => Ok((self.string()?, None)),
            n => Ok((listed(n, list()?)?, Some(n as usize - 1))),
        }
    }

    pub(super) fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self.bytes.get(self.at).ok_or(DecodeError::Malformed)?;
        self.at += 1;
        Ok(b)
    }

    pub(super) fn varint(&mut self) -> Result<u64, DecodeError> {
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
    pub(super) fn count(&mut self) -> Result<usize, DecodeError> {
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

    pub(super) fn string(&mut self) -> Result<&'a str, DecodeError> {
        let n = self.varint()?;
        self.str_of(usize::try_from(n).map_err(|_| DecodeError::Malformed)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example form as published: its places from the register.
    fn form() -> Form {
        let mut form = serde_json::from_str(include_str!(
            "../../../examples/forms/community-safety.json"
        ))
        .unwrap();
        let register =
            crate::model::Register::from_json(include_bytes!("../../../examples/places.json"))
                .unwrap();
        crate::service::places::resolve(&mut form, &register);
        form
    }

    /// A response to `form()`, with ids it lists and some it does not (as
    /// from an older version).
    fn response() -> StoredResponse {
        let mut answers = BTreeMap::new();
        answers.insert("respondent_type".to_owned(), Answer::Text("worker".into()));
        answers.insert("area".to_owned(), Answer::Text("bishopsgate".into()));
        answers.insert(
            "safety_comment".to_owned(),
            Answer::Text("Street lights out on Mill Lane — «dark»".into()),
        );
        answers.insert(
            "priorities".to_owned(),
            Answer::Choices(vec!["vawg".into(), "retired-option".into()]),
        );
        answers.insert("feel_safe_day".to_owned(), Answer::Number(-3));
        answers.insert("old_scale".to_owned(), Answer::Number(i64::MIN));
        answers.insert("old_consent".to_owned(), Answer::Consent(true));
        answers.insert("disability".to_owned(), Answer::Choices(vec![]));
        let mut coding = BTreeMap::new();
        coding.insert(
            "safety_comment".to_owned(),
            TextCoding {
                compound: -0.4,
                label: Label::Negative,
                themes: vec!["drugs".into(), "old-theme".into()],
                mixed: false,
                actionable: true,
            },
        );
        StoredResponse {
            id: None,
            form: "community-safety".into(),
            version: 1,
            received_ms: 1,
            location: Some("moorgate".into()),
            channel: "qr".into(),
            lang: "cy".into(),
            answers,
            coding,
            flag: None,
            attributes: BTreeMap::from([
                ("team".to_owned(), "East response".to_owned()),
                ("category".to_owned(), "theft from person".to_owned()),
            ]),
        }
    }

    fn expected() -> Record<'static> {
        Record {
            version: 1,
            location: Some("moorgate"),
            channel: "qr",
            lang: "cy",
            answers: vec![
                ("area", Some(1), RecordAnswer::Text("bishopsgate")),
                ("disability", Some(21), RecordAnswer::Choices(vec![])),
                ("feel_safe_day", Some(2), RecordAnswer::Number(-3)),
                ("old_consent", None, RecordAnswer::Consent(true)),
                ("old_scale", None, RecordAnswer::Number(i64::MIN)),
                (
                    "priorities",
                    Some(15),
                    RecordAnswer::Choices(vec!["vawg", "retired-option"]),
                ),
                ("respondent_type", Some(0), RecordAnswer::Text("worker")),
                ("safety_comment", Some(17), RecordAnswer::FreeText),
            ],
            coding: vec![(
                "safety_comment",
                Some(17),
                3,
                ACTIONABLE,
                vec!["drugs", "old-theme"],
            )],
            attributes: vec![("category", "theft from person"), ("team", "East response")],
        }
    }

    #[test]
    fn records_keep_what_the_index_reads_and_leave_out_free_text() {
        let form = form();
        let names = Names::of(&form);
        let with = |v: u32| (v == 1).then_some(&names);
        let short = encode(&response(), Some(&names));
        assert_eq!(decode(&short, with).unwrap(), expected());
        // Without the form's names every id is written out, and still read
        // (without positions).
        let long = encode(&response(), None);
        let mut unlisted = expected();
        unlisted.answers.iter_mut().for_each(|a| a.1 = None);
        unlisted.coding.iter_mut().for_each(|c| c.1 = None);
        assert_eq!(decode(&long, |_| None).unwrap(), unlisted);
        assert_eq!(decode(&long, with).unwrap(), unlisted);
        // Names of another version are not used.
        let other = StoredResponse {
            version: 2,
            ..response()
        };
        assert_eq!(encode(&other, Some(&names)), encode(&other, None));
        // Listed ids are small numbers (attributes are written out in
        // both); free text is never there.
        let attributes: usize = response()
            .attributes
            .iter()
            .map(|(k, v)| 2 + k.len() + v.len())
            .sum();
        assert!(
            short.len() - attributes < (long.len() - attributes) / 2,
            "{} against {}",
            short.len(),
            long.len()
        );
        for text in [&b"respondent_type"[..], b"bishopsgate", b"Street"] {
            assert!(!short.windows(text.len()).any(|w| w == text));
        }
        assert!(!long.windows(6).any(|w| w == b"Street"));
    }

    #[test]
    fn records_carry_case_attributes_since_format_3() {
        let form = form();
        let names = Names::of(&form);
        let bytes = encode(&response(), Some(&names));
        assert_eq!(bytes[0], FORMAT);
        let read = decode(&bytes, |_| Some(&names)).unwrap();
        assert_eq!(
            read.attributes,
            [("category", "theft from person"), ("team", "East response")]
        );
        // Without attributes a record is one byte longer than format 2's.
        let none = StoredResponse {
            attributes: BTreeMap::new(),
            ..response()
        };
        let bytes = encode(&none, Some(&names));
        assert_eq!(bytes.last(), Some(&0));
        assert!(decode(&bytes, |_| Some(&names))
            .unwrap()
            .attributes
            .is_empty());
    }

    /// A record as format 2 wrote it (before attributes), written out by
    /// hand so that no later change to the encoder can move it: it must
    /// still be read, as a record without attributes.
    #[test]
    fn format_2_records_still_decode_without_attributes() {
        let v2: &[u8] = b"\x02\x01\x01\x08moorgate\x02qr\x02en\x03\
            \x00\x04safe\x03\x08\
            \x00\x03why\x01\
            \x00\x05worry\x00\x00\x05a-lot\
            \x01\x00\x03why\x03\x01\x00\x08lighting";
        let read = decode(v2, |_| None).unwrap();
        assert_eq!(
            read,
            Record {
                version: 1,
                location: Some("moorgate"),
                channel: "qr",
                lang: "en",
                answers: vec![
                    ("safe", None, RecordAnswer::Number(4)),
                    ("why", None, RecordAnswer::FreeText),
                    ("worry", None, RecordAnswer::Text("a-lot")),
                ],
                coding: vec![("why", None, 3, 0, vec!["lighting"])],
                attributes: vec![],
            }
        );
        // The same bytes under format 3 lack the attribute count.
        let mut v3 = v2.to_vec();
        v3[0] = 3;
        assert_eq!(decode(&v3, |_| None), Err(DecodeError::Malformed));
        v3.push(0);
        assert_eq!(decode(&v3, |_| None).unwrap(), read);
        // Format 4 adds a flags byte after each coded answer's label.
        let mut v4 = v3.clone();
        v4[0] = 4;
        assert_eq!(decode(&v4, |_| None), Err(DecodeError::Malformed));
        let label = v4.len() - 13;
        assert_eq!(&v4[label - 4..label + 1], b"\x03why\x03");
        v4.insert(label + 1, MIXED | ACTIONABLE);
        let flagged = decode(&v4, |_| None).unwrap();
        assert_eq!(
            flagged.coding,
            vec![("why", None, 3, MIXED | ACTIONABLE, vec!["lighting"])]
        );
    }

    #[test]
    fn records_naming_ids_of_an_unknown_version_are_refused() {
        let form = form();
        let short = encode(&response(), Some(&Names::of(&form)));
        assert_eq!(decode(&short, |_| None), Err(DecodeError::NoForm(1)));
    }

    #[test]
    fn malformed_records_are_refused_not_misread() {
        let form = form();
        let names = Names::of(&form);
        for bytes in [encode(&response(), Some(&names)), encode(&response(), None)] {
            for cut in 0..bytes.len() {
                assert!(
                    decode(&bytes[..cut], |_| Some(&names)).is_err(),
                    "cut at {cut}"
                );
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert_eq!(
                decode(&longer, |_| Some(&names)),
                Err(DecodeError::Malformed)
            );
            let mut other = bytes;
            other[0] = 1;
            assert_eq!(
                decode(&other, |_| Some(&names)),
                Err(DecodeError::Format(1))
            );
        }
        let none = StoredResponse {
            location: None,
            ..response()
        };
        assert_eq!(
            decode(&encode(&none, Some(&names)), |_| Some(&names))
                .unwrap()
                .location,
            None
        );
    }
}

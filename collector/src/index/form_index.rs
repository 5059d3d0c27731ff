//! The in-memory answer index: one compact row per response, column by
//! column, so aggregate queries never re-read or re-parse stored JSON.
//!
//! sled stays the source of truth: the index is rebuilt from it at start
//! and appended to on every acknowledged write. Each column holds a small
//! code per response: 0 for "not answered", else the answer's position in
//! the column's dictionary plus one (options in form order, then any
//! option ids seen only in older form versions). Multiple-choice answers
//! and theme codes are bit masks; a text answer also has a flags byte (mixed,
//! actionable). A community-safety row is about 59 bytes.
//!
//! Case attributes (`team`, `category`, … from a victim's invitation) get a
//! dictionary-coded column each, made when a response first carries that
//! attribute: a form no invitation went to pays nothing for them.
//!
//! That layout is the index's own: the fields here are visible only inside
//! `index/`, where the queries read them; other floors use the methods.

use super::dict::Dict;
use super::record::{self, Record, RecordAnswer};
use super::stored_json;
use crate::model::{Label, ResponseId, StoredResponse};
use std::collections::HashMap;
use survey::{Answer, Form, Kind};

/// What a question's column holds.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ColumnKind {
    /// Single choice or location: code of the option.
    Choice,
    /// Multiple choice: bit `code - 1` set for each option chosen (32 at most).
    Multi,
    /// Scale: code = value - min + 1.
    Scale {
        /// Lowest value.
        min: i64,
        /// Highest value.
        max: i64,
        /// Values counted as satisfied.
        satisfied: Vec<i64>,
    },
    /// Consent: 1 when given.
    Consent,
    /// Free text: sentiment label (1 positive, 2 neutral, 3 negative) and,
    /// when the codebook applies, a theme mask.
    Text {
        /// Whether themes are coded for this question.
        coded: bool,
    },
}

/// One question's column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Question id.
    pub(super) id: String,
    /// What it holds.
    pub(super) kind: ColumnKind,
    /// Option ids (choice, multi), or theme ids (coded text).
    pub(super) dict: Dict,
    /// One code per row (choice, scale, consent; sentiment label for text).
    pub(super) codes: Vec<u8>,
    /// One mask per row (multi; themes for coded text).
    pub(super) masks: Vec<u32>,
    /// One byte per row for text: [`record::MIXED`] and
    /// [`record::ACTIONABLE`] (empty for other kinds).
    pub(super) flags: Vec<u8>,
}

impl Column {
    /// Number of distinct answers the column has codes for: option ids,
    /// including any seen only in older form versions, or theme ids.
    pub fn known_answers(&self) -> usize {
        self.dict.len()
    }

    /// Whether the question is a scale (which has a mean).
    pub fn is_scale(&self) -> bool {
        matches!(self.kind, ColumnKind::Scale { .. })
    }
}

/// An answer seen through a stored response or its JSON.
enum AnswerRef<'a> {
    Text(&'a str),
    Choices(Vec<&'a str>),
    Number(i64),
    Consent(bool),
}

/// One case attribute's column (`team`, `category`, …): the value each
/// row's invitation carried, coded like places.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// Attribute name.
    pub(super) name: String,
    /// Values seen.
    pub(super) dict: Dict,
    /// One code per row (0 = the row has no such attribute).
    pub(super) codes: Vec<u16>,
}

/// Labels of text sentiment codes 1..=3.
pub const SENTIMENT_LABELS: [Label; 3] = record::LABELS;

/// What a row holds besides the answers.
struct Meta<'m, A> {
    version: u32,
    location: Option<&'m str>,
    channel: &'m str,
    lang: &'m str,
    /// Case attributes, name and value.
    attributes: A,
}

/// A response's index record cannot stand in for its JSON: the form now
/// asks for a choice where the response gave free text, which records
/// leave out. Index the stored response instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeedsResponse;

/// A manual code that replaced the automatic one in the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Override {
    /// The automatic theme mask.
    pub(super) auto_mask: u32,
    /// The automatic sentiment code.
    pub(super) auto_label: u8,
    /// The manual theme mask.
    pub(super) manual_mask: u32,
    /// The manual sentiment code.
    pub(super) manual_label: u8,
}

/// The index of one form's responses.
#[derive(Debug, Clone, PartialEq)]
pub struct FormIndex {
    /// Form id.
    pub(super) form: String,
    /// Arrival time in ms of each row.
    pub(super) ms: Vec<u64>,
    /// Sequence number of each row's response id.
    pub(super) seq: Vec<u64>,
    /// Place code of each row (0 = none).
    pub(super) location: Vec<u16>,
    /// Channel code of each row.
    pub(super) channel: Vec<u8>,
    /// Language code of each row.
    pub(super) lang: Vec<u8>,
    /// Form version of each row.
    pub(super) version: Vec<u16>,
    /// Place ids.
    pub(super) locations: Dict,
    /// Channels.
    pub(super) channels: Dict,
    /// Languages.
    pub(super) langs: Dict,
    /// One column per question of the current form version.
    pub(super) columns: Vec<Column>,
    /// One column per case attribute seen, in the order first seen.
    pub(super) attributes: Vec<Attribute>,
    /// Earliest and latest arrival (ms).
    pub(super) span: Option<(u64, u64)>,
    /// Manual codes by (row, column).
    pub(super) overrides: HashMap<(u32, u16), Override>,
    /// Column positions in question id order, to find a column by id.
    by_id: Vec<usize>,
    /// The first location question's column: its answer is the row's
    /// place when the response came with no place tag.
    place_column: Option<usize>,
    /// The highest sequence number the last rebuild found in the store:
    /// a response at or below it may be indexed already.
    built_upto: BuiltUpto,
}

/// Bookkeeping of how an index was made, not part of what it holds: two
/// indexes of the same rows are equal however they were built.
#[derive(Debug, Clone, Copy, Default)]
struct BuiltUpto(u64);

impl PartialEq for BuiltUpto {
    fn eq(&self, _: &BuiltUpto) -> bool {
        true
    }
}

impl FormIndex {
    /// An empty index laid out for `form`'s current version.
    pub fn new(form: &Form) -> FormIndex {
        let themes: Vec<String> = form
            .codebook
            .iter()
            .flat_map(|c| c.themes.iter().map(|t| t.id.clone()))
            .collect();
        let columns = form
            .questions
            .iter()
            .map(|q| {
                let (kind, dict) = match &q.kind {
                    Kind::SingleChoice { options } => (
                        ColumnKind::Choice,
                        Dict::with(options.iter().map(|o| o.id.clone())),
                    ),
                    Kind::Location {} => (
                        ColumnKind::Choice,
                        Dict::with(form.places.iter().map(|p| p.id.clone())),
                    ),
                    Kind::MultipleChoice { options, .. } => (
                        ColumnKind::Multi,
                        Dict::with(options.iter().map(|o| o.id.clone())),
                    ),
                    Kind::Scale {
                        min,
                        max,
                        satisfied,
                        ..
                    } => (
                        ColumnKind::Scale {
                            min: *min,
                            max: *max,
                            satisfied: satisfied.clone(),
                        },
                        Dict::with((*min..=*max).map(|v| v.to_string())),
                    ),
                    Kind::Consent {} => (ColumnKind::Consent, Dict::with(["true".to_owned()])),
                    Kind::Text { .. } => {
                        let coded = form.codebook.as_ref().is_some_and(|c| {
                            c.questions.is_empty() || c.questions.iter().any(|x| x == &q.id)
                        });
                        let dict = if coded {
                            Dict::with(themes.iter().cloned())
                        } else {
                            Dict::default()
                        };
                        (ColumnKind::Text { coded }, dict)
                    }
                };
                Column {
                    id: q.id.clone(),
                    kind,
                    dict,
                    codes: Vec::new(),
                    masks: Vec::new(),
                    flags: Vec::new(),
                }
            })
            .collect::<Vec<Column>>();
        let mut by_id: Vec<usize> = (0..columns.len()).collect();
        by_id.sort_by(|&a, &b| columns[a].id.cmp(&columns[b].id));
        let place_column = form
            .questions
            .iter()
            .position(|q| matches!(q.kind, Kind::Location {}));
        FormIndex {
            form: form.id.clone(),
            ms: Vec::new(),
            seq: Vec::new(),
            location: Vec::new(),
            channel: Vec::new(),
            lang: Vec::new(),
            version: Vec::new(),
            locations: Dict::with(form.places.iter().map(|p| p.id.clone())),
            channels: Dict::with(["embed", "qr", "link"].map(String::from)),
            langs: Dict::with(form.languages.iter().cloned()),
            columns,
            attributes: Vec::new(),
            span: None,
            overrides: HashMap::new(),
            by_id,
            place_column,
            built_upto: BuiltUpto::default(),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ms.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.ms.is_empty()
    }

    /// The arrival times of the first and the last row, ms; none when
    /// there are no rows.
    pub fn span(&self) -> Option<(u64, u64)> {
        self.span
    }

    /// The channels the rows came through, as named.
    pub fn channels(&self) -> Vec<String> {
        (1..=self.channels.len() as u32)
            .filter_map(|c| self.channels.name(c).map(str::to_owned))
            .collect()
    }

    /// The languages the rows were answered in.
    pub fn langs(&self) -> Vec<String> {
        (1..=self.langs.len() as u32)
            .filter_map(|c| self.langs.name(c).map(str::to_owned))
            .collect()
    }

    /// Number of answers coded by hand.
    pub fn hand_coded(&self) -> usize {
        self.overrides.len()
    }

    /// The column of a question.
    pub fn column(&self, id: &str) -> Option<(usize, &Column)> {
        self.columns.iter().enumerate().find(|(_, c)| c.id == id)
    }

    /// The column of a case attribute, if any row carries it.
    pub fn attribute(&self, name: &str) -> Option<usize> {
        self.attributes.iter().position(|a| a.name == name)
    }

    /// Names of the case attributes the rows carry, in the order first seen.
    pub fn attribute_names(&self) -> impl Iterator<Item = &str> {
        self.attributes.iter().map(|a| a.name.as_str())
    }

    /// Notes that the rows so far are what the store held: responses
    /// pushed later with [`FormIndex::push_new`] may be among them.
    pub(super) fn mark_built(&mut self) {
        self.built_upto = BuiltUpto(self.seq.iter().copied().max().unwrap_or(0));
    }

    /// Appends a response unless it is indexed already (a response stored
    /// while a rebuild read the store can reach the index both ways).
    pub(super) fn push_new(&mut self, r: &StoredResponse) {
        if let Some(id) = r.id {
            if id.seq <= self.built_upto.0 && self.row_of(id).is_some() {
                return;
            }
        }
        self.push(r);
    }

    /// Appends one stored response.
    pub fn push(&mut self, r: &StoredResponse) {
        let id = r.id.unwrap_or(ResponseId {
            ms: r.received_ms,
            seq: 0,
        });
        self.push_row(
            id,
            Meta {
                version: r.version,
                location: r.location.as_deref(),
                channel: &r.channel,
                lang: &r.lang,
                attributes: r.attributes.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            },
            |_, q| {
                r.answers.get(q).map(|a| match a {
                    Answer::Text(s) => AnswerRef::Text(s),
                    Answer::Choices(v) => {
                        AnswerRef::Choices(v.iter().map(String::as_str).collect())
                    }
                    Answer::Number(n) => AnswerRef::Number(*n),
                    Answer::Consent(b) => AnswerRef::Consent(*b),
                })
            },
            |_, q| {
                r.coding.get(q).map(|c| {
                    (
                        record::label_code(c.label),
                        record::flags_of(c),
                        c.themes.iter().map(String::as_str).collect(),
                    )
                })
            },
        );
    }

    /// Appends one response from its stored JSON (the rebuild at start),
    /// reading it in place instead of building a [`StoredResponse`].
    pub fn push_json(&mut self, id: ResponseId, json: &[u8]) -> Result<(), serde_json::Error> {
        let r: stored_json::Row<'_> = serde_json::from_slice(json)?;
        self.push_row(
            id,
            Meta {
                version: r.version,
                location: r.location.as_deref(),
                channel: &r.channel,
                lang: &r.lang,
                attributes: r.attributes.iter().map(|(k, v)| (&*k.0, &*v.0)),
            },
            |_, q| {
                r.answers.get(q).map(|a| match a {
                    stored_json::Answer::Text(s) => AnswerRef::Text(s),
                    stored_json::Answer::Choices(v) => {
                        AnswerRef::Choices(v.iter().map(|s| &*s.0).collect())
                    }
                    stored_json::Answer::Number(n) => AnswerRef::Number(*n),
                    stored_json::Answer::Consent(b) => AnswerRef::Consent(*b),
                })
            },
            |_, q| {
                r.coding.get(q).map(|c| {
                    (
                        record::label_code_of(&c.label),
                        record::flags(c.mixed, c.actionable),
                        c.themes.iter().map(|t| &*t.0).collect(),
                    )
                })
            },
        );
        Ok(())
    }

    /// The column of each of a form version's questions (see
    /// [`FormIndex::push_record`]).
    pub(super) fn columns_of(&self, questions: &[&str]) -> Vec<Option<usize>> {
        questions.iter().map(|q| self.column_index(q)).collect()
    }

    /// Appends one response from its index record (the rebuild at start);
    /// `columns` is [`FormIndex::columns_of`] the questions of the form
    /// version the record answered, so listed questions need no search.
    /// Nothing is appended when the record lacks what the index now needs.
    pub(super) fn push_record(
        &mut self,
        id: ResponseId,
        r: &Record<'_>,
        columns: &[Option<usize>],
    ) -> Result<(), NeedsResponse> {
        let column = |q: &str, at: Option<usize>| match at.and_then(|k| columns.get(k)) {
            Some(c) => *c,
            None => self.column_index(q),
        };
        let mut answers: Vec<Option<&RecordAnswer<'_>>> = vec![None; self.columns.len()];
        for (q, at, a) in &r.answers {
            if let Some(i) = column(q, *at) {
                answers[i] = Some(a);
            }
        }
        let mut coding: Vec<Option<(u8, u8, &[&str])>> = vec![None; self.columns.len()];
        for (q, at, label, flags, themes) in &r.coding {
            if let Some(i) = column(q, *at) {
                coding[i] = Some((*label, *flags, themes));
            }
        }
        // Only choice columns read a text answer's words.
        let left_out = self.columns.iter().zip(&answers).any(|(c, a)| {
            matches!(c.kind, ColumnKind::Choice) && matches!(a, Some(RecordAnswer::FreeText))
        });
        if left_out {
            return Err(NeedsResponse);
        }
        self.push_row(
            id,
            Meta {
                version: r.version,
                location: r.location,
                channel: r.channel,
                lang: r.lang,
                attributes: r.attributes.iter().copied(),
            },
            |i, _| {
                answers[i].map(|a| match a {
                    RecordAnswer::Text(s) => AnswerRef::Text(s),
                    RecordAnswer::FreeText => AnswerRef::Text(""),
                    RecordAnswer::Choices(v) => AnswerRef::Choices(v.clone()),
                    RecordAnswer::Number(n) => AnswerRef::Number(*n),
                    RecordAnswer::Consent(b) => AnswerRef::Consent(*b),
                })
            },
            |i, _| coding[i].map(|(label, flags, themes)| (label, flags, themes.to_vec())),
        );
        Ok(())
    }

    /// The column of a question id, by binary search of the ids.
    fn column_index(&self, id: &str) -> Option<usize> {
        self.by_id
            .binary_search_by(|&i| self.columns[i].id.as_str().cmp(id))
            .ok()
            .map(|at| self.by_id[at])
    }

    fn push_row<'a, 'm>(
        &mut self,
        id: ResponseId,
        meta: Meta<'m, impl Iterator<Item = (&'m str, &'m str)>>,
        answer: impl Fn(usize, &str) -> Option<AnswerRef<'a>>,
        coding: impl Fn(usize, &str) -> Option<(u8, u8, Vec<&'a str>)>,
    ) {
        let Meta {
            version,
            location,
            channel,
            lang,
            attributes,
        } = meta;
        let row = self.ms.len();
        for (name, value) in attributes {
            let at = match self.attribute(name) {
                Some(at) => at,
                None => {
                    self.attributes.push(Attribute {
                        name: name.to_owned(),
                        dict: Dict::default(),
                        codes: vec![0; row],
                    });
                    self.attributes.len() - 1
                }
            };
            let a = &mut self.attributes[at];
            // A name twice (only a damaged record could say so): the first wins.
            if a.codes.len() == row {
                let code = a.dict.code_or_add(value);
                a.codes.push(code.min(u32::from(u16::MAX)) as u16);
            }
        }
        for a in &mut self.attributes {
            if a.codes.len() == row {
                a.codes.push(0);
            }
        }
        self.ms.push(id.ms);
        self.seq.push(id.seq);
        self.span = Some(match self.span {
            None => (id.ms, id.ms),
            Some((a, b)) => (a.min(id.ms), b.max(id.ms)),
        });
        // The place tag, else the answer to the location question.
        let answered = match (location, self.place_column) {
            (None, Some(i)) => match answer(i, &self.columns[i].id) {
                Some(AnswerRef::Text(s)) if !s.is_empty() => Some(s),
                _ => None,
            },
            _ => None,
        };
        let loc = match location.or(answered) {
            Some(l) => self.locations.code_or_add(l),
            None => 0,
        };
        self.location.push(loc.min(u32::from(u16::MAX)) as u16);
        let ch = self.channels.code_or_add(channel);
        self.channel.push(ch.min(255) as u8);
        let lang = self.langs.code_or_add(lang);
        self.lang.push(lang.min(255) as u8);
        self.version.push(version.min(u16::MAX as u32) as u16);
        for (i, col) in self.columns.iter_mut().enumerate() {
            let answer = |q: &str| answer(i, q);
            match &col.kind {
                ColumnKind::Choice => {
                    let code = match answer(&col.id) {
                        Some(AnswerRef::Text(s)) => col.dict.code_or_add(s),
                        _ => 0,
                    };
                    col.codes.push(code.min(255) as u8);
                }
                ColumnKind::Multi => {
                    let mut mask = 0u32;
                    if let Some(AnswerRef::Choices(v)) = answer(&col.id) {
                        for s in v {
                            let c = col.dict.code_or_add(s);
                            if (1..=32).contains(&c) {
                                mask |= 1 << (c - 1);
                            }
                        }
                    }
                    col.masks.push(mask);
                }
                ColumnKind::Scale { min, max, .. } => {
                    let code = match answer(&col.id) {
                        Some(AnswerRef::Number(n)) if n >= *min && n <= *max => (n - min + 1) as u8,
                        _ => 0,
                    };
                    col.codes.push(code);
                }
                ColumnKind::Consent => col.codes.push(u8::from(matches!(
                    answer(&col.id),
                    Some(AnswerRef::Consent(true))
                ))),
                ColumnKind::Text { coded } => {
                    let coding = coding(i, &col.id);
                    col.codes
                        .push(coding.as_ref().map_or(0, |(label, _, _)| *label));
                    col.flags
                        .push(coding.as_ref().map_or(0, |(_, flags, _)| *flags));
                    if *coded {
                        let mut mask = 0u32;
                        for t in coding.iter().flat_map(|(_, _, themes)| themes.iter()) {
                            if let Some(c @ 1..=32) = col.dict.code(t) {
                                mask |= 1 << (c - 1);
                            }
                        }
                        col.masks.push(mask);
                    }
                }
            }
        }
    }

    /// The row of a response, if indexed.
    pub fn row_of(&self, id: ResponseId) -> Option<usize> {
        // Rows are appended in acknowledgement order, which is nearly but
        // not exactly sequence order; a linear scan from the back is cheap.
        (0..self.seq.len())
            .rev()
            .find(|&i| self.seq[i] == id.seq && self.ms[i] == id.ms)
    }

    /// Replaces a text answer's codes with an analyst's; keeps the automatic
    /// ones for the agreement report.
    pub(super) fn set_manual(&mut self, row: usize, col: usize, themes: u32, label: Option<u8>) {
        let c = &mut self.columns[col];
        let key = (row as u32, col as u16);
        let auto_mask = c.masks.get(row).copied().unwrap_or(0);
        let auto_label = c.codes[row];
        let entry = self.overrides.entry(key).or_insert(Override {
            auto_mask,
            auto_label,
            manual_mask: 0,
            manual_label: 0,
        });
        entry.manual_mask = themes;
        entry.manual_label = label.unwrap_or(entry.auto_label);
        if let Some(m) = c.masks.get_mut(row) {
            *m = themes;
        }
        c.codes[row] = entry.manual_label;
    }

    /// Bytes held per row by the columns (what the index costs in memory,
    /// not counting dictionaries and spare capacity).
    pub fn bytes_per_row(&self) -> usize {
        let fixed = 8 + 8 + 2 + 1 + 1 + 2 + 2 * self.attributes.len();
        fixed
            + self
                .columns
                .iter()
                .map(|c| match c.kind {
                    ColumnKind::Multi => 4,
                    // Label, flags and the theme mask.
                    ColumnKind::Text { coded: true } => 6,
                    ColumnKind::Text { coded: false } => 2,
                    _ => 1,
                })
                .sum::<usize>()
    }

    /// Heap bytes in use, with spare capacity.
    pub fn heap_bytes(&self) -> usize {
        let cols: usize = self
            .columns
            .iter()
            .map(|c| {
                c.codes.capacity()
                    + c.masks.capacity() * 4
                    + c.flags.capacity()
                    + c.dict.heap_bytes()
            })
            .sum::<usize>()
            + self
                .attributes
                .iter()
                .map(|a| a.codes.capacity() * 2 + a.dict.heap_bytes())
                .sum::<usize>();
        self.ms.capacity() * 8
            + self.seq.capacity() * 8
            + self.location.capacity() * 2
            + self.channel.capacity()
            + self.lang.capacity()
            + self.version.capacity() * 2
            + cols
            + self.overrides.capacity() * 24
    }

    /// Gives back spare capacity (after a rebuild).
    pub(super) fn shrink(&mut self) {
        self.ms.shrink_to_fit();
        self.seq.shrink_to_fit();
        self.location.shrink_to_fit();
        self.channel.shrink_to_fit();
        self.lang.shrink_to_fit();
        self.version.shrink_to_fit();
        for c in &mut self.columns {
            c.codes.shrink_to_fit();
            c.masks.shrink_to_fit();
            c.flags.shrink_to_fit();
        }
        for a in &mut self.attributes {
            a.codes.shrink_to_fit();
        }
    }
}

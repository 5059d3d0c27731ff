//! Sentiment of free-text answers: VADER, plus a policing and
//! community-safety lexicon layer.
//!
//! The base is VADER 3.3.2 through the `vader` crate beside this one (the
//! `vader-parity` crate made faster, with the same bits), which reproduces
//! Python's `vaderSentiment` to its published precision. VADER's lexicon was built
//! for social media and misreads this domain: "professional" and "mugged"
//! are not in it, "long delays between updates and progress" scores +0.42
//! (on "progress"), and "my phone was snatched" scores 0.
//!
//! # The lexicon layer
//!
//! `vader` keeps its lexicon private, as `vader-parity` 0.1 does, so the
//! layer runs beside it rather than inside it:
//!
//! 1. VADER scores the text as usual. Its compound `c` is turned back into
//!    the raw valence sum `x` it was normalised from, inverting VADER's
//!    `c = x / sqrt(x² + 15)` (α = 15): `x = c · sqrt(15 / (1 − c²))`.
//! 2. The text is cut into lower-cased word tokens and the layer's entries
//!    (single words or multi-word phrases) are matched on them, leftmost
//!    and longest first, without overlaps.
//! 3. Each match contributes its entry's valence `v` in place of whatever
//!    VADER gave those words: the layer adds `v − v₀`, where `v₀` is
//!    VADER's own valence for the entry's words scored alone (computed once
//!    per entry). Both are weighted the way VADER weights a lexicon word:
//!    × −0.74 for each negator among the three tokens before the match
//!    (VADER's list, any "n't" word, and "no"), × 0.5 before the first "but"
//!    and × 1.5 after it.
//! 4. The adjusted sum is normalised again with α = 15 and rounded to four
//!    decimals, as VADER does.
//!
//! A text in which no entry matches keeps VADER's scores exactly. With the
//! layer switched off ([`Scorer::plain`]) every score is plain VADER's.
//!
//! `pos`, `neu` and `neg` are VADER's proportions when nothing matches.
//! When something does they are an estimate: VADER's proportions are scaled
//! back to masses over a total of (tokens + |x|), each matched phrase's
//! mass moves from what VADER gave it to what the entry gives it (|v| + 1
//! on its side, as VADER counts a sentiment word), and the masses are
//! normalised again. The compound and the label are the figures to rely on.
//!
//! The built-in entries live in `domain_lexicon.tsv` beside this file and
//! carry [`DOMAIN_LEXICON_VERSION`]. A deployment adds or overrides entries
//! with [`Lexicon::parse`] (one `word or phrase<TAB>valence` a line) or
//! [`Lexicon::from_json`] (`{"phrase": valence}`) and [`Lexicon::extend`];
//! [`Scorer::version`] names the lexicon behind every score so stored
//! scores can be traced and recomputed.

use crate::text::tokens;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
// VADER's normalisation constant, its negation scalar, and its `NEGATE`
// list (any word containing "n't" also negates) weigh the layer's entries.
use vader::{SentimentIntensityAnalyzer, SentimentScores, ALPHA, NEGATE, N_SCALAR};

/// Version of the built-in policing lexicon; bump it on every change to
/// `domain_lexicon.tsv`.
pub const DOMAIN_LEXICON_VERSION: u32 = 2;

/// The Python `vaderSentiment` release the base scores match.
pub const VADER_VERSION: &str = "3.3.2";

/// A compound at or above this is positive, at or below its negative is
/// negative, and anything between is neutral (VADER's own convention).
pub const LABEL_THRESHOLD: f64 = 0.05;

/// Largest valence magnitude an entry may have (VADER's scale).
pub const MAX_VALENCE: f64 = 4.0;

const DOMAIN_LEXICON: &str = include_str!("domain_lexicon.tsv");

/// Positive, neutral or negative, from the compound score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    /// compound ≥ 0.05
    Positive,
    /// −0.05 < compound < 0.05
    Neutral,
    /// compound ≤ −0.05
    Negative,
}

impl Label {
    /// The label of a compound score.
    pub fn of(compound: f64) -> Label {
        if compound >= LABEL_THRESHOLD {
            Label::Positive
        } else if compound <= -LABEL_THRESHOLD {
            Label::Negative
        } else {
            Label::Neutral
        }
    }

    /// The label written `positive`, `neutral` or `negative`.
    pub fn parse(s: &str) -> Option<Label> {
        match s {
            "positive" => Some(Label::Positive),
            "neutral" => Some(Label::Neutral),
            "negative" => Some(Label::Negative),
            _ => None,
        }
    }

    /// `positive`, `neutral` or `negative`, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Positive => "positive",
            Label::Neutral => "neutral",
            Label::Negative => "negative",
        }
    }
}

/// The sentiment of one text.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    /// Overall score in [−1, 1], rounded to four decimals.
    pub compound: f64,
    /// [`Label::of`] the compound.
    pub label: Label,
    /// Positive share of the text, three decimals.
    pub pos: f64,
    /// Neutral share of the text, three decimals.
    pub neu: f64,
    /// Negative share of the text, three decimals.
    pub neg: f64,
}

impl From<SentimentScores> for Sentiment {
    fn from(s: SentimentScores) -> Self {
        Sentiment {
            compound: s.compound,
            label: Label::of(s.compound),
            pos: s.pos,
            neu: s.neu,
            neg: s.neg,
        }
    }
}

/// Words and phrases with their valence, layered over VADER.
#[derive(Debug, Clone, PartialEq)]
pub struct Lexicon {
    /// Normalised phrase (tokens joined by one space) → valence.
    entries: BTreeMap<String, f64>,
    version: String,
}

impl Lexicon {
    /// The built-in policing and community-safety lexicon,
    /// version [`DOMAIN_LEXICON_VERSION`].
    pub fn domain() -> Lexicon {
        let mut lex =
            Lexicon::parse(DOMAIN_LEXICON).expect("the built-in lexicon parses (see its test)");
        lex.version = format!("domain-{DOMAIN_LEXICON_VERSION}");
        lex
    }

    /// A lexicon with no entries.
    pub fn empty() -> Lexicon {
        Lexicon {
            entries: BTreeMap::new(),
            version: "empty".into(),
        }
    }

    /// Reads one `word or phrase<TAB>valence` a line. Blank lines and lines
    /// starting with `#` are skipped; a later line for the same phrase wins.
    /// The valence may also follow the phrase after plain spaces: it is the
    /// last field on the line.
    pub fn parse(text: &str) -> Result<Lexicon> {
        let mut lex = Lexicon::empty();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |message: String| Error::Lexicon {
                line: i + 1,
                message,
            };
            let (phrase, value) = line
                .rsplit_once(|c: char| c.is_whitespace())
                .ok_or_else(|| bad("expected a word or phrase, a tab, then a valence".into()))?;
            let value: f64 = value
                .parse()
                .map_err(|_| bad(format!("'{value}' is not a number")))?;
            let key = entry_key(phrase, value).map_err(bad)?;
            lex.entries.insert(key, value);
        }
        lex.version = format!("custom-{:016x}", lex.fingerprint());
        Ok(lex)
    }

    /// Reads a JSON object of phrase → valence.
    pub fn from_json(json: &str) -> Result<Lexicon> {
        let map: BTreeMap<String, f64> =
            serde_json::from_str(json).map_err(|e| Error::Lexicon {
                line: e.line(),
                message: e.to_string(),
            })?;
        let mut lex = Lexicon::empty();
        for (phrase, value) in map {
            lex.insert(&phrase, value)?;
        }
        lex.version = format!("custom-{:016x}", lex.fingerprint());
        Ok(lex)
    }

    /// Adds or replaces one entry. The phrase is tokenised as answers are.
    pub fn insert(&mut self, phrase: &str, valence: f64) -> Result<()> {
        let key =
            entry_key(phrase, valence).map_err(|message| Error::Lexicon { line: 0, message })?;
        self.entries.insert(key, valence);
        Ok(())
    }

    /// Removes an entry; returns whether it was there.
    pub fn remove(&mut self, phrase: &str) -> bool {
        self.entries.remove(&tokens(phrase).join(" ")).is_some()
    }

    /// Adds `other`'s entries, replacing any for the same phrase.
    pub fn extend(&mut self, other: &Lexicon) {
        self.entries
            .extend(other.entries.iter().map(|(k, v)| (k.clone(), *v)));
        self.version = format!("{}+{}", self.version, other.version);
    }

    /// The valence of a phrase, if it has an entry.
    pub fn get(&self, phrase: &str) -> Option<f64> {
        self.entries.get(&tokens(phrase).join(" ")).copied()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, as normalised phrases, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// `domain-1`, `custom-<hash>`, or such names joined by `+` after
    /// [`Lexicon::extend`].
    pub fn version(&self) -> &str {
        &self.version
    }

    /// FNV-1a over the sorted entries: names a custom lexicon by content.
    fn fingerprint(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for (k, v) in &self.entries {
            for b in format!("{k}\t{v}\n").bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        h
    }
}

/// One lexicon entry ready for matching.
#[derive(Debug)]
struct Entry {
    words: Vec<String>,
    valence: f64,
    /// VADER's raw valence for the entry's words scored alone.
    vader: f64,
}

/// The lexicon, indexed by first word, longest phrases first.
#[derive(Debug)]
struct Layer {
    lexicon: Lexicon,
    by_first: HashMap<String, Vec<Entry>>,
}

/// Scores texts; build one and reuse it (building parses VADER's lexicon).
pub struct Scorer {
    vader: SentimentIntensityAnalyzer,
    layer: Option<Layer>,
}

impl std::fmt::Debug for Scorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scorer")
            .field("version", &self.version())
            .finish()
    }
}

impl Default for Scorer {
    fn default() -> Self {
        Scorer::new()
    }
}

impl Scorer {
    /// VADER with the built-in policing lexicon layer on.
    pub fn new() -> Scorer {
        Scorer::with_lexicon(Lexicon::domain())
    }

    /// Plain VADER: the layer switched off.
    pub fn plain() -> Scorer {
        Scorer {
            vader: SentimentIntensityAnalyzer::new(),
            layer: None,
        }
    }

    /// The built-in lexicon extended (and overridden) by a deployment's own.
    pub fn with_extra(extra: &Lexicon) -> Scorer {
        let mut lex = Lexicon::domain();
        lex.extend(extra);
        Scorer::with_lexicon(lex)
    }

    /// VADER layered with exactly this lexicon.
    pub fn with_lexicon(lexicon: Lexicon) -> Scorer {
        let vader = SentimentIntensityAnalyzer::new();
        let mut by_first: HashMap<String, Vec<Entry>> = HashMap::new();
        for (phrase, valence) in lexicon.iter() {
            let words: Vec<String> = phrase.split(' ').map(str::to_owned).collect();
            let base = raw(vader.polarity_scores(phrase).compound);
            by_first.entry(words[0].clone()).or_default().push(Entry {
                words,
                valence,
                vader: base,
            });
        }
        for list in by_first.values_mut() {
            list.sort_by_key(|e| std::cmp::Reverse(e.words.len()));
        }
        Scorer {
            vader,
            layer: Some(Layer { lexicon, by_first }),
        }
    }

    /// The lexicon layered over VADER, if the layer is on.
    pub fn lexicon(&self) -> Option<&Lexicon> {
        self.layer.as_ref().map(|l| &l.lexicon)
    }

    /// What produces the scores: `vader-3.3.2`, or `vader-3.3.2+domain-1`
    /// (and `+custom-<hash>` for a deployment's additions). Store it with
    /// the scores.
    pub fn version(&self) -> String {
        match &self.layer {
            None => format!("vader-{VADER_VERSION}"),
            Some(l) => format!("vader-{VADER_VERSION}+{}", l.lexicon.version()),
        }
    }

    /// Plain VADER's scores, whether or not the layer is on.
    pub fn vader(&self, text: &str) -> Sentiment {
        self.vader.polarity_scores(text).into()
    }

    /// The sentiment of `text`.
    pub fn score(&self, text: &str) -> Sentiment {
        let base = self.vader.polarity_scores(text);
        let Some(layer) = &self.layer else {
            return base.into();
        };
        let words = tokens(text);
        let found = layer.matches(&words);
        if found.is_empty() {
            return base.into();
        }

        let but = words.iter().position(|w| w == "but");
        let mut sum = raw(base.compound);
        // VADER's masses, estimated (see the module docs).
        let total = words.len() as f64 + sum.abs();
        let (mut pos, mut neg, mut neu) = (base.pos * total, base.neg * total, base.neu * total);
        let mut shift = |v: f64, len: usize, sign: f64| {
            let rest = (len - 1) as f64;
            if v > 0.0 {
                pos += sign * (v + 1.0);
                neu += sign * rest;
            } else if v < 0.0 {
                neg += sign * (-v + 1.0);
                neu += sign * rest;
            } else {
                neu += sign * len as f64;
            }
        };
        for (start, entry) in found {
            let mut weight = 1.0;
            for w in &words[start.saturating_sub(3)..start] {
                if is_negator(w) {
                    weight *= N_SCALAR;
                }
            }
            match but {
                Some(b) if start < b => weight *= 0.5,
                Some(b) if start > b => weight *= 1.5,
                _ => {}
            }
            let (v, v0) = (entry.valence * weight, entry.vader * weight);
            sum += v - v0;
            shift(v0, entry.words.len(), -1.0);
            shift(v, entry.words.len(), 1.0);
        }
        let compound = round_to(normalize(sum), 4);
        let (pos, neg, neu) = (pos.max(0.0), neg.max(0.0), neu.max(0.0));
        let all = pos + neg + neu;
        let share = |m: f64| if all > 0.0 { round_to(m / all, 3) } else { 0.0 };
        Sentiment {
            compound,
            label: Label::of(compound),
            pos: share(pos),
            neu: if all > 0.0 { share(neu) } else { 1.0 },
            neg: share(neg),
        }
    }
}

impl Layer {
    /// Leftmost-longest, non-overlapping matches: (start token, entry).
    fn matches<'a>(&'a self, words: &[String]) -> Vec<(usize, &'a Entry)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let hit = self.by_first.get(&words[i]).and_then(|list| {
                list.iter().find(|e| {
                    words.len() - i >= e.words.len() && words[i..i + e.words.len()] == e.words[..]
                })
            });
            match hit {
                Some(e) => {
                    out.push((i, e));
                    i += e.words.len();
                }
                None => i += 1,
            }
        }
        out
    }
}

/// The normalised key of an entry, or why it cannot be one.
fn entry_key(phrase: &str, valence: f64) -> Result<String, String> {
    let key = tokens(phrase).join(" ");
    if key.is_empty() {
        return Err(format!("'{phrase}' has no words"));
    }
    if !valence.is_finite() || valence.abs() > MAX_VALENCE {
        return Err(format!("valence {valence} for '{phrase}' is outside -4..4"));
    }
    Ok(key)
}

fn is_negator(word: &str) -> bool {
    word == "no" || word.contains("n't") || NEGATE.contains(&word)
}

/// VADER's normalisation of a valence sum into [−1, 1].
fn normalize(x: f64) -> f64 {
    (x / (x * x + ALPHA).sqrt()).clamp(-1.0, 1.0)
}

/// The valence sum a (rounded) compound came from; ±0.9999 at most, so a
/// saturated compound maps to a large but finite sum.
fn raw(compound: f64) -> f64 {
    let c = compound.clamp(-0.9999, 0.9999);
    c * (ALPHA / (1.0 - c * c)).sqrt()
}

fn round_to(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;

    const POSITIVE: &[&str] = &[
        "very helpful and treated me very well",
        "professional",
        "supportive",
        "respectful",
        "reassuring",
        "kept me informed",
        "visible patrols make me feel safe",
    ];
    const NEGATIVE: &[&str] = &[
        "ignored",
        "long delays between updates and progress",
        "disappointment",
        "I feel unsafe at night near the station",
        "my phone was snatched",
        "people taking drugs in the street",
        "fobbed off",
        "no update",
        "not kept informed",
        "mugged",
        "harassed",
    ];

    #[test]
    fn the_built_in_lexicon_parses_and_is_versioned() {
        let lex = Lexicon::domain();
        assert!(lex.len() > 100);
        assert_eq!(lex.version(), format!("domain-{DOMAIN_LEXICON_VERSION}"));
        assert_eq!(lex.get("Fobbed   off"), Some(-2.3));
        assert_eq!(lex.get("anti-social"), Some(-1.8));
        assert_eq!(Scorer::new().version(), "vader-3.3.2+domain-2");
        assert_eq!(Scorer::plain().version(), "vader-3.3.2");
    }

    #[test]
    fn domain_phrases_come_out_right_with_the_layer_on() {
        let s = Scorer::new();
        for t in POSITIVE {
            let r = s.score(t);
            assert_eq!(r.label, Label::Positive, "{t}: {r:?}");
        }
        for t in NEGATIVE {
            let r = s.score(t);
            assert_eq!(r.label, Label::Negative, "{t}: {r:?}");
        }
    }

    #[test]
    fn plain_vader_gets_this_domain_wrong() {
        // Guards the reason the layer exists: if a VADER upgrade fixes
        // these, the layer's entries for them can go.
        let s = Scorer::plain();
        assert_eq!(
            s.score("long delays between updates and progress").compound,
            0.4215
        );
        for t in [
            "I feel unsafe at night near the station",
            "my phone was snatched",
            "people taking drugs in the street",
            "professional",
        ] {
            assert_eq!(s.score(t).compound, 0.0, "{t}");
        }
    }

    #[test]
    fn with_the_layer_off_scores_are_plain_vader() {
        let plain = Scorer::plain();
        let vader = SentimentIntensityAnalyzer::new();
        for t in POSITIVE.iter().chain(NEGATIVE).chain(&[
            "VADER is smart, handsome, and funny.",
            "",
            "Not bad at all!!",
        ]) {
            let v = vader.polarity_scores(t);
            assert_eq!(plain.score(t), Sentiment::from(v), "{t}");
            assert_eq!(plain.score(t).compound, v.compound);
        }
    }

    #[test]
    fn text_without_domain_words_keeps_vader_scores() {
        let on = Scorer::new();
        for t in [
            "The weather was lovely today :)",
            "I hate waiting.",
            "nothing to add",
        ] {
            assert_eq!(on.score(t), on.vader(t), "{t}");
        }
    }

    #[test]
    fn phrase_blending_uses_vader_normalisation() {
        // "mugged" alone: VADER gives 0, the entry −2.6, so the compound is
        // VADER's normalisation of −2.6.
        let c = Scorer::new().score("mugged").compound;
        let want = -2.6 / (2.6f64 * 2.6 + 15.0).sqrt();
        assert!((c - want).abs() < 1e-4, "{c} vs {want}");
        // "progress" is neutral here: the entry replaces VADER's +1.9.
        assert_eq!(Scorer::new().score("progress").label, Label::Neutral);
    }

    #[test]
    fn negation_and_but_weigh_entries_as_vader_does() {
        let s = Scorer::new();
        let kept = s.score("they kept me informed").compound;
        let not_kept = s.score("they never kept me informed").compound;
        assert!(kept > 0.05 && not_kept < -0.05, "{kept} {not_kept}");
        assert_eq!(s.score("I didn't feel unsafe").label, Label::Positive);
        assert_eq!(s.score("wasn't kept informed").label, Label::Negative);
        // After "but" an entry counts 1.5 times.
        let after = s
            .score("the officer was kind but I was fobbed off")
            .compound;
        assert!(after < -0.05, "{after}");
    }

    #[test]
    fn proportions_stay_a_distribution() {
        let s = Scorer::new();
        for t in POSITIVE
            .iter()
            .chain(NEGATIVE)
            .chain(&["Great officers, but long delays and no update!!"])
        {
            let r = s.score(t);
            assert!((r.pos + r.neu + r.neg - 1.0).abs() < 0.01, "{t}: {r:?}");
            assert!(r.pos >= 0.0 && r.neu >= 0.0 && r.neg >= 0.0);
            if r.label == Label::Negative {
                assert!(r.neg > r.pos, "{t}: {r:?}");
            }
        }
    }

    #[test]
    fn deployments_add_and_override_entries() {
        let extra = Lexicon::parse("# local words\nring of steel\t1.2\nprogress 1.0\n\n").unwrap();
        assert_eq!(extra.len(), 2);
        assert!(extra.version().starts_with("custom-"));
        let s = Scorer::with_extra(&extra);
        assert!(s.version().starts_with("vader-3.3.2+domain-2+custom-"));
        assert_eq!(s.lexicon().unwrap().get("progress"), Some(1.0));
        assert_eq!(s.score("the ring of steel").label, Label::Positive);
        assert_eq!(
            Scorer::new().score("the ring of steel").label,
            Label::Neutral
        );

        let json = Lexicon::from_json(r#"{"kettled": -2.0, "Bobby on the beat": 1.5}"#).unwrap();
        assert_eq!(json.get("bobby on the beat"), Some(1.5));
        assert_eq!(
            Scorer::with_lexicon(json).score("we were kettled").label,
            Label::Negative
        );

        let mut lex = Lexicon::domain();
        assert!(lex.remove("mugged"));
        assert_eq!(Scorer::with_lexicon(lex).score("mugged").compound, 0.0);
    }

    #[test]
    fn bad_lexicon_lines_are_reported_with_their_line() {
        let e = Lexicon::parse("ok\t1\nnovalence\n").unwrap_err();
        assert!(matches!(e, Error::Lexicon { line: 2, .. }), "{e}");
        let e = Lexicon::parse("fine 1\nway too much\t9\n").unwrap_err();
        assert!(matches!(e, Error::Lexicon { line: 2, .. }), "{e}");
        assert!(Lexicon::parse("x\tNaN").is_err());
        assert!(Lexicon::parse("...\t1").is_err());
        assert!(Lexicon::from_json("[1]").is_err());
    }

    #[test]
    fn labels_use_the_vader_band_and_serialise_lower_case() {
        assert_eq!(Label::of(0.05), Label::Positive);
        assert_eq!(Label::of(0.0499), Label::Neutral);
        assert_eq!(Label::of(-0.05), Label::Negative);
        let s = Scorer::new().score("mugged");
        let json = serde_json::to_value(s).unwrap();
        assert_eq!(json["label"], "negative");
    }

    /// Sentences in the style of the force's victim-satisfaction and
    /// community-safety free text, labelled by hand. Written for this test
    /// (not a held-out sample), so the figure shows the layer works as
    /// intended, not how well it generalises.
    const DOMAIN_SAMPLE: &[(Label, &str)] = &[
        (
            Label::Positive,
            "The officer who came out was kind, patient and really professional.",
        ),
        (
            Label::Positive,
            "They kept me informed at every stage of the investigation.",
        ),
        (
            Label::Positive,
            "I was kept updated by phone and email, which I appreciated.",
        ),
        (
            Label::Positive,
            "Seeing officers on foot patrol around Bank makes me feel safer.",
        ),
        (
            Label::Positive,
            "Visible patrols on Friday nights have made a real difference.",
        ),
        (
            Label::Positive,
            "The call handler was polite and took me seriously.",
        ),
        (
            Label::Positive,
            "They followed up within a day and explained what would happen next.",
        ),
        (
            Label::Positive,
            "The officer went above and beyond to get my bag back.",
        ),
        (
            Label::Positive,
            "Very supportive after the assault, I cannot fault them.",
        ),
        (Label::Positive, "Respectful and reassuring, thank you."),
        (
            Label::Positive,
            "The area is well lit and there are always people around.",
        ),
        (
            Label::Positive,
            "Quick response and a thorough investigation.",
        ),
        (
            Label::Negative,
            "I reported it online and never heard back.",
        ),
        (
            Label::Negative,
            "No update for three months, I had to chase them myself.",
        ),
        (
            Label::Negative,
            "I felt fobbed off when I asked what was happening with my case.",
        ),
        (
            Label::Negative,
            "Long delays between updates and progress on the case.",
        ),
        (
            Label::Negative,
            "My phone was snatched outside Liverpool Street station.",
        ),
        (Label::Negative, "I was mugged on my way home from work."),
        (
            Label::Negative,
            "People taking drugs in the alley behind the office.",
        ),
        (Label::Negative, "Drug dealing by the bins every evening."),
        (
            Label::Negative,
            "I feel unsafe walking through the Barbican at night.",
        ),
        (
            Label::Negative,
            "The underpass is poorly lit and I avoid it after dark.",
        ),
        (
            Label::Negative,
            "Groups of cyclists snatching bags on the pavement.",
        ),
        (
            Label::Negative,
            "I was not kept informed and had to find out from the news.",
        ),
        (
            Label::Negative,
            "Nobody came, even though I was told an officer would visit.",
        ),
        (Label::Negative, "The officer was dismissive and unhelpful."),
        (
            Label::Negative,
            "I was harassed by a man on the bus and nobody did anything.",
        ),
        (
            Label::Negative,
            "My bike was stolen twice from outside the office.",
        ),
        (
            Label::Negative,
            "Anti-social behaviour in the square every weekend.",
        ),
        (
            Label::Negative,
            "The investigation took ages and nothing happened.",
        ),
    ];

    #[test]
    fn the_layer_lifts_accuracy_on_policing_feedback() {
        let right = |s: &Scorer| {
            DOMAIN_SAMPLE
                .iter()
                .filter(|(want, t)| s.score(t).label == *want)
                .count()
        };
        let (off, on) = (right(&Scorer::plain()), right(&Scorer::new()));
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "policing sample: {off}/{n} right with the layer off, {on}/{n} on",
            n = DOMAIN_SAMPLE.len()
        );
        let wrong: Vec<&str> = DOMAIN_SAMPLE
            .iter()
            .filter(|(want, t)| Scorer::new().score(t).label != *want)
            .map(|(_, t)| *t)
            .collect();
        assert!(
            on >= off + 10 && on * 10 >= DOMAIN_SAMPLE.len() * 9,
            "off {off}, on {on} of {}; wrong with the layer: {wrong:?}",
            DOMAIN_SAMPLE.len()
        );
    }
}

//! Safeguarding: free text that reads as a crime in progress, a threat,
//! domestic abuse or self-harm.
//!
//! A form may carry a `safeguarding` section: phrase lists per category
//! and language, with a version, and the support numbers to show. The
//! widget (when the person sends, before the collector answers) and the
//! collector (as it stores the answers) run the same [`Safeguarding::check`]
//! over each free-text answer: a match shows the numbers above the
//! thank-you, and the collector raises an alert `safeguarding:<category>`.
//!
//! ```text
//! text ─► normalise ─► words ─┐
//! phrase ─► normalise ─► words ┴─► a run of whole words? ─► Matched {categories}
//! ```
//!
//! Matching is simple on purpose and errs towards showing help. Text and
//! phrases are normalised alike ([`normalise`]): lower case, the accents of
//! Latin letters and Arabic's short vowels dropped, Arabic and Bengali
//! letter variants folded, apostrophes dropped (`can't` = `cant`), other
//! punctuation and symbols to spaces. A phrase matches a run of whole
//! words. A `*` at the start or end of a phrase's word stands for any
//! beginning or ending (`stab*`, `*قتل`), for languages that inflect or
//! attach words; `|` gives a word's alternatives (`husband|partner|ex
//! hit*|beat*` is one phrase for "husband hits", "ex beat", …); `&` joins
//! phrases that must all occur, anywhere in the text (`now & knife|gun`).
//! There is no negation: "I don't want to kill myself" still
//! matches, because a person who writes it may well need the numbers.
//! Figurative uses ("the wait is killing me", "threatened with a fine")
//! are kept out by the lists, which name what a person in danger writes
//! ("going to kill me", "threatened to stab") rather than single violent
//! words.

use crate::form::{Form, Kind};
use crate::text::Text;
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};
use std::collections::HashMap;

/// What a phrase list is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Something happening now: an attack, a break-in, being followed.
    CrimeInProgress,
    /// A threat to hurt or kill.
    Threat,
    /// Abuse by a partner, an ex-partner or a family member.
    DomesticAbuse,
    /// Suicide or self-harm.
    SelfHarm,
}

impl Category {
    /// Every category, in the order the wire lists them.
    pub const ALL: [Category; 4] = [
        Category::CrimeInProgress,
        Category::Threat,
        Category::DomesticAbuse,
        Category::SelfHarm,
    ];

    /// The name on the wire and in alert rules (`self_harm`).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::CrimeInProgress => "crime_in_progress",
            Category::Threat => "threat",
            Category::DomesticAbuse => "domestic_abuse",
            Category::SelfHarm => "self_harm",
        }
    }

    /// The category named `name` on the wire.
    pub fn from_name(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// A form's safeguarding section.
///
/// On the wire: `{"version", "phrases": {category: {lang: [phrase]}},
/// "contacts"}`. Held as a flat list of [`PhraseList`]s rather than nested
/// maps: the widget carries this type, and nested maps of new key and
/// value types would cost its download several KB of map code.
#[derive(Debug, Clone, PartialEq)]
pub struct Safeguarding {
    /// Version of the phrase lists, so a match can be traced to the lists
    /// in force (a deployment's own lists bring their own).
    pub version: String,
    /// One list per category and language, grouped by category.
    pub lists: Vec<PhraseList>,
    /// The numbers to show, in order.
    pub contacts: Vec<Contact>,
}

/// The phrases of one category in one language.
#[derive(Debug, Clone, PartialEq)]
pub struct PhraseList {
    /// What the phrases are about.
    pub category: Category,
    /// Their language.
    pub lang: String,
    /// The phrases.
    pub phrases: Vec<String>,
}

impl Serialize for Safeguarding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Safeguarding", 3)?;
        st.serialize_field("version", &self.version)?;
        st.serialize_field("phrases", &ByCategory(&self.lists))?;
        st.serialize_field("contacts", &self.contacts)?;
        st.end()
    }
}

/// `{category: {lang: [phrase]}}` from lists grouped by category.
struct ByCategory<'a>(&'a [PhraseList]);

/// `{lang: [phrase]}` for one category.
struct ByLang<'a>(&'a [PhraseList]);

impl Serialize for ByCategory<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for group in self.0.chunk_by(|a, b| a.category == b.category) {
            map.serialize_entry(&group[0].category, &ByLang(group))?;
        }
        map.end()
    }
}

impl Serialize for ByLang<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for l in self.0 {
            map.serialize_entry(&l.lang, &l.phrases)?;
        }
        map.end()
    }
}

/// A number to call, shown when free text matches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contact {
    /// Who answers, or when to call (`If you are in danger now`).
    pub label: Text,
    /// The number as people read it (`0808 16 89 111`).
    pub number: String,
    /// A line more (`Free, 24 hours a day`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<Text>,
}

impl Contact {
    /// The number as a `tel:` link dials it: its digits, and a leading `+`.
    pub fn tel(&self) -> String {
        self.number
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect()
    }
}

/// The categories some text matched: a small set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Matched(u8);

impl Matched {
    /// No category.
    pub const NONE: Matched = Matched(0);

    /// Whether `c` is in the set.
    pub fn contains(self, c: Category) -> bool {
        self.0 & (1 << c as u8) != 0
    }

    /// The set with `c` added.
    pub fn with(self, c: Category) -> Matched {
        Matched(self.0 | 1 << c as u8)
    }

    /// Whether nothing matched.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The categories in the set, in [`Category::ALL`]'s order.
    pub fn categories(self) -> impl Iterator<Item = Category> {
        Category::ALL.into_iter().filter(move |c| self.contains(*c))
    }
}

impl std::ops::BitOr for Matched {
    type Output = Matched;
    fn bitor(self, other: Matched) -> Matched {
        Matched(self.0 | other.0)
    }
}

impl Safeguarding {
    /// The categories whose phrases, in any language, occur in `text`.
    ///
    /// Every language's lists are tried, whatever language the form is
    /// shown in: a person may write in their own.
    pub fn check(&self, text: &str) -> Matched {
        let text = normalise(text);
        let words = words(&text);
        let mut matched = Matched::NONE;
        for list in &self.lists {
            if !matched.contains(list.category) && list.phrases.iter().any(|p| occurs(&words, p)) {
                matched = matched.with(list.category);
            }
        }
        matched
    }
}

impl Safeguarding {
    /// The lists made ready to check many texts: each phrase folded and
    /// split into words once, rather than at every [`Safeguarding::check`].
    /// What a server checking every submission holds.
    pub fn matcher(&self) -> Matcher {
        let phrases: Vec<(Category, Phrase)> = self
            .lists
            .iter()
            .flat_map(|list| {
                list.phrases
                    .iter()
                    .filter_map(|p| Some((list.category, Phrase::new(p)?)))
            })
            .collect();
        let mut by_first: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        let mut always = Vec::new();
        for (i, (_, phrase)) in phrases.iter().enumerate() {
            let first = &phrase.0[0][0];
            if first.iter().all(|a| matches!(a, Alt::Is(_))) {
                for alt in first {
                    if let Alt::Is(word) = alt {
                        by_first.entry(word.clone()).or_default().push(i);
                    }
                }
            } else {
                always.push(i);
            }
        }
        Matcher {
            phrases,
            by_first,
            always,
        }
    }
}

/// [`Safeguarding`]'s lists made ready to check many texts (see
/// [`Safeguarding::matcher`]); it matches exactly what
/// [`Safeguarding::check`] does.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// Every phrase that can match, with its category.
    phrases: Vec<(Category, Phrase)>,
    /// Phrases by the words their first word can be exactly: only those
    /// whose first word is in a text need trying on it.
    by_first: HashMap<Vec<u8>, Vec<usize>>,
    /// Phrases whose first word has a `*`: tried on every text.
    always: Vec<usize>,
}

/// A folded phrase: its parts (split at `&`), each a run of words, each
/// word its alternatives.
#[derive(Debug, Clone)]
struct Phrase(Vec<Vec<Vec<Alt>>>);

/// One alternative of a phrase's word, as [`word_is`] reads it.
#[derive(Debug, Clone)]
enum Alt {
    Is(Vec<u8>),
    StartsWith(Vec<u8>),
    EndsWith(Vec<u8>),
    Contains(Vec<u8>),
    Never,
}

impl Phrase {
    /// `None` for a phrase that can match nothing (no words, an empty part),
    /// so every phrase kept has a first word.
    fn new(phrase: &str) -> Option<Phrase> {
        let folded = fold(phrase, true);
        let pattern = words(&folded);
        let parts: Vec<Vec<Vec<Alt>>> = pattern
            .split(|w| *w == "&")
            .map(|part| part.iter().map(|w| alternatives(w)).collect())
            .collect();
        let matchable = !pattern.is_empty() && parts.iter().all(|p: &Vec<_>| !p.is_empty());
        matchable.then_some(Phrase(parts))
    }

    /// As [`occurs`].
    fn occurs(&self, words: &[&str]) -> bool {
        self.0.iter().all(|part| {
            words.windows(part.len()).any(|run| {
                run.iter()
                    .zip(part)
                    .all(|(w, alts)| alts.iter().any(|a| a.matches(w.as_bytes())))
            })
        })
    }
}

/// A phrase's word as its alternatives, each read as [`word_is`] does.
fn alternatives(pattern: &str) -> Vec<Alt> {
    pattern
        .as_bytes()
        .split(|b| *b == b'|')
        .map(
            |alt| match (alt.strip_prefix(b"*"), alt.strip_suffix(b"*")) {
                (Some(rest), Some(_)) => match rest.strip_suffix(b"*") {
                    Some(inner) if !inner.is_empty() => Alt::Contains(inner.to_vec()),
                    _ => Alt::Never,
                },
                (Some(end), None) => Alt::EndsWith(end.to_vec()),
                (None, Some(start)) => Alt::StartsWith(start.to_vec()),
                (None, None) => Alt::Is(alt.to_vec()),
            },
        )
        .collect()
}

impl Alt {
    fn matches(&self, word: &[u8]) -> bool {
        match self {
            Alt::Is(a) => word == a.as_slice(),
            Alt::StartsWith(a) => word.starts_with(a),
            Alt::EndsWith(a) => word.ends_with(a),
            Alt::Contains(a) => word.windows(a.len()).any(|w| w == a.as_slice()),
            Alt::Never => false,
        }
    }
}

impl Matcher {
    /// The categories whose phrases, in any language, occur in `text`:
    /// what [`Safeguarding::check`] answers.
    pub fn check(&self, text: &str) -> Matched {
        let text = normalise(text);
        let words = words(&text);
        let candidates = words
            .iter()
            .filter_map(|w| self.by_first.get(w.as_bytes()))
            .flatten()
            .chain(&self.always);
        let mut matched = Matched::NONE;
        for &i in candidates {
            let (category, phrase) = &self.phrases[i];
            if !matched.contains(*category) && phrase.occurs(&words) {
                matched = matched.with(*category);
            }
        }
        matched
    }

    /// The categories matched by the answers to `form`'s free-text
    /// questions, as [`Form::safeguarding_matches`] reads them; `form`
    /// is the one this matcher was made from.
    pub fn matches<'a>(&self, form: &Form, text: impl Fn(&str) -> Option<&'a str>) -> Matched {
        text_answers(form, text).fold(Matched::NONE, |m, t| m | self.check(t))
    }
}

/// The answers to `form`'s free-text questions, by `text`: the one rule
/// for which answers safeguarding reads.
fn text_answers<'a, 'f>(
    form: &'f Form,
    text: impl Fn(&str) -> Option<&'a str> + 'f,
) -> impl Iterator<Item = &'a str> + 'f {
    form.questions
        .iter()
        .filter(|q| matches!(q.kind, Kind::Text { .. }))
        .filter_map(move |q| text(&q.id))
}

impl Form {
    /// The safeguarding categories matched by the answers to the form's
    /// free-text questions; `text` gives a question's answer by id.
    ///
    /// The collector, the hosted page and the widget each hold answers
    /// their own way; this is the one rule for which answers are read.
    pub fn safeguarding_matches<'a>(&self, text: impl Fn(&str) -> Option<&'a str>) -> Matched {
        let Some(sg) = &self.safeguarding else {
            return Matched::NONE;
        };
        text_answers(self, text).fold(Matched::NONE, |m, t| m | sg.check(t))
    }
}

/// Whether the phrase occurs in `words`: each of its parts (split at
/// `&`) as a run of whole words somewhere.
///
/// Every submission's text is checked against every phrase of every
/// language, so this allocates nothing for a phrase already written as
/// the matcher reads it (most are), and folds only the others.
#[cfg(feature = "analysis")]
fn occurs(words: &[&str], phrase: &str) -> bool {
    let folded;
    let phrase = if is_folded(phrase) {
        phrase
    } else {
        folded = fold(phrase, true);
        folded.as_str()
    };
    // A folded phrase has single spaces and `&` as a word of its own (see
    // `phrase_fault`). A part left holding a `&` (one at either end, or
    // two together) never matches: text folds `&` to a space.
    !phrase.is_empty()
        && phrase.split(" & ").all(|part| {
            let len = part.split(' ').count();
            words
                .windows(len)
                .any(|run| run.iter().zip(part.split(' ')).all(|(w, p)| word_is(w, p)))
        })
}

/// [`occurs`] as the widget has it: the phrase folded each time, with
/// no `str` pattern searcher (they would add to the widget's download),
/// for the few texts a person writes on one page.
#[cfg(not(feature = "analysis"))]
fn occurs(words: &[&str], phrase: &str) -> bool {
    let phrase = fold(phrase, true);
    let pattern = self::words(&phrase);
    !pattern.is_empty()
        && pattern.split(|w| *w == "&").all(|part| {
            !part.is_empty()
                && words
                    .windows(part.len())
                    .any(|run| run.iter().zip(part).all(|(w, p)| word_is(w, p)))
        })
}

#[cfg(feature = "analysis")]
/// Whether `fold(phrase, true)` would return `phrase` as it is: single
/// spaces between words, none at either end, and every other character
/// one the fold keeps unchanged.
fn is_folded(phrase: &str) -> bool {
    // A space first would be one at the start.
    let mut after_space = true;
    for c in phrase.chars() {
        if c == ' ' {
            if after_space {
                return false;
            }
            after_space = true;
            continue;
        }
        after_space = false;
        let kept = matches!(c, '*' | '|' | '&') || matches!(fold_char(c), Fold::Keep(k) if k == c);
        if !kept {
            return false;
        }
    }
    !after_space || phrase.is_empty()
}

/// Whether `word` matches one word of a phrase: any of its `|`
/// alternatives, each with its `*`s.
///
/// On bytes: `*` and `|` are ASCII, and a UTF-8 word that starts, ends or
/// contains another matches it on char boundaries. This keeps `str`'s
/// pattern searchers out of the widget's download.
fn word_is(word: &str, pattern: &str) -> bool {
    let word = word.as_bytes();
    pattern.as_bytes().split(|b| *b == b'|').any(|alt| {
        match (alt.strip_prefix(b"*"), alt.strip_suffix(b"*")) {
            (Some(rest), Some(_)) => match rest.strip_suffix(b"*") {
                Some(inner) if !inner.is_empty() => word.windows(inner.len()).any(|w| w == inner),
                _ => false,
            },
            (Some(end), None) => word.ends_with(end),
            (None, Some(start)) => word.starts_with(start),
            (None, None) => word == alt,
        }
    })
}

/// The words of normalised text (which has no whitespace but single spaces).
fn words(normalised: &str) -> Vec<&str> {
    normalised.split_ascii_whitespace().collect()
}

/// Text as the matcher reads it: lower case, accents and short vowels
/// dropped, letter variants folded, apostrophes dropped, other
/// punctuation and symbols turned into single spaces, no space at either
/// end. `"I DON'T… want—to"` → `"i dont want to"`.
pub fn normalise(text: &str) -> String {
    fold(text, false)
}

/// A phrase's fault, if it has one: no words, an empty alternative, or a
/// `*` that is not at the start or end of a word of three letters or more.
pub(crate) fn phrase_fault(phrase: &str) -> Option<&'static str> {
    let folded = fold(phrase, true);
    let words = words(&folded);
    if words.is_empty() {
        return Some("the phrase has no words");
    }
    if words.iter().any(|w| w.contains('&') && *w != "&")
        || words.split(|w| *w == "&").any(<[&str]>::is_empty)
    {
        return Some("a & goes between two phrases");
    }
    let alternatives = || words.iter().flat_map(|w| w.split('|'));
    if alternatives().any(str::is_empty) {
        return Some("a | goes between two alternatives of a word");
    }
    let bad_star = alternatives().any(|w| {
        let inner = w.trim_matches('*');
        inner.contains('*') || (inner.len() < w.len() && inner.chars().count() < 3)
    });
    bad_star.then_some("a * goes only at the start or end of a word of three letters or more")
}

/// Text (or, with `pattern`, a phrase, keeping its `*`, `|` and `&`) as the
/// matcher reads it.
fn fold(text: &str, pattern: bool) -> String {
    let mut out = String::with_capacity(text.len());
    // A space is written only before the next word: never two, and none
    // at either end.
    let mut gap = false;
    for c in text.chars() {
        let folded = match c {
            '*' | '|' | '&' if pattern => Fold::Keep(c),
            c => fold_char(c),
        };
        match folded {
            Fold::Keep(c) => {
                if gap && !out.is_empty() {
                    out.push(' ');
                }
                gap = false;
                out.push(c);
            }
            Fold::Space => gap = true,
            Fold::Drop => {}
        }
    }
    out
}

enum Fold {
    Keep(char),
    Space,
    Drop,
}

/// U+00C0–U+017F lower-cased without their accents (`Ł` → `l`); `×` and
/// `÷` are spaces.
const LATIN: &[u8; 192] = b"aaaaaaaceeeeiiiidnooooo ouuuuytsaaaaaaaceeeeiiiidnooooo ouuuuytyaaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

/// One character as the matcher reads it. A hand-written fold rather than
/// `char::to_lowercase` and Unicode's tables: it covers the scripts of the
/// forms' languages (Latin, Arabic, Bengali; Greek and Cyrillic cased too),
/// also drops accents, and costs the widget's download almost nothing.
fn fold_char(c: char) -> Fold {
    let n = c as u32;
    let to = |n: u32| Fold::Keep(char::from_u32(n).unwrap_or(' '));
    match n {
        0x41..=0x5A => to(n + 0x20),
        0x30..=0x39 | 0x61..=0x7A => Fold::Keep(c),
        // Apostrophes, so `can't` and `cant` read the same; a soft hyphen.
        0x27 | 0x60 | 0xAD | 0x2BC | 0x2018 | 0x2019 | 0x201B | 0x2032 => Fold::Drop,
        0..=0xBF => Fold::Space,
        0xC0..=0x17F => match LATIN[(n - 0xC0) as usize] {
            b' ' => Fold::Space,
            b => Fold::Keep(char::from(b)),
        },
        0x391..=0x3A9 | 0x410..=0x42F => to(n + 0x20),
        0x400..=0x40F => to(n + 0x50),
        // Arabic: alef with hamza or madda → alef; hamza on waw → waw; on
        // ya, and alef maqsura → ya; ta marbuta → ha; short vowels,
        // tatweel and superscript alef dropped; punctuation; digits.
        0x622 | 0x623 | 0x625 | 0x671 => to(0x627),
        0x624 => to(0x648),
        0x626 | 0x649 => to(0x64A),
        0x629 => to(0x647),
        0x640 | 0x64B..=0x65F | 0x670 => Fold::Drop,
        0x60C | 0x61B | 0x61F | 0x66A..=0x66D | 0x6D4 => Fold::Space,
        0x660..=0x669 => to(n - 0x660 + 0x30),
        0x6F0..=0x6F9 => to(n - 0x6F0 + 0x30),
        // Bengali: the nukta letters as their base letters, written
        // either way; danda; digits.
        0x9BC => Fold::Drop,
        0x9DC | 0x9DD => to(n - 0x9DC + 0x9A1),
        0x9DF => to(0x9AF),
        0x964 | 0x965 => Fold::Space,
        0x9E6..=0x9EF => to(n - 0x9E6 + 0x30),
        // Zero-width characters, variation selectors, tags.
        0x200B..=0x200F | 0x2060..=0x2064 | 0xFE00..=0xFE0F | 0xFEFF | 0xE0000..=0xE007F => {
            Fold::Drop
        }
        // Punctuation, symbols, arrows, CJK and full-width punctuation, emoji.
        0x2000..=0x206F
        | 0x2190..=0x2BFF
        | 0x3000..=0x303F
        | 0xFF01..=0xFF0F
        | 0xFF1A..=0xFF20
        | 0xFF3B..=0xFF40
        | 0xFF5B..=0xFF65
        | 0x1F000..=0x1FAFF => Fold::Space,
        _ => Fold::Keep(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(category: Category, lang: &str, phrases: &[&str]) -> PhraseList {
        PhraseList {
            category,
            lang: lang.to_owned(),
            phrases: phrases.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn lists(category: Category, lang: &str, phrases: &[&str]) -> Safeguarding {
        Safeguarding {
            version: "test".into(),
            lists: vec![list(category, lang, phrases)],
            contacts: Vec::new(),
        }
    }

    #[test]
    fn normalises_case_accents_apostrophes_and_punctuation() {
        assert_eq!(normalise("I DON'T… want—to!!"), "i dont want to");
        assert_eq!(normalise("  Can’t   go\ton\n"), "cant go on");
        assert_eq!(normalise("ZABIJĘ SIĘ"), "zabije sie");
        assert_eq!(normalise("¿Me MATARÁ?"), "me matara");
        assert_eq!(normalise("Ложь"), "ложь");
        assert_eq!(normalise("سأقتلُكَ، الآن"), "ساقتلك الان");
        assert_eq!(normalise("মেরে ফেলবে।"), "মেরে ফেলবে");
        assert_eq!(normalise("help 😢 me"), "help me");
        assert_eq!(normalise("..."), "");
    }

    #[test]
    fn bengali_nukta_letters_match_written_either_way() {
        // য় precomposed (U+09DF) and as য + nukta (U+09AF U+09BC).
        assert_eq!(normalise("\u{9DF}"), normalise("\u{9AF}\u{9BC}"));
    }

    #[test]
    fn phrases_match_whole_words_only() {
        let sg = lists(Category::SelfHarm, "en", &["kill myself", "overdose"]);
        assert!(sg
            .check("I want to KILL myself.")
            .contains(Category::SelfHarm));
        assert!(sg
            .check("thinking of taking an overdose")
            .contains(Category::SelfHarm));
        assert!(
            sg.check("overdosed").is_empty(),
            "a whole word, unless starred"
        );
        assert!(sg.check("skill myself up").is_empty());
        assert!(sg.check("kill my self").is_empty());
    }

    #[test]
    fn a_star_stands_for_a_beginning_or_an_ending() {
        let sg = lists(Category::Threat, "en", &["stab* me", "*قتل*"]);
        assert!(!sg.check("he said he'd be stabbing me").is_empty());
        assert!(!sg.check("stab me").is_empty());
        assert!(sg.check("stab him").is_empty());
        assert!(!sg.check("وسيقتلني").is_empty());
    }

    #[test]
    fn a_bar_gives_a_words_alternatives() {
        let sg = lists(
            Category::DomesticAbuse,
            "en",
            &["husband|ex|partner hit*|beat* me"],
        );
        for text in [
            "my husband hit me",
            "my ex partner beats me",
            "ex hitting me",
        ] {
            assert!(!sg.check(text).is_empty(), "{text}");
        }
        assert!(sg.check("my husband hugs me").is_empty());
        assert!(sg.check("my husband hit the car").is_empty());
        assert!(phrase_fault("husband||ex hit*").is_some());
        assert!(phrase_fault("husband| hit*").is_some());
        assert!(
            phrase_fault("husband|ex hi*|beat*").is_some(),
            "a * on a short alternative"
        );
        assert!(phrase_fault("husband|ex hit*|beat*").is_none());
    }

    #[test]
    fn an_ampersand_needs_every_part_anywhere() {
        let sg = lists(
            Category::CrimeInProgress,
            "en",
            &["now|currently & knife|machete"],
        );
        assert!(!sg
            .check("a man with a machete on the corner right now")
            .is_empty());
        assert!(!sg.check("currently someone waving a knife").is_empty());
        assert!(sg.check("a man had a knife here last year").is_empty());
        assert!(sg.check("fine now").is_empty());
        assert!(phrase_fault("now &").is_some());
        assert!(phrase_fault("& knife").is_some());
        assert!(phrase_fault("now && knife").is_some());
        assert!(phrase_fault("now & knife").is_none());
    }

    #[test]
    fn negation_still_shows_help() {
        let sg = lists(Category::SelfHarm, "en", &["kill myself"]);
        assert!(!sg.check("I don't want to kill myself but").is_empty());
    }

    #[test]
    fn every_language_is_tried_and_categories_add_up() {
        let mut sg = lists(Category::SelfHarm, "pl", &["zabiję się"]);
        sg.lists
            .push(list(Category::Threat, "en", &["going to kill me"]));
        let m = sg.check("zabije sie. He is going to kill me");
        assert_eq!(
            m.categories().collect::<Vec<_>>(),
            [Category::Threat, Category::SelfHarm]
        );
        assert_eq!(Matched::NONE.categories().count(), 0);
    }

    /// Guards the matcher the collector checks submissions with: it
    /// answers what `check` does, phrase for phrase.
    #[test]
    fn the_matcher_answers_what_check_does() {
        let sg = Safeguarding {
            version: "t".into(),
            lists: vec![
                list(
                    Category::SelfHarm,
                    "en",
                    &["kill myself", "hurt*|cut* me", "end it & tonight"],
                ),
                list(
                    Category::Threat,
                    "en",
                    &["*stab*", "STAB", "gun*", "*ened", "*", "& x", "a &"],
                ),
                list(Category::Threat, "ar", &["*قتل", "اقتل"]),
                list(Category::DomesticAbuse, "bn", &["মারে"]),
            ],
            contacts: Vec::new(),
        };
        let matcher = sg.matcher();
        for text in [
            "",
            "I want to KILL myself.",
            "kill me",
            "they cut me badly",
            "hurting me",
            "I will end it, tonight",
            "tonight I end it",
            "end tonight",
            "he stabbed",
            "stab",
            "a STAB wound",
            "guns",
            "threatened",
            "ened",
            "x",
            "a",
            "سيقتل",
            "اقتل",
            "সে মারে",
            "nothing here at all",
        ] {
            assert_eq!(matcher.check(text), sg.check(text), "{text:?}");
        }
    }

    /// Guards the fast path of `occurs`: a phrase taken as already folded
    /// is exactly what folding it gives.
    #[test]
    #[cfg(feature = "analysis")]
    fn a_phrase_taken_as_folded_is_its_own_fold() {
        for p in [
            "",
            " ",
            "kill",
            "kill myself",
            "kill  myself",
            " kill",
            "kill ",
            "Kill",
            "stab*",
            "husband hit*|beat*",
            "a & b",
            "a&b",
            "can't",
            "café",
            "قتل",
            "*قتل",
            "মারে",
            "i want to die",
            "x\u{200b}y",
            "hit, me",
        ] {
            if is_folded(p) {
                assert_eq!(fold(p, true), p, "{p:?}");
            }
        }
        assert!(is_folded("husband hit*|beat* & knife"));
        assert!(!is_folded("Kill myself"));
    }

    #[test]
    fn faulty_phrases_are_named() {
        assert!(phrase_fault("kill myself").is_none());
        assert!(phrase_fault("stab*").is_none());
        assert!(phrase_fault("*قتل").is_none());
        assert!(phrase_fault(" ?! ").is_some());
        assert!(phrase_fault("*").is_some());
        assert!(phrase_fault("a*").is_some(), "would match every word in a");
        assert!(phrase_fault("ki*ll").is_some());
    }

    #[test]
    fn tel_keeps_digits_and_a_plus() {
        let c = Contact {
            label: Text::from("Victim Support"),
            number: "0808 16 89 111".into(),
            hint: None,
        };
        assert_eq!(c.tel(), "08081689111");
    }

    #[test]
    fn category_names_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::from_name(c.as_str()), Some(c));
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::json!(c.as_str())
            );
        }
        assert_eq!(Category::from_name("selfharm"), None);
    }
}

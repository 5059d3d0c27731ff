//! Checks that a form definition itself makes sense before it is published.

use crate::form::{AlertCondition, Form, Kind};
use crate::submission::Atom;
use crate::validate::{is_lang_tag, is_slug};
use crate::Text;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One thing wrong with a form definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormProblem {
    /// Where in the form (`questions[3].show_if`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Checks a form; returns every problem found.
pub fn check_form(form: &Form) -> Result<(), Vec<FormProblem>> {
    let mut out = Vec::new();
    let mut err = |path: String, message: String| out.push(FormProblem { path, message });

    if !is_slug(&form.id, 64) {
        err(
            "id".into(),
            "the id must be 1–64 lower-case letters, digits, '-' or '_'".into(),
        );
    }
    if form.version == 0 {
        err("version".into(), "the version starts at 1".into());
    }
    if !form.languages.contains(&form.default_lang) {
        err(
            "languages".into(),
            format!("must include the default language '{}'", form.default_lang),
        );
    }
    for (i, l) in form.languages.iter().enumerate() {
        if !is_lang_tag(l) {
            err(
                format!("languages[{i}]"),
                format!("'{l}' is not a language code"),
            );
        }
    }
    for (i, o) in form.allowed_origins.iter().enumerate() {
        if !is_origin(o) {
            err(
                format!("allowed_origins[{i}]"),
                format!("'{o}' is not an origin like https://partner.example (lower case, no path, no trailing slash)"),
            );
        }
    }

    // Every user-facing text, where it is, and whether it may be one plain
    // string in a form of several languages: only a place's name may, as
    // a proper name reads the same in each (`Bank`, `Aldgate`).
    let mut texts: Vec<(String, &Text, bool)> = vec![
        ("title".into(), &form.title, false),
        ("privacy_notice".into(), &form.privacy_notice, false),
        ("not_for_reporting".into(), &form.not_for_reporting, false),
    ];
    if let Some(t) = &form.intro {
        texts.push(("intro".into(), t, false));
    }
    if let Some(t) = &form.thank_you {
        texts.push(("thank_you".into(), t, false));
    }

    let mut place_ids = BTreeSet::new();
    for (i, p) in form.places.iter().enumerate() {
        if !is_slug(&p.id, 64) {
            err(
                format!("places[{i}].id"),
                format!("'{}' is not a valid place id", p.id),
            );
        }
        if !place_ids.insert(p.id.as_str()) {
            err(
                format!("places[{i}].id"),
                format!("place '{}' is listed twice", p.id),
            );
        }
        texts.push((format!("places[{i}].name"), &p.name, true));
    }

    let mut seen: Vec<&str> = Vec::new();
    for (i, q) in form.questions.iter().enumerate() {
        let at = format!("questions[{i}]");
        if !is_slug(&q.id, 64) {
            err(
                format!("{at}.id"),
                format!("'{}' is not a valid question id", q.id),
            );
        }
        if seen.contains(&q.id.as_str()) {
            err(
                format!("{at}.id"),
                format!("question id '{}' is used twice", q.id),
            );
        }
        texts.push((format!("{at}.text"), &q.text, false));
        if let Some(h) = &q.hint {
            texts.push((format!("{at}.hint"), h, false));
        }
        match &q.kind {
            Kind::SingleChoice { options } | Kind::MultipleChoice { options, .. } => {
                if options.len() < 2 {
                    err(
                        format!("{at}.options"),
                        "a choice question needs at least two options".into(),
                    );
                }
                let mut ids = BTreeSet::new();
                for (j, o) in options.iter().enumerate() {
                    if !is_slug(&o.id, 64) {
                        err(
                            format!("{at}.options[{j}].id"),
                            format!("'{}' is not a valid option id", o.id),
                        );
                    }
                    if !ids.insert(o.id.as_str()) {
                        err(
                            format!("{at}.options[{j}].id"),
                            format!("option '{}' is listed twice", o.id),
                        );
                    }
                    texts.push((format!("{at}.options[{j}].text"), &o.text, false));
                }
                if let Kind::MultipleChoice {
                    max_choices: Some(m),
                    ..
                } = q.kind
                {
                    if m == 0 || m as usize > options.len() {
                        err(
                            format!("{at}.max_choices"),
                            format!("must be from 1 to {}", options.len()),
                        );
                    }
                }
            }
            Kind::Scale {
                min,
                max,
                labels,
                satisfied,
            } => {
                // `max - min` could overflow on a hostile form; i128 cannot.
                if min >= max || i128::from(*max) - i128::from(*min) > 20 {
                    err(
                        format!("{at}.max"),
                        "a scale runs from min to a larger max, at most 21 points".into(),
                    );
                }
                for (j, l) in labels.iter().enumerate() {
                    if l.value < *min || l.value > *max {
                        err(
                            format!("{at}.labels[{j}]"),
                            format!("value {} is outside the scale", l.value),
                        );
                    }
                    texts.push((format!("{at}.labels[{j}].text"), &l.text, false));
                }
                if satisfied.iter().any(|v| v < min || v > max) {
                    err(
                        format!("{at}.satisfied"),
                        "satisfied values must be on the scale".into(),
                    );
                }
            }
            Kind::Text { max_length, .. } => {
                if *max_length == 0 || *max_length as usize > crate::MAX_TEXT_LENGTH {
                    err(
                        format!("{at}.max_length"),
                        format!("must be from 1 to {}", crate::MAX_TEXT_LENGTH),
                    );
                }
            }
            Kind::Location {} => {
                // A form that takes its places from the register gets them
                // when the collector publishes it.
                if form.places.is_empty() && form.place_register.is_none() {
                    err(
                        format!("{at}.kind"),
                        "a location question needs the form to list places".into(),
                    );
                }
            }
            Kind::Consent {} => {}
        }
        if let Some(cond) = &q.show_if {
            match form.questions.iter().position(|p| p.id == cond.question) {
                Some(j) if j < i => {
                    let target = &form.questions[j];
                    for a in &cond.any_of {
                        if !atom_fits(form, target, a) {
                            err(
                                format!("{at}.show_if"),
                                format!("{a:?} is not a possible answer to '{}'", target.id),
                            );
                        }
                    }
                    if cond.any_of.is_empty() {
                        err(
                            format!("{at}.show_if.any_of"),
                            "list at least one answer".into(),
                        );
                    }
                }
                _ => err(
                    format!("{at}.show_if.question"),
                    format!("'{}' is not an earlier question", cond.question),
                ),
            }
        }
        seen.push(&q.id);
    }
    if let Some(r) = &form.respondent_question {
        if !form
            .question(r)
            .is_some_and(|q| matches!(q.kind, Kind::SingleChoice { .. }))
        {
            err(
                "respondent_question".into(),
                format!("'{r}' is not a single-choice question"),
            );
        }
    }

    for (i, h) in form.headlines.iter().enumerate() {
        let at = format!("headlines[{i}]");
        // One share per question: two on the same question (nested, or
        // side by side) show a visitor the difference between them, which
        // may be a group too small to show.
        if form.headlines[..i].iter().any(|e| e.question == h.question) {
            err(
                format!("{at}.question"),
                format!(
                    "'{}' has a headline already: two shares of one question would show their difference, which may be too small a group to publish",
                    h.question
                ),
            );
        }
        // Single choice only: each person gives one answer, so the share is
        // people, never mentions counted twice.
        match form.question(&h.question).map(|q| &q.kind) {
            Some(Kind::SingleChoice { options }) => {
                if h.answers.is_empty() {
                    err(format!("{at}.answers"), "name at least one answer".into());
                }
                for (j, a) in h.answers.iter().enumerate() {
                    if !options.iter().any(|o| &o.id == a) {
                        err(
                            format!("{at}.answers[{j}]"),
                            format!("'{a}' is not an option of '{}'", h.question),
                        );
                    } else if h.answers[..j].contains(a) {
                        err(
                            format!("{at}.answers[{j}]"),
                            format!("'{a}' is named twice"),
                        );
                    }
                }
            }
            _ => err(
                format!("{at}.question"),
                format!("'{}' is not a single-choice question", h.question),
            ),
        }
    }

    if let Some(cb) = &form.codebook {
        for (i, q) in cb.questions.iter().enumerate() {
            if !form
                .question(q)
                .is_some_and(|q| matches!(q.kind, Kind::Text { .. }))
            {
                err(
                    format!("codebook.questions[{i}]"),
                    format!("'{q}' is not a text question"),
                );
            }
        }
        let mut ids = BTreeSet::new();
        for (i, t) in cb.themes.iter().enumerate() {
            if !is_slug(&t.id, 64) || !ids.insert(t.id.as_str()) {
                err(
                    format!("codebook.themes[{i}].id"),
                    format!("'{}' is not a unique theme id", t.id),
                );
            }
            if t.phrases.is_empty() || t.phrases.iter().any(|p| p.trim().is_empty()) {
                err(
                    format!("codebook.themes[{i}].phrases"),
                    "list non-empty phrases".into(),
                );
            }
        }
    }

    let mut rule_ids = BTreeSet::new();
    for (i, r) in form.alerts.iter().enumerate() {
        let at = format!("alerts[{i}]");
        if !rule_ids.insert(r.id.as_str()) {
            err(
                format!("{at}.id"),
                format!("rule '{}' is listed twice", r.id),
            );
        }
        let Some(q) = form.question(&r.question) else {
            err(
                format!("{at}.question"),
                format!("'{}' is not a question", r.question),
            );
            continue;
        };
        match &r.when {
            AlertCondition::AnyOf(atoms) => {
                if atoms.is_empty() || atoms.iter().any(|a| !atom_fits(form, q, a)) {
                    err(
                        format!("{at}.any_of"),
                        format!("list possible answers to '{}'", q.id),
                    );
                }
            }
            AlertCondition::SentimentBelow(x) => {
                if !matches!(q.kind, Kind::Text { .. }) || !(-1.0..=1.0).contains(x) {
                    err(
                        format!("{at}.sentiment_below"),
                        "applies to a text question, with a threshold from -1 to 1".into(),
                    );
                }
            }
            AlertCondition::SentimentIs(_) => {
                if !matches!(q.kind, Kind::Text { .. }) {
                    err(
                        format!("{at}.sentiment_is"),
                        "applies to a text question".into(),
                    );
                }
            }
        }
    }

    if let Some(sg) = &form.safeguarding {
        if sg.version.trim().is_empty() || sg.version.len() > 64 {
            err(
                "safeguarding.version".into(),
                "give the phrase lists a version of 1–64 characters".into(),
            );
        }
        if sg.lists.is_empty() {
            err(
                "safeguarding.phrases".into(),
                "list phrases for at least one category".into(),
            );
        }
        for category in crate::Category::ALL {
            let lists: Vec<_> = sg.lists.iter().filter(|l| l.category == category).collect();
            if lists.is_empty() {
                continue;
            }
            let at = format!("safeguarding.phrases.{}", category.as_str());
            for lang in &form.languages {
                if !lists
                    .iter()
                    .any(|l| l.lang == *lang && !l.phrases.is_empty())
                {
                    err(
                        at.clone(),
                        format!("no phrases in '{lang}', one of the form's languages"),
                    );
                }
            }
            for l in lists {
                let at = format!("{at}.{}", l.lang);
                if !form.languages.contains(&l.lang) {
                    err(
                        at.clone(),
                        format!("'{}' is not one of the form's languages", l.lang),
                    );
                }
                for (i, p) in l.phrases.iter().enumerate() {
                    if let Some(fault) = crate::safeguard::phrase_fault(p) {
                        err(format!("{at}[{i}]"), fault.into());
                    }
                }
            }
        }
        if sg.contacts.is_empty() {
            err(
                "safeguarding.contacts".into(),
                "list at least one number to show (999, …)".into(),
            );
        }
        for (i, c) in sg.contacts.iter().enumerate() {
            let at = format!("safeguarding.contacts[{i}]");
            if !is_phone_number(&c.number) {
                err(
                    format!("{at}.number"),
                    format!(
                        "'{}' is not a phone number: digits and spaces, perhaps a leading +",
                        c.number
                    ),
                );
            }
            texts.push((format!("{at}.label"), &c.label, false));
            if let Some(h) = &c.hint {
                texts.push((format!("{at}.hint"), h, false));
            }
        }
    }

    if let Some(set) = &form.one_question {
        if set.questions.len() < 2 {
            err(
                "one_question.questions".into(),
                "a rotation needs at least two questions".into(),
            );
        }
        for (i, id) in set.questions.iter().enumerate() {
            let at = format!("one_question.questions[{i}]");
            match form.question(id) {
                None => err(at, format!("no question '{id}' in this form")),
                Some(q) if !matches!(q.kind, Kind::SingleChoice { .. } | Kind::Scale { .. }) => {
                    err(at, format!("'{id}' cannot be answered with one tap: use a single-choice or scale question"));
                }
                Some(q) if q.show_if.is_some() => {
                    err(
                        at,
                        format!(
                            "'{id}' depends on another answer, so it cannot be asked on its own"
                        ),
                    );
                }
                Some(_) if set.questions[..i].contains(id) => {
                    err(at, format!("'{id}' is listed twice"));
                }
                Some(_) => {}
            }
        }
    }

    for (path, t, plain_ok) in texts {
        if let Some(fault) = text_fault(form, t, plain_ok) {
            err(path, fault);
        }
    }

    if out.is_empty() {
        Ok(())
    } else {
        Err(out)
    }
}

/// What is wrong with one user-facing text, if anything.
///
/// A form in one language may give any text as a plain string. A form in
/// several must give each text as a map with a non-blank text in every
/// language it declares (and in its default language): a plain string
/// there is almost always the English left untranslated, which a person
/// who picked Bengali would be shown without a word of warning. Place
/// names (`plain_ok`) may stay plain in any form.
fn text_fault(form: &Form, t: &Text, plain_ok: bool) -> Option<String> {
    if t.is_blank() {
        return Some("the text is empty".into());
    }
    if form.languages.len() <= 1 {
        return (!t.has(&form.default_lang))
            .then(|| format!("no text in the default language '{}'", form.default_lang));
    }
    let wanted = std::iter::once(&form.default_lang)
        .filter(|d| !form.languages.contains(d))
        .chain(&form.languages);
    match t {
        Text::Plain(_) if plain_ok => None,
        Text::Plain(_) => Some(format!(
            "a plain string, not a text per language: no text in {}",
            quoted(wanted)
        )),
        Text::Localized(map) => {
            let missing: Vec<&String> = wanted
                .filter(|l| map.get(*l).is_none_or(|s| s.trim().is_empty()))
                .collect();
            (!missing.is_empty()).then(|| format!("no text in {}", quoted(missing)))
        }
    }
}

/// `'bn', 'ar'`.
fn quoted<'a>(langs: impl IntoIterator<Item = &'a String>) -> String {
    langs
        .into_iter()
        .map(|l| format!("'{l}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `atom` is a possible answer to `q`.
fn atom_fits(form: &Form, q: &crate::Question, atom: &Atom) -> bool {
    match (&q.kind, atom) {
        (Kind::SingleChoice { options } | Kind::MultipleChoice { options, .. }, Atom::Str(s)) => {
            options.iter().any(|o| &o.id == s)
        }
        (Kind::Scale { min, max, .. }, Atom::Int(n)) => (min..=max).contains(&n),
        (Kind::Location {}, Atom::Str(s)) => form.place(s).is_some(),
        (Kind::Consent {}, Atom::Bool(_)) => true,
        _ => false,
    }
}

/// `999`, `116 123`, `+44 800 …`: what a `tel:` link can dial.
fn is_phone_number(n: &str) -> bool {
    let digits = n.strip_prefix('+').unwrap_or(n);
    let count = digits.bytes().filter(u8::is_ascii_digit).count();
    (3..=15).contains(&count)
        && digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b' ')
}

/// `https://host` or `http://host:port` as a browser sends it in `Origin`:
/// lower case, no path, query, user or trailing slash. Anything else would
/// never equal the header, so the partner would be refused without a clue.
fn is_origin(o: &str) -> bool {
    let Some(rest) = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"))
    else {
        return false;
    };
    let (host_ok, port) = if let Some(v6) = rest.strip_prefix('[') {
        let Some((addr, after)) = v6.split_once(']') else {
            return false;
        };
        let ok = !addr.is_empty()
            && addr.bytes().all(|b| {
                b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b':' || b == b'.'
            });
        match after {
            "" => (ok, None),
            _ => (ok, Some(after.strip_prefix(':').unwrap_or(after))),
        }
    } else {
        let (host, port) = match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        };
        let ok = !host.is_empty()
            && !host.starts_with(['.', '-'])
            && !host.ends_with(['.', '-'])
            && host
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        (ok, port)
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// A correct form in `languages`, every text given in each of them,
    /// its one place name plain.
    fn form(languages: &[&str]) -> Value {
        let each = |s: &str| -> Value {
            languages
                .iter()
                .map(|l| (l.to_string(), json!(format!("{s} ({l})"))))
                .collect::<serde_json::Map<_, _>>()
                .into()
        };
        json!({
            "id": "f", "default_lang": "en", "languages": languages,
            "title": each("Title"), "privacy_notice": each("Privacy"),
            "not_for_reporting": each("Not for reporting crime"),
            "places": [{"id": "bank", "name": "Bank"}],
            "questions": [
                {"id": "who", "kind": "single_choice", "text": each("Who?"),
                 "options": [{"id": "a", "text": each("A")}, {"id": "b", "text": each("B")}]},
                {"id": "where", "kind": "location", "text": each("Where?")}
            ]
        })
    }

    fn problems(v: Value) -> Vec<(String, String)> {
        let form: Form = serde_json::from_value(v).expect("the form parses");
        match check_form(&form) {
            Ok(()) => Vec::new(),
            Err(ps) => ps.into_iter().map(|p| (p.path, p.message)).collect(),
        }
    }

    #[test]
    fn a_form_with_every_text_in_every_language_passes() {
        assert_eq!(problems(form(&["en", "pl", "es", "bn", "ar"])), []);
    }

    #[test]
    fn a_text_missing_languages_is_named_with_the_languages() {
        let mut v = form(&["en", "pl", "es", "bn", "ar"]);
        v["questions"][0]["options"][1]["text"] = json!({"en": "B", "pl": "B", "es": "B"});
        assert_eq!(
            problems(v),
            [(
                "questions[0].options[1].text".to_owned(),
                "no text in 'bn', 'ar'".to_owned()
            )]
        );
        // A blank translation is no translation.
        let mut v = form(&["en", "pl"]);
        v["questions"][0]["text"]["pl"] = json!("  ");
        assert_eq!(
            problems(v),
            [("questions[0].text".to_owned(), "no text in 'pl'".to_owned())]
        );
    }

    #[test]
    fn a_plain_string_in_a_form_of_several_languages_is_refused() {
        let mut v = form(&["en", "pl", "es", "bn", "ar"]);
        v["questions"][1]["text"] = json!("Where?");
        assert_eq!(
            problems(v),
            [(
                "questions[1].text".to_owned(),
                "a plain string, not a text per language: no text in 'en', 'pl', 'es', 'bn', 'ar'"
                    .to_owned()
            )]
        );
    }

    #[test]
    fn a_form_in_one_language_may_use_plain_strings() {
        let mut v = form(&["en"]);
        for path in ["title", "privacy_notice", "not_for_reporting"] {
            v[path] = json!("Plain");
        }
        v["questions"][0]["options"][0]["text"] = json!("A");
        assert_eq!(problems(v), []);
    }

    #[test]
    fn a_place_name_may_be_plain_but_a_translated_one_is_complete() {
        // `form` gives the place a plain name; it passes above. A name
        // given per language must then be given in each.
        let mut v = form(&["en", "pl", "ar"]);
        v["places"][0]["name"] = json!({"en": "Bank", "pl": "Bank"});
        assert_eq!(
            problems(v),
            [("places[0].name".to_owned(), "no text in 'ar'".to_owned())]
        );
    }
}

//! Validation of a submission against one form version.
//!
//! Every problem is reported at once, each with the field at fault and a
//! message in the GOV.UK style ("Select …", "Enter …"), so a person fixes
//! everything in one go and an API client sees exactly what is wrong.

use crate::form::{Form, Kind, Question};
use crate::submission::{Answer, Submission};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A submission that passed validation, with typed answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Valid {
    /// The client's id for this submission.
    pub submission_id: String,
    /// Answers to the questions that were shown.
    pub answers: BTreeMap<String, Answer>,
    /// Place id, if any.
    pub location: Option<String>,
    /// Channel, `link` when the client did not say.
    pub channel: String,
    /// Language the form was answered in (one the form offers).
    pub lang: String,
    /// The invitation it answers, as sent (checked by the collector).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation: Option<String>,
}

/// One thing wrong with a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The question id, or `submission_id`, `location`, `channel`, `lang`, `answers`.
    pub field: String,
    /// What is wrong, machine-readable.
    pub code: ProblemKind,
    /// What is wrong, for a person.
    pub message: String,
}

/// The kinds of problem, as `snake_case` codes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A required question was not answered.
    Required,
    /// The answer is not of the kind the question takes.
    WrongType,
    /// The option id is not one of the question's options.
    NotAnOption,
    /// More options chosen than allowed.
    TooMany,
    /// An option that must stand alone was chosen with others.
    Exclusive,
    /// The same option was chosen twice.
    Duplicate,
    /// A scale value outside the scale.
    OutOfRange,
    /// Free text longer than allowed.
    TooLong,
    /// An answer to a question the person was not shown.
    NotShown,
    /// An answer to a question the form does not have.
    UnknownQuestion,
    /// A malformed field outside the answers (id, location, channel, language).
    Invalid,
}

/// Checks a parsed submission against `form`.
pub fn validate(form: &Form, sub: &Submission) -> Result<Valid, Vec<Problem>> {
    check::<true>(form, sub)
}

/// [`validate`] without the English messages: the same outcome, the same
/// fields and codes, every `message` empty. For callers that word the
/// problems themselves (the widget, in the person's language).
pub fn validate_codes(form: &Form, sub: &Submission) -> Result<Valid, Vec<Problem>> {
    check::<false>(form, sub)
}

/// A message, made only when `W` (words are wanted).
fn words<const W: bool>(message: impl FnOnce() -> String) -> String {
    if W {
        message()
    } else {
        String::new()
    }
}

fn check<const W: bool>(form: &Form, sub: &Submission) -> Result<Valid, Vec<Problem>> {
    let mut problems = Vec::new();
    let lang = sub
        .lang
        .as_deref()
        .map(|l| form.pick_lang(l))
        .unwrap_or(&form.default_lang)
        .to_owned();
    let say = |q: &Question| q.text.get(&lang, &form.default_lang).to_owned();

    if !is_uuid(&sub.submission_id) {
        problems.push(problem(
            "submission_id",
            ProblemKind::Invalid,
            words::<W>(|| {
                "submission_id must be a UUID such as 0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f".into()
            }),
        ));
    }
    if let Some(loc) = &sub.location {
        if !is_known_place(form, loc) {
            problems.push(problem(
                "location",
                ProblemKind::Invalid,
                words::<W>(|| format!("location '{}' is not a place id (1–64 lower-case letters, digits, '-' or '_')", clip(loc))),
            ));
        }
    }
    if let Some(ch) = &sub.channel {
        if !is_channel(ch) {
            problems.push(problem(
                "channel",
                ProblemKind::Invalid,
                words::<W>(|| {
                    "channel must be a short lower-case word such as embed, qr or link".into()
                }),
            ));
        }
    }
    if let Some(l) = &sub.lang {
        if !is_lang_tag(l) {
            problems.push(problem(
                "lang",
                ProblemKind::Invalid,
                words::<W>(|| "lang must be a language code such as en or pl-PL".into()),
            ));
        }
    }

    for id in sub.answers.keys() {
        if form.question(id).is_none() {
            problems.push(problem(
                id,
                ProblemKind::UnknownQuestion,
                words::<W>(|| format!("this form has no question '{}'", clip(id))),
            ));
        }
    }

    // A "one question a scan" set asks one of its questions at a time:
    // one answered, the others were not asked.
    // (The widget never reads the set: it shows a form whole.)
    #[cfg(feature = "analysis")]
    let required = {
        let set_answered = form.one_question.as_ref().is_some_and(|set| {
            set.questions
                .iter()
                .any(|id| sub.answers.get(id).is_some_and(|v| !v.is_null()))
        });
        move |q: &crate::Question| {
            q.required
                && !(set_answered && form.one_question.as_ref().is_some_and(|s| s.has(&q.id)))
        }
    };
    #[cfg(not(feature = "analysis"))]
    let required = |q: &crate::Question| q.required;
    // Answers are typed in form order, so `show_if` sees earlier answers.
    let mut answers = BTreeMap::new();
    for q in &form.questions {
        let raw = sub.answers.get(&q.id).filter(|v| !v.is_null());
        let shown = form.is_shown(q, &answers);
        match (raw, shown) {
            (None, true) if required(q) => {
                problems.push(problem(
                    &q.id,
                    ProblemKind::Required,
                    words::<W>(|| required_message(q, &say(q))),
                ));
            }
            (None, _) => {}
            (Some(_), false) => problems.push(problem(
                &q.id,
                ProblemKind::NotShown,
                words::<W>(|| {
                    format!(
                        "'{}' was not asked, given the earlier answers, so it cannot be answered",
                        say(q)
                    )
                }),
            )),
            (Some(v), true) => match typed::<W>(form, q, v) {
                Ok(Some(a)) => {
                    answers.insert(q.id.clone(), a);
                }
                Ok(None) if q.required => {
                    problems.push(problem(
                        &q.id,
                        ProblemKind::Required,
                        words::<W>(|| required_message(q, &say(q))),
                    ));
                }
                Ok(None) => {}
                Err((code, message)) => problems.push(problem(&q.id, code, message)),
            },
        }
    }

    if problems.is_empty() {
        Ok(Valid {
            submission_id: sub.submission_id.to_ascii_lowercase(),
            answers,
            location: sub.location.clone(),
            channel: sub.channel.clone().unwrap_or_else(|| "link".into()),
            lang,
            invitation: sub.invitation.clone(),
        })
    } else {
        Err(problems)
    }
}

/// Checks any JSON value as a submission; a value of the wrong shape gets
/// problems too, never a panic.
pub fn validate_json(form: &Form, value: &serde_json::Value) -> Result<Valid, Vec<Problem>> {
    let Some(obj) = value.as_object() else {
        return Err(vec![problem(
            "body",
            ProblemKind::WrongType,
            "the body must be a JSON object with submission_id and answers".into(),
        )]);
    };
    let mut problems = Vec::new();
    let mut field_str = |name: &str, required: bool| -> Option<String> {
        match obj.get(name) {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            None | Some(serde_json::Value::Null) => {
                if required {
                    problems.push(problem(
                        name,
                        ProblemKind::Required,
                        format!("{name} is required"),
                    ));
                }
                None
            }
            Some(_) => {
                problems.push(problem(
                    name,
                    ProblemKind::WrongType,
                    format!("{name} must be a string"),
                ));
                None
            }
        }
    };
    let submission_id = field_str("submission_id", true);
    let location = field_str("location", false);
    let channel = field_str("channel", false);
    let lang = field_str("lang", false);
    let invitation = field_str("invitation", false);
    let answers = match obj.get("answers") {
        Some(serde_json::Value::Object(m)) => {
            m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        }
        None | Some(serde_json::Value::Null) => BTreeMap::new(),
        Some(_) => {
            problems.push(problem(
                "answers",
                ProblemKind::WrongType,
                "answers must be an object of question id → answer".into(),
            ));
            BTreeMap::new()
        }
    };
    for key in obj.keys() {
        if ![
            "submission_id",
            "answers",
            "location",
            "channel",
            "lang",
            "invitation",
        ]
        .contains(&key.as_str())
        {
            problems.push(problem(
                key,
                ProblemKind::UnknownQuestion,
                format!(
                    "unknown field '{}'; answers go inside \"answers\"",
                    clip(key)
                ),
            ));
        }
    }
    let sub = Submission {
        submission_id: submission_id.unwrap_or_default(),
        answers,
        location,
        channel,
        lang,
        invitation,
    };
    match validate(form, &sub) {
        Ok(v) if problems.is_empty() => Ok(v),
        Ok(_) => Err(problems),
        Err(more) => {
            // A missing id was already reported; do not say it twice.
            for p in more {
                if !problems.iter().any(|q| q.field == p.field) {
                    problems.push(p);
                }
            }
            Err(problems)
        }
    }
}

type Fault = (ProblemKind, String);

/// Turns a JSON answer into a typed one; `Ok(None)` for an empty answer.
fn typed<const W: bool>(
    form: &Form,
    q: &Question,
    v: &serde_json::Value,
) -> Result<Option<Answer>, Fault> {
    use serde_json::Value;
    match &q.kind {
        Kind::SingleChoice { options } => {
            let Value::String(s) = v else {
                return Err(wrong::<W>("one option id as a string"));
            };
            if options.iter().any(|o| &o.id == s) {
                Ok(Some(Answer::Text(s.clone())))
            } else {
                Err(not_an_option::<W>(s))
            }
        }
        Kind::MultipleChoice {
            options,
            max_choices,
        } => {
            let Value::Array(items) = v else {
                return Err(wrong::<W>("a list of option ids"));
            };
            if items.is_empty() {
                return Ok(None);
            }
            let mut chosen: Vec<String> = Vec::with_capacity(items.len());
            for item in items {
                let Value::String(s) = item else {
                    return Err(wrong::<W>("a list of option ids"));
                };
                if !options.iter().any(|o| &o.id == s) {
                    return Err(not_an_option::<W>(s));
                }
                if chosen.contains(s) {
                    return Err((
                        ProblemKind::Duplicate,
                        words::<W>(|| format!("'{}' is chosen twice", clip(s))),
                    ));
                }
                chosen.push(s.clone());
            }
            if let Some(max) = max_choices {
                if chosen.len() > *max as usize {
                    return Err((
                        ProblemKind::TooMany,
                        words::<W>(|| format!("Select no more than {max} options")),
                    ));
                }
            }
            if chosen.len() > 1 {
                if let Some(o) = options
                    .iter()
                    .find(|o| o.exclusive && chosen.contains(&o.id))
                {
                    let t = o.text.get(&form.default_lang, &form.default_lang);
                    return Err((
                        ProblemKind::Exclusive,
                        words::<W>(|| {
                            format!("Select ‘{t}’ on its own, or other options without it")
                        }),
                    ));
                }
            }
            Ok(Some(Answer::Choices(chosen)))
        }
        Kind::Scale { min, max, .. } => {
            let n = v.as_i64().ok_or_else(|| wrong::<W>("a whole number"))?;
            if n < *min || n > *max {
                return Err((
                    ProblemKind::OutOfRange,
                    words::<W>(|| format!("Select a number from {min} to {max}")),
                ));
            }
            Ok(Some(Answer::Number(n)))
        }
        Kind::Text { max_length, .. } => {
            let Value::String(s) = v else {
                return Err(wrong::<W>("text"));
            };
            let trimmed = s.trim();
            if trimmed.is_empty() {
                return Ok(None);
            }
            if trimmed.chars().count() > *max_length as usize {
                return Err((
                    ProblemKind::TooLong,
                    words::<W>(|| format!("Your answer must be {max_length} characters or fewer")),
                ));
            }
            Ok(Some(Answer::Text(trimmed.to_owned())))
        }
        Kind::Location {} => {
            let Value::String(s) = v else {
                return Err(wrong::<W>("a place id"));
            };
            if form.place(s).is_some() || (form.places.is_empty() && is_slug(s, 64)) {
                Ok(Some(Answer::Text(s.clone())))
            } else {
                Err(not_an_option::<W>(s))
            }
        }
        Kind::Consent {} => match v {
            Value::Bool(true) => Ok(Some(Answer::Consent(true))),
            Value::Bool(false) => Ok(None),
            _ => Err(wrong::<W>("true")),
        },
    }
}

fn wrong<const W: bool>(expected: &str) -> Fault {
    (
        ProblemKind::WrongType,
        words::<W>(|| format!("the answer must be {expected}")),
    )
}

fn not_an_option<const W: bool>(s: &str) -> Fault {
    (
        ProblemKind::NotAnOption,
        words::<W>(|| format!("'{}' is not one of the options", clip(s))),
    )
}

fn required_message(q: &Question, text: &str) -> String {
    match q.kind {
        Kind::SingleChoice { .. } | Kind::Location {} => format!("Select an answer for ‘{text}’"),
        Kind::MultipleChoice { .. } => format!("Select at least one answer for ‘{text}’"),
        Kind::Scale { min, max, .. } => format!("Select a number from {min} to {max} for ‘{text}’"),
        Kind::Text { .. } => format!("Enter an answer for ‘{text}’"),
        Kind::Consent {} => format!("Tick the box to confirm ‘{text}’"),
    }
}

fn problem(field: &str, code: ProblemKind, message: String) -> Problem {
    Problem {
        field: clip(field).to_owned(),
        code,
        message,
    }
}

/// Cuts attacker-sized strings down before they are echoed in messages.
fn clip(s: &str) -> &str {
    match s.char_indices().nth(64) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Whether `loc` may be a response's place tag: a short lower-case id.
/// Which places exist is the collector's to say (the form's list, or the
/// deployment's register): it keeps a tag it does not know as
/// [`crate::UNKNOWN_PLACE`] before it validates, so a person's answer is
/// never refused for the tag on the link they followed.
pub fn is_known_place(_form: &Form, loc: &str) -> bool {
    is_slug(loc, 64)
}

/// Whether `ch` names a channel (`embed`, `qr`, `link`, …): a short
/// lower-case word.
pub fn is_channel(ch: &str) -> bool {
    is_slug(ch, 32)
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in hex digits.
pub(crate) fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Lower-case letters, digits, `-` and `_`, 1 to `max` bytes.
pub(crate) fn is_slug(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A plausible BCP 47 tag: letters, digits and `-`, up to 16 bytes.
pub(crate) fn is_lang_tag(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 16
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn codes_alone_agree_with_the_worded_problems() {
        let form: Form = serde_json::from_value(json!({
            "id": "f", "title": "F", "default_lang": "en", "languages": ["en"],
            "privacy_notice": "p", "not_for_reporting": "n",
            "questions": [
                {"id": "who", "text": "Who?", "kind": "single_choice", "required": true,
                 "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]},
                {"id": "many", "text": "Many?", "kind": "multiple_choice", "max_choices": 1,
                 "options": [{"id": "x", "text": "X"}, {"id": "y", "text": "Y", "exclusive": true}]},
                {"id": "n", "text": "N?", "kind": "scale", "min": 1, "max": 5, "required": true},
                {"id": "t", "text": "T?", "kind": "text", "max_length": 3},
                {"id": "ok", "text": "OK?", "kind": "consent", "required": true},
                {"id": "why", "text": "Why?", "kind": "text", "max_length": 9,
                 "show_if": {"question": "who", "any_of": ["b"]}}
            ]
        }))
        .unwrap();
        let subs = [
            json!({"submission_id": "x", "answers": {"who": "c", "many": ["x", "y"], "n": 9,
                   "t": "long", "ok": "yes", "why": "w", "nope": 1}, "lang": "??", "channel": "A B",
                   "location": "Z"}),
            json!({"submission_id": "0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f", "answers": {
                   "many": ["x", "x"], "n": "3", "t": 4, "ok": false}}),
            json!({"submission_id": "0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f", "answers": {
                   "who": "b", "many": ["y"], "n": 2, "ok": true, "why": "because"}}),
        ];
        for (i, body) in subs.into_iter().enumerate() {
            let sub: Submission = serde_json::from_value(body).unwrap();
            let worded = validate(&form, &sub);
            let bare = validate_codes(&form, &sub);
            assert_eq!(worded.is_ok(), i == 2, "{worded:?}");
            match (worded, bare) {
                (Ok(a), Ok(b)) => assert_eq!(a, b),
                (Err(a), Err(b)) => {
                    assert_eq!(a.len(), b.len());
                    for (p, q) in a.iter().zip(&b) {
                        assert_eq!((&p.field, p.code), (&q.field, q.code));
                        assert!(!p.message.is_empty() && q.message.is_empty());
                    }
                }
                (a, b) => panic!("{a:?} vs {b:?}"),
            }
        }
    }
}

//! The form-filling flow as plain data: answers, which questions show,
//! steps, review, and what is sent. No browser types here, so all of it
//! is tested natively; the components only render a [`Flow`] and send it
//! [`Msg`]s.

use crate::i18n::{self, Strings};
use serde_json::Value;
use std::collections::BTreeMap;
use std::rc::Rc;
use survey::{Answer, Form, Kind, ProblemKind, Question, Submission};

/// Answers as the inputs hold them, by question id; hidden questions keep
/// theirs (so going back restores them) but they are never sent.
pub type Raw = BTreeMap<String, Value>;

/// Forms with more questions than this go one question a step, with a
/// review before sending; shorter ones show on one page.
pub const ONE_PAGE_MAX: usize = 5;

/// Where the person is.
#[derive(Debug, Clone, PartialEq)]
pub enum At {
    /// Every shown question on one page (short forms).
    Page,
    /// One question, by its index in the form.
    Question(usize),
    /// "Check your answers".
    Review,
}

/// What happened to the answers once sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Still being filled in.
    Editing,
    /// On its way.
    Sending,
    /// Stored by the collector.
    Sent,
    /// No network: kept in this browser and sent later.
    SavedOffline,
    /// The collector failed; the person can try again.
    Failed,
    /// The invitation link took no answer (already answered, expired).
    Closed(crate::api::Closed),
}

/// An error shown against a field and in the error summary.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// Question id.
    pub field: String,
    /// Message in the form's language.
    pub message: String,
}

/// Where the submission comes from, fixed for the widget's life.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Context {
    /// Place id from the page or QR code.
    pub location: Option<String>,
    /// `embed`, `qr`, `link`, …
    pub channel: String,
    /// The invitation the page was opened with (`?i=`), if any.
    pub invitation: Option<String>,
}

/// The whole state of one filling of the form.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub form: Rc<Form>,
    pub lang: String,
    pub answers: Raw,
    pub at: At,
    pub errors: Vec<FieldError>,
    pub status: Status,
    /// Made once when the form opens; the same id is re-sent after an
    /// outage so the collector stores the answers once.
    pub submission_id: String,
    pub context: Context,
    /// Set when a "Change" link on the review page led to a question.
    pub back_to_review: bool,
    /// Bumped whenever errors are shown, so the summary takes focus again.
    pub error_round: u32,
    /// Bumped when the person moves to another step, to move focus there.
    pub moves: u32,
    /// Questions the person has had on screen.
    pub seen: Vec<usize>,
    /// Every question on one page, each saying when it applies, as the
    /// hosted page's own HTML form shows them (see [`Flow::whole_page`]).
    pub whole_page: bool,
    /// Bumped each time answers are adopted from the page's HTML form, so
    /// the loader hears once they are on screen.
    pub adopted: u32,
    /// The form's support numbers are on screen: the person tried to send
    /// free text that matches the form's safeguarding phrases. Once shown
    /// they stay, above the thank-you.
    pub help: bool,
    /// Whether these are answers the collector refused after they were
    /// kept offline, put back on screen under their own submission id by
    /// [`Flow::restore`]: a notice says so, and once they are sent they
    /// are forgotten.
    pub returned: bool,
}

/// Something the person did, or the network answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// Set a question's answer (option id, number, text, bool).
    Set(String, Value),
    /// Take over every answer from the page's own HTML form.
    Adopt(Raw),
    /// Tick or untick one option of a multiple-choice question.
    Toggle(String, String),
    SetLang(String),
    Next,
    Back,
    /// From the review page, go to a question.
    Change(String),
    /// Validation failed before sending.
    Invalid(Vec<FieldError>),
    Sending,
    Sent,
    SavedOffline,
    Failed,
    Closed(crate::api::Closed),
}

impl Flow {
    /// A fresh flow; `wanted_lang` is `data-lang` or the browser's.
    pub fn new(
        form: Rc<Form>,
        wanted_lang: &str,
        mut context: Context,
        submission_id: String,
    ) -> Self {
        let lang = form.pick_lang(wanted_lang).to_owned();
        // A malformed place (not a short lower-case id) is left out; a
        // well-formed one the form does not list goes as it is, and the
        // collector keeps it, as `unknown` if the register lacks it too.
        if context
            .location
            .as_deref()
            .is_some_and(|l| !survey::is_known_place(&form, l))
        {
            context.location = None;
        }
        if !survey::is_channel(&context.channel) {
            context.channel = "embed".into();
        }
        let mut answers = Raw::new();
        // A place from the QR code answers the form's location question.
        if let Some(loc) = &context.location {
            for q in &form.questions {
                if matches!(q.kind, Kind::Location {}) && form.place(loc).is_some() {
                    answers.insert(q.id.clone(), Value::String(loc.clone()));
                }
            }
        }
        let at = if form.questions.len() > ONE_PAGE_MAX {
            At::Question(0)
        } else {
            At::Page
        };
        let mut flow = Flow {
            form,
            lang,
            answers,
            at,
            errors: Vec::new(),
            status: Status::Editing,
            submission_id,
            context,
            back_to_review: false,
            error_round: 0,
            moves: 0,
            seen: Default::default(),
            whole_page: false,
            adopted: 0,
            help: false,
            returned: false,
        };
        if let At::Question(_) = flow.at {
            let at = flow.first_shown_from(0).map_or(At::Review, At::Question);
            flow.go(at);
        }
        flow
    }

    /// Puts back the answers of a submission the collector refused after
    /// it was kept offline (`body`, as it was sent), with the problems the
    /// current form finds in them, for the person to check and send again.
    /// They go again under their own submission id, the page's too (the
    /// hosted page's): were a first send stored after all, its reply lost,
    /// they are not stored twice. Answers to questions the form no longer
    /// has are left out. Nothing takes the focus: the widget may be
    /// opening on a page the person is reading.
    pub fn restore(&mut self, body: &Value) -> bool {
        let Some(answers) = body.get("answers").and_then(Value::as_object) else {
            return false;
        };
        let Some(id) = body.get("submission_id").and_then(Value::as_str) else {
            return false;
        };
        for q in &self.form.questions {
            if let Some(v) = answers.get(&q.id) {
                self.answers.insert(q.id.clone(), v.clone());
            }
        }
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
        // The link this page was opened with, if any: the one they were
        // sent with may have been answered or expired since.
        if self.context.invitation.is_none() {
            self.context.invitation = text("invitation");
        }
        if let Some(l) = text("location").filter(|l| survey::is_known_place(&self.form, l)) {
            self.context.location = Some(l);
        }
        if let Some(c) = text("channel").filter(|c| survey::is_channel(c)) {
            self.context.channel = c;
        }
        // In the language they were given in.
        if let Some(l) = text("lang") {
            self.lang = self.form.pick_lang(&l).to_owned();
        }
        self.submission_id = id.to_owned();
        self.returned = true;
        self.errors = self.check(None);
        if self.stepped() {
            // The review lists every answer with a way to change it; with
            // a problem, the first question at fault, then back to it.
            let first = self
                .errors
                .first()
                .and_then(|e| self.form.questions.iter().position(|q| q.id == e.field));
            self.back_to_review = first.is_some();
            self.go(first.map_or(At::Review, At::Question));
        }
        true
    }

    /// This flow laid out as the hosted page's HTML form is: every
    /// question on one page, the ones that depend on earlier answers
    /// included with a hint saying when they apply (their answers are sent
    /// only when they do). Taking over that form this way moves nothing on
    /// the screen.
    pub fn whole_page(mut self) -> Self {
        self.whole_page = true;
        self.at = At::Page;
        self
    }

    /// Indexes of the questions on the page: every one on a whole page,
    /// else those shown given the answers so far.
    pub fn on_page(&self) -> Vec<usize> {
        if self.whole_page {
            (0..self.form.questions.len()).collect()
        } else {
            self.shown()
        }
    }

    /// The widget's words in the current language.
    pub fn strings(&self) -> &'static Strings {
        i18n::strings(&self.lang)
    }

    /// Whether this form goes one question a step.
    pub fn stepped(&self) -> bool {
        self.at != At::Page
    }

    /// Applies one message.
    pub fn update(&mut self, msg: Msg) {
        match msg {
            Msg::Set(q, v) => {
                self.answers.insert(q.clone(), v);
                self.clear_error(&q);
            }
            Msg::Adopt(answers) => {
                if self.returned {
                    // Put back from a refused send: what the person did on
                    // this page goes over them, the rest stays, and so do
                    // the problems still in them.
                    self.answers.extend(answers);
                    self.errors = self.check(None);
                } else {
                    self.answers = answers;
                    self.errors.clear();
                }
                self.adopted += 1;
            }
            Msg::Toggle(q, option) => {
                self.toggle(&q, &option);
                self.clear_error(&q);
            }
            Msg::SetLang(l) => {
                self.lang = self.form.pick_lang(&l).to_owned();
                // Messages were in the old language; they come back on the next check.
                self.errors.clear();
            }
            Msg::Next => self.next(),
            Msg::Back => self.back(),
            Msg::Change(q) => {
                if let Some(i) = self.form.questions.iter().position(|x| x.id == q) {
                    self.go(At::Question(i));
                    self.back_to_review = true;
                    self.errors.clear();
                    self.moves += 1;
                }
            }
            Msg::Invalid(errors) => {
                // On the review page, send the person to the first question at fault.
                if self.at == At::Review {
                    if let Some(i) = errors
                        .first()
                        .and_then(|e| self.form.questions.iter().position(|q| q.id == e.field))
                    {
                        self.go(At::Question(i));
                        self.back_to_review = true;
                        self.moves += 1;
                    }
                }
                self.errors = errors;
                self.error_round += 1;
                self.status = Status::Editing;
                self.help |= self.needs_help();
            }
            Msg::Sending => {
                self.errors.clear();
                self.status = Status::Sending;
                // At once, before the collector answers (or when it cannot).
                self.help |= self.needs_help();
            }
            Msg::Sent => self.status = Status::Sent,
            Msg::SavedOffline => self.status = Status::SavedOffline,
            Msg::Failed => self.status = Status::Failed,
            Msg::Closed(c) => self.status = Status::Closed(c),
        }
    }

    /// The furthest question (in form order) the person has answered,
    /// if any: a location question does not count, as the page may have
    /// answered it from its QR code.
    pub fn furthest(&self) -> Option<&Question> {
        self.form.questions.iter().rev().find(|q| {
            !matches!(q.kind, Kind::Location {})
                && self.answers.get(&q.id).is_some_and(|v| !is_empty(v))
        })
    }

    /// The funnel's state, for the page's loader to count from
    /// (`widget/loader/widget.js`): the form, its version, the page's
    /// tags, the furthest question answered, and `done` once the answers
    /// are sent, on their way or kept to send later. Nothing that says
    /// who.
    pub fn funnel(&self) -> Value {
        let mut m = serde_json::Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.into(), v);
        };
        put("form", self.form.id.clone().into());
        put("version", self.form.version.into());
        put("channel", self.context.channel.clone().into());
        put("lang", self.lang.clone().into());
        if let Some(l) = &self.context.location {
            put("location", l.clone().into());
        }
        // Answers put back were started on an earlier visit, and counted
        // then.
        if let Some(q) = self.furthest().filter(|_| !self.returned) {
            put("last_question", q.id.clone().into());
        }
        if !matches!(self.status, Status::Editing | Status::Failed) {
            put("done", true.into());
        }
        Value::Object(m)
    }

    fn go(&mut self, at: At) {
        if let At::Question(i) = at {
            if !self.seen.contains(&i) {
                self.seen.push(i);
            }
        }
        self.at = at;
    }

    fn clear_error(&mut self, q: &str) {
        self.errors.retain(|e| e.field != q);
    }

    fn toggle(&mut self, q: &str, option: &str) {
        let Some(question) = self.form.question(q) else {
            return;
        };
        let mut chosen: Vec<String> = match self.answers.get(q) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        if let Some(pos) = chosen.iter().position(|c| c == option) {
            chosen.remove(pos);
        } else {
            let exclusive = |id: &str| question.options().iter().any(|o| o.id == id && o.exclusive);
            // "Prefer not to say" stands alone: picking it clears the rest, and the reverse.
            if exclusive(option) {
                chosen.clear();
            } else {
                chosen.retain(|c| !exclusive(c));
            }
            chosen.push(option.to_owned());
            // Keep the form's order, so the stored answer does not depend on click order.
            chosen = question
                .options()
                .iter()
                .filter(|o| chosen.contains(&o.id))
                .map(|o| o.id.clone())
                .collect();
        }
        self.answers.insert(
            q.to_owned(),
            chosen.into_iter().map(Value::String).collect(),
        );
    }

    /// Whether the free text typed matches the form's safeguarding phrases,
    /// by the same matcher the collector runs on what it stores. Hidden
    /// questions' text counts too: it was written, whether sent or not.
    pub fn needs_help(&self) -> bool {
        !self
            .form
            .safeguarding_matches(|id| self.answers.get(id).and_then(Value::as_str))
            .is_empty()
    }

    /// Typed answers of the questions shown, in form order.
    pub fn typed(&self) -> BTreeMap<String, Answer> {
        let mut typed = BTreeMap::new();
        for q in &self.form.questions {
            if !self.form.is_shown(q, &typed) {
                continue;
            }
            if let Some(a) = self.answers.get(&q.id).and_then(to_answer) {
                typed.insert(q.id.clone(), a);
            }
        }
        typed
    }

    /// Indexes of the questions shown, given the answers so far.
    pub fn shown(&self) -> Vec<usize> {
        let typed = self.typed();
        (0..self.form.questions.len())
            .filter(|&i| self.form.is_shown(&self.form.questions[i], &typed))
            .collect()
    }

    fn first_shown_from(&self, start: usize) -> Option<usize> {
        self.shown().into_iter().find(|&i| i >= start)
    }

    /// "Question n of total" for the current step.
    pub fn progress(&self) -> Option<(usize, usize)> {
        let At::Question(i) = self.at else {
            return None;
        };
        let shown = self.shown();
        let n = shown.iter().position(|&j| j == i)? + 1;
        Some((n, shown.len()))
    }

    /// What is sent: answers to shown questions only, empty ones left out.
    pub fn submission(&self) -> Submission {
        let typed = self.typed();
        // Inserted one by one: collecting into a map sorts first, and the
        // sort is code the download can do without.
        let mut answers = BTreeMap::new();
        for id in typed.keys() {
            if let Some(v) = self.answers.get(id) {
                answers.insert(id.clone(), v.clone());
            }
        }
        Submission {
            submission_id: self.submission_id.clone(),
            answers,
            location: self.context.location.clone(),
            channel: Some(self.context.channel.clone()),
            lang: Some(self.lang.clone()),
            invitation: self.context.invitation.clone(),
        }
    }

    /// Problems with the questions in `fields` (all when `None`), worded
    /// for the person, in form order.
    pub fn check(&self, fields: Option<&[usize]>) -> Vec<FieldError> {
        let Err(problems) = survey::validate_codes(&self.form, &self.submission()) else {
            return Vec::new();
        };
        let wanted = |id: &str| match fields {
            None => true,
            Some(f) => f.iter().any(|&i| self.form.questions[i].id == id),
        };
        let mut out = Vec::new();
        for q in &self.form.questions {
            if !wanted(&q.id) {
                continue;
            }
            if let Some(p) = problems.iter().find(|p| p.field == q.id) {
                out.push(FieldError {
                    field: q.id.clone(),
                    message: i18n::message(q, p.code, self.strings()),
                });
            }
        }
        out
    }

    /// Errors the collector gave back, worded for the person. Problems not
    /// about a question cannot be fixed by the person and are left out.
    pub fn server_errors(&self, problems: &[WireProblem]) -> Vec<FieldError> {
        problems
            .iter()
            .filter_map(|p| {
                let q = self.form.question(&p.field)?;
                let code = problem_kind(&p.code);
                Some(FieldError {
                    field: q.id.clone(),
                    message: i18n::message(q, code, self.strings()),
                })
            })
            .collect()
    }

    fn next(&mut self) {
        let At::Question(i) = self.at else { return };
        let errors = self.check(Some(&[i]));
        if !errors.is_empty() {
            self.errors = errors;
            self.error_round += 1;
            return;
        }
        self.errors.clear();
        self.moves += 1;
        if self.back_to_review {
            // An answer may have revealed a question the person has not seen:
            // ask it, then come back to the review.
            let unseen = self
                .shown()
                .into_iter()
                .find(|&j| j > i && !self.seen.contains(&j));
            self.back_to_review = unseen.is_some();
            self.go(unseen.map_or(At::Review, At::Question));
            return;
        }
        let at = self
            .first_shown_from(i + 1)
            .map_or(At::Review, At::Question);
        self.go(at);
    }

    fn back(&mut self) {
        self.errors.clear();
        self.back_to_review = false;
        self.moves += 1;
        let shown = self.shown();
        let at = match self.at {
            At::Review => shown.last().copied().map_or(At::Review, At::Question),
            At::Question(i) => shown
                .iter()
                .rev()
                .find(|&&j| j < i)
                .copied()
                .map_or(At::Question(i), At::Question),
            At::Page => At::Page,
        };
        self.go(at);
    }

    /// Whether a Back button makes sense here.
    pub fn can_go_back(&self) -> bool {
        match self.at {
            At::Review => true,
            At::Question(i) => self.shown().first().is_some_and(|&j| j < i),
            At::Page => false,
        }
    }

    /// The error for question `id`, if any.
    pub fn error(&self, id: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.field == id)
    }

    /// An answer as the person would read it on the review page.
    pub fn display(&self, q: &Question) -> String {
        let s = self.strings();
        let text = |t: &survey::Text| t.get(&self.lang, &self.form.default_lang).to_owned();
        let option = |id: &str| {
            q.options()
                .iter()
                .find(|o| o.id == id)
                .map_or_else(|| id.to_owned(), |o| text(&o.text))
        };
        match (self.typed().get(&q.id), &q.kind) {
            (None, _) => s.not_answered.to_owned(),
            (Some(Answer::Text(id)), Kind::SingleChoice { .. }) => option(id),
            (Some(Answer::Text(id)), Kind::Location {}) => self
                .form
                .place(id)
                .map_or_else(|| id.clone(), |p| text(&p.name)),
            (Some(Answer::Text(t)), _) => t.clone(),
            (Some(Answer::Choices(ids)), _) => {
                ids.iter().map(|i| option(i)).collect::<Vec<_>>().join(", ")
            }
            (Some(Answer::Number(n)), Kind::Scale { labels, .. }) => {
                match labels.iter().find(|l| l.value == *n) {
                    Some(l) => format!("{n} – {}", text(&l.text)),
                    None => n.to_string(),
                }
            }
            (Some(Answer::Number(n)), _) => n.to_string(),
            (Some(Answer::Consent(_)), _) => s.yes.to_owned(),
        }
    }
}

/// One entry of a problem+json `errors` list, as the collector sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct WireProblem {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl WireProblem {
    /// Reads `{"field", "code", "message"?}`; `None` when it is not one.
    pub fn from_value(v: &Value) -> Option<WireProblem> {
        let text = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        Some(WireProblem {
            field: text("field")?,
            code: text("code")?,
            message: text("message").unwrap_or_default(),
        })
    }
}

/// Answers as a plain HTML form holds them (question id → the values
/// chosen or typed, several for checkboxes), typed as the widget keeps
/// them; what the collector's hosted page does with a posted form.
pub fn raw_from_posted(form: &Form, posted: &Value) -> Raw {
    let mut raw = Raw::new();
    let Some(posted) = posted.as_object() else {
        return raw;
    };
    for q in &form.questions {
        let values: Vec<&str> = posted
            .get(&q.id)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let Some(first) = values.first() else {
            continue;
        };
        let value = match &q.kind {
            Kind::MultipleChoice { .. } => Value::Array(
                values
                    .iter()
                    .map(|s| Value::String((*s).to_owned()))
                    .collect(),
            ),
            Kind::Scale { .. } => match first.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => continue,
            },
            Kind::Consent {} => Value::Bool(*first == "true"),
            _ => Value::String((*first).to_owned()),
        };
        raw.insert(q.id.clone(), value);
    }
    raw
}

/// Whether an input's value counts as no answer.
pub fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Bool(b) => !b,
        _ => false,
    }
}

/// An input's value as a typed answer, `None` when empty.
///
/// Done by hand rather than through serde: `serde_json::from_value` would
/// bring a second deserializer into the download.
pub fn to_answer(v: &Value) -> Option<Answer> {
    if is_empty(v) {
        return None;
    }
    Some(match v {
        Value::String(s) => Answer::Text(s.clone()),
        Value::Number(n) => Answer::Number(n.as_i64()?),
        Value::Bool(b) => Answer::Consent(*b),
        Value::Array(a) => Answer::Choices(
            a.iter()
                .map(|x| x.as_str().map(str::to_owned))
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

/// A problem code from the wire (`too_long`), unknown ones as `Invalid`.
pub fn problem_kind(code: &str) -> ProblemKind {
    match code {
        "required" => ProblemKind::Required,
        "too_many" => ProblemKind::TooMany,
        "exclusive" => ProblemKind::Exclusive,
        "out_of_range" => ProblemKind::OutOfRange,
        "too_long" => ProblemKind::TooLong,
        _ => ProblemKind::Invalid,
    }
}

/// Formats 16 random bytes as a version 4 UUID.
///
/// Written out rather than taken from the `uuid` crate (which the native
/// side uses): a dozen lines here weigh less in the widget's download than
/// the crate does in wasm.
pub fn uuid_v4(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    // Digit by digit rather than with `format!("{x:02x}")` and slices of
    // the result: that took hex formatting and slicing into the download
    // for this one use.
    let mut s = String::new();
    for (i, x) in b.into_iter().enumerate() {
        if let 4 | 6 | 8 | 10 = i {
            s.push('-');
        }
        for n in [x >> 4, x & 15] {
            s.push(char::from(b"0123456789abcdef"[usize::from(n)]));
        }
    }
    s
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// Seven questions, a `show_if` branch and every kind.
    pub fn long_form() -> Form {
        serde_json::from_value(json!({
            "id": "t", "title": {"en": "Test", "pl": "Test PL"}, "default_lang": "en",
            "languages": ["en", "pl", "ar"],
            "privacy_notice": "p", "not_for_reporting": "n",
            "places": [{"id": "bank", "name": "Bank"}, {"id": "moorgate", "name": "Moorgate"}],
            "questions": [
                {"id": "who", "kind": "single_choice", "text": "Who", "required": true,
                 "options": [{"id": "resident", "text": "Resident"}, {"id": "worker", "text": "Worker"}]},
                {"id": "ward", "kind": "text", "text": "Which street", "max_length": 10,
                 "show_if": {"question": "who", "any_of": ["resident"]}, "required": true},
                {"id": "safe", "kind": "scale", "text": "Safe", "min": 1, "max": 5, "required": true,
                 "labels": [{"value": 1, "text": "Very safe"}]},
                {"id": "prio", "kind": "multiple_choice", "text": "Priorities", "max_choices": 2,
                 "options": [{"id": "asb", "text": "ASB"}, {"id": "theft", "text": "Theft"},
                             {"id": "fraud", "text": "Fraud"}, {"id": "none", "text": "None", "exclusive": true}]},
                {"id": "where", "kind": "location", "text": "Where"},
                {"id": "why", "kind": "text", "text": "Why", "max_length": 500, "multiline": true},
                {"id": "ok", "kind": "consent", "text": "I agree", "required": true}
            ]
        }))
        .unwrap()
    }

    /// Guards the widget's safeguarding: on sending (or trying to, with a
    /// question missed) free text that matches the form's phrases puts
    /// the numbers up at once, before any answer from the collector, and
    /// they stay; other text does not.
    #[test]
    fn sending_text_that_reads_as_danger_shows_the_numbers_at_once() {
        let street: Form =
            serde_json::from_str(include_str!("../../examples/forms/street-feedback.json"))
                .unwrap();
        let mut f = flow(street.clone());
        f.update(Msg::Set("comment".into(), json!("Dark by the station")));
        f.update(Msg::Set("feel_safe_now".into(), json!(2)));
        f.update(Msg::Sending);
        assert!(!f.help);

        let mut f = flow(street.clone());
        f.update(Msg::Set(
            "comment".into(),
            json!("He said he's going to KILL me."),
        ));
        assert!(!f.help, "not while typing");
        f.update(Msg::Set("feel_safe_now".into(), json!(2)));
        f.update(Msg::Sending);
        assert!(f.help, "at once, before the collector answers");
        f.update(Msg::Sent);
        assert!(f.help, "and above the thank-you");

        // The scale missed: the person is told, and sees the numbers.
        let mut f = flow(street);
        f.update(Msg::Set("comment".into(), json!("nie chcę już żyć")));
        let errors = f.check(None);
        assert_eq!(errors.len(), 1);
        f.update(Msg::Invalid(errors));
        assert!(f.help);
        f.update(Msg::Set("comment".into(), json!("ok")));
        f.update(Msg::Set("feel_safe_now".into(), json!(3)));
        f.update(Msg::Sending);
        assert!(f.help, "once shown, it stays");

        let mut plain = flow(long_form());
        plain.update(Msg::Set("why".into(), json!("I want to kill myself")));
        plain.update(Msg::Sending);
        assert!(
            !plain.help,
            "a form without safeguarding phrases shows nothing"
        );
    }

    fn flow(form: Form) -> Flow {
        Flow::new(
            Rc::new(form),
            "en-GB",
            Context {
                location: Some("bank".into()),
                channel: "embed".into(),
                invitation: None,
            },
            "0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f".into(),
        )
    }

    #[test]
    fn long_forms_go_step_by_step_and_skip_hidden_questions() {
        let mut f = flow(long_form());
        assert_eq!(f.at, At::Question(0));
        assert_eq!(f.progress(), Some((1, 6)));
        f.update(Msg::Next);
        assert_eq!(f.errors.len(), 1, "required answer missing");
        assert_eq!(f.errors[0].message, "Select an answer");
        f.update(Msg::Set("who".into(), json!("worker")));
        assert!(f.errors.is_empty(), "answering clears the error");
        f.update(Msg::Next);
        assert_eq!(
            f.at,
            At::Question(2),
            "the resident-only question is skipped"
        );
        f.update(Msg::Back);
        f.update(Msg::Set("who".into(), json!("resident")));
        f.update(Msg::Next);
        assert_eq!(f.at, At::Question(1));
        assert_eq!(f.progress(), Some((2, 7)));
    }

    /// Guards the hosted page's takeover: what the HTML form holds (as
    /// the loader reads it with `FormData`) becomes the widget's answers,
    /// typed as the collector types a posted form.
    #[test]
    fn a_whole_page_adopts_what_the_html_form_holds() {
        let mut f = flow(long_form()).whole_page();
        assert_eq!(f.at, At::Page);
        assert_eq!(f.on_page(), (0..7).collect::<Vec<_>>(), "every question");
        let posted = json!({
            "who": ["worker"], "ward": ["Cheapside"], "safe": ["4"],
            "prio": ["asb", "fraud"], "where": ["moorgate"], "why": ["half-typ"],
            "ok": ["true"], "unknown": ["x"], "other": "not a list"
        });
        f.update(Msg::Adopt(raw_from_posted(&f.form, &posted)));
        assert_eq!(f.answers["safe"], json!(4));
        assert_eq!(f.answers["prio"], json!(["asb", "fraud"]));
        assert_eq!(f.answers["why"], json!("half-typ"));
        assert_eq!(f.answers["ok"], json!(true));
        assert_eq!(f.answers["where"], json!("moorgate"));
        assert!(!f.answers.contains_key("unknown"));
        let sub = f.submission();
        assert!(
            !sub.answers.contains_key("ward"),
            "shown on the page, but not asked of a worker: not sent"
        );
        assert_eq!(sub.submission_id, "0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f");
        // Nothing chosen yet, or a cleared text box: no answer.
        let empty = raw_from_posted(&f.form, &json!({"why": [""], "safe": ["x"]}));
        assert!(empty.is_empty());
    }

    #[test]
    fn hidden_answers_are_kept_but_not_sent() {
        let mut f = flow(long_form());
        f.update(Msg::Set("who".into(), json!("resident")));
        f.update(Msg::Set("ward".into(), json!("Cheapside")));
        f.update(Msg::Set("who".into(), json!("worker")));
        let sub = f.submission();
        assert!(!sub.answers.contains_key("ward"));
        assert_eq!(f.answers["ward"], json!("Cheapside"));
        assert_eq!(sub.location.as_deref(), Some("bank"));
        assert_eq!(sub.channel.as_deref(), Some("embed"));
        assert_eq!(sub.lang.as_deref(), Some("en"));
    }

    #[test]
    fn the_place_from_the_page_answers_the_location_question() {
        let f = flow(long_form());
        assert_eq!(f.answers["where"], json!("bank"));
        assert_eq!(f.display(f.form.question("where").unwrap()), "Bank");
    }

    #[test]
    fn walks_to_review_and_validates_with_the_shared_rules() {
        let mut f = flow(long_form());
        for (q, v) in [
            ("who", json!("worker")),
            ("safe", json!(2)),
            ("ok", json!(true)),
        ] {
            f.update(Msg::Set(q.into(), v));
        }
        for _ in 0..6 {
            f.update(Msg::Next);
        }
        assert_eq!(f.at, At::Review);
        assert!(f.check(None).is_empty());
        assert!(survey::validate(&f.form, &f.submission()).is_ok());
        f.update(Msg::Change("safe".into()));
        assert_eq!(f.at, At::Question(2));
        f.update(Msg::Next);
        assert_eq!(
            f.at,
            At::Review,
            "after a change the person returns to the review"
        );
        f.update(Msg::Change("who".into()));
        f.update(Msg::Set("who".into(), json!("resident")));
        f.update(Msg::Next);
        assert_eq!(
            f.at,
            At::Question(1),
            "a question the change revealed is asked"
        );
        f.update(Msg::Set("ward".into(), json!("Poultry")));
        f.update(Msg::Next);
        assert_eq!(f.at, At::Review);
    }

    #[test]
    fn exclusive_options_stand_alone_and_order_is_the_forms() {
        let mut f = flow(long_form());
        f.update(Msg::Toggle("prio".into(), "theft".into()));
        f.update(Msg::Toggle("prio".into(), "asb".into()));
        assert_eq!(f.answers["prio"], json!(["asb", "theft"]));
        f.update(Msg::Toggle("prio".into(), "none".into()));
        assert_eq!(f.answers["prio"], json!(["none"]));
        f.update(Msg::Toggle("prio".into(), "fraud".into()));
        assert_eq!(f.answers["prio"], json!(["fraud"]));
        f.update(Msg::Toggle("prio".into(), "fraud".into()));
        assert_eq!(f.answers["prio"], json!([]));
        assert!(
            !f.submission().answers.contains_key("prio"),
            "an empty list is no answer"
        );
    }

    #[test]
    fn messages_follow_the_language() {
        let mut f = flow(long_form());
        f.update(Msg::SetLang("pl".into()));
        assert_eq!(f.lang, "pl");
        f.update(Msg::Set("who".into(), json!("resident")));
        f.update(Msg::Set("ward".into(), json!("far too long a street name")));
        let errs = f.check(Some(&[1]));
        assert_eq!(errs[0].message, "Odpowiedź może mieć najwyżej 10 znaków");
        f.update(Msg::SetLang("fr".into()));
        assert_eq!(
            f.lang, "en",
            "a language the form lacks falls back to its default"
        );
    }

    #[test]
    fn a_malformed_place_is_dropped_and_a_well_formed_one_kept() {
        let f = Flow::new(
            Rc::new(long_form()),
            "en",
            Context {
                location: Some("Narnia Gate".into()),
                channel: "embed".into(),
                invitation: None,
            },
            "0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f".into(),
        );
        assert_eq!(f.submission().location, None);
        let f = Flow::new(
            Rc::new(long_form()),
            "en",
            Context {
                location: Some("narnia".into()),
                channel: "embed".into(),
                invitation: None,
            },
            "0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f".into(),
        );
        // The collector keeps it (as unknown, if no register has it).
        assert_eq!(f.submission().location.as_deref(), Some("narnia"));
        assert!(!f.answers.contains_key("where"));
    }

    #[test]
    fn short_forms_are_one_page() {
        let mut form = long_form();
        form.questions.truncate(3);
        let f = flow(form);
        assert_eq!(f.at, At::Page);
        assert!(!f.stepped());
        assert_eq!(f.check(None).len(), 2);
    }

    #[test]
    fn server_problems_are_worded_locally() {
        let f = flow(long_form());
        let p: Vec<WireProblem> = [
            json!({"field": "safe", "code": "out_of_range", "message": "x"}),
            json!({"field": "submission_id", "code": "invalid"}),
        ]
        .iter()
        .map(|v| WireProblem::from_value(v).unwrap())
        .collect();
        assert_eq!(p[1].message, "");
        assert_eq!(WireProblem::from_value(&json!({"field": "safe"})), None);
        assert_eq!(
            f.server_errors(&p),
            vec![FieldError {
                field: "safe".into(),
                message: "Select a number from 1 to 5".into()
            }]
        );
    }

    /// Guards the answers the collector refused after they were kept
    /// offline: the current form's problems with them are shown, a
    /// stepped form opens at the first question at fault and returns to
    /// the review, answers to questions the form no longer has are left
    /// out, and on the hosted page its own answers go over them.
    #[test]
    fn refused_answers_come_back_with_the_forms_problems() {
        let sent = json!({"submission_id": "11111111-2222-4333-8444-555555555555",
            "answers": {"who": "worker", "safe": 2, "gone": "x", "ok": true},
            "location": "moorgate", "channel": "qr", "lang": "en"});
        let mut f = flow(long_form());
        assert!(f.restore(&sent));
        assert_eq!(f.submission_id, "11111111-2222-4333-8444-555555555555");
        assert!(f.returned);
        assert_eq!(f.answers["who"], json!("worker"));
        assert!(!f.answers.contains_key("gone"));
        assert_eq!(f.context.location.as_deref(), Some("moorgate"));
        assert_eq!(f.context.channel, "qr");
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(f.at, At::Review);
        assert_eq!((f.moves, f.error_round), (0, 0), "no focus taken");

        // The form now asks for consent again: the person is taken there.
        let mut no_consent = sent.clone();
        no_consent["answers"].as_object_mut().unwrap().remove("ok");
        let mut f = flow(long_form());
        assert!(f.restore(&no_consent));
        assert_eq!(f.submission_id, "11111111-2222-4333-8444-555555555555");
        assert_eq!(f.funnel().get("last_question"), None, "counted before");
        assert_eq!(f.errors.len(), 1);
        assert_eq!(f.errors[0].field, "ok");
        assert_eq!(f.at, At::Question(6));
        assert!(f.back_to_review);
        f.update(Msg::Set("ok".into(), json!(true)));
        f.update(Msg::Next);
        assert_eq!(f.at, At::Review);
        assert!(f.check(None).is_empty());

        let mut page = flow(long_form()).whole_page();
        assert!(page.restore(&sent));
        assert_eq!(page.at, At::Page);
        page.update(Msg::Adopt(raw_from_posted(
            &long_form(),
            &json!({"safe": ["4"]}),
        )));
        assert_eq!(page.answers["safe"], json!(4), "what the person did here");
        assert_eq!(page.answers["who"], json!("worker"), "put back");
        let mut page = flow(long_form()).whole_page();
        assert!(page.restore(&no_consent));
        page.update(Msg::Adopt(raw_from_posted(&long_form(), &json!({}))));
        assert_eq!(page.errors.len(), 1, "the problem stays marked");

        assert!(!flow(long_form()).restore(&json!({"answers": {}})));

        // In the language they were given in.
        let mut polish = sent.clone();
        polish["lang"] = json!("pl");
        let mut f = flow(long_form());
        f.restore(&polish);
        assert_eq!(f.lang, "pl");

        // A victim's link: the one the page was opened with wins.
        let mut invited = sent.clone();
        invited["invitation"] = json!("sent-with");
        let mut f = flow(long_form());
        f.restore(&invited);
        assert_eq!(f.submission().invitation.as_deref(), Some("sent-with"));
        let mut f = flow(long_form());
        f.context.invitation = Some("opened-with".into());
        f.restore(&invited);
        assert_eq!(f.submission().invitation.as_deref(), Some("opened-with"));
    }

    #[test]
    fn uuids_are_version_4() {
        let u = uuid_v4([0xff; 16]);
        assert_eq!(u, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        let u = uuid_v4([0; 16]);
        assert_eq!(u, "00000000-0000-4000-8000-000000000000");
    }

    /// Guards the funnel's state: nothing answered until the person
    /// answers (the page's place does not count); the furthest question
    /// is in form order, not the last touched; `done` once the answers
    /// are on their way; nothing in it says who.
    #[test]
    fn the_funnel_names_the_furthest_question_and_nothing_personal() {
        let mut f = flow(long_form());
        let funnel = |f: &Flow| f.funnel();
        assert_eq!(f.answers["where"], json!("bank"), "the page's place");
        assert_eq!(
            funnel(&f),
            json!({"form": "t", "version": 1, "channel": "embed", "lang": "en",
                   "location": "bank"}),
            "is not the person's answer"
        );
        f.update(Msg::Set("safe".into(), json!(2)));
        f.update(Msg::Toggle("prio".into(), "asb".into()));
        f.update(Msg::Set("who".into(), json!("worker")));
        assert_eq!(funnel(&f)["last_question"], "prio");
        assert_eq!(funnel(&f).get("done"), None);
        f.update(Msg::Sending);
        assert_eq!(funnel(&f)["done"], true, "on its way");
        f.update(Msg::Failed);
        assert_eq!(funnel(&f).get("done"), None, "not sent after all");
        f.update(Msg::Sent);
        assert_eq!(funnel(&f)["done"], true);
        assert!(!f.funnel().to_string().contains(&f.submission_id));

        let mut adopted = flow(long_form()).whole_page();
        adopted.update(Msg::Adopt(raw_from_posted(
            &adopted.form,
            &json!({"where": ["bank"], "why": [""]}),
        )));
        assert_eq!(funnel(&adopted).get("last_question"), None);
        adopted.update(Msg::Adopt(raw_from_posted(
            &adopted.form,
            &json!({"where": ["bank"], "safe": ["3"]}),
        )));
        assert_eq!(funnel(&adopted)["last_question"], "safe");
    }
}

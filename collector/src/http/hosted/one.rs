//! "One question a scan": a form with a `one_question` set shows each
//! scan one question of it, answered with one tap. Each answer is a
//! submit button, so the tap sends it, with JavaScript or without; the
//! page is a few kilobytes of HTML and loads no widget, which on a phone
//! on mobile data is the fastest thing there is. The many scans build the
//! whole picture (planned missingness): each question's results have
//! their own base.
//!
//! The question is drawn without a cookie or anything that follows the
//! person: in turn from a counter per form kept in memory (`rotate`), or
//! at random (`random`). `?q=<question id>` asks a given one of the set
//! (a link that wants it), and the page's language links keep it.

use super::post::Fields;
use super::render::{esc, hidden_fields, lang_nav, page_shell};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use survey::{Draw, Form, Kind, Question};
use ui::i18n;

/// The rotation's place per form: the next question to ask.
#[derive(Debug, Default)]
pub(in crate::http) struct Rotation(Mutex<HashMap<String, usize>>);

impl Rotation {
    /// The question this page asks: `asked` if it is one of the set, else
    /// the next in turn or a random one, as the form says.
    pub(super) fn draw<'a>(&self, form: &'a Form, asked: Option<&str>) -> Option<&'a Question> {
        let set = form.one_question.as_ref()?;
        if let Some(q) = asked.filter(|q| set.has(q)) {
            return form.question(q);
        }
        let n = set.questions.len();
        if n == 0 {
            return None;
        }
        let i = match set.draw {
            Draw::Rotate => {
                let mut next = self
                    .0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let at = next.entry(form.id.clone()).or_insert(0);
                let i = *at % n;
                *at = (i + 1) % n;
                i
            }
            Draw::Random => {
                let mut b = [0u8; 8];
                // Without the OS's random numbers, the first of the set.
                getrandom::fill(&mut b).map_or(0, |()| (u64::from_le_bytes(b) % n as u64) as usize)
            }
        };
        form.question(&set.questions[i])
    }
}

/// The page of one question: its text as the page's heading, and a
/// button per answer. `error` says why the last post was not taken.
pub(super) fn render_one(
    form: &Form,
    q: &Question,
    f: &Fields,
    bot_checks: bool,
    error: Option<&str>,
) -> String {
    let lang = f.lang.as_str();
    let s = i18n::strings(lang);
    let t = |x: &survey::Text| esc(x.get(lang, &form.default_lang));
    let mut h = String::with_capacity(4 * 1024);
    lang_nav(&mut h, form, f, &[("q", q.id.as_str())]);
    if let Some(e) = error {
        let _ = write!(
            h,
            r#"<div class="es" tabindex="-1" id="error-summary" autofocus><div role="alert"><h2>{}</h2><p>{}</p></div></div>"#,
            esc(s.there_is_a_problem),
            esc(e)
        );
    }
    let _ = write!(
        h,
        r#"<form method="post" action="/f/{}" class="one" novalidate>"#,
        esc(&form.id)
    );
    hidden_fields(&mut h, f, lang, bot_checks);
    let hint = q.hint.as_ref().map(&t);
    let hint_id = format!("f-{}-hint", q.id);
    let described = hint.as_ref().map_or(String::new(), |_| {
        format!(r#" aria-describedby="{hint_id}""#)
    });
    let _ = write!(
        h,
        r#"<fieldset{described}><legend><h1 class="q1">{}</h1></legend>"#,
        t(&q.text)
    );
    if let Some(hint) = hint {
        let _ = write!(h, r#"<div id="{hint_id}" class="hint">{hint}</div>"#);
    }
    h.push_str(r#"<div class="taps">"#);
    for (value, label) in answers(q, &t) {
        let _ = write!(
            h,
            r#"<button type="submit" class="btn" name="q.{}" value="{}">{label}</button>"#,
            esc(&q.id),
            esc(&value)
        );
    }
    h.push_str("</div></fieldset></form>");
    let _ = write!(h, r#"<p class="inset">{}</p>"#, t(&form.not_for_reporting));
    let _ = write!(
        h,
        "<details><summary>{}</summary><p>{}</p></details>",
        esc(s.privacy),
        t(&form.privacy_notice)
    );
    let title = format!("{} – {}", t(&q.text), t(&form.title));
    page_shell(form, lang, &title, &h, None)
}

/// A one-tap question's answers: value and label, in the form's order.
fn answers(q: &Question, t: &impl Fn(&survey::Text) -> String) -> Vec<(String, String)> {
    match &q.kind {
        Kind::SingleChoice { options } => {
            options.iter().map(|o| (o.id.clone(), t(&o.text))).collect()
        }
        Kind::Scale {
            min, max, labels, ..
        } => (*min..=*max)
            .map(|n| {
                let label = labels
                    .iter()
                    .find(|l| l.value == n)
                    .map_or_else(|| n.to_string(), |l| t(&l.text));
                (n.to_string(), label)
            })
            .collect(),
        // The form's checks allow nothing else in the set.
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(draw: &str) -> Form {
        Form::from_value(&serde_json::json!({
            "id": "f", "title": "T", "default_lang": "en", "languages": ["en"],
            "privacy_notice": "P", "not_for_reporting": "N",
            "one_question": {"questions": ["a", "b", "c"], "draw": draw},
            "questions": [
                {"id": "a", "kind": "scale", "text": "A", "min": 1, "max": 5, "required": true,
                 "labels": [{"value": 1, "text": "Bad"}, {"value": 5, "text": "Good"}]},
                {"id": "b", "kind": "single_choice", "text": "B", "required": false,
                 "options": [{"id": "yes", "text": "Yes"}, {"id": "no", "text": "No"}]},
                {"id": "c", "kind": "single_choice", "text": "C", "required": false,
                 "options": [{"id": "yes", "text": "Yes"}, {"id": "no", "text": "No"}]}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn a_rotation_takes_each_question_in_turn_and_a_named_one_on_request() {
        let form = form("rotate");
        let r = Rotation::default();
        let ids: Vec<&str> = (0..7)
            .map(|_| r.draw(&form, None).unwrap().id.as_str())
            .collect();
        assert_eq!(ids, ["a", "b", "c", "a", "b", "c", "a"]);
        assert_eq!(r.draw(&form, Some("c")).unwrap().id, "c");
        // Not one of the set: the rotation goes on.
        assert_eq!(r.draw(&form, Some("zzz")).unwrap().id, "b");
    }

    #[test]
    fn a_random_draw_reaches_every_question() {
        let form = form("random");
        let r = Rotation::default();
        let mut seen = std::collections::BTreeMap::new();
        for _ in 0..300 {
            *seen
                .entry(r.draw(&form, None).unwrap().id.clone())
                .or_insert(0) += 1;
        }
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert!(seen.values().all(|&n| n > 50), "{seen:?}");
    }

    #[test]
    fn each_answer_is_a_button_that_sends_it() {
        let form = form("rotate");
        let f = Fields {
            submission_id: "s".into(),
            location: Some("bank".into()),
            channel: "qr".into(),
            lang: "en".into(),
            token: String::new(),
            invitation: None,
            answers: Default::default(),
        };
        let page = render_one(&form, form.question("a").unwrap(), &f, false, None);
        for (v, label) in [("1", "Bad"), ("2", "2"), ("5", "Good")] {
            assert!(
                page.contains(&format!(
                    r#"<button type="submit" class="btn" name="q.a" value="{v}">{label}</button>"#
                )),
                "{v}"
            );
        }
        assert!(page.contains(r#"<legend><h1 class="q1">A</h1></legend>"#));
        assert!(page.contains(r#"name="loc" value="bank""#));
        assert!(!page.contains("widget.js"), "no widget on a one-tap page");
    }
}

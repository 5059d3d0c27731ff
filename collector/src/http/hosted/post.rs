//! Reading the hosted page's plain form post: the pairs the browser sends
//! (`q.<question>` for answers, several for checkboxes) become [`Fields`],
//! and those a [`survey::Submission`] shaped as each question's kind needs,
//! as the JSON API would receive it.

use serde_json::Value;
use std::collections::BTreeMap;
use survey::{Answer, Form, Kind};

/// The hosted page's honeypot field: hidden from people, filled by bots.
pub(super) const HONEYPOT: &str = "leave_blank";

/// What the person sent (or what the page starts with).
#[derive(Debug, Clone)]
pub(super) struct Fields {
    pub submission_id: String,
    pub location: Option<String>,
    pub channel: String,
    pub lang: String,
    /// The render token (see [`RenderKey::sign`]).
    pub token: String,
    /// The invitation's key (`i`), when the page was opened from one.
    pub invitation: Option<String>,
    /// Question id → the raw values posted (several for checkboxes).
    pub answers: BTreeMap<String, Vec<String>>,
}

/// Drops answers to questions that the earlier answers hide (without
/// JavaScript every question is on the page), then shapes each answer as
/// its kind needs.
pub(super) fn to_submission(form: &Form, f: &Fields) -> survey::Submission {
    let mut typed: BTreeMap<String, Answer> = BTreeMap::new();
    let mut answers = BTreeMap::new();
    for q in &form.questions {
        if !form.is_shown(q, &typed) {
            continue;
        }
        let values: Vec<&String> = f
            .answers
            .get(&q.id)
            .map(|v| v.iter().filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let Some(first) = values.first() else {
            continue;
        };
        let value = match &q.kind {
            Kind::MultipleChoice { .. } => {
                Value::from(values.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            }
            Kind::Scale { .. } => match first.parse::<i64>() {
                Ok(n) => n.into(),
                Err(_) => Value::String(first.to_string()),
            },
            Kind::Consent {} => Value::Bool(first.as_str() == "true"),
            _ => Value::String(first.to_string()),
        };
        if let Ok(a) = serde_json::from_value::<Answer>(value.clone()) {
            typed.insert(q.id.clone(), a);
        }
        answers.insert(q.id.clone(), value);
    }
    survey::Submission {
        submission_id: f.submission_id.clone(),
        answers,
        location: f.location.clone(),
        channel: Some(f.channel.clone()),
        lang: Some(f.lang.clone()),
        invitation: f.invitation.clone(),
    }
}

impl Fields {
    /// What a plain form post holds, and whether its honeypot was filled.
    /// A place or channel the shared rules would refuse is kept in a safe
    /// shape (see [`crate::service::tags`]) rather than shown to the
    /// person as an error they cannot fix.
    pub(super) fn from_post(
        form: &Form,
        register: &crate::model::Register,
        pairs: Vec<(String, String)>,
    ) -> (Fields, bool) {
        let mut fields = Fields {
            submission_id: String::new(),
            location: None,
            channel: "link".into(),
            lang: form.default_lang.clone(),
            token: String::new(),
            invitation: None,
            answers: BTreeMap::new(),
        };
        let mut honeypot = false;
        for (k, v) in pairs {
            match k.as_str() {
                "submission_id" => fields.submission_id = v,
                "loc" => fields.location = crate::service::tags::place(register, form, Some(v)),
                "ch" => fields.channel = crate::service::tags::channel(&v),
                "i" if !v.is_empty() => fields.invitation = Some(v),
                "lang" => fields.lang = form.pick_lang(&v).to_owned(),
                "token" => fields.token = v,
                // `website` was its name on pages rendered before: a name
                // autofill and password managers fill in for people.
                HONEYPOT | "website" => honeypot |= !v.is_empty(),
                _ => {
                    if let Some(id) = k.strip_prefix("q.") {
                        fields.answers.entry(id.to_owned()).or_default().push(v);
                    }
                }
            }
        }
        (fields, honeypot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::tests::form;

    #[test]
    fn hidden_answers_are_dropped_and_kinds_shaped() {
        let form = form();
        let mut answers = BTreeMap::new();
        answers.insert("respondent_type".to_string(), vec!["resident".to_string()]);
        answers.insert("feel_safe_day".to_string(), vec!["2".to_string()]);
        answers.insert("victim_12m".to_string(), vec!["no".to_string()]);
        // Only asked after "yes": without JavaScript it was on the page anyway.
        answers.insert("victim_reported".to_string(), vec!["no".to_string()]);
        answers.insert(
            "priorities".to_string(),
            vec!["drugs".to_string(), "fraud-cyber".to_string()],
        );
        let f = Fields {
            submission_id: uuid::Uuid::from_u128(0x0b5c3f0e_7a53_4c1e_9d1f_2a4b6c8d0e1f)
                .to_string(),
            location: None,
            channel: "qr".into(),
            lang: "en".into(),
            token: String::new(),
            invitation: None,
            answers,
        };
        let sub = to_submission(&form, &f);
        assert!(!sub.answers.contains_key("victim_reported"));
        assert_eq!(sub.answers["feel_safe_day"], serde_json::json!(2));
        assert_eq!(
            sub.answers["priorities"],
            serde_json::json!(["drugs", "fraud-cyber"])
        );
    }
}

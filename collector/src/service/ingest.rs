//! Recording a validated submission: derive what analysis needs (sentiment
//! and themes of free text, alerts, the index record), then store it
//! durably and add it to the answer index. Free text that matches the
//! form's safeguarding phrases raises a `safeguarding:<category>` alert in
//! the same atomic write (see [`crate::model::SAFEGUARDING_RULE_PREFIX`]).
//!
//! Both the JSON API and the hosted no-JavaScript form come through here,
//! so a response is stored the same way whichever way it arrived.

use super::funnel::Tally;
use crate::error::Result;
use crate::index::Indexes;
use crate::metrics::Metrics;
use crate::model::{safeguarding_rule, NewResponse};
use crate::store::{Published, Store, Submitted};
use survey::{AlertCondition, Answer, Form, Valid};

/// How a submission came: from a script that reports its own start to the
/// funnel (the widget, any API client), or as a page's own form post,
/// where no script ran and the answer itself is the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The JSON API.
    Api,
    /// The hosted page's plain form post.
    PagePost,
}

/// How a submission arrived: by which way, and the bot check it failed,
/// if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    /// From a script or as a page's own post.
    pub via: Via,
    /// The bot check it failed (see [`record`]).
    pub flag: Option<String>,
}

/// Stores `valid` as a response to the `published` form; resolves once it
/// is durable.
///
/// A response stored for the first time, and not flagged, is the funnel's
/// completion: counted in `tally` here, so completions are exactly the
/// responses kept and no browser can send one in.
///
/// `flag` names the bot check it failed, if any: such a response is kept
/// aside (durable, counted once, in no aggregate and raising no alert)
/// rather than dropped, so a person mistaken for a bot is never thanked
/// for an answer that was not kept.
pub async fn record(
    store: &dyn Store,
    indexes: &Indexes,
    metrics: &Metrics,
    tally: &Tally,
    published: &Published,
    valid: Valid,
    arrival: Arrival,
) -> Result<Submitted> {
    let form = &published.form;
    let Arrival { via, flag } = arrival;
    let submission_id = valid.submission_id.clone();
    // A model adopted between coding and storing may have coded this
    // answer differently: then it is coded again (service::learning).
    let generation = indexes.learned().generation();
    let mut response = new_response(indexes, form, valid, flag);
    if let Some(key) = response.invitation.take() {
        let inv = super::invitations::for_response(store, &form.id, &key)?;
        response.attributes = inv.attributes;
        response.invitation = Some(inv.id);
    }
    let mut alerts: Vec<String> = form
        .alerts
        .iter()
        .filter(
            |rule| match (&rule.when, response.answers.get(&rule.question)) {
                (AlertCondition::AnyOf(atoms), Some(answer)) => {
                    atoms.iter().any(|a| answer.matches(a))
                }
                (AlertCondition::SentimentBelow(x), Some(_)) => response
                    .coding
                    .get(&rule.question)
                    .is_some_and(|c| c.compound < *x),
                (AlertCondition::SentimentIs(label), Some(_)) => response
                    .coding
                    .get(&rule.question)
                    .is_some_and(|c| c.label.as_str() == label.as_str()),
                _ => false,
            },
        )
        .map(|rule| rule.id.clone())
        .collect();
    // Safeguarding raises its own alerts, one per category matched,
    // whatever rules the form has.
    let text = |id: &str| match response.answers.get(id) {
        Some(Answer::Text(text)) => Some(text.as_str()),
        _ => None,
    };
    let matched = match &published.safeguarding {
        Some(matcher) => matcher.matches(form, text),
        None => form.safeguarding_matches(text),
    };
    alerts.extend(matched.categories().map(safeguarding_rule));
    // A flagged response is kept out of the index: it has no record.
    let record = match response.flag {
        None => indexes.record(form, &response),
        Some(_) => Vec::new(),
    };
    let handed = std::time::Instant::now();
    let submitted = store
        .submit(&response, record, &submission_id, alerts)
        .await?;
    metrics.durable(handed.elapsed().as_secs_f64());
    if submitted.created && indexes.learned().generation() != generation {
        // Stored already: a note that cannot be kept leaves the pass to
        // the worker's memory, and the answer is still acknowledged.
        if let Err(e) = super::learning::owe(store, indexes, &form.id, submitted.id) {
            tracing::error!(form = %form.id, error = %e, "an answer coded across an adoption could not be noted in the store");
        }
    }
    metrics.submitted(match (submitted.created, &response.flag) {
        (false, _) => "duplicate",
        (true, Some(_)) => "flagged",
        (true, None) => "created",
    });
    if submitted.created && response.flag.is_none() {
        let completion = super::funnel::completion(form, &response, submitted.id.ms);
        indexes.append(&response.stored(submitted.id));
        if via == Via::PagePost {
            tally.add(super::funnel::implied_start(&completion), metrics);
        }
        tally.add(completion, metrics);
    }
    Ok(submitted)
}

/// A validated submission to `form` as the store takes it, its free text
/// coded by `indexes`, flagged if a bot check doubted it.
pub fn new_response(
    indexes: &Indexes,
    form: &Form,
    mut valid: Valid,
    flag: Option<String>,
) -> NewResponse {
    // Personal answers go apart before anything reads them: they are not
    // coded, indexed, exported or put in an alert.
    let personal = form
        .questions
        .iter()
        .filter(|q| q.personal)
        .filter_map(|q| valid.answers.remove_entry(&q.id))
        .collect();
    let coding = indexes.code_text(form, &valid.answers);
    NewResponse {
        form: form.id.clone(),
        version: form.version,
        location: valid.location,
        channel: valid.channel,
        lang: valid.lang,
        answers: valid.answers,
        coding,
        flag,
        attributes: std::collections::BTreeMap::new(),
        personal,
        invitation: valid.invitation,
    }
}

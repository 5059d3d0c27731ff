//! What operators watch, served as Prometheus text at `/metrics`: requests
//! by route and status and how long they took, submissions by outcome,
//! rejections by reason, how long a submission waits to be durable, and
//! how many rows each answer index holds. Counts only: no answer, token or
//! client address is ever a label.
//!
//! ```text
//! http middleware ─► request(route, method, status, seconds), rejected(reason)
//! service::ingest ─► submitted(outcome), durable(seconds)
//! webhook worker  ─► delivery(outcome)
//! funnel tally    ─► funnel_event(step), funnel_dropped(n)
//! GET /metrics    ─► encode(index sizes) ─► text/plain; version=0.0.4
//! ```

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabels {
    step: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FormLabels {
    form: String,
}

fn seconds_buckets() -> Histogram {
    // 0.1 ms to about 3 s: a group commit is a fraction of a millisecond
    // to a few; a slow export or a stalled disk is seconds.
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

/// The collector's metrics, registered once at start.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Family<RouteLabels, Histogram, fn() -> Histogram>,
    submissions: Family<OutcomeLabels, Counter>,
    rejections: Family<ReasonLabels, Counter>,
    durable_seconds: Histogram,
    index_rows: Family<FormLabels, Gauge>,
    commit_groups: Gauge,
    commit_submissions: Gauge,
    deliveries: Family<OutcomeLabels, Counter>,
    funnel_events: Family<StepLabels, Counter>,
    funnel_dropped: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every metric, registered and at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("collector");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route template, method and status",
            requests.clone(),
        );
        let request_seconds =
            Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                seconds_buckets,
            );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route template",
            request_seconds.clone(),
        );
        let submissions = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "submissions",
            "Submissions stored (created), recognised as a retry (duplicate), or kept aside by a bot check (flagged)",
            submissions.clone(),
        );
        let rejections = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "submission_rejections",
            "Submissions refused, by reason",
            rejections.clone(),
        );
        let durable_seconds = seconds_buckets();
        registry.register(
            "submission_durable_seconds",
            "Time from handing a submission to the store until it is on disk (group commit)",
            durable_seconds.clone(),
        );
        let index_rows = Family::<FormLabels, Gauge>::default();
        registry.register(
            "index_rows",
            "Responses in each form's answer index",
            index_rows.clone(),
        );
        let commit_groups = Gauge::default();
        registry.register(
            "store_commit_groups",
            "Groups the store's group commit has made durable since it opened, one sync each",
            commit_groups.clone(),
        );
        let commit_submissions = Gauge::default();
        registry.register(
            "store_commit_submissions",
            "Submissions answered from those groups: divided by the groups, how many each sync covers",
            commit_submissions.clone(),
        );
        let deliveries = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts by outcome: delivered, retried (failed, tried again later) or dead (refused for good, or out of attempts)",
            deliveries.clone(),
        );
        let funnel_events = Family::<StepLabels, Counter>::default();
        registry.register(
            "funnel_events",
            "Funnel events counted, by step: view, start, leave, complete",
            funnel_events.clone(),
        );
        let funnel_dropped = Counter::default();
        registry.register(
            "funnel_events_dropped",
            "Funnel events not counted: more distinct keys in one flush interval than the cap, or a store that failed",
            funnel_dropped.clone(),
        );
        Metrics {
            registry,
            requests,
            request_seconds,
            submissions,
            rejections,
            durable_seconds,
            index_rows,
            commit_groups,
            commit_submissions,
            deliveries,
            funnel_events,
            funnel_dropped,
        }
    }

    /// One request answered.
    pub fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status,
            })
            .inc();
        self.request_seconds
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// A submission stored: `created`, `duplicate` or `flagged`.
    pub fn submitted(&self, outcome: &'static str) {
        self.submissions
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// A submission refused, e.g. `invalid`, `malformed`, `rate_limited`.
    pub fn rejected(&self, reason: &'static str) {
        self.rejections
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    /// A webhook delivery attempt: `delivered`, `retried` or `dead`.
    pub fn delivery(&self, outcome: &'static str) {
        self.deliveries
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// A funnel event counted: `view`, `start`, `leave` or `complete`.
    pub fn funnel_event(&self, step: &'static str) {
        self.funnel_events.get_or_create(&StepLabels { step }).inc();
    }

    /// Funnel events not counted (over the cap on distinct keys).
    pub fn funnel_dropped(&self, n: u64) {
        if n > 0 {
            self.funnel_dropped.inc_by(n);
        }
    }

    /// How long a submission waited to be durable.
    pub fn durable(&self, seconds: f64) {
        self.durable_seconds.observe(seconds);
    }

    /// The text exposition, with each form's index size and the store's
    /// commit figures as they are now.
    pub fn encode(
        &self,
        index_rows: impl IntoIterator<Item = (String, usize)>,
        commits: Option<crate::store::CommitStats>,
    ) -> String {
        if let Some(c) = commits {
            self.commit_groups
                .set(i64::try_from(c.groups).unwrap_or(i64::MAX));
            self.commit_submissions
                .set(i64::try_from(c.submissions).unwrap_or(i64::MAX));
        }
        for (form, rows) in index_rows {
            self.index_rows
                .get_or_create(&FormLabels { form })
                .set(i64::try_from(rows).unwrap_or(i64::MAX));
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_happened_and_nothing_else() {
        let m = Metrics::new();
        m.request("/api/v1/forms/{form}/responses", "POST", 201, 0.002);
        m.request("/api/v1/forms/{form}/responses", "POST", 201, 0.003);
        m.submitted("created");
        m.rejected("invalid");
        m.durable(0.0004);
        m.delivery("retried");
        m.delivery("delivered");
        let commits = crate::store::CommitStats {
            groups: 3,
            submissions: 40,
        };
        let text = m.encode([("street-feedback".to_owned(), 7)], Some(commits));
        assert!(text.contains(
            r#"collector_http_requests_total{route="/api/v1/forms/{form}/responses",method="POST",status="201"} 2"#
        ), "{text}");
        assert!(text.contains(r#"collector_submissions_total{outcome="created"} 1"#));
        assert!(text.contains(r#"collector_submission_rejections_total{reason="invalid"} 1"#));
        assert!(text.contains("collector_submission_durable_seconds_count 1"));
        assert!(text.contains(r#"collector_webhook_deliveries_total{outcome="delivered"} 1"#));
        assert!(text.contains(r#"collector_index_rows{form="street-feedback"} 7"#));
        assert!(text.contains("collector_store_commit_groups 3"));
        assert!(text.contains("collector_store_commit_submissions 40"));
        assert!(text.ends_with("# EOF\n"));
    }
}

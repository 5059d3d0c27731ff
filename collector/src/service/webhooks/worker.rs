//! The delivery worker: a task beside the server that fans each alert in
//! the outbox out into one delivery record per matching hook, then posts
//! every due delivery to its receiver, signed, and records what came of
//! it. Everything it knows is in the store, so a restart picks up where
//! it stopped.
//!
//! ```text
//! Feed::poked / a timer ─► fan_out: pending_alerts ─► Doc::Delivery per hook (skipped if there) ─► take_alert
//!                       ─► due deliveries (at most MAX_IN_FLIGHT at once) ─► attempt ─► POST
//!                                 ◄── pending again with next_ms ◄── retry      delivered / dead ─► done
//! ```
//!
//! A delivery's key is the alert's and the hook's ids, so a crash between
//! the fan-out and `take_alert` finds the deliveries already made and
//! makes no second one. A crash during an attempt sends that attempt
//! again after the restart: receivers tell repeats by `webhook-id`.

use super::payload;
use super::retry::{self, Policy, Verdict};
use super::{guard, sign};
use crate::metrics::Metrics;
use crate::model::{now_ms, Alert, Attempt, Delivery, DeliveryState, Hook};
use crate::service::alerts::Feed;
use crate::store::{Doc, Store};
use std::collections::{BTreeSet, HashSet};
use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Deliveries posted at once, so one slow receiver does not hold up the
/// others.
const MAX_IN_FLIGHT: usize = 16;
/// How often the outbox is looked at without a poke (alerts stored by
/// something other than a submission, or a poke missed).
const POLL: Duration = Duration::from_secs(1);
/// How long to wait before trying again after the store failed.
const STORE_RETRY: Duration = Duration::from_secs(5);

/// How the worker delivers.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The retry schedule.
    pub policy: Policy,
    /// Longest an attempt may take, connecting included.
    pub timeout: Duration,
    /// Deliver to private addresses too (tests).
    pub allow_private: bool,
    /// What case links are built on (`https://feedback.example`).
    pub base_url: String,
}

struct Ctx {
    store: Weak<dyn Store>,
    metrics: Arc<Metrics>,
    client: reqwest::Client,
    settings: Settings,
}

/// The HTTP client deliveries are posted with: a timeout, no redirects
/// followed, no proxy from the environment, and [`guard::GuardedResolver`]
/// for names.
pub fn client(settings: &Settings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(guard::GuardedResolver {
            allow_private: settings.allow_private,
        }))
        .user_agent(concat!("collector-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Runs the worker until `stop` resolves. It holds the store weakly (as
/// the retention schedule does), so it never keeps it open; attempts in
/// flight when it stops are dropped unrecorded and made again after a
/// restart.
pub async fn run(
    store: Weak<dyn Store>,
    feed: Arc<Feed>,
    metrics: Arc<Metrics>,
    settings: Settings,
    stop: impl Future<Output = ()>,
) {
    let client = match client(&settings) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhook deliveries are off: no HTTP client");
            return;
        }
    };
    let ctx = Arc::new(Ctx {
        store,
        metrics,
        client,
        settings,
    });
    let mut stop = std::pin::pin!(stop);
    let mut due: BTreeSet<(u64, String)> = BTreeSet::new();
    let mut flying: HashSet<String> = HashSet::new();
    let mut in_flight: JoinSet<(String, Option<u64>)> = JoinSet::new();
    // What was pending when the server stopped; read again after any
    // error that may have left a pending delivery off the schedule (a
    // failed read, or a fan-out that made some deliveries and then failed:
    // their alerts are out of the outbox, so no later fan-out sees them).
    let mut reread = true;
    loop {
        if reread {
            match blocking(&ctx.store, pending).await {
                Some(Ok(list)) => {
                    reread = false;
                    let known: HashSet<&String> =
                        due.iter().map(|(_, k)| k).chain(flying.iter()).collect();
                    let missed: Vec<_> = list
                        .into_iter()
                        .filter(|(_, k)| !known.contains(k))
                        .collect();
                    due.extend(missed);
                }
                Some(Err(e)) => tracing::error!(error = %e, "could not read pending deliveries"),
                None => return,
            }
        }
        for key in feed.take_requeued() {
            due.insert((now_ms(), key));
        }
        match blocking(&ctx.store, |s| fan_out(s, now_ms())).await {
            Some(Ok(new)) => due.extend(new),
            Some(Err(e)) => {
                tracing::error!(error = %e, "could not fan alerts out to hooks");
                reread = true;
            }
            None => return,
        }
        let now = now_ms();
        while in_flight.len() < MAX_IN_FLIGHT {
            let Some(first) = due.first() else { break };
            if first.0 > now {
                break;
            }
            let Some((_, key)) = due.pop_first() else {
                break;
            };
            if flying.insert(key.clone()) {
                in_flight.spawn(attempt(ctx.clone(), key));
            } else {
                // Replayed while its last attempt is still being recorded:
                // look again once that is done.
                due.insert((now + 100, key));
            }
        }
        let next = match due.first() {
            Some((ms, _)) if in_flight.len() < MAX_IN_FLIGHT => {
                Duration::from_millis(ms.saturating_sub(now)).min(POLL)
            }
            _ => POLL,
        };
        tokio::select! {
            () = &mut stop => break,
            () = feed.poked() => {}
            () = tokio::time::sleep(next) => {}
            Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                if let Ok((key, again)) = done {
                    flying.remove(&key);
                    if let Some(at) = again {
                        due.insert((at, key));
                    }
                }
            }
        }
    }
    in_flight.shutdown().await;
}

/// Runs `f` on the store on tokio's blocking pool (store calls sync to
/// disk); `None` once the store is gone.
async fn blocking<T: Send + 'static>(
    store: &Weak<dyn Store>,
    f: impl FnOnce(&dyn Store) -> T + Send + 'static,
) -> Option<T> {
    let store = store.upgrade()?;
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .ok()
}

/// Every pending delivery, with when it is due.
fn pending(store: &dyn Store) -> Result<Vec<(u64, String)>, super::Error> {
    Ok(super::deliveries(
        store,
        &super::Filter {
            hook: None,
            state: Some(DeliveryState::Pending),
        },
        None,
        usize::MAX,
    )?
    .into_iter()
    .map(|(k, d)| (d.next_ms, k))
    .collect())
}

/// Makes the deliveries of every alert in the outbox, then takes it out;
/// returns the new pending deliveries with when they are due.
pub fn fan_out(store: &dyn Store, now: u64) -> Result<Vec<(u64, String)>, super::Error> {
    let mut out = Vec::new();
    let mut hooks: Option<Vec<Hook>> = None;
    loop {
        let alerts = store.pending_alerts(100)?;
        if alerts.is_empty() {
            return Ok(out);
        }
        let hooks = match &mut hooks {
            Some(h) => h,
            None => hooks.insert(super::list(store)?),
        };
        for alert in alerts {
            for hook in hooks.iter().filter(|h| h.takes(&alert)) {
                let key = Delivery::key(alert.seq, &hook.id);
                match super::delivery(store, &key)? {
                    // Made before a crash that came before take_alert.
                    Some(d) if d.state == DeliveryState::Pending => out.push((d.next_ms, key)),
                    Some(_) => {}
                    None => {
                        put(store, &key, &Delivery::new(&alert, &hook.id, now))?;
                        out.push((now, key));
                    }
                }
            }
            store.take_alert(alert.seq)?;
        }
    }
}

/// What an attempt needs from the store.
enum Loaded {
    /// Nothing to do (delivered, dead, or gone).
    Nothing,
    /// Its hook was deleted.
    HookGone(Delivery),
    /// Ready to post.
    Ready {
        delivery: Delivery,
        hook: Hook,
        alert: Box<Alert>,
        text: Option<serde_json::Map<String, serde_json::Value>>,
    },
}

fn load(store: &dyn Store, key: &str) -> Result<Loaded, super::Error> {
    let Some(delivery) = super::delivery(store, key)? else {
        return Ok(Loaded::Nothing);
    };
    if delivery.state != DeliveryState::Pending {
        return Ok(Loaded::Nothing);
    }
    let Some(hook) = super::hook(store, &delivery.hook)? else {
        return Ok(Loaded::HookGone(delivery));
    };
    let Some(alert) = store.alert(delivery.alert)? else {
        return Ok(Loaded::Nothing);
    };
    let text = if hook.include_text {
        Some(payload::free_text(store, &alert)?)
    } else {
        None
    };
    Ok(Loaded::Ready {
        delivery,
        hook,
        alert: Box::new(alert),
        text,
    })
}

/// One attempt at the delivery `key`; returns it with when it is due
/// again, if it is.
async fn attempt(ctx: Arc<Ctx>, key: String) -> (String, Option<u64>) {
    let k = key.clone();
    let loaded = match blocking(&ctx.store, move |s| load(s, &k)).await {
        Some(Ok(l)) => l,
        Some(Err(e)) => {
            tracing::error!(error = %e, delivery = %key, "could not read a delivery");
            let again = now_ms() + STORE_RETRY.as_millis() as u64;
            return (key, Some(again));
        }
        None => return (key, None),
    };
    let (mut delivery, outcome) = match loaded {
        Loaded::Nothing => return (key, None),
        Loaded::HookGone(d) => (
            d,
            Outcome {
                attempt: Some(Attempt {
                    at_ms: now_ms(),
                    status: None,
                    error: Some("its hook was deleted; nothing was sent".into()),
                    took_ms: 0,
                }),
                verdict: Verdict::Dead,
                retry_after: None,
                why: "its hook was deleted".into(),
            },
        ),
        Loaded::Ready {
            delivery,
            hook,
            alert,
            text,
        } => {
            let body = payload::body(&alert, &ctx.settings.base_url, text);
            let outcome = post(&ctx, &hook, &delivery.webhook_id(), body).await;
            (delivery, outcome)
        }
    };
    let now = now_ms();
    if let Some(a) = outcome.attempt.clone() {
        delivery.record(a);
    }
    let verdict = match outcome.verdict {
        Verdict::Retry if delivery.attempts >= ctx.settings.policy.attempts => Verdict::Dead,
        v => v,
    };
    match verdict {
        Verdict::Delivered => {
            delivery.state = DeliveryState::Delivered;
            delivery.delivered_ms = Some(now);
            ctx.metrics.delivery("delivered");
            tracing::info!(delivery = %key, attempts = delivery.attempts, "webhook delivered");
        }
        Verdict::Retry => {
            let wait = ctx.settings.policy.next_wait(
                delivery.attempts,
                retry::jitter(),
                outcome.retry_after,
            );
            delivery.next_ms = now + wait.as_millis() as u64;
            ctx.metrics.delivery("retried");
            tracing::info!(delivery = %key, attempts = delivery.attempts, why = %outcome.why,
                wait_ms = wait.as_millis() as u64, "webhook attempt failed; will retry");
        }
        Verdict::Dead => {
            delivery.state = DeliveryState::Dead;
            ctx.metrics.delivery("dead");
            tracing::warn!(delivery = %key, attempts = delivery.attempts, why = %outcome.why,
                "webhook delivery is a dead letter");
        }
    }
    let again = (delivery.state == DeliveryState::Pending).then_some(delivery.next_ms);
    let k = key.clone();
    match blocking(&ctx.store, move |s| put(s, &k, &delivery)).await {
        Some(Ok(())) => (key, again),
        Some(Err(e)) => {
            // Not recorded: it stays as it was in the store (pending), and
            // is tried again.
            tracing::error!(error = %e, delivery = %key, "could not record a delivery attempt");
            (key, Some(now + STORE_RETRY.as_millis() as u64))
        }
        None => (key, None),
    }
}

/// What came of posting.
struct Outcome {
    attempt: Option<Attempt>,
    verdict: Verdict,
    retry_after: Option<Duration>,
    why: String,
}

/// Posts `body` to the hook, signed; never follows a redirect.
async fn post(ctx: &Ctx, hook: &Hook, id: &str, body: Vec<u8>) -> Outcome {
    let at_ms = now_ms();
    let started = Instant::now();
    let fail = |error: String, verdict: Verdict| Outcome {
        attempt: Some(Attempt {
            at_ms,
            status: None,
            error: Some(error.clone()),
            took_ms: started.elapsed().as_millis() as u64,
        }),
        verdict,
        retry_after: None,
        why: error,
    };
    let url = match reqwest::Url::parse(&hook.url) {
        Ok(u) => u,
        Err(e) => return fail(format!("the hook's URL does not parse: {e}"), Verdict::Dead),
    };
    if let Err(refused) = guard::check_literal(&url, ctx.settings.allow_private) {
        return fail(refused.0, Verdict::Dead);
    }
    let timestamp = (at_ms / 1000) as i64;
    let Some(signature) = sign::signature(&hook.secret, id, timestamp, &body) else {
        return fail(
            "the hook's secret is not a whsec_ secret".into(),
            Verdict::Dead,
        );
    };
    let sent = ctx
        .client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    let took_ms = started.elapsed().as_millis() as u64;
    match sent {
        Ok(res) => {
            let status = res.status().as_u16();
            let retry_after = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry::retry_after(v, now_ms()));
            let verdict = retry::verdict(status);
            let why = match verdict {
                Verdict::Delivered => String::new(),
                _ => format!("the receiver answered {status}"),
            };
            Outcome {
                attempt: Some(Attempt {
                    at_ms,
                    status: Some(status),
                    error: None,
                    took_ms,
                }),
                verdict,
                retry_after,
                why,
            }
        }
        Err(e) => {
            if let Some(refused) = guard::is_refused(&e) {
                return fail(refused.0.clone(), Verdict::Dead);
            }
            let what = if e.is_timeout() {
                format!("no answer within {} ms", ctx.settings.timeout.as_millis())
            } else {
                // Without the URL: it may hold credentials, or be the
                // secret itself (a chat service's hook), and this goes to
                // the log and the delivery's history.
                describe(&e.without_url())
            };
            fail(what, Verdict::Retry)
        }
    }
}

/// An error and its causes on one line.
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let s = cause.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        next = cause.source();
    }
    out
}

fn put(store: &dyn Store, key: &str, d: &Delivery) -> Result<(), super::Error> {
    super::put(store, Doc::Delivery, key, d)
}

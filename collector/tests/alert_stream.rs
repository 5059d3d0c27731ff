//! The live alert feed (`GET /api/v1/alerts/stream`, Server-Sent Events)
//! over a real socket: an alert shows within a second of its submission,
//! a client that reconnects with `Last-Event-ID` gets what it missed with
//! no gap and no repeat, and a supervisor sees only their own teams'.

use crate::common::*;
use crate::hooks::{answer, submit_alert, with_alert_form};
use collector::model::Role;
use serde_json::Value;
use std::time::{Duration, Instant};

/// One server-sent event.
#[derive(Debug, Clone)]
struct Sent {
    id: u64,
    event: String,
    data: Value,
}

/// A client reading an event stream.
struct Stream {
    res: reqwest::Response,
    buf: String,
}

impl Stream {
    async fn open(s: &Server, token: &str, last_event_id: Option<u64>) -> Stream {
        let mut req = s
            .client
            .get(s.url("/api/v1/alerts/stream"))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        Stream {
            res,
            buf: String::new(),
        }
    }

    /// The next event, if one comes within `within`.
    async fn next(&mut self, within: Duration) -> Option<Sent> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().parse().unwrap());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                // A comment (the keep-alive) has none of these.
                if let Some(id) = id {
                    return Some(Sent {
                        id,
                        event,
                        data: serde_json::from_str(&data).unwrap(),
                    });
                }
                continue;
            }
            match tokio::time::timeout_at(deadline, self.res.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buf.push_str(std::str::from_utf8(&bytes).unwrap()),
                Ok(Ok(None)) | Ok(Err(_)) | Err(_) => return None,
            }
        }
    }
}

#[tokio::test]
async fn an_alert_shows_within_a_second_and_a_reconnect_resumes_without_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    with_alert_form(&s).await;
    let analyst = s.token(Role::Analyst);
    // An alert raised before the stream opens is not sent to it.
    submit_alert(&s, &answer(1, 5, None)).await;
    let mut stream = Stream::open(&s, &analyst, None).await;

    let submitted = Instant::now();
    let id = submit_alert(&s, &answer(2, 5, None)).await;
    let first = stream.next(Duration::from_secs(5)).await.expect("an event");
    let latency = submitted.elapsed();
    println!(
        "alert → live feed: {:.1} ms from the submission's POST to the event",
        latency.as_secs_f64() * 1e3
    );
    assert!(latency < Duration::from_secs(1), "{latency:?}");
    assert_eq!(first.event, "alert");
    assert_eq!(first.data["response"], id);
    assert_eq!(first.data["seq"], first.id);
    assert_eq!(first.data["kind"], "alert");
    assert_eq!(first.data["rules"], serde_json::json!(["dissatisfied"]));
    assert_eq!(
        first.data["case_url"],
        format!("{}/api/v1/cases/{}", s.origin(), first.id)
    );

    // Two more while connected; the client has read only the first of them
    // when it drops.
    submit_alert(&s, &answer(3, 4, None)).await;
    submit_alert(&s, &answer(4, 5, Some("threat"))).await;
    let second = stream.next(Duration::from_secs(5)).await.unwrap();
    drop(stream);
    // Two more while it is away, and one answer that raises nothing.
    submit_alert(&s, &answer(5, 5, None)).await;
    submit_alert(&s, &answer(6, 1, None)).await;
    submit_alert(&s, &answer(7, 4, None)).await;

    let mut stream = Stream::open(&s, &analyst, Some(second.id)).await;
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(stream.next(Duration::from_secs(5)).await.unwrap());
    }
    assert_eq!(got[0].data["kind"], "safeguarding");
    // Then the live part, joined with no gap.
    submit_alert(&s, &answer(8, 5, None)).await;
    got.push(stream.next(Duration::from_secs(5)).await.unwrap());
    assert!(
        stream.next(Duration::from_millis(300)).await.is_none(),
        "nothing more"
    );
    let ids: Vec<u64> = got.iter().map(|e| e.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");
    assert!(ids[0] > second.id, "no repeat: {ids:?}");
    // Exactly the alerts after the last one read, from the store's log.
    let log = s.state.store.alerts_after(second.id, 100).unwrap();
    assert_eq!(ids, log.iter().map(|a| a.seq).collect::<Vec<_>>());
    s.stop().await;
}

#[tokio::test]
async fn a_supervisor_sees_only_the_alerts_of_their_teams() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    with_alert_form(&s).await;
    let store = s.state.store.as_ref();
    let supervisor = |teams: &[&str]| {
        let mut spec = collector::service::tokens::Spec::role(Role::Supervisor);
        spec.teams = teams.iter().map(|t| t.to_string()).collect();
        collector::service::tokens::create(store, spec).unwrap().0
    };
    let (east, west) = (supervisor(&["east"]), supervisor(&["west"]));
    let invite = |team: &str| {
        let row = [("team".to_owned(), team.to_owned())].into_iter().collect();
        let allowed = vec!["team".to_owned()];
        let issued = collector::service::invitations::issue(store, "service", &[row], &allowed, 28)
            .unwrap()
            .unwrap();
        issued[0].key.clone()
    };
    let mut east_stream = Stream::open(&s, &east, None).await;
    let mut west_stream = Stream::open(&s, &west, None).await;

    let mut body = answer(1, 5, None);
    body["invitation"] = invite("east").into();
    let east_id = submit_alert(&s, &body).await;
    let seen = east_stream.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(seen.data["response"], east_id);
    assert_eq!(seen.data["team"], "east");

    let mut body = answer(2, 5, None);
    body["invitation"] = invite("west").into();
    let west_id = submit_alert(&s, &body).await;
    // West's first event is its own alert: east's was passed over.
    let seen = west_stream.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(seen.data["response"], west_id);
    assert!(east_stream.next(Duration::from_millis(300)).await.is_none());
    assert!(west_stream.next(Duration::from_millis(300)).await.is_none());
    s.stop().await;
}

#[tokio::test]
async fn a_bad_last_event_id_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    let analyst = s.token(Role::Analyst);
    let res = s
        .client
        .get(s.url("/api/v1/alerts/stream"))
        .bearer_auth(&analyst)
        .header("last-event-id", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    s.stop().await;
}

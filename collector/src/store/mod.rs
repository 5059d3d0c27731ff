//! Storage: the [`Store`] trait the services talk to, and its sled
//! implementation with group commit. It stores what it is handed (a
//! response, and its index record as bytes) and knows neither HTTP nor
//! the answer index; the sled store keeps a response as its record and
//! the rest ([`crate::model::stored`]), not as JSON.
//!
//! ```text
//! service ──submit(NewResponse, record bytes)──► Store ──► sled (one batch, group commit)
//! index   ◄──scan_records / scan_raw / manual_codes── Store
//! funnel  ──add_counts (a batch a second)──► Store ──counts(form)──► funnel query
//! ```

mod error;
pub mod keys;
mod sled;

pub use error::{Error, Result};
pub use keys::ResponseId;
pub use sled::{restore, EncodeRecord, EncodeRecords, Restored, SledStore};

pub use crate::model::Alert;
use crate::model::{CountKey, FormSummary, ManualCode, NewResponse, StoredResponse, TokenRecord};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use survey::Answer;
use survey::Form;

/// A boxed future, so the trait stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A published form version, with its JSON and ETag ready to serve.
#[derive(Debug)]
pub struct Published {
    /// The form.
    pub form: Form,
    /// Its JSON as served.
    pub json: Vec<u8>,
    /// Strong ETag for conditional GETs.
    pub etag: String,
    /// Its safeguarding lists made ready to check every submission.
    pub safeguarding: Option<survey::Matcher>,
}

impl Published {
    /// Serialises `form` once for serving, and makes its safeguarding
    /// lists ready.
    pub fn new(form: Form) -> Self {
        let json = serde_json::to_vec(&form).unwrap_or_default();
        let etag = format!("\"{}-v{}-{:016x}\"", form.id, form.version, fnv1a(&json));
        let safeguarding = form
            .safeguarding
            .as_ref()
            .map(survey::Safeguarding::matcher);
        Published {
            form,
            json,
            etag,
            safeguarding,
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Kinds of small records kept by key (see [`Store::put_doc`]): few,
/// written by staff or by the delivery worker, never on the hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Doc {
    /// A webhook (its URL, secret, filters), by hook id.
    Hook,
    /// One alert's delivery to one hook (attempts, next try, outcome).
    Delivery,
    /// A victim's invitation (its case attributes, expiry, when opened).
    Invitation,
    /// A case's state and history, by the alert's sequence number.
    Case,
    /// A deployment's own keys (the invitation signing key), by name.
    Secret,
    /// The register of places (one record, `register`).
    Places,
    /// A second coder's codes for one answer, by `form/response/question`
    /// (see `service::intercoder`).
    CheckCode,
    /// A staff member's signed-in dashboard session, by the SHA-256 of its
    /// cookie (see `service::sessions`).
    Session,
    /// A "we did" entry: what the force did about what people raised, by
    /// its id (see `service::actions`).
    Action,
    /// A theme model learned from analysts' codes, by `form/version`
    /// (see `service::learning`).
    Model,
    /// The shipped coding (lexicon, label model, mixed signal) a form's
    /// stored answers were last scored with, by form id (see
    /// `service::learning::load`).
    Coding,
    /// An answer coded across an adoption of a learned model, waiting to
    /// be coded again, by `form/response` (see `service::learning::owe`).
    Owed,
    /// A proof of work taken, by when it expires and its challenge (see
    /// `service::proof`).
    Spent,
}

impl Doc {
    /// The byte that tags its keys.
    pub fn tag(self) -> u8 {
        match self {
            Doc::Hook => b'h',
            Doc::Delivery => b'd',
            Doc::Invitation => b'n',
            Doc::Case => b'k',
            Doc::Secret => b's',
            Doc::Places => b'p',
            Doc::CheckCode => b'c',
            Doc::Session => b'e',
            Doc::Action => b'w',
            Doc::Model => b'm',
            Doc::Coding => b'g',
            Doc::Owed => b'o',
            Doc::Spent => b'x',
        }
    }
}
/// What retention erases of the responses to one version of a form (see
/// `service::retention`): those received before `before_ms`, and of them
/// the text answers to `questions` (the version's text questions).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expiry {
    /// Responses received before this time, ms since the Unix epoch.
    pub before_ms: u64,
    /// The version's free-text questions.
    pub questions: Vec<String>,
}

/// [`Expiry`] by form version.
pub type Expiries = BTreeMap<u32, Expiry>;

/// The latest time in `expiries`: no response received since is erased.
pub fn latest_expiry(expiries: &Expiries) -> u64 {
    expiries.values().map(|e| e.before_ms).max().unwrap_or(0)
}

/// Erases what `expiries` says is due of `r`'s text answers (see
/// [`Store::erase_text`]); how many it erased.
pub fn erase_expired(expiries: &Expiries, r: &mut StoredResponse) -> usize {
    let received = r.id.map_or(r.received_ms, |id| id.ms);
    match expiries.get(&r.version) {
        Some(e) if received < e.before_ms => r.erase_text(&e.questions),
        _ => 0,
    }
}

/// Whether the personal answers of response `id` are due for erasing
/// (see [`Store::erase_personal_before`]): by the time of `version`, the
/// one it answered; where its response is not found, by the latest time.
pub fn personal_due(expiries: &Expiries, id: ResponseId, version: Option<u32>) -> bool {
    match version {
        Some(v) => expiries.get(&v).is_some_and(|e| id.ms < e.before_ms),
        None => id.ms < latest_expiry(expiries),
    }
}

/// The result of a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submitted {
    /// The response id (the first one's, for a retry).
    pub id: ResponseId,
    /// False when the submission id was seen before and nothing was stored.
    pub created: bool,
}

/// How well a store's group commit groups: groups made durable (one sync
/// each) and the submissions answered from them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// Groups made durable, one sync each.
    pub groups: u64,
    /// Submissions answered from them (retries and refusals included).
    pub submissions: u64,
}

/// What [`Store::backup`] wrote.
#[derive(Debug, Clone)]
pub struct BackupInfo {
    /// The folder holding the copy (itself a data folder).
    pub path: PathBuf,
    /// Responses in the copy, to every form.
    pub responses: u64,
    /// Bytes copied.
    pub bytes: u64,
    /// How long submissions waited for the copy.
    pub blocked: std::time::Duration,
}

/// What the services need from storage.
pub trait Store: Send + Sync + 'static {
    /// Publishes `form` as a new version unless it equals the current one
    /// (the version field aside); returns the current published version.
    fn publish(&self, form: Form) -> Result<Arc<Published>>;
    /// The current version of a form.
    fn form(&self, id: &str) -> Option<Arc<Published>>;
    /// Every current form, with response counts (a scan: not for hot paths).
    fn forms(&self) -> Result<Vec<FormSummary>>;
    /// The ids of every published form.
    fn form_ids(&self) -> Vec<String>;
    /// Stores a validated submission, with its index `record` (the
    /// response's answers in [`crate::model::record`]'s layout, as the
    /// answer index wrote them: a store may keep the response as that
    /// record and the rest, see [`crate::model::stored`]), and resolves
    /// once it is durable.
    ///
    /// A flagged response (one a bot check doubted) is kept aside, readable
    /// only through [`Store::flagged`]: no record, no alerts, but the same
    /// idempotency record, so a retry still counts once.
    ///
    /// The same submission id for the same form stores nothing new and
    /// resolves to the first response's id. A response through an
    /// invitation another response answered is refused
    /// ([`Error::InvitationUsed`]). `alerts` are the rule ids it raised:
    /// one [`Alert`] carries them all, into the outbox and the alert log.
    /// Its personal answers are kept apart from it, under its id.
    fn submit<'a>(
        &'a self,
        response: &'a NewResponse,
        record: Vec<u8>,
        submission_id: &'a str,
        alerts: Vec<String>,
    ) -> BoxFuture<'a, Result<Submitted>>;
    /// Durable flagged responses to a form (those a bot check doubted),
    /// oldest first, at most `limit`.
    fn flagged(&self, form: &str, limit: usize) -> Result<Vec<StoredResponse>>;
    /// Durable flagged responses after `after`, oldest first, at most
    /// `limit`: the export's page of them.
    fn flagged_after(
        &self,
        form: &str,
        after: Option<ResponseId>,
        limit: usize,
    ) -> Result<Vec<StoredResponse>> {
        Ok(self
            .flagged(form, usize::MAX)?
            .into_iter()
            .filter(|r| after.is_none_or(|a| r.id.is_some_and(|id| id > a)))
            .take(limit)
            .collect())
    }
    /// One durable flagged response.
    fn flagged_response(&self, form: &str, id: ResponseId) -> Result<Option<StoredResponse>> {
        Ok(self
            .flagged(form, usize::MAX)?
            .into_iter()
            .find(|r| r.id == Some(id)))
    }
    /// Durable responses to a form after `after`, oldest first, at most `limit`.
    fn responses(
        &self,
        form: &str,
        after: Option<ResponseId>,
        limit: usize,
    ) -> Result<Vec<StoredResponse>>;
    /// Stores (or replaces) a token under its hash; durable on return.
    fn put_token(&self, hash: [u8; 32], token: &TokenRecord) -> Result<()>;
    /// The token stored under a hash, if any (revoked and expired ones too).
    fn token(&self, hash: &[u8; 32]) -> Result<Option<TokenRecord>>;
    /// Every token, by hash.
    fn tokens(&self) -> Result<Vec<([u8; 32], TokenRecord)>>;
    /// Alerts waiting in the outbox (not yet handed to their hooks), oldest
    /// first; only durable ones.
    fn pending_alerts(&self, limit: usize) -> Result<Vec<Alert>>;
    /// Takes an alert out of the outbox once its deliveries are recorded
    /// (it stays in the alert log); durable on return.
    fn take_alert(&self, seq: u64) -> Result<()>;
    /// Durable alerts after `after` (a sequence number; 0 for all), oldest
    /// first, at most `limit`: the live feed's resume and the case list.
    fn alerts_after(&self, after: u64, limit: usize) -> Result<Vec<Alert>>;
    /// One durable alert by its sequence number.
    fn alert(&self, seq: u64) -> Result<Option<Alert>>;
    /// The sequence number of the latest durable alert (0 for none): where
    /// a live feed that asks for no earlier alerts starts. Every alert with
    /// a lower number is durable already (they are written in order).
    fn last_alert_seq(&self) -> Result<u64> {
        let mut last = 0;
        loop {
            match self.alerts_after(last, 10_000)?.last() {
                Some(a) => last = a.seq,
                None => return Ok(last),
            }
        }
    }
    /// Stores a small record; durable on return.
    fn put_doc(&self, kind: Doc, key: &str, value: &[u8]) -> Result<()>;
    /// A small record.
    fn get_doc(&self, kind: Doc, key: &str) -> Result<Option<Vec<u8>>>;
    /// Records of a kind in key order after `after` (all from the start
    /// when none), at most `limit`.
    fn docs(&self, kind: Doc, after: Option<&str>, limit: usize) -> Result<Vec<(String, Vec<u8>)>>;
    /// Removes a small record; durable on return; whether it was there.
    fn remove_doc(&self, kind: Doc, key: &str) -> Result<bool>;
    /// Stores many small records of a kind at once (all or none), with
    /// one sync: an upload of thousands of invitations. The default puts
    /// them one by one.
    fn put_docs(&self, kind: Doc, records: &[(String, Vec<u8>)]) -> Result<()> {
        for (k, v) in records {
            self.put_doc(kind, k, v)?;
        }
        Ok(())
    }
    /// Removes many small records of a kind at once, with one sync; how
    /// many were there. The default removes them one by one.
    fn remove_docs(&self, kind: Doc, keys: &[String]) -> Result<usize> {
        let mut removed = 0;
        for k in keys {
            removed += usize::from(self.remove_doc(kind, k)?);
        }
        Ok(removed)
    }
    /// Stores an empty record unless one is there; whether this call
    /// stored it. Callers serialise their calls for a kind. Durable no
    /// later than the next submission acknowledged after it returns
    /// (the default is durable on return).
    fn put_doc_once(&self, kind: Doc, key: &str) -> Result<bool> {
        if self.get_doc(kind, key)?.is_some() {
            return Ok(false);
        }
        self.put_doc(kind, key, b"")?;
        Ok(true)
    }
    /// The response that answered an invitation, if one has.
    fn invitation_answer(&self, invitation: &str) -> Result<Option<ResponseId>>;
    /// The personal answers kept apart for a response (none once erased).
    fn personal(&self, form: &str, id: ResponseId) -> Result<Option<BTreeMap<String, Answer>>>;
    /// Erases a response's personal answers; durable on return; whether
    /// there were any.
    fn erase_personal(&self, form: &str, id: ResponseId) -> Result<bool>;
    /// Erases the personal answers of every response to `form` received
    /// before its version's time in `expiries` (none of a version not in
    /// it); durable on return; how many responses had some.
    fn erase_personal_before(&self, form: &str, expiries: &Expiries) -> Result<usize>;
    /// One durable response.
    fn response(&self, form: &str, id: ResponseId) -> Result<Option<StoredResponse>>;
    /// Records an analyst's codes for one text answer (replacing earlier ones).
    fn set_manual_code(
        &self,
        form: &str,
        id: ResponseId,
        question: &str,
        code: &ManualCode,
    ) -> Result<()>;
    /// Every manual code of a form, by response.
    fn manual_codes(&self, form: &str) -> Result<Vec<(ResponseId, BTreeMap<String, ManualCode>)>>;
    /// Erases the free text in every response to `form` (flagged ones
    /// included) received before its version's time in `expiries`, of the
    /// answers to that version's questions there: each becomes
    /// [`ERASED_TEXT`](crate::model::ERASED_TEXT), its coding and any
    /// manual codes stay. Written in batches, so submissions wait at most
    /// for one; durable (flushed and synced) before it returns.
    /// Idempotent: returns how many answers it erased, none the second time.
    fn erase_text(&self, form: &str, expiries: &Expiries) -> Result<usize>;

    /// Re-codes the stored responses of `form` (flagged ones too) from
    /// response `from` on (all when `None`), in key order and a few hundred
    /// at a time: `f` changes the codings of a run of responses and says
    /// which of them changed, or that the pass must stop (`None`: that run
    /// is not written, what was changed before it is kept). Each run's
    /// changes are written back as one batch (never one long hold on the
    /// store, so submissions go on), and synced before this returns.
    /// Returns how many changed.
    fn recode(
        &self,
        form: &str,
        from: Option<ResponseId>,
        f: &mut dyn FnMut(&mut [StoredResponse]) -> Option<Vec<bool>>,
    ) -> Result<usize>;
    /// Adds `counts` to the funnel's stored counts (a key not yet stored
    /// starts at 0), all or none; durable on return.
    fn add_counts(&self, counts: &[(CountKey, u64)]) -> Result<()>;
    /// Every stored funnel count of `form`, one per key, in no promised
    /// order.
    fn counts(&self, form: &str) -> Result<Vec<(CountKey, u64)>>;
    /// Calls `f` with every durable response to a form as its stored JSON,
    /// oldest first: how indexes are rebuilt at start without building a
    /// [`StoredResponse`] (and its many small allocations) per row. The
    /// default pages through [`Store::responses`] and serialises each.
    fn scan_raw(&self, form: &str, f: &mut dyn FnMut(ResponseId, &[u8])) -> Result<()> {
        each_durable(self, form, |id, r| {
            let json = serde_json::to_vec(r).map_err(|e| Error::Corrupt(e.to_string()))?;
            f(id, &json);
            Ok(())
        })
    }
    /// Every published version of a form, oldest first (what index records
    /// name ids in). The default knows only the current one.
    fn form_versions(&self, id: &str) -> Result<Vec<Form>> {
        Ok(self.form(id).map(|p| p.form.clone()).into_iter().collect())
    }
    /// How the group commit has grouped since the store opened; `None` for
    /// a store without one.
    fn commit_stats(&self) -> Option<CommitStats> {
        None
    }
    /// Whether a submission would be stored now: false once the store
    /// refuses writes (after a failed commit), which `/readyz` reports.
    fn accepts_writes(&self) -> bool {
        true
    }
    /// Whether every response has its index record, so indexes can be
    /// rebuilt with [`Store::scan_records`] rather than
    /// [`Store::scan_raw`]. The default says yes: a store that keeps the
    /// record it is handed with each submission has them all.
    fn records_complete(&self) -> bool {
        true
    }
    /// Writes a consistent copy of the store into the folder `dest` (which
    /// must not exist, or be empty): every submission acknowledged before
    /// the call is in it, none half-written.
    fn backup(&self, dest: &Path) -> Result<BackupInfo>;
    /// Calls `f` with the index record (as handed to [`Store::submit`]) of
    /// every durable response to a form, oldest first: what indexes are
    /// rebuilt from at start.
    fn scan_records(&self, form: &str, f: &mut dyn FnMut(ResponseId, &[u8])) -> Result<()>;
}

/// Calls `f` with every durable response to a form, oldest first, a page
/// of [`Store::responses`] at a time.
fn each_durable<S: Store + ?Sized>(
    store: &S,
    form: &str,
    mut f: impl FnMut(ResponseId, &StoredResponse) -> Result<()>,
) -> Result<()> {
    let mut after = None;
    loop {
        let page = store.responses(form, after, 10_000)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.id;
        for r in &page {
            if let Some(id) = r.id {
                f(id, r)?;
            }
        }
    }
}

//! Storage: the [`Store`] trait the HTTP layer talks to, and its sled
//! implementation with group commit.

pub mod keys;
pub mod record;
mod sled_store;

pub use keys::ResponseId;
pub use sled_store::SledStore;

use crate::error::Result;
use crate::index::ManualCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use survey::{Answer, Form};

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
}

impl Published {
    /// Serialises `form` once for serving.
    pub fn new(form: Form) -> Self {
        let json = serde_json::to_vec(&form).unwrap_or_default();
        let etag = format!("\"{}-v{}-{:016x}\"", form.id, form.version, fnv1a(&json));
        Published { form, json, etag }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Sentiment and themes of one free-text answer, computed when stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextCoding {
    /// VADER-style compound score in [-1, 1].
    pub compound: f64,
    /// `positive`, `neutral` or `negative`.
    pub label: String,
    /// Theme ids from the form's codebook.
    pub themes: Vec<String>,
}

/// A response as stored and exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredResponse {
    /// Response id (arrival order).
    #[serde(skip)]
    pub id: Option<ResponseId>,
    /// Form id.
    #[serde(skip)]
    pub form: String,
    /// Form version answered.
    pub version: u32,
    /// Server time of arrival, milliseconds since the Unix epoch.
    pub received_ms: u64,
    /// Place id.
    pub location: Option<String>,
    /// Channel (`embed`, `qr`, `link`, …).
    pub channel: String,
    /// Language answered in.
    pub lang: String,
    /// Answers by question id.
    pub answers: BTreeMap<String, Answer>,
    /// Coding of free-text answers by question id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub coding: BTreeMap<String, TextCoding>,
}

/// An alert raised by a response, written in the same batch as it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Form id.
    pub form: String,
    /// The rule that matched.
    pub rule: String,
    /// The response that raised it.
    pub response: String,
    /// Server time, milliseconds since the Unix epoch.
    pub raised_ms: u64,
}

/// The result of a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submitted {
    /// The response id (the first one's, for a retry).
    pub id: ResponseId,
    /// False when the submission id was seen before and nothing was stored.
    pub created: bool,
}

/// A short description of a form, for listings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FormSummary {
    /// Form id.
    pub id: String,
    /// Current version.
    pub version: u32,
    /// Title in the default language.
    pub title: String,
    /// Number of responses stored (all versions).
    pub responses: u64,
}

/// Roles a token can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads aggregates, exports and free text; codes answers.
    Analyst,
    /// Everything an analyst does, and publishes forms and creates tokens.
    Admin,
}

/// What the HTTP layer needs from storage.
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
    /// Stores a validated submission and resolves once it is durable.
    ///
    /// The same submission id for the same form stores nothing new and
    /// resolves to the first response's id.
    fn submit<'a>(
        &'a self,
        form: &'a Form,
        response: StoredResponse,
        submission_id: &'a str,
        alerts: Vec<String>,
    ) -> BoxFuture<'a, Result<Submitted>>;
    /// Durable responses to a form after `after`, oldest first, at most `limit`.
    fn responses(
        &self,
        form: &str,
        after: Option<ResponseId>,
        limit: usize,
    ) -> Result<Vec<StoredResponse>>;
    /// Stores a token's hash with its role.
    fn add_token(&self, hash: [u8; 32], role: Role) -> Result<()>;
    /// The role of a token's hash, if it is known.
    fn token_role(&self, hash: &[u8; 32]) -> Result<Option<Role>>;
    /// Alerts waiting in the outbox, oldest first.
    fn pending_alerts(&self, limit: usize) -> Result<Vec<Alert>>;
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
    /// Calls `f` with every durable response to a form as its stored JSON,
    /// oldest first: how indexes are rebuilt at start without building a
    /// [`StoredResponse`] (and its many small allocations) per row. The
    /// default pages through [`Store::responses`] and serialises each.
    fn scan_raw(&self, form: &str, f: &mut dyn FnMut(ResponseId, &[u8])) -> Result<()> {
        each_durable(self, form, |id, r| {
            let json =
                serde_json::to_vec(r).map_err(|e| crate::error::Error::Corrupt(e.to_string()))?;
            f(id, &json);
            Ok(())
        })
    }
    /// Every published version of a form, oldest first (what index records
    /// name ids in). The default knows only the current one.
    fn form_versions(&self, id: &str) -> Result<Vec<Form>> {
        Ok(self.form(id).map(|p| p.form.clone()).into_iter().collect())
    }
    /// Whether every response has its index record, so indexes can be
    /// rebuilt with [`Store::scan_records`] rather than
    /// [`Store::scan_raw`]. The default encodes records from the responses,
    /// so they are always complete.
    fn records_complete(&self) -> bool {
        true
    }
    /// Calls `f` with the index record ([`record`]) of every durable
    /// response to a form, oldest first: what indexes are rebuilt from at
    /// start. The default pages through [`Store::responses`] and encodes
    /// each.
    fn scan_records(&self, form: &str, f: &mut dyn FnMut(ResponseId, &[u8])) -> Result<()> {
        each_durable(self, form, |id, r| {
            f(id, &record::encode(r, None));
            Ok(())
        })
    }
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

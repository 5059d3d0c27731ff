//! [`MemStore`]: a second [`Store`], in memory, so that the store
//! conformance suite checks the trait's promises and not one
//! implementation's habits.
//!
//! Everything sits behind one mutex: a write is durable (for this store,
//! visible) as soon as it returns.

use collector::model::{
    now_ms, FormSummary, ManualCode, NewResponse, ResponseId, Role, StoredResponse,
};
use collector::store::{Alert, BoxFuture, Error, Published, Result, Store, Submitted};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use survey::Form;

/// A store that keeps everything in memory.
#[derive(Default)]
pub struct MemStore {
    inner: Mutex<Inner>,
    /// Set by [`MemStore::refuse_writes`]: what a failed commit does to a
    /// real store.
    refusing: std::sync::atomic::AtomicBool,
}

#[derive(Default)]
struct Inner {
    /// Every version of every form, oldest first.
    versions: BTreeMap<String, Vec<Arc<Published>>>,
    /// Responses (as stored) and their index records, by form, oldest first.
    responses: BTreeMap<String, Vec<(StoredResponse, Vec<u8>)>>,
    /// Responses a bot check doubted, by form, oldest first.
    flagged: BTreeMap<String, Vec<StoredResponse>>,
    /// (form, submission id) → response id.
    seen: HashMap<(String, String), ResponseId>,
    last: Option<ResponseId>,
    alerts: Vec<Alert>,
    tokens: HashMap<[u8; 32], Role>,
    codes: BTreeMap<(String, ResponseId), BTreeMap<String, ManualCode>>,
}

impl MemStore {
    /// An empty store.
    pub fn new() -> MemStore {
        MemStore::default()
    }

    /// From now on, refuse every write as a store does after a failed
    /// commit (fail-stop).
    pub fn refuse_writes(&self) {
        self.refusing
            .store(true, std::sync::atomic::Ordering::Release);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store for MemStore {
    fn backup(&self, _dest: &std::path::Path) -> Result<collector::store::BackupInfo> {
        Err(Error::Unsupported(
            "the in-memory store has no files to back up".into(),
        ))
    }

    fn publish(&self, mut form: Form) -> Result<Arc<Published>> {
        if let Err(problems) = survey::check_form(&form) {
            return Err(Error::InvalidForm(problems));
        }
        let mut inner = self.lock();
        let versions = inner.versions.entry(form.id.clone()).or_default();
        if let Some(cur) = versions.last() {
            let mut same = form.clone();
            same.version = cur.form.version;
            if same == cur.form {
                return Ok(cur.clone());
            }
            form.version = cur.form.version + 1;
        }
        let published = Arc::new(Published::new(form));
        versions.push(published.clone());
        Ok(published)
    }

    fn form(&self, id: &str) -> Option<Arc<Published>> {
        self.lock().versions.get(id).and_then(|v| v.last().cloned())
    }

    fn forms(&self) -> Result<Vec<FormSummary>> {
        let inner = self.lock();
        Ok(inner
            .versions
            .values()
            .filter_map(|v| v.last())
            .map(|p| FormSummary {
                id: p.form.id.clone(),
                version: p.form.version,
                title: p
                    .form
                    .title
                    .get(&p.form.default_lang, &p.form.default_lang)
                    .to_owned(),
                responses: inner.responses.get(&p.form.id).map_or(0, |r| r.len()) as u64,
            })
            .collect())
    }

    fn form_ids(&self) -> Vec<String> {
        self.lock().versions.keys().cloned().collect()
    }

    fn accepts_writes(&self) -> bool {
        !self.refusing.load(std::sync::atomic::Ordering::Acquire)
    }

    fn submit<'a>(
        &'a self,
        response: &'a NewResponse,
        record: Vec<u8>,
        submission_id: &'a str,
        alerts: Vec<String>,
    ) -> BoxFuture<'a, Result<Submitted>> {
        Box::pin(async move {
            if !self.accepts_writes() {
                return Err(Error::Unavailable);
            }
            let mut inner = self.lock();
            let key = (response.form.clone(), submission_id.to_owned());
            if let Some(&id) = inner.seen.get(&key) {
                return Ok(Submitted { id, created: false });
            }
            let last = inner.last.unwrap_or(ResponseId { ms: 0, seq: 0 });
            let id = ResponseId {
                ms: now_ms().max(last.ms),
                seq: last.seq + 1,
            };
            inner.last = Some(id);
            inner.seen.insert(key, id);
            let stored = response.clone().stored(id);
            if stored.flag.is_some() {
                inner
                    .flagged
                    .entry(response.form.clone())
                    .or_default()
                    .push(stored);
                return Ok(Submitted { id, created: true });
            }
            for rule in alerts {
                inner.alerts.push(Alert {
                    form: response.form.clone(),
                    rule,
                    response: id.to_string(),
                    raised_ms: id.ms,
                });
            }
            inner
                .responses
                .entry(response.form.clone())
                .or_default()
                .push((stored, record));
            Ok(Submitted { id, created: true })
        })
    }

    fn responses(
        &self,
        form: &str,
        after: Option<ResponseId>,
        limit: usize,
    ) -> Result<Vec<StoredResponse>> {
        Ok(self
            .lock()
            .responses
            .get(form)
            .into_iter()
            .flatten()
            .filter(|(r, _)| after.is_none_or(|a| r.id.is_some_and(|id| id > a)))
            .take(limit)
            .map(|(r, _)| r.clone())
            .collect())
    }

    fn flagged(&self, form: &str, limit: usize) -> Result<Vec<StoredResponse>> {
        Ok(self
            .lock()
            .flagged
            .get(form)
            .into_iter()
            .flatten()
            .take(limit)
            .cloned()
            .collect())
    }

    fn erase_text(&self, form: &str, before_ms: u64, questions: &[String]) -> Result<usize> {
        if self.refusing.load(std::sync::atomic::Ordering::Acquire) {
            return Err(Error::Unavailable);
        }
        let mut inner = self.lock();
        let inner = &mut *inner;
        let responses = inner.responses.get_mut(form).into_iter().flatten();
        let flagged = inner.flagged.get_mut(form).into_iter().flatten();
        Ok(responses
            .map(|(r, _)| r)
            .chain(flagged)
            .filter(|r| r.received_ms < before_ms)
            .map(|r| r.erase_text(questions))
            .sum())
    }

    fn add_token(&self, hash: [u8; 32], role: Role) -> Result<()> {
        self.lock().tokens.insert(hash, role);
        Ok(())
    }

    fn token_role(&self, hash: &[u8; 32]) -> Result<Option<Role>> {
        Ok(self.lock().tokens.get(hash).copied())
    }

    fn pending_alerts(&self, limit: usize) -> Result<Vec<Alert>> {
        Ok(self.lock().alerts.iter().take(limit).cloned().collect())
    }

    fn response(&self, form: &str, id: ResponseId) -> Result<Option<StoredResponse>> {
        Ok(self
            .lock()
            .responses
            .get(form)
            .and_then(|rs| rs.iter().find(|(r, _)| r.id == Some(id)))
            .map(|(r, _)| r.clone()))
    }

    fn set_manual_code(
        &self,
        form: &str,
        id: ResponseId,
        question: &str,
        code: &ManualCode,
    ) -> Result<()> {
        self.lock()
            .codes
            .entry((form.to_owned(), id))
            .or_default()
            .insert(question.to_owned(), code.clone());
        Ok(())
    }

    fn manual_codes(&self, form: &str) -> Result<Vec<(ResponseId, BTreeMap<String, ManualCode>)>> {
        Ok(self
            .lock()
            .codes
            .iter()
            .filter(|((f, _), _)| f == form)
            .map(|((_, id), codes)| (*id, codes.clone()))
            .collect())
    }

    fn form_versions(&self, id: &str) -> Result<Vec<Form>> {
        Ok(self
            .lock()
            .versions
            .get(id)
            .into_iter()
            .flatten()
            .map(|p| p.form.clone())
            .collect())
    }

    fn scan_records(&self, form: &str, f: &mut dyn FnMut(ResponseId, &[u8])) -> Result<()> {
        let inner = self.lock();
        for (r, record) in inner.responses.get(form).into_iter().flatten() {
            if let Some(id) = r.id {
                f(id, record);
            }
        }
        Ok(())
    }
}

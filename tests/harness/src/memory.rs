//! [`MemStore`]: a second [`Store`], in memory, so that the store
//! conformance suite checks the trait's promises and not one
//! implementation's habits.
//!
//! Everything sits behind one mutex: a write is durable (for this store,
//! visible) as soon as it returns.

use collector::model::{
    now_ms, CountKey, FormSummary, ManualCode, NewResponse, ResponseId, StoredResponse, TokenRecord,
};
use collector::store::{
    erase_expired, personal_due, Alert, BoxFuture, Doc, Error, Expiries, Published, Result, Store,
    Submitted,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use survey::Answer;
use survey::Form;

/// Responses handed to [`Store::recode`]'s closure at a time.
const RUN: usize = 500;

/// A store that keeps everything in memory.
#[derive(Default)]
pub struct MemStore {
    inner: Mutex<Inner>,
    /// Set by [`MemStore::refuse_writes`]: what a failed commit does to a
    /// real store.
    refusing: std::sync::atomic::AtomicBool,
    /// Set by [`MemStore::fail_doc_write`]: the kind's tag, and how many
    /// of its writes go through before one fails.
    fail_doc: Mutex<Option<(u8, usize)>>,
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
    /// The alert log, and which of it is still in the outbox.
    alerts: BTreeMap<u64, (Alert, bool)>,
    tokens: BTreeMap<[u8; 32], TokenRecord>,
    docs: BTreeMap<(u8, String), Vec<u8>>,
    /// Invitation → the response that answered it.
    used: HashMap<String, ResponseId>,
    personal: BTreeMap<(String, ResponseId), BTreeMap<String, Answer>>,
    codes: BTreeMap<(String, ResponseId), BTreeMap<String, ManualCode>>,
    /// The funnel's counts.
    counts: BTreeMap<CountKey, u64>,
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

    /// Fails one write of a document of `kind`, after `after` of them
    /// went through, as a disk that fails for a moment would.
    pub fn fail_doc_write(&self, kind: Doc, after: usize) {
        *self.fail_doc.lock().unwrap_or_else(|e| e.into_inner()) = Some((kind.tag(), after));
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
            if let Some(inv) = &response.invitation {
                if inner.used.contains_key(inv) {
                    return Err(Error::InvitationUsed);
                }
                inner.used.insert(inv.clone(), id);
            }
            inner.last = Some(id);
            inner.seen.insert(key, id);
            if !response.personal.is_empty() {
                inner
                    .personal
                    .insert((response.form.clone(), id), response.personal.clone());
            }
            let stored = response.clone().stored(id);
            // A doubted response raises safeguarding alerts only.
            let alerts: Vec<String> = alerts
                .into_iter()
                .filter(|r| {
                    stored.flag.is_none()
                        || r.starts_with(collector::model::SAFEGUARDING_RULE_PREFIX)
                })
                .collect();
            if !alerts.is_empty() {
                let alert = Alert::raised_by(response, id, alerts);
                inner.alerts.insert(id.seq, (alert, true));
            }
            if stored.flag.is_some() {
                inner
                    .flagged
                    .entry(response.form.clone())
                    .or_default()
                    .push(stored);
                return Ok(Submitted { id, created: true });
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

    fn erase_text(&self, form: &str, expiries: &Expiries) -> Result<usize> {
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
            .map(|r| erase_expired(expiries, r))
            .sum())
    }

    fn recode(
        &self,
        form: &str,
        from: Option<ResponseId>,
        f: &mut dyn FnMut(&mut [StoredResponse]) -> Option<Vec<bool>>,
    ) -> Result<usize> {
        if self.refusing.load(std::sync::atomic::Ordering::Acquire) {
            return Err(Error::Unavailable);
        }
        let versions = self.form_versions(form)?;
        let names: Vec<collector::model::record::Names<'_>> = versions
            .iter()
            .map(collector::model::record::Names::of)
            .collect();
        let mut inner = self.lock();
        let inner = &mut *inner;
        let wanted = |r: &StoredResponse| from.is_none_or(|from| r.id.is_some_and(|id| id >= from));
        let mut changed = 0;
        // Runs of copies, as a store that reads them from disk hands them.
        let mut kept: Vec<&mut (StoredResponse, Vec<u8>)> = inner
            .responses
            .get_mut(form)
            .into_iter()
            .flatten()
            .filter(|(r, _)| wanted(r))
            .collect();
        for slots in kept.chunks_mut(RUN) {
            let mut run: Vec<StoredResponse> = slots.iter().map(|(r, _)| r.clone()).collect();
            let Some(said) = f(&mut run) else {
                return Ok(changed);
            };
            for ((slot, r), changed_one) in slots.iter_mut().zip(run).zip(said) {
                if changed_one {
                    let at = names.iter().find(|n| n.version() == r.version);
                    slot.1 = collector::model::record::encode(&r, at);
                    slot.0 = r;
                    changed += 1;
                }
            }
        }
        let mut aside: Vec<&mut StoredResponse> = inner
            .flagged
            .get_mut(form)
            .into_iter()
            .flatten()
            .filter(|r| wanted(r))
            .collect();
        for slots in aside.chunks_mut(RUN) {
            let mut run: Vec<StoredResponse> = slots.iter().map(|r| (*r).clone()).collect();
            let Some(said) = f(&mut run) else {
                return Ok(changed);
            };
            for ((slot, r), changed_one) in slots.iter_mut().zip(run).zip(said) {
                if changed_one {
                    **slot = r;
                    changed += 1;
                }
            }
        }
        Ok(changed)
    }

    fn put_token(&self, hash: [u8; 32], token: &TokenRecord) -> Result<()> {
        self.lock().tokens.insert(hash, token.clone());
        Ok(())
    }

    fn token(&self, hash: &[u8; 32]) -> Result<Option<TokenRecord>> {
        Ok(self.lock().tokens.get(hash).cloned())
    }

    fn tokens(&self) -> Result<Vec<([u8; 32], TokenRecord)>> {
        Ok(self
            .lock()
            .tokens
            .iter()
            .map(|(h, t)| (*h, t.clone()))
            .collect())
    }

    fn pending_alerts(&self, limit: usize) -> Result<Vec<Alert>> {
        Ok(self
            .lock()
            .alerts
            .values()
            .filter(|(_, pending)| *pending)
            .take(limit)
            .map(|(a, _)| a.clone())
            .collect())
    }

    fn take_alert(&self, seq: u64) -> Result<()> {
        if let Some((_, pending)) = self.lock().alerts.get_mut(&seq) {
            *pending = false;
        }
        Ok(())
    }

    fn alerts_after(&self, after: u64, limit: usize) -> Result<Vec<Alert>> {
        Ok(self
            .lock()
            .alerts
            .range(after.saturating_add(1)..)
            .take(limit)
            .map(|(_, (a, _))| a.clone())
            .collect())
    }

    fn alert(&self, seq: u64) -> Result<Option<Alert>> {
        Ok(self.lock().alerts.get(&seq).map(|(a, _)| a.clone()))
    }

    fn put_doc(&self, kind: Doc, key: &str, value: &[u8]) -> Result<()> {
        {
            let mut fail = self.fail_doc.lock().unwrap_or_else(|e| e.into_inner());
            match &mut *fail {
                Some((tag, 0)) if *tag == kind.tag() => {
                    *fail = None;
                    return Err(Error::Io(std::io::Error::other("a write failed")));
                }
                Some((tag, n)) if *tag == kind.tag() => *n -= 1,
                _ => {}
            }
        }
        self.lock()
            .docs
            .insert((kind.tag(), key.to_owned()), value.to_vec());
        Ok(())
    }

    fn get_doc(&self, kind: Doc, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.lock().docs.get(&(kind.tag(), key.to_owned())).cloned())
    }

    fn docs(&self, kind: Doc, after: Option<&str>, limit: usize) -> Result<Vec<(String, Vec<u8>)>> {
        Ok(self
            .lock()
            .docs
            .range((kind.tag(), String::new())..(kind.tag() + 1, String::new()))
            .filter(|((_, k), _)| after.is_none_or(|a| k.as_str() > a))
            .take(limit)
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect())
    }

    fn remove_doc(&self, kind: Doc, key: &str) -> Result<bool> {
        Ok(self
            .lock()
            .docs
            .remove(&(kind.tag(), key.to_owned()))
            .is_some())
    }

    fn invitation_answer(&self, invitation: &str) -> Result<Option<ResponseId>> {
        Ok(self.lock().used.get(invitation).copied())
    }

    fn personal(&self, form: &str, id: ResponseId) -> Result<Option<BTreeMap<String, Answer>>> {
        Ok(self.lock().personal.get(&(form.to_owned(), id)).cloned())
    }

    fn erase_personal(&self, form: &str, id: ResponseId) -> Result<bool> {
        Ok(self
            .lock()
            .personal
            .remove(&(form.to_owned(), id))
            .is_some())
    }

    fn erase_personal_before(&self, form: &str, expiries: &Expiries) -> Result<usize> {
        let mut inner = self.lock();
        let versions: BTreeMap<ResponseId, u32> = inner
            .responses
            .get(form)
            .into_iter()
            .flatten()
            .map(|(r, _)| r)
            .chain(inner.flagged.get(form).into_iter().flatten())
            .filter_map(|r| Some((r.id?, r.version)))
            .collect();
        let before = inner.personal.len();
        inner.personal.retain(|(f, id), _| {
            !(f == form && personal_due(expiries, *id, versions.get(id).copied()))
        });
        Ok(before - inner.personal.len())
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

    fn add_counts(&self, counts: &[(CountKey, u64)]) -> Result<()> {
        if self.refusing.load(std::sync::atomic::Ordering::Acquire) {
            return Err(Error::Unavailable);
        }
        let mut inner = self.lock();
        for (k, n) in counts {
            let sum = inner.counts.entry(k.clone()).or_default();
            *sum = sum.saturating_add(*n);
        }
        Ok(())
    }

    fn counts(&self, form: &str) -> Result<Vec<(CountKey, u64)>> {
        Ok(self
            .lock()
            .counts
            .iter()
            .filter(|(k, _)| k.form == form)
            .map(|(k, n)| (k.clone(), *n))
            .collect())
    }
}

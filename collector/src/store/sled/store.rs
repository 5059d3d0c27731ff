//! The [`Store`] trait over sled's trees: forms, submissions (queued for
//! the group commit, which writes each group as one batch), reads up to
//! the durable sequence number,
//! tokens, alerts, manual codes and the funnel's counts.

use super::commit::{Pending, Reply};
use super::SledStore;
use crate::model::{
    now_ms, CountKey, FormSummary, ManualCode, NewResponse, Role, StoredResponse, TokenRecord,
};
use crate::model::{stored, SAFEGUARDING_RULE_PREFIX};
use crate::store::keys::{self, ResponseId};
use crate::store::{
    latest_expiry, personal_due, Alert, BoxFuture, Doc, Error, Expiries, Published, Result, Store,
    Submitted,
};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use survey::Answer;
use survey::Form;

/// Two forms are the same content if they differ at most in version.
fn same_content(a: &Form, b: &Form) -> bool {
    let mut b = b.clone();
    b.version = a.version;
    *a == b
}

impl Store for SledStore {
    fn backup(&self, dest: &std::path::Path) -> Result<crate::store::BackupInfo> {
        self.backup_files(dest)
    }

    fn publish(&self, mut form: Form) -> Result<Arc<Published>> {
        if let Err(problems) = survey::check_form(&form) {
            return Err(Error::InvalidForm(problems));
        }
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if let Some(cur) = current.get(&form.id) {
            if same_content(&cur.form, &form) {
                return Ok(cur.clone());
            }
            form.version = cur.form.version + 1;
        }
        let json = serde_json::to_vec(&form).map_err(|e| Error::Corrupt(e.to_string()))?;
        self.forms_tree
            .insert(keys::form(&form.id, form.version), json)?;
        self.sync_now()?;
        self.versions
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(form.id.clone())
            .or_default()
            .push(Arc::new(form.clone()));
        let published = Arc::new(Published::new(form));
        current.insert(published.form.id.clone(), published.clone());
        Ok(published)
    }

    fn form(&self, id: &str) -> Option<Arc<Published>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    fn form_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect();
        ids.sort();
        ids
    }

    fn forms(&self) -> Result<Vec<FormSummary>> {
        let current = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let durable = self.durable_seq()?;
        let mut out: Vec<FormSummary> = current
            .values()
            .map(|p| {
                let responses = self
                    .responses
                    .scan_prefix(keys::response_prefix(&p.form.id))
                    .keys()
                    .filter_map(|k| k.ok().and_then(|k| keys::response_id(&k)))
                    .filter(|id| id.seq <= durable)
                    .count() as u64;
                FormSummary {
                    id: p.form.id.clone(),
                    version: p.form.version,
                    title: p
                        .form
                        .title
                        .get(&p.form.default_lang, &p.form.default_lang)
                        .to_owned(),
                    responses,
                }
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    fn submit<'a>(
        &'a self,
        response: &'a NewResponse,
        record: Vec<u8>,
        submission_id: &'a str,
        alerts: Vec<String>,
    ) -> BoxFuture<'a, Result<Submitted>> {
        Box::pin(async move {
            if self.commit.durable.borrow().is_err() {
                return Err(Error::Unavailable);
            }
            let form = &response.form;
            let idem_key = keys::idempotency(form, submission_id);
            let flagged = response.flag.is_some();
            let personal = match response.personal.is_empty() {
                true => None,
                false => Some(
                    serde_json::to_vec(&response.personal)
                        .map_err(|e| Error::Corrupt(e.to_string()))?,
                ),
            };
            // A response a bot check doubted raises no alert, but for
            // safeguarding: a person in danger mistaken for a bot must
            // still reach someone.
            let alerts: Vec<String> = alerts
                .into_iter()
                .filter(|r| !flagged || r.starts_with(SAFEGUARDING_RULE_PREFIX))
                .collect();
            loop {
                // Stamped no earlier than the newest id, as ids must rise;
                // the commit thread sends it back if one overtook it.
                let received_ms = now_ms().max(self.commit.last_ms.load(Ordering::Acquire));
                // A response is kept as its record and the rest
                // (`model::stored`); a flagged one has no record, and is
                // kept whole as JSON.
                let value = match flagged {
                    false => stored::rest(received_ms, &response.answers, &response.coding),
                    true => response
                        .stored_json(received_ms)
                        .map_err(|e| Error::Corrupt(e.to_string()))?,
                };
                let alert = (!alerts.is_empty()).then(|| {
                    let stamp = ResponseId {
                        ms: received_ms,
                        seq: 0,
                    };
                    Alert::raised_by(response, stamp, alerts.clone())
                });
                let (reply, answer) = tokio::sync::oneshot::channel();
                self.commit
                    .enqueue(Pending {
                        form: form.clone(),
                        idem_key: idem_key.clone(),
                        received_ms,
                        value,
                        flagged,
                        record: record.clone(),
                        invitation: response.invitation.clone(),
                        personal: personal.clone(),
                        alert,
                        reply,
                    })
                    .map_err(|()| Error::Unavailable)?;
                match answer.await {
                    Ok(Reply::Done(result)) => return result,
                    Ok(Reply::Stale) => continue,
                    // The commit thread failed or the store closed.
                    Err(_) => return Err(Error::Unavailable),
                }
            }
        })
    }

    fn responses(
        &self,
        form: &str,
        after: Option<ResponseId>,
        limit: usize,
    ) -> Result<Vec<StoredResponse>> {
        self.page_after(
            form,
            &keys::response_prefix(form),
            keys::response,
            after,
            limit,
        )
    }

    fn flagged(&self, form: &str, limit: usize) -> Result<Vec<StoredResponse>> {
        let prefix = keys::flagged_prefix(form);
        self.durable_page(form, &prefix, prefix.clone(), limit)
    }

    fn flagged_after(
        &self,
        form: &str,
        after: Option<ResponseId>,
        limit: usize,
    ) -> Result<Vec<StoredResponse>> {
        self.page_after(
            form,
            &keys::flagged_prefix(form),
            keys::flagged,
            after,
            limit,
        )
    }

    fn flagged_response(&self, form: &str, id: ResponseId) -> Result<Option<StoredResponse>> {
        self.one(form, keys::flagged(form, id), id)
    }

    fn put_token(&self, hash: [u8; 32], token: &TokenRecord) -> Result<()> {
        self.tokens.insert(hash, json(token)?)?;
        self.sync_now()
    }

    fn token(&self, hash: &[u8; 32]) -> Result<Option<TokenRecord>> {
        self.tokens.get(hash)?.map(|v| token_of(&v)).transpose()
    }

    fn tokens(&self) -> Result<Vec<([u8; 32], TokenRecord)>> {
        let mut out = Vec::new();
        for item in self.tokens.iter() {
            let (k, v) = item?;
            let hash: [u8; 32] = k
                .as_ref()
                .try_into()
                .map_err(|_| Error::Corrupt("token key".into()))?;
            out.push((hash, token_of(&v)?));
        }
        Ok(out)
    }

    fn pending_alerts(&self, limit: usize) -> Result<Vec<Alert>> {
        let durable = self.durable_seq()?;
        let mut out = Vec::new();
        for item in self.responses.scan_prefix(keys::OUTBOX).keys().take(limit) {
            let seq = keys::alert_seq(&item?).unwrap_or(u64::MAX);
            if seq > durable {
                break;
            }
            if let Some(a) = self.alert(seq)? {
                out.push(a);
            }
        }
        Ok(out)
    }

    fn take_alert(&self, seq: u64) -> Result<()> {
        self.responses.remove(keys::outbox(seq))?;
        self.sync_now()
    }

    fn alerts_after(&self, after: u64, limit: usize) -> Result<Vec<Alert>> {
        let durable = self.durable_seq()?;
        let mut out = Vec::new();
        let start = keys::alert(after.saturating_add(1));
        for item in self.responses.range(start..).take(limit) {
            let (k, v) = item?;
            if !k.starts_with(keys::ALERTS) {
                break;
            }
            match keys::alert_seq(&k) {
                Some(seq) if seq <= durable => out.push(parse(&v)?),
                _ => break,
            }
        }
        Ok(out)
    }

    fn alert(&self, seq: u64) -> Result<Option<Alert>> {
        if seq > self.durable_seq()? {
            return Ok(None);
        }
        self.responses
            .get(keys::alert(seq))?
            .map(|v| parse(&v))
            .transpose()
    }

    fn last_alert_seq(&self) -> Result<u64> {
        let durable = self.durable_seq()?;
        // Alerts are keyed by sequence number, big-endian: the last key at
        // or below the durable mark is the latest durable alert.
        let end = keys::alert(durable.saturating_add(1));
        match self
            .responses
            .range(keys::ALERTS.to_vec()..end)
            .keys()
            .next_back()
        {
            Some(k) => Ok(keys::alert_seq(&k?).unwrap_or(0)),
            None => Ok(0),
        }
    }

    fn put_doc(&self, kind: Doc, key: &str, value: &[u8]) -> Result<()> {
        self.docs.insert(keys::doc(kind.tag(), key), value)?;
        self.sync_now()
    }

    fn get_doc(&self, kind: Doc, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .docs
            .get(keys::doc(kind.tag(), key))?
            .map(|v| v.to_vec()))
    }

    fn docs(&self, kind: Doc, after: Option<&str>, limit: usize) -> Result<Vec<(String, Vec<u8>)>> {
        let prefix = [kind.tag(), 0];
        let start = match after {
            Some(a) => {
                let mut k = keys::doc(kind.tag(), a);
                k.push(0);
                k
            }
            None => prefix.to_vec(),
        };
        let mut out = Vec::new();
        for item in self.docs.range(start..).take(limit) {
            let (k, v) = item?;
            let Some(key) = k.strip_prefix(&prefix[..]) else {
                break;
            };
            let key = String::from_utf8(key.to_vec()).map_err(|e| Error::Corrupt(e.to_string()))?;
            out.push((key, v.to_vec()));
        }
        Ok(out)
    }

    fn put_docs(&self, kind: Doc, records: &[(String, Vec<u8>)]) -> Result<()> {
        let mut batch = sled::Batch::default();
        for (k, v) in records {
            batch.insert(keys::doc(kind.tag(), k), v.as_slice());
        }
        self.docs.apply_batch(batch)?;
        self.sync_now()
    }

    fn remove_doc(&self, kind: Doc, key: &str) -> Result<bool> {
        let was = self.docs.remove(keys::doc(kind.tag(), key))?.is_some();
        self.sync_now()?;
        Ok(was)
    }

    fn remove_docs(&self, kind: Doc, keys: &[String]) -> Result<usize> {
        let mut batch = sled::Batch::default();
        let mut removed = 0;
        for k in keys {
            let key = keys::doc(kind.tag(), k);
            removed += usize::from(self.docs.contains_key(&key)?);
            batch.remove(key);
        }
        self.docs.apply_batch(batch)?;
        self.sync_now()?;
        Ok(removed)
    }

    /// Not synced on its own (a sync per proof of work would cost each
    /// submission one): the group commit flushes all sled holds before
    /// its sync, so a record stored before a submission is queued is on
    /// disk once that submission is acknowledged; with no submission, the
    /// commit thread's idle flush writes it within half a second.
    fn put_doc_once(&self, kind: Doc, key: &str) -> Result<bool> {
        let none: Option<&[u8]> = None;
        Ok(self
            .docs
            .compare_and_swap(keys::doc(kind.tag(), key), none, Some(&[][..]))?
            .is_ok())
    }

    fn invitation_answer(&self, invitation: &str) -> Result<Option<ResponseId>> {
        match self.responses.get(keys::invitation_used(invitation))? {
            Some(v) => Ok(Some(
                ResponseId::from_bytes(&v)
                    .ok_or_else(|| Error::Corrupt("invitation use".into()))?,
            )),
            None => Ok(None),
        }
    }

    fn personal(&self, form: &str, id: ResponseId) -> Result<Option<BTreeMap<String, Answer>>> {
        if id.seq > self.durable_seq()? {
            return Ok(None);
        }
        self.responses
            .get(keys::personal(form, id))?
            .map(|v| parse(&v))
            .transpose()
    }

    fn erase_personal(&self, form: &str, id: ResponseId) -> Result<bool> {
        let was = self.responses.remove(keys::personal(form, id))?.is_some();
        self.sync_now()?;
        Ok(was)
    }

    fn erase_personal_before(&self, form: &str, expiries: &Expiries) -> Result<usize> {
        let prefix = keys::personal_prefix(form);
        let latest = latest_expiry(expiries);
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for k in self.responses.scan_prefix(&prefix).keys() {
            let k = k?;
            let id = keys::response_id(&k).ok_or_else(|| Error::Corrupt("personal key".into()))?;
            if id.ms >= latest {
                break;
            }
            // By the period of the version answered (few responses have
            // personal answers: one read each).
            let version = self.response(form, id)?.map(|r| r.version);
            if personal_due(expiries, id, version) {
                batch.remove(k);
                n += 1;
            }
        }
        if n > 0 {
            self.responses.apply_batch(batch)?;
            self.sync_now()?;
        }
        Ok(n)
    }

    fn response(&self, form: &str, id: ResponseId) -> Result<Option<StoredResponse>> {
        self.one(form, keys::response(form, id), id)
    }

    fn set_manual_code(
        &self,
        form: &str,
        id: ResponseId,
        question: &str,
        code: &ManualCode,
    ) -> Result<()> {
        let key = keys::codes(form, id);
        let mut all: BTreeMap<String, ManualCode> = match self.codes.get(&key)? {
            Some(v) => serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?,
            None => BTreeMap::new(),
        };
        all.insert(question.to_owned(), code.clone());
        let v = serde_json::to_vec(&all).map_err(|e| Error::Corrupt(e.to_string()))?;
        self.codes.insert(key, v)?;
        self.sync_now()
    }

    fn scan_raw(&self, form: &str, f: &mut dyn FnMut(ResponseId, &[u8])) -> Result<()> {
        let durable = self.durable_seq()?;
        let versions = self.versions(form);
        let names = versions.names();
        for item in self.responses.scan_prefix(keys::response_prefix(form)) {
            let (k, v) = item?;
            let id = keys::response_id(&k).ok_or_else(|| Error::Corrupt("response key".into()))?;
            if id.seq > durable {
                continue;
            }
            if stored::is_rest(&v) {
                // Kept as record and rest: its JSON, as the readers of
                // JSON expect.
                let r = self.read_value(form, id, &k, &v, &names)?;
                f(
                    id,
                    &serde_json::to_vec(&r).map_err(|e| Error::Corrupt(e.to_string()))?,
                );
            } else {
                f(id, &v);
            }
        }
        Ok(())
    }

    fn commit_stats(&self) -> Option<crate::store::CommitStats> {
        Some(crate::store::CommitStats {
            groups: self.commit.groups.load(Ordering::Relaxed),
            submissions: self.commit.answered.load(Ordering::Relaxed),
        })
    }

    fn accepts_writes(&self) -> bool {
        self.durable_seq().is_ok()
    }

    fn records_complete(&self) -> bool {
        self.records_complete.load(Ordering::Acquire)
    }

    fn form_versions(&self, id: &str) -> Result<Vec<Form>> {
        let mut out = Vec::new();
        for item in self.forms_tree.scan_prefix(keys::form_prefix(id)) {
            let (_, v) = item?;
            out.push(serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?);
        }
        Ok(out)
    }

    fn scan_records(&self, form: &str, f: &mut dyn FnMut(ResponseId, &[u8])) -> Result<()> {
        let durable = self.durable_seq()?;
        for item in self.responses.scan_prefix(keys::record_prefix(form)) {
            let (k, v) = item?;
            let id = keys::response_id(&k).ok_or_else(|| Error::Corrupt("record key".into()))?;
            if id.seq <= durable {
                f(id, &v);
            }
        }
        Ok(())
    }

    fn add_counts(&self, counts: &[(CountKey, u64)]) -> Result<()> {
        self.add_counts_now(counts)
    }

    fn counts(&self, form: &str) -> Result<Vec<(CountKey, u64)>> {
        self.counts_of(form)
    }

    fn erase_text(&self, form: &str, expiries: &Expiries) -> Result<usize> {
        self.erase_text_before(form, expiries)
    }

    fn recode(
        &self,
        form: &str,
        from: Option<ResponseId>,
        f: &mut dyn FnMut(&mut [StoredResponse]) -> Option<Vec<bool>>,
    ) -> Result<usize> {
        self.recode_from(form, from, f)
    }

    fn manual_codes(&self, form: &str) -> Result<Vec<(ResponseId, BTreeMap<String, ManualCode>)>> {
        let mut out = Vec::new();
        for item in self.codes.scan_prefix(keys::codes_prefix(form)) {
            let (k, v) = item?;
            let id = keys::response_id(&k).ok_or_else(|| Error::Corrupt("codes key".into()))?;
            out.push((
                id,
                serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?,
            ));
        }
        Ok(out)
    }
}

impl SledStore {
    /// Durable responses to `form` stored under `prefix`, from key `start`
    /// on, at most `limit`: what both the responses and the flagged ones
    /// are read with.
    /// The durable response stored under `key`, with its id `id`.
    fn one(&self, form: &str, key: Vec<u8>, id: ResponseId) -> Result<Option<StoredResponse>> {
        if id.seq > self.durable_seq()? {
            return Ok(None);
        }
        match self.responses.get(&key)? {
            // Only a record needs the names of the form's versions.
            Some(v) if stored::is_rest(&v) => {
                let versions = self.versions(form);
                Ok(Some(self.read_value(
                    form,
                    id,
                    &key,
                    &v,
                    &versions.names(),
                )?))
            }
            Some(v) => Ok(Some(self.read_value(form, id, &key, &v, &[])?)),
            None => Ok(None),
        }
    }

    /// The durable responses under `prefix` after the one `key` names for
    /// `after` (all from the start when none), at most `limit`.
    fn page_after(
        &self,
        form: &str,
        prefix: &[u8],
        key: fn(&str, ResponseId) -> Vec<u8>,
        after: Option<ResponseId>,
        limit: usize,
    ) -> Result<Vec<StoredResponse>> {
        let start = match after {
            // The next key after `after`: append a byte.
            Some(id) => {
                let mut k = key(form, id);
                k.push(0);
                k
            }
            None => prefix.to_vec(),
        };
        self.durable_page(form, prefix, start, limit)
    }

    fn durable_page(
        &self,
        form: &str,
        prefix: &[u8],
        start: Vec<u8>,
        limit: usize,
    ) -> Result<Vec<StoredResponse>> {
        let durable = self.durable_seq()?;
        let versions = self.versions(form);
        let names = versions.names();
        let mut out = Vec::new();
        for item in self.responses.range(start..) {
            let (k, v) = item?;
            if !k.starts_with(prefix) || out.len() >= limit {
                break;
            }
            let id = keys::response_id(&k).ok_or_else(|| Error::Corrupt("response key".into()))?;
            if id.seq > durable {
                continue;
            }
            out.push(self.read_value(form, id, &k, &v, &names)?);
        }
        Ok(out)
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| Error::Corrupt(e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(v: &[u8]) -> Result<T> {
    serde_json::from_slice(v).map_err(|e| Error::Corrupt(e.to_string()))
}

/// A stored token: a [`TokenRecord`], or a bare role as tokens were stored
/// before they had labels, expiry and scope.
fn token_of(v: &[u8]) -> Result<TokenRecord> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Record(TokenRecord),
        Role(Role),
    }
    Ok(match parse(v)? {
        Stored::Record(t) => t,
        Stored::Role(role) => TokenRecord {
            created_ms: 0,
            ..TokenRecord::new(role)
        },
    })
}

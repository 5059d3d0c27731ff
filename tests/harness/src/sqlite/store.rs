//! The [`Store`] trait over the tables: forms, submissions (queued for the
//! commit thread), responses kept and aside, tokens, alerts, small records,
//! invitations, personal answers and manual codes. Counts, erasure and
//! backups have modules of their own.

use super::commit::{Pending, Reply};
use super::{id_of, json, parse, response_of, sql_limit, Db, SqliteStore};
use collector::model::{
    now_ms, CountKey, FormSummary, ManualCode, NewResponse, StoredResponse, TokenRecord,
    SAFEGUARDING_RULE_PREFIX,
};
use collector::store::{
    latest_expiry, personal_due, Alert, BackupInfo, BoxFuture, Doc, Error, Expiries, Published,
    ResponseId, Result, Store, Submitted,
};
use rusqlite::{params, OptionalExtension};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use survey::{Answer, Form};

/// Two forms are the same content if they differ at most in version.
fn same_content(a: &Form, b: &Form) -> bool {
    let mut b = b.clone();
    b.version = a.version;
    *a == b
}

impl Store for SqliteStore {
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
        let value = json(&form)?;
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO forms (id, version, json) VALUES (?1, ?2, ?3)",
                params![form.id, form.version, value],
            )
            .db()
        })?;
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

    fn forms(&self) -> Result<Vec<FormSummary>> {
        let current = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut out = current
            .values()
            .map(|p| {
                let responses: u64 = self.read(|conn| {
                    conn.prepare_cached(
                        "SELECT count(*) FROM responses WHERE form = ?1 AND flagged = 0",
                    )
                    .db()?
                    .query_row([&p.form.id], |r| r.get(0))
                    .db()
                })?;
                Ok(FormSummary {
                    id: p.form.id.clone(),
                    version: p.form.version,
                    title: p
                        .form
                        .title
                        .get(&p.form.default_lang, &p.form.default_lang)
                        .to_owned(),
                    responses,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
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
            let flagged = response.flag.is_some();
            let personal = match response.personal.is_empty() {
                true => None,
                false => Some(json(&response.personal)?),
            };
            // A response a bot check doubted raises no alert but for
            // safeguarding, as in the other stores.
            let alerts: Vec<String> = alerts
                .into_iter()
                .filter(|r| !flagged || r.starts_with(SAFEGUARDING_RULE_PREFIX))
                .collect();
            loop {
                // Stamped no earlier than the newest id, as ids must rise;
                // the commit thread sends it back if one overtook it.
                let received_ms = now_ms().max(self.queue.last_ms.load(Ordering::Acquire));
                let value = response
                    .stored_json(received_ms)
                    .map_err(|e| Error::Corrupt(e.to_string()))?;
                let alert = (!alerts.is_empty()).then(|| {
                    let stamp = ResponseId {
                        ms: received_ms,
                        seq: 0,
                    };
                    Alert::raised_by(response, stamp, alerts.clone())
                });
                let (reply, answer) = tokio::sync::oneshot::channel();
                self.queue.enqueue(Pending {
                    form: response.form.clone(),
                    submission: submission_id.to_owned(),
                    received_ms,
                    json: value,
                    flagged,
                    record: record.clone(),
                    invitation: response.invitation.clone(),
                    personal: personal.clone(),
                    alert,
                    reply,
                })?;
                match answer.await {
                    Ok(Reply::Done(result)) => return result,
                    Ok(Reply::Stale) => continue,
                    // The commit thread failed.
                    Err(_) => return Err(Error::Unavailable),
                }
            }
        })
    }

    fn flagged(&self, form: &str, limit: usize) -> Result<Vec<StoredResponse>> {
        self.page(form, true, None, limit)
    }

    fn flagged_after(
        &self,
        form: &str,
        after: Option<ResponseId>,
        limit: usize,
    ) -> Result<Vec<StoredResponse>> {
        self.page(form, true, after, limit)
    }

    fn flagged_response(&self, form: &str, id: ResponseId) -> Result<Option<StoredResponse>> {
        self.one(form, true, id)
    }

    fn responses(
        &self,
        form: &str,
        after: Option<ResponseId>,
        limit: usize,
    ) -> Result<Vec<StoredResponse>> {
        self.page(form, false, after, limit)
    }

    fn put_token(&self, hash: [u8; 32], token: &TokenRecord) -> Result<()> {
        let value = json(token)?;
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO tokens (hash, json) VALUES (?1, ?2)",
                params![hash, value],
            )
            .db()?;
            Ok(())
        })
    }

    fn token(&self, hash: &[u8; 32]) -> Result<Option<TokenRecord>> {
        let value = self.read(|conn| {
            conn.prepare_cached("SELECT json FROM tokens WHERE hash = ?1")
                .db()?
                .query_row([hash], |r| r.get::<_, Vec<u8>>(0))
                .optional()
                .db()
        })?;
        value.map(|v| parse(&v)).transpose()
    }

    fn tokens(&self) -> Result<Vec<([u8; 32], TokenRecord)>> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached("SELECT hash, json FROM tokens ORDER BY hash")
                .db()?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
                })
                .db()?;
            rows.map(|row| {
                let (hash, value) = row.db()?;
                let hash: [u8; 32] = hash
                    .try_into()
                    .map_err(|_| Error::Corrupt("token hash".into()))?;
                Ok((hash, parse(&value)?))
            })
            .collect()
        })
    }

    fn pending_alerts(&self, limit: usize) -> Result<Vec<Alert>> {
        self.alerts_where(
            "SELECT json FROM alerts WHERE pending = 1 ORDER BY seq LIMIT ?1",
            params![sql_limit(limit)],
        )
    }

    fn take_alert(&self, seq: u64) -> Result<()> {
        let Ok(seq) = i64::try_from(seq) else {
            return Ok(());
        };
        self.write(|tx| {
            tx.execute("UPDATE alerts SET pending = 0 WHERE seq = ?1", [seq])
                .db()?;
            Ok(())
        })
    }

    fn alerts_after(&self, after: u64, limit: usize) -> Result<Vec<Alert>> {
        let Ok(after) = i64::try_from(after) else {
            return Ok(Vec::new());
        };
        self.alerts_where(
            "SELECT json FROM alerts WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            params![after, sql_limit(limit)],
        )
    }

    fn alert(&self, seq: u64) -> Result<Option<Alert>> {
        let Ok(seq) = i64::try_from(seq) else {
            return Ok(None);
        };
        Ok(self
            .alerts_where("SELECT json FROM alerts WHERE seq = ?1", params![seq])?
            .pop())
    }

    fn last_alert_seq(&self) -> Result<u64> {
        self.read(|conn| {
            conn.query_row("SELECT coalesce(max(seq), 0) FROM alerts", [], |r| r.get(0))
                .db()
        })
    }

    fn put_doc(&self, kind: Doc, key: &str, value: &[u8]) -> Result<()> {
        self.put_docs_of(kind, &[(key, value)])
    }

    fn get_doc(&self, kind: Doc, key: &str) -> Result<Option<Vec<u8>>> {
        self.read(|conn| {
            conn.prepare_cached("SELECT value FROM docs WHERE kind = ?1 AND key = ?2")
                .db()?
                .query_row(params![kind.tag(), key], |r| r.get(0))
                .optional()
                .db()
        })
    }

    fn docs(&self, kind: Doc, after: Option<&str>, limit: usize) -> Result<Vec<(String, Vec<u8>)>> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT key, value FROM docs WHERE kind = ?1 AND (?2 IS NULL OR key > ?2)
                     ORDER BY key LIMIT ?3",
                )
                .db()?;
            let rows = stmt
                .query_map(params![kind.tag(), after, sql_limit(limit)], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .db()?;
            rows.map(Db::db).collect()
        })
    }

    fn remove_doc(&self, kind: Doc, key: &str) -> Result<bool> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "DELETE FROM docs WHERE kind = ?1 AND key = ?2",
                    params![kind.tag(), key],
                )
                .db()?;
            Ok(n > 0)
        })
    }

    fn put_docs(&self, kind: Doc, records: &[(String, Vec<u8>)]) -> Result<()> {
        let records: Vec<(&str, &[u8])> = records
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        self.put_docs_of(kind, &records)
    }

    fn invitation_answer(&self, invitation: &str) -> Result<Option<ResponseId>> {
        let id = self.read(|conn| {
            conn.prepare_cached("SELECT id FROM invitations WHERE invitation = ?1")
                .db()?
                .query_row([invitation], |r| r.get::<_, Vec<u8>>(0))
                .optional()
                .db()
        })?;
        id.map(|id| id_of(&id)).transpose()
    }

    fn personal(&self, form: &str, id: ResponseId) -> Result<Option<BTreeMap<String, Answer>>> {
        let value = self.read(|conn| {
            conn.prepare_cached("SELECT json FROM personal WHERE form = ?1 AND id = ?2")
                .db()?
                .query_row(params![form, id.to_bytes()], |r| r.get::<_, Vec<u8>>(0))
                .optional()
                .db()
        })?;
        value.map(|v| parse(&v)).transpose()
    }

    fn erase_personal(&self, form: &str, id: ResponseId) -> Result<bool> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "DELETE FROM personal WHERE form = ?1 AND id = ?2",
                    params![form, id.to_bytes()],
                )
                .db()?;
            Ok(n > 0)
        })
    }

    fn erase_personal_before(&self, form: &str, expiries: &Expiries) -> Result<usize> {
        // Every id received before the latest time sorts before this one.
        let end = ResponseId {
            ms: latest_expiry(expiries),
            seq: 0,
        };
        let ids: Vec<Vec<u8>> = self.read(|conn| {
            let mut q = conn
                .prepare_cached("SELECT id FROM personal WHERE form = ?1 AND id < ?2")
                .db()?;
            let rows = q
                .query_map(params![form, end.to_bytes()], |row| row.get(0))
                .db()?;
            rows.collect::<rusqlite::Result<_>>().db()
        })?;
        let mut due = Vec::new();
        for bytes in ids {
            let id = ResponseId::from_bytes(&bytes)
                .ok_or_else(|| Error::Corrupt("personal id".into()))?;
            let version = self.response(form, id)?.map(|r| r.version);
            if personal_due(expiries, id, version) {
                due.push(bytes);
            }
        }
        self.write(|tx| {
            let mut n = 0;
            for id in &due {
                n += tx
                    .execute(
                        "DELETE FROM personal WHERE form = ?1 AND id = ?2",
                        params![form, id],
                    )
                    .db()?;
            }
            Ok(n)
        })
    }

    fn response(&self, form: &str, id: ResponseId) -> Result<Option<StoredResponse>> {
        self.one(form, false, id)
    }

    fn set_manual_code(
        &self,
        form: &str,
        id: ResponseId,
        question: &str,
        code: &ManualCode,
    ) -> Result<()> {
        let value = json(code)?;
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO codes (form, id, question, json) VALUES (?1, ?2, ?3, ?4)",
                params![form, id.to_bytes(), question, value],
            )
            .db()?;
            Ok(())
        })
    }

    fn manual_codes(&self, form: &str) -> Result<Vec<(ResponseId, BTreeMap<String, ManualCode>)>> {
        let rows: Vec<(Vec<u8>, String, Vec<u8>)> = self.read(|conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT id, question, json FROM codes WHERE form = ?1 ORDER BY id, question",
                )
                .db()?;
            let rows = stmt
                .query_map([form], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .db()?;
            rows.map(Db::db).collect()
        })?;
        let mut out: Vec<(ResponseId, BTreeMap<String, ManualCode>)> = Vec::new();
        for (id, question, value) in rows {
            let id = id_of(&id)?;
            let code = parse(&value)?;
            match out.last_mut() {
                Some((last, codes)) if *last == id => {
                    codes.insert(question, code);
                }
                _ => out.push((id, BTreeMap::from([(question, code)]))),
            }
        }
        Ok(out)
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

    fn add_counts(&self, counts: &[(CountKey, u64)]) -> Result<()> {
        self.add_counts_now(counts)
    }

    fn counts(&self, form: &str) -> Result<Vec<(CountKey, u64)>> {
        self.counts_of(form)
    }

    fn scan_raw(&self, form: &str, f: &mut dyn FnMut(ResponseId, &[u8])) -> Result<()> {
        self.scan(form, "json", f)
    }

    fn form_versions(&self, id: &str) -> Result<Vec<Form>> {
        let rows: Vec<Vec<u8>> = self.read(|conn| {
            let mut stmt = conn
                .prepare_cached("SELECT json FROM forms WHERE id = ?1 ORDER BY version")
                .db()?;
            let rows = stmt.query_map([id], |r| r.get(0)).db()?;
            rows.map(Db::db).collect()
        })?;
        rows.iter().map(|v| parse(v)).collect()
    }

    fn accepts_writes(&self) -> bool {
        !self.queue.failed.load(Ordering::Acquire)
    }

    fn commit_stats(&self) -> Option<collector::store::CommitStats> {
        let s = self.queue.stats();
        Some(collector::store::CommitStats {
            groups: s.groups,
            submissions: s.submissions,
        })
    }

    fn backup(&self, dest: &Path) -> Result<BackupInfo> {
        self.backup_into(dest)
    }

    fn scan_records(&self, form: &str, f: &mut dyn FnMut(ResponseId, &[u8])) -> Result<()> {
        self.scan(form, "record", f)
    }
}

impl SqliteStore {
    /// Durable responses to `form`, kept (`flagged` false) or aside, after
    /// `after`, oldest first, at most `limit`.
    fn page(
        &self,
        form: &str,
        flagged: bool,
        after: Option<ResponseId>,
        limit: usize,
    ) -> Result<Vec<StoredResponse>> {
        // Every 16-byte id sorts after the empty blob.
        let after = after.map(ResponseId::to_bytes);
        let after: &[u8] = after.as_ref().map_or(&[], |a| &a[..]);
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT id, json FROM responses WHERE form = ?1 AND flagged = ?2 AND id > ?3
                     ORDER BY id LIMIT ?4",
                )
                .db()?;
            let rows = stmt
                .query_map(params![form, flagged, after, sql_limit(limit)], |r| {
                    Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
                })
                .db()?;
            rows.map(|row| {
                let (id, json) = row.db()?;
                response_of(form, &id, &json)
            })
            .collect()
        })
    }

    /// One durable response, kept or aside.
    fn one(&self, form: &str, flagged: bool, id: ResponseId) -> Result<Option<StoredResponse>> {
        let key = id.to_bytes();
        let json = self.read(|conn| {
            conn.prepare_cached(
                "SELECT json FROM responses WHERE form = ?1 AND flagged = ?2 AND id = ?3",
            )
            .db()?
            .query_row(params![form, flagged, key], |r| r.get::<_, Vec<u8>>(0))
            .optional()
            .db()
        })?;
        json.map(|json| response_of(form, &key, &json)).transpose()
    }

    /// Calls `f` with the id and column `column` of every durable response
    /// kept for `form`, oldest first.
    fn scan(&self, form: &str, column: &str, f: &mut dyn FnMut(ResponseId, &[u8])) -> Result<()> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT id, {column} FROM responses WHERE form = ?1 AND flagged = 0 ORDER BY id"
                ))
                .db()?;
            let mut rows = stmt.query([form]).db()?;
            while let Some(row) = rows.next().db()? {
                // Borrowed from the row: no copy per response.
                let corrupt = |e: rusqlite::types::FromSqlError| Error::Corrupt(e.to_string());
                let id = row.get_ref(0).db()?.as_blob().map_err(corrupt)?;
                let bytes = row.get_ref(1).db()?.as_blob_or_null().map_err(corrupt)?;
                f(id_of(id)?, bytes.unwrap_or_default());
            }
            Ok(())
        })
    }

    fn alerts_where(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Result<Vec<Alert>> {
        let rows: Vec<Vec<u8>> = self.read(|conn| {
            let mut stmt = conn.prepare_cached(sql).db()?;
            let rows = stmt.query_map(params, |r| r.get(0)).db()?;
            rows.map(Db::db).collect()
        })?;
        rows.iter().map(|v| parse(v)).collect()
    }

    /// Stores small records of a kind in one transaction.
    fn put_docs_of(&self, kind: Doc, records: &[(&str, &[u8])]) -> Result<()> {
        self.write(|tx| {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO docs (kind, key, value) VALUES (?1, ?2, ?3)",
                )
                .db()?;
            for (key, value) in records {
                stmt.execute(params![kind.tag(), key, value]).db()?;
            }
            Ok(())
        })
    }
}

//! Rewriting stored responses: erasing free text past a form's retention
//! period (text answers replaced with the fixed marker) and re-coding
//! answers after a theme model changes. The responses (kept and aside) in
//! an id range are read a page at a time and each page's changes written
//! as one transaction, so a group of submissions waits at most for one.
//!
//! ```text
//! responses [form, flagged, id < before] ─► StoredResponse::erase_text ─► UPDATE, 500 a transaction
//! ```
//!
//! The old text can linger in free space and in the log until SQLite
//! reuses them (a `VACUUM`, or a backup, writes a copy without it).

use super::{json, parse, Db, SqliteStore, ERASE_BATCH};
use collector::model::record::{encode, Names};
use collector::model::StoredResponse;
use collector::store::{erase_expired, latest_expiry, Error, Expiries, ResponseId, Result, Store};
use rusqlite::params;

impl SqliteStore {
    /// See [`Store::erase_text`]: responses kept and aside, a batch at a
    /// time.
    pub(super) fn erase_text_before(&self, form: &str, expiries: &Expiries) -> Result<usize> {
        if !self.accepts_writes() {
            return Err(Error::Unavailable);
        }
        if expiries.values().all(|e| e.questions.is_empty()) {
            return Ok(0);
        }
        let end = ResponseId {
            ms: latest_expiry(expiries),
            seq: 0,
        }
        .to_bytes()
        .to_vec();
        let _rewriting = self.rewriting.lock().unwrap_or_else(|e| e.into_inner());
        let mut erase = |run: &mut [StoredResponse]| {
            Some(run.iter_mut().map(|r| erase_expired(expiries, r)).collect())
        };
        let (kept, _) = self.rewrite_in(form, false, Vec::new(), &end, None, &mut erase)?;
        let (aside, _) = self.rewrite_in(form, true, Vec::new(), &end, None, &mut erase)?;
        Ok(kept + aside)
    }

    /// See [`Store::recode`]: responses kept and aside from `from` on, a
    /// batch at a time, records rewritten with them.
    pub(super) fn recode_from(
        &self,
        form: &str,
        from: Option<ResponseId>,
        f: &mut dyn FnMut(&mut [StoredResponse]) -> Option<Vec<bool>>,
    ) -> Result<usize> {
        if !self.accepts_writes() {
            return Err(Error::Unavailable);
        }
        let _rewriting = self.rewriting.lock().unwrap_or_else(|e| e.into_inner());
        let versions = self.form_versions(form)?;
        let names: Vec<Names<'_>> = versions.iter().map(Names::of).collect();
        // Ids are 16 bytes: this is after every one.
        let end = vec![0xff; 17];
        // `after` is exclusive: the id just before `from` (big-endian
        // bytes less one), or nothing when `from` is the first id.
        let after = from.map_or_else(Vec::new, |id| {
            let mut b = id.to_bytes().to_vec();
            for byte in b.iter_mut().rev() {
                let (less, borrow) = byte.overflowing_sub(1);
                *byte = less;
                if !borrow {
                    return b;
                }
            }
            Vec::new()
        });
        let mut recode =
            |run: &mut [StoredResponse]| Some(f(run)?.into_iter().map(usize::from).collect());
        let (kept, stopped) =
            self.rewrite_in(form, false, after.clone(), &end, Some(&names), &mut recode)?;
        if stopped {
            return Ok(kept);
        }
        Ok(kept
            + self
                .rewrite_in(form, true, after, &end, None, &mut recode)?
                .0)
    }

    /// Rewrites the responses to `form` (kept or aside) with ids after
    /// `after` and before `end` that `f` changes, [`ERASE_BATCH`] at a time
    /// (it returns how many of each one's answers changed, or `None` to
    /// stop before that batch is written), a transaction per batch; with
    /// `names`, their index records too. The caller holds `rewriting`.
    /// Returns the sum of `f`'s counts and whether it stopped.
    fn rewrite_in(
        &self,
        form: &str,
        flagged: bool,
        mut after: Vec<u8>,
        end: &[u8],
        names: Option<&[Names<'_>]>,
        f: &mut dyn FnMut(&mut [StoredResponse]) -> Option<Vec<usize>>,
    ) -> Result<(usize, bool)> {
        let mut total = 0;
        loop {
            let page: Vec<(i64, Vec<u8>, Vec<u8>)> = self.read(|conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT seq, id, json FROM responses
                         WHERE form = ?1 AND flagged = ?2 AND id > ?3 AND id < ?4
                         ORDER BY id LIMIT ?5",
                    )
                    .db()?;
                let rows = stmt
                    .query_map(
                        params![form, flagged, after, end, ERASE_BATCH as i64],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .db()?;
                rows.map(Db::db).collect()
            })?;
            let Some((_, last, _)) = page.last() else {
                return Ok((total, false));
            };
            after = last.clone();
            let mut run = page
                .iter()
                .map(|(_, _, value)| parse(value))
                .collect::<Result<Vec<StoredResponse>>>()?;
            let Some(counts) = f(&mut run) else {
                return Ok((total, true));
            };
            let mut changed = Vec::new();
            for (((seq, _, _), r), n) in page.iter().zip(run).zip(counts) {
                if n > 0 {
                    total += n;
                    let record = names.map(|names| {
                        let at = names.iter().find(|n| n.version() == r.version);
                        encode(&r, at)
                    });
                    changed.push((*seq, json(&r)?, record));
                }
            }
            if !changed.is_empty() {
                self.write(|tx| {
                    let mut stmt = tx
                        .prepare_cached(
                            "UPDATE responses SET json = ?2, record = coalesce(?3, record) WHERE seq = ?1",
                        )
                        .db()?;
                    for (seq, value, record) in &changed {
                        stmt.execute(params![seq, value, record]).db()?;
                    }
                    Ok(())
                })?;
            }
        }
    }
}

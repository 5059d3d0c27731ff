//! Erasing free text past a form's retention period: the responses (kept
//! and aside) received before a time are read a page at a time, their text
//! answers replaced with the fixed marker, and each page's changes written
//! as one transaction, so a group of submissions waits at most for one.
//!
//! ```text
//! responses [form, flagged, id < before] ─► StoredResponse::erase_text ─► UPDATE, 500 a transaction
//! ```
//!
//! The old text can linger in free space and in the log until SQLite
//! reuses them (a `VACUUM`, or a backup, writes a copy without it).

use super::{json, parse, Db, SqliteStore, ERASE_BATCH};
use collector::model::StoredResponse;
use collector::store::{Error, ResponseId, Result, Store};
use rusqlite::params;

impl SqliteStore {
    /// See [`Store::erase_text`]: responses kept and aside, a batch at a
    /// time.
    pub(super) fn erase_text_before(
        &self,
        form: &str,
        before_ms: u64,
        questions: &[String],
    ) -> Result<usize> {
        if !self.accepts_writes() {
            return Err(Error::Unavailable);
        }
        if questions.is_empty() {
            return Ok(0);
        }
        let end = ResponseId {
            ms: before_ms,
            seq: 0,
        };
        Ok(self.erase_text_in(form, false, end, questions)?
            + self.erase_text_in(form, true, end, questions)?)
    }

    /// Erases the text of `questions` in responses to `form` (kept or
    /// aside) before `end`, a transaction per [`ERASE_BATCH`] rewritten.
    fn erase_text_in(
        &self,
        form: &str,
        flagged: bool,
        end: ResponseId,
        questions: &[String],
    ) -> Result<usize> {
        let end = end.to_bytes();
        let mut after = Vec::new();
        let mut erased = 0;
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
                return Ok(erased);
            };
            after = last.clone();
            let mut changed = Vec::new();
            for (seq, _, value) in &page {
                let mut r: StoredResponse = parse(value)?;
                let n = r.erase_text(questions);
                if n > 0 {
                    erased += n;
                    changed.push((*seq, json(&r)?));
                }
            }
            if !changed.is_empty() {
                self.write(|tx| {
                    let mut stmt = tx
                        .prepare_cached("UPDATE responses SET json = ?2 WHERE seq = ?1")
                        .db()?;
                    for (seq, value) in &changed {
                        stmt.execute(params![seq, value]).db()?;
                    }
                    Ok(())
                })?;
            }
        }
    }
}

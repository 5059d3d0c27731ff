//! The funnel's counts: one row per key, added to a batch at a time in one
//! transaction (read, add, write), and read back per form.

use super::{Db, SqliteStore};
use collector::model::{CountKey, Step};
use collector::store::{Error, Result, Store};
use rusqlite::{params, OptionalExtension};
use std::collections::BTreeMap;

impl SqliteStore {
    /// See [`Store::add_counts`](collector::store::Store::add_counts).
    pub(super) fn add_counts_now(&self, counts: &[(CountKey, u64)]) -> Result<()> {
        if !self.accepts_writes() {
            return Err(Error::Unavailable);
        }
        if counts.is_empty() {
            return Ok(());
        }
        // The same key twice in one call adds up before it is written.
        let mut sums: BTreeMap<&CountKey, u64> = BTreeMap::new();
        for (k, n) in counts {
            let sum = sums.entry(k).or_default();
            *sum = sum.saturating_add(*n);
        }
        self.write(|tx| {
            let mut read = tx
                .prepare_cached(
                    "SELECT n FROM counts WHERE form = ?1 AND version = ?2 AND day = ?3
                     AND location = ?4 AND channel = ?5 AND lang = ?6 AND step = ?7
                     AND last_question = ?8",
                )
                .db()?;
            let mut write = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO counts
                     (form, version, day, location, channel, lang, step, last_question, n)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .db()?;
            for (k, n) in sums {
                let key = params![
                    k.form,
                    k.version,
                    k.day,
                    k.location,
                    k.channel,
                    k.lang,
                    k.step.name(),
                    k.last_question
                ];
                let old: u64 = read
                    .query_row(key, |r| r.get(0))
                    .optional()
                    .db()?
                    .unwrap_or(0);
                // SQLite's integers are signed: a sum stops at i64::MAX.
                let sum = old.saturating_add(n).min(i64::MAX as u64);
                write
                    .execute(params![
                        k.form,
                        k.version,
                        k.day,
                        k.location,
                        k.channel,
                        k.lang,
                        k.step.name(),
                        k.last_question,
                        sum
                    ])
                    .db()?;
            }
            Ok(())
        })
    }

    /// Every stored count of `form`.
    pub(super) fn counts_of(&self, form: &str) -> Result<Vec<(CountKey, u64)>> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT version, day, location, channel, lang, step, last_question, n
                     FROM counts WHERE form = ?1",
                )
                .db()?;
            let rows = stmt
                .query_map([form], |r| {
                    let step: String = r.get(5)?;
                    let step = Step::parse(&step).ok_or_else(|| {
                        rusqlite::Error::FromSqlConversionFailure(
                            5,
                            rusqlite::types::Type::Text,
                            format!("no funnel step is called {step}").into(),
                        )
                    })?;
                    let key = CountKey {
                        form: form.to_owned(),
                        version: r.get(0)?,
                        day: r.get(1)?,
                        location: r.get(2)?,
                        channel: r.get(3)?,
                        lang: r.get(4)?,
                        step,
                        last_question: r.get(6)?,
                    };
                    Ok((key, r.get(7)?))
                })
                .db()?;
            rows.map(Db::db).collect()
        })
    }
}

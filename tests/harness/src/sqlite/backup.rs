//! Backups while serving: SQLite's `VACUUM INTO` writes a snapshot of the
//! database (what was committed when it began, so every acknowledged
//! submission) into a new folder, which is then synced; the copy is itself
//! a data folder, opened with [`SqliteStore::open`].

use super::{Db, SqliteStore, FILE};
use collector::store::{BackupInfo, Error, Result};
use rusqlite::Connection;
use std::fs::File;
use std::path::Path;

impl SqliteStore {
    /// A snapshot of the database written by SQLite's `VACUUM INTO` into
    /// `dest/responses.sqlite3`, then synced: itself a data folder.
    /// Submissions do not wait for it: in WAL mode a reader's snapshot
    /// holds no lock that a writer needs.
    pub(super) fn backup_into(&self, dest: &Path) -> Result<BackupInfo> {
        let empty = match std::fs::read_dir(dest) {
            Ok(mut entries) => entries.next().is_none(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(e) => return Err(e.into()),
        };
        if !empty {
            return Err(Error::Refused(format!(
                "{} exists and is not empty",
                dest.display()
            )));
        }
        std::fs::create_dir_all(dest)?;
        let copy = dest.join(FILE);
        let name = copy
            .to_str()
            .ok_or_else(|| Error::Refused(format!("{} is not UTF-8", copy.display())))?
            .to_owned();
        self.read(|conn| conn.execute("VACUUM INTO ?1", [&name]).db())?;
        // Counted in the copy itself: exactly what it holds.
        let responses: u64 = Connection::open(&copy)
            .and_then(|c| {
                c.query_row(
                    "SELECT count(*) FROM responses WHERE flagged = 0",
                    [],
                    |r| r.get(0),
                )
            })
            .db()?;
        // SQLite does not sync what VACUUM INTO writes.
        File::open(&copy)?.sync_all()?;
        File::open(dest)?.sync_all()?;
        if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            File::open(parent)?.sync_all()?;
        }
        Ok(BackupInfo {
            path: dest.to_path_buf(),
            responses,
            bytes: std::fs::metadata(&copy)?.len(),
            blocked: std::time::Duration::ZERO,
        })
    }
}

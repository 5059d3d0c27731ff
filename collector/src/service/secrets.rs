//! The deployment's own keys (the invitation signing key, the proof-of-work
//! key, the hosted page's render token key): 32 random bytes each, made on first use and kept in the store, so
//! links and challenges signed before a restart still check after it.

use crate::error::{Error, Result};
use crate::store::{Doc, Store};
use std::sync::Mutex;

/// Serialises making a key, so two first uses at once cannot each store a
/// different one (and sign with a key that is then overwritten).
static MAKING: Mutex<()> = Mutex::new(());

/// The key called `name`, made and stored (durably) on first use.
pub fn named(store: &dyn Store, name: &str) -> Result<Vec<u8>> {
    if let Some(v) = store.get_doc(Doc::Secret, name)? {
        return Ok(v);
    }
    let _one = MAKING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(v) = store.get_doc(Doc::Secret, name)? {
        return Ok(v);
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Io(std::io::Error::other(e)))?;
    store.put_doc(Doc::Secret, name, &bytes)?;
    Ok(bytes.to_vec())
}

/// The key called `name` if one was made.
pub fn existing(store: &dyn Store, name: &str) -> Result<Option<Vec<u8>>> {
    Ok(store.get_doc(Doc::Secret, name)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key is made once: every later use, and a new store over the same
    /// folder, gets the same bytes; keys of other names differ.
    #[test]
    fn a_key_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = {
            let store = crate::store::SledStore::open(dir.path()).unwrap();
            assert_eq!(existing(&store, "k").unwrap(), None);
            let a = named(&store, "k").unwrap();
            assert_eq!(a.len(), 32);
            assert_eq!(named(&store, "k").unwrap(), a);
            (a, named(&store, "other").unwrap())
        };
        assert_ne!(a, b);
        let store = crate::store::SledStore::open(dir.path()).unwrap();
        assert_eq!(named(&store, "k").unwrap(), a);
        assert_eq!(existing(&store, "k").unwrap(), Some(a));
    }
}

//! The dictionary behind each column of the answer index: every distinct
//! string a column has seen (option, place, channel, language or theme id)
//! gets a small code, its position plus one, so rows hold codes, not
//! strings. Code 0 is left for "not answered".
//!
//! ```text
//! "worker" ─code_or_add─► 3 ─► rows of the column ─► name(3) ─► "worker"
//! ```

use std::collections::HashMap;

/// Strings seen in a column, each given a small code (position + 1).
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Dict {
    names: Vec<String>,
    codes: HashMap<String, u32>,
}

impl Dict {
    /// A dictionary of `names`, coded in order.
    pub(super) fn with(names: impl IntoIterator<Item = String>) -> Dict {
        let mut d = Dict::default();
        for n in names {
            d.code_or_add(&n);
        }
        d
    }

    /// The code of `name`, adding it if new (0 when the dictionary is full).
    pub fn code_or_add(&mut self, name: &str) -> u32 {
        if let Some(c) = self.codes.get(name) {
            return *c;
        }
        if self.names.len() >= u16::MAX as usize {
            return 0;
        }
        self.names.push(name.to_owned());
        let c = self.names.len() as u32;
        self.codes.insert(name.to_owned(), c);
        c
    }

    /// The code of `name`, if seen.
    pub fn code(&self, name: &str) -> Option<u32> {
        self.codes.get(name).copied()
    }

    /// The name of a code (`None` for 0 or unknown).
    pub fn name(&self, code: u32) -> Option<&str> {
        self.names
            .get((code as usize).checked_sub(1)?)
            .map(String::as_str)
    }

    /// Number of names (codes run 1..=len).
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.names.iter().map(|n| n.len() * 2 + 48).sum()
    }
}

//! Index records (see [`crate::model::record`], where their layout
//! lives, since the store reads them too), and how the store writes the
//! records it was not handed.

pub use crate::model::record::*;
use crate::store::EncodeRecord;
use survey::Form;

/// How the store writes the records it was not handed
/// ([`crate::store::EncodeRecords`]): the names of every form version in
/// `forms` are worked out once, then each response is encoded with those
/// of the version it answered.
pub fn encoder(forms: &[Form]) -> EncodeRecord<'_> {
    let names: Vec<(&str, Names<'_>)> = forms
        .iter()
        .map(|f| (f.id.as_str(), Names::of(f)))
        .collect();
    Box::new(move |form, r| {
        let names = names
            .iter()
            .find(|(id, n)| *id == form && n.version() == r.version);
        encode(r, names.map(|(_, n)| n))
    })
}

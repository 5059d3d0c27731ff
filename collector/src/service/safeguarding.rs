//! A deployment's own safeguarding phrase lists (`safeguarding_phrases` in
//! the configuration), applied when the collector starts.
//!
//! The file is JSON: form id → a safeguarding section, `{"version",
//! "phrases", "contacts"?}`, read by the same reader as a form's own
//! section. Its lists and version replace the form's; its contacts too,
//! when it gives any. The form is then published as usual, so changed
//! lists make a new form version (each response records the version it
//! answered, and so the lists it was checked against) and unchanged ones
//! make none; a list the form's checks refuse stops the start with the
//! path at fault.
//!
//! ```text
//! safeguarding.json ─► Overrides ─► apply(form) ─► store.publish (new version if changed)
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use survey::{Form, Safeguarding};

/// Replacement safeguarding sections, by form id.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Overrides(BTreeMap<String, Safeguarding>);

impl Overrides {
    /// Reads the file, refusing anything that is not form id → section.
    pub fn load(path: &Path) -> anyhow::Result<Overrides> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        Overrides::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// Parses the file's text.
    pub fn parse(text: &str) -> Result<Overrides, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let serde_json::Value::Object(forms) = value else {
            return Err("expected an object of form id → safeguarding section".into());
        };
        let mut out = BTreeMap::new();
        for (id, section) in forms {
            let sg = Safeguarding::from_value(&section).map_err(|e| match e.path.as_str() {
                "" => format!("{id}: {}", e.message),
                path => format!("{id}.{path}: {}", e.message),
            })?;
            out.insert(id, sg);
        }
        Ok(Overrides(out))
    }

    /// The ids of the forms named.
    pub fn form_ids(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Puts the deployment's lists (and numbers, if it gives any) into
    /// `form`; returns the version applied, or `None` when the file does
    /// not name the form.
    pub fn apply(&self, form: &mut Form) -> Option<&str> {
        let own = self.0.get(&form.id)?;
        let contacts = match (&form.safeguarding, own.contacts.is_empty()) {
            (Some(sg), true) => sg.contacts.clone(),
            _ => own.contacts.clone(),
        };
        form.safeguarding = Some(Safeguarding {
            version: own.version.clone(),
            lists: own.lists.clone(),
            contacts,
        });
        Some(&own.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use survey::Category;

    fn form() -> Form {
        serde_json::from_str(include_str!(
            "../../../examples/forms/community-safety.json"
        ))
        .unwrap()
    }

    #[test]
    fn replaces_the_lists_and_keeps_the_numbers_unless_given() {
        // A list in each of the form's five languages, as its checks ask.
        let o = Overrides::parse(
            r#"{"community-safety": {"version": "clp-7", "phrases": {"threat": {
                "en": ["menaced me"], "pl": ["grozi* mi"], "es": ["me amenaz*"],
                "bn": ["হুমকি দিয়েছে"], "ar": ["هددني"]}}}}"#,
        )
        .unwrap();
        let mut f = form();
        let numbers = f.safeguarding.as_ref().unwrap().contacts.clone();
        assert_eq!(o.apply(&mut f), Some("clp-7"));
        let sg = f.safeguarding.as_ref().unwrap();
        assert_eq!(sg.version, "clp-7");
        assert_eq!(sg.contacts, numbers);
        assert!(sg.check("he menaced me").contains(Category::Threat));
        assert!(
            sg.check("i want to kill myself").is_empty(),
            "replaced, not added"
        );
        assert!(survey::check_form(&f).is_ok());

        let mut other: Form =
            serde_json::from_str(include_str!("../../../examples/forms/street-feedback.json"))
                .unwrap();
        let before = other.clone();
        assert_eq!(o.apply(&mut other), None);
        assert_eq!(other, before, "a form the file does not name is left alone");
    }

    #[test]
    fn faults_name_the_form_and_the_path() {
        let e = Overrides::parse(
            r#"{"community-safety": {"version": "1", "phrases": {"selfharm": {}}}}"#,
        )
        .unwrap_err();
        assert!(
            e.starts_with("community-safety.phrases.selfharm: unknown category"),
            "{e}"
        );
        assert!(Overrides::parse("[]").is_err());
        assert!(Overrides::parse(r#"{"f": {"phrases": {}}}"#)
            .unwrap_err()
            .starts_with("f: missing field `version`"));
    }
}

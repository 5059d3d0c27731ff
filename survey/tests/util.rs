//! Loading the example forms and fixtures, and comparing problems.

use std::path::{Path, PathBuf};
use survey::{Form, Kind, Problem, ProblemKind, Text};

/// The forms shipped in `examples/forms`.
pub const FORMS: [&str; 4] = [
    "community-safety",
    "victim-satisfaction",
    "street-feedback",
    "street-pulse",
];

/// Top-level fields of a submission body, which problems may name.
pub const TOP_LEVEL: [&str; 6] = [
    "body",
    "submission_id",
    "answers",
    "location",
    "channel",
    "lang",
];

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the survey crate sits in the workspace")
        .to_path_buf()
}

/// The JSON source of an example form.
pub fn form_source(name: &str) -> String {
    let path = workspace()
        .join("examples/forms")
        .join(format!("{name}.json"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An example form, parsed, with its places filled from the example
/// register (`examples/places.json`) when it takes them from there, as
/// the collector does when it publishes the form.
pub fn example(name: &str) -> Form {
    let mut form: Form =
        serde_json::from_str(&form_source(name)).unwrap_or_else(|e| panic!("{name}.json: {e}"));
    if let Some(level) = form.place_register {
        let text = std::fs::read_to_string(workspace().join("examples/places.json")).unwrap();
        let register: serde_json::Value = serde_json::from_str(&text).unwrap();
        let list = match level {
            survey::PlaceLevel::Site => "sites",
            survey::PlaceLevel::Ward => "wards",
        };
        form.places = register[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| survey::Place {
                id: p["id"].as_str().unwrap().to_owned(),
                name: survey::Text::from_value(&p["name"]).unwrap(),
            })
            .collect();
    }
    form
}

/// Every fixture in `fixtures/<dir>`, by file name, in name order.
pub fn fixtures(dir: &str) -> Vec<(String, serde_json::Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("readable fixture directory").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let src = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
            let value = serde_json::from_str(&src).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, value)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// A problem code as on the wire (`not_an_option`).
pub fn code(kind: ProblemKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .expect("problem codes serialize as strings")
}

/// `(field, code)` pairs, sorted, for exact comparison.
pub fn pairs(problems: &[Problem]) -> Vec<(String, String)> {
    let mut out: Vec<_> = problems
        .iter()
        .map(|p| (p.field.clone(), code(p.code)))
        .collect();
    out.sort();
    out
}

/// A well-formed submission id, different for each `n`.
pub fn uuid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

/// Every user-facing text of a form, with where it is.
pub fn texts(form: &Form) -> Vec<(String, &Text)> {
    let mut out: Vec<(String, &Text)> = vec![
        ("title".into(), &form.title),
        ("privacy_notice".into(), &form.privacy_notice),
        ("not_for_reporting".into(), &form.not_for_reporting),
    ];
    out.extend(form.intro.iter().map(|t| ("intro".into(), t)));
    out.extend(form.thank_you.iter().map(|t| ("thank_you".into(), t)));
    for p in &form.places {
        out.push((format!("places.{}", p.id), &p.name));
    }
    for q in &form.questions {
        out.push((format!("{}.text", q.id), &q.text));
        out.extend(q.hint.iter().map(|t| (format!("{}.hint", q.id), t)));
        for o in q.options() {
            out.push((format!("{}.{}", q.id, o.id), &o.text));
        }
        if let Kind::Scale { labels, .. } = &q.kind {
            for l in labels {
                out.push((format!("{}.{}", q.id, l.value), &l.text));
            }
        }
    }
    out
}

//! The tags a response arrives with, made safe to keep rather than
//! refused: a place the form and the register do not know is kept as
//! [`survey::UNKNOWN_PLACE`], and a channel that is not a short
//! lower-case word is folded into one (`Twitter Ads` → `twitter-ads`).
//! The person's answer matters more than the tag on the link they
//! followed.

use crate::model::Register;
use survey::Form;

/// Channels are at most this long, as `survey::is_channel` says.
const CHANNEL_MAX: usize = 32;

/// A channel as it is kept: lower case, runs of anything but letters,
/// digits, `-` and `_` as one `-`, at most 32 characters; `unknown` when
/// nothing is left.
pub fn channel(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.trim().chars().flat_map(char::to_lowercase) {
        if out.len() >= CHANNEL_MAX {
            break;
        }
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    if out.is_empty() {
        "unknown".to_owned()
    } else {
        out.to_owned()
    }
}

/// A place tag as it is kept (see [`super::places::normalise`]); an empty
/// tag is no tag.
pub fn place(register: &Register, form: &Form, raw: Option<String>) -> Option<String> {
    super::places::normalise(register, form, raw.filter(|l| !l.trim().is_empty()))
}

/// Puts a JSON submission's `location` and `channel` into the shapes
/// above before it is validated, so neither is ever the reason it is
/// refused: a tag of another type than a string is a mangled one.
pub fn submission(register: &Register, form: &Form, value: &mut serde_json::Value) {
    let Some(obj) = value.as_object_mut() else {
        return;
    };
    match obj.get("location") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::String(s)) => {
            let kept = place(register, form, Some(s.clone()));
            match kept {
                Some(p) => obj.insert("location".into(), p.into()),
                None => obj.remove("location"),
            };
        }
        Some(_) => {
            obj.insert("location".into(), survey::UNKNOWN_PLACE.into());
        }
    }
    match obj.get("channel") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::String(s)) => {
            let kept = channel(s);
            obj.insert("channel".into(), kept.into());
        }
        Some(other) => {
            let kept = channel(&other.to_string());
            obj.insert("channel".into(), kept.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_channels_are_folded_into_words() {
        assert_eq!(channel("qr"), "qr");
        assert_eq!(channel("Twitter Ads"), "twitter-ads");
        assert_eq!(channel("  spring_2026!!  "), "spring_2026");
        assert_eq!(channel("<script>"), "script");
        assert_eq!(channel("日本"), "unknown");
        assert_eq!(channel(&"x".repeat(100)).len(), 32);
        for c in ["Twitter Ads", "<script>", "日本", "a b c", "--"] {
            assert!(survey::is_channel(&channel(c)), "{c}");
        }
    }

    #[test]
    fn a_mangled_location_of_any_type_becomes_unknown() {
        let form = Form::from_value(&serde_json::json!({
            "id": "f", "title": "T", "default_lang": "en", "languages": ["en"],
            "privacy_notice": "P", "not_for_reporting": "N",
            "places": [{"id": "bank", "name": "Bank"}],
            "questions": [{"id": "q", "kind": "scale", "text": "Q", "min": 1, "max": 5, "required": true}]
        }))
        .unwrap();
        let r = Register::default();
        for (given, kept) in [
            (serde_json::json!("bank"), serde_json::json!("bank")),
            (serde_json::json!("Bank!"), serde_json::json!("unknown")),
            (serde_json::json!(12), serde_json::json!("unknown")),
            (serde_json::json!({"a": 1}), serde_json::json!("unknown")),
        ] {
            let mut v = serde_json::json!({"location": given, "channel": "Poster Campaign"});
            submission(&r, &form, &mut v);
            assert_eq!(v["location"], kept);
            assert_eq!(v["channel"], "poster-campaign");
        }
        let mut v = serde_json::json!({"location": ""});
        submission(&r, &form, &mut v);
        assert!(v.get("location").is_none());
    }
}

//! The hosted page as HTML: the form in the GOV.UK patterns (fieldset and
//! legend, bound labels, hints, error summary), the page around it with
//! its critical CSS inline, and the loader that lets the widget take over.
//! The markup matches what the widget renders on a whole page, so the
//! takeover moves nothing; every interpolated text goes through [`esc`].

use super::post::{Fields, HONEYPOT};
use std::fmt::Write as _;
use survey::{Form, Kind, Question};
use ui::i18n::{self, Strings};
use ui::style;

/// The form page; with `help`, led by the support numbers (the person's
/// free text matched the form's safeguarding phrases).
pub(super) fn render_form(
    form: &Form,
    f: &Fields,
    errors: &[(String, String)],
    notice: Option<&str>,
    bot_checks: bool,
    help: bool,
) -> String {
    let lang = f.lang.as_str();
    let s = i18n::strings(lang);
    let t = |x: &survey::Text| esc(x.get(lang, &form.default_lang));
    let mut h = String::with_capacity(16 * 1024);
    if help {
        h.push_str(&help_panel(form, lang));
    }

    lang_nav(&mut h, form, f, &[]);
    let _ = write!(h, "<h1>{}</h1>", t(&form.title));
    if let Some(intro) = &form.intro {
        let _ = write!(h, "<p>{}</p>", t(intro));
    }
    let _ = write!(h, r#"<p class="inset">{}</p>"#, t(&form.not_for_reporting));

    // Something the person must know before anything else (their answers
    // were not kept), or what to put right: the same summary box.
    let troubled = !errors.is_empty() || notice.is_some();
    if troubled {
        let _ = write!(
            h,
            r#"<div class="es" tabindex="-1" id="error-summary" autofocus><div role="alert"><h2>{}</h2>"#,
            esc(s.there_is_a_problem)
        );
        if let Some(notice) = notice {
            let _ = write!(h, "<p>{}</p>", esc(notice));
        }
        if !errors.is_empty() {
            h.push_str("<ul>");
            for (id, msg) in errors {
                let text = form
                    .question(id)
                    .map(|q| format!("{} – {msg}", q.text.get(lang, &form.default_lang)))
                    .unwrap_or(msg.clone());
                let _ = write!(
                    h,
                    r##"<li><a href="#f-{}">{}</a></li>"##,
                    esc(id),
                    esc(&text)
                );
            }
            h.push_str("</ul>");
        }
        h.push_str("</div></div>");
    }

    let _ = write!(
        h,
        r#"<form method="post" action="/f/{}" novalidate>"#,
        esc(&form.id)
    );
    hidden_fields(&mut h, f, lang, bot_checks);
    for q in &form.questions {
        let error = errors
            .iter()
            .find(|(id, _)| *id == q.id)
            .map(|(_, m)| m.as_str());
        question(&mut h, form, q, f, error, s);
    }
    let _ = write!(
        h,
        r#"<div class="btns"><button type="submit" class="btn">{}</button></div></form>"#,
        esc(s.submit)
    );
    let _ = write!(
        h,
        "<details><summary>{}</summary><p>{}</p></details>",
        esc(s.privacy),
        t(&form.privacy_notice)
    );

    // The widget gets the form from the page itself, saving a round trip.
    // `<` only occurs inside JSON strings, where `\u003c` means the same.
    let definition = serde_json::to_string(form)
        .unwrap_or_default()
        .replace('<', "\\u003c");
    let script = format!(
        r##"<script type="application/json" id="form-definition">{definition}</script>
<script src="/widget.js" data-form="{}" data-lang="{}" data-location="{}" data-channel="{}" data-target="#widget" data-replace="#page-form" data-definition="#form-definition" data-layout="page" data-submission-id="{}" data-invitation="{}" data-view-counted="1" async></script>"##,
        esc(&form.id),
        esc(lang),
        esc(f.location.as_deref().unwrap_or("")),
        esc(&f.channel),
        esc(&f.submission_id),
        esc(f.invitation.as_deref().unwrap_or(""))
    );
    // With errors, the person is mid-way: keep the server's form and its
    // messages rather than start the widget afresh.
    let script = (!troubled).then_some(script);
    let title = if !troubled {
        t(&form.title)
    } else {
        format!("{} {}", esc(s.error_prefix), t(&form.title))
    };
    page_shell(form, lang, &title, &h, script.as_deref())
}

/// The language switch: a link per language of the form, keeping the
/// place, the channel and `extra` query pairs.
pub(super) fn lang_nav(h: &mut String, form: &Form, f: &Fields, extra: &[(&str, &str)]) {
    let s = i18n::strings(&f.lang);
    if form.languages.len() > 1 {
        let _ = write!(
            h,
            r#"<nav aria-label="{}"><ul class="langs">"#,
            esc(s.language)
        );
        for l in &form.languages {
            let name = esc(i18n::lang_name(l));
            if *l == f.lang {
                let _ = write!(
                    h,
                    r#"<li><span class="cur" aria-current="true">{name}</span></li>"#
                );
            } else {
                let mut query = vec![("lang", l.as_str()), ("ch", f.channel.as_str())];
                query.extend_from_slice(extra);
                query.extend(f.location.as_deref().map(|loc| ("loc", loc)));
                let href = page_url(&form.id, "", &query);
                let _ = write!(
                    h,
                    r#"<li><a class="link" href="{}" lang="{l}" hreflang="{l}">{name}</a></li>"#,
                    esc(&href),
                    l = esc(l)
                );
            }
        }
        h.push_str("</ul></nav>");
    }
}

/// The hidden fields every post of the page carries, and the bot checks'.
pub(super) fn hidden_fields(h: &mut String, f: &Fields, lang: &str, bot_checks: bool) {
    for (name, value) in [
        ("submission_id", f.submission_id.as_str()),
        ("loc", f.location.as_deref().unwrap_or("")),
        ("ch", f.channel.as_str()),
        ("lang", lang),
        ("i", f.invitation.as_deref().unwrap_or("")),
    ] {
        let _ = write!(
            h,
            r#"<input type="hidden" name="{name}" value="{}">"#,
            esc(value)
        );
    }
    if bot_checks {
        let _ = write!(
            h,
            r#"<input type="hidden" name="token" value="{}">"#,
            esc(&f.token)
        );
        // Hidden from people and screen readers; bots fill it in. Its name
        // and label are ones no browser's autofill or password manager
        // fills for a person (a field called "website" was one).
        let _ = write!(
            h,
            r#"<div class="vh" aria-hidden="true"><label for="{HONEYPOT}">Leave this blank</label><input type="text" id="{HONEYPOT}" name="{HONEYPOT}" tabindex="-1" autocomplete="off"></div>"#
        );
    }
}

fn question(
    h: &mut String,
    form: &Form,
    q: &Question,
    f: &Fields,
    error: Option<&str>,
    s: &Strings,
) {
    let lang = f.lang.as_str();
    let t = |x: &survey::Text| esc(x.get(lang, &form.default_lang));
    let id = format!("f-{}", q.id);
    let name = format!("q.{}", q.id);
    let values: &[String] = f.answers.get(&q.id).map(Vec::as_slice).unwrap_or(&[]);
    let mut text = t(&q.text);
    if !q.required && !matches!(q.kind, Kind::Consent {}) {
        text = format!("{text} {}", esc(s.optional));
    }
    // Without JavaScript every question is on the page, so each says
    // when it applies.
    let hint = i18n::hint(
        form,
        q,
        s,
        |x| x.get(lang, &form.default_lang).to_owned(),
        true,
    );
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let mut described = Vec::new();
    if hint.is_some() {
        described.push(hint_id.clone());
    }
    if error.is_some() {
        described.push(error_id.clone());
    }
    let described = if described.is_empty() {
        String::new()
    } else {
        format!(r#" aria-describedby="{}""#, described.join(" "))
    };
    let hint_html = hint.map_or(String::new(), |h| {
        format!(r#"<div id="{hint_id}" class="hint">{}</div>"#, esc(&h))
    });
    let error_html = error.map_or(String::new(), |e| {
        format!(
            r#"<p id="{error_id}" class="err"><span class="vh">{} </span>{}</p>"#,
            esc(s.error_prefix),
            esc(e)
        )
    });
    let class = if error.is_some() { "q has-err" } else { "q" };
    let checked = |v: &str| {
        if values.iter().any(|x| x == v) {
            " checked"
        } else {
            ""
        }
    };

    let choices = |items: Vec<(String, String)>, kind: &str, row: bool| -> String {
        let mut out = String::new();
        if row {
            out.push_str(r#"<div class="row">"#);
        }
        for (n, (value, label)) in items.iter().enumerate() {
            let input_id = if n == 0 {
                id.clone()
            } else {
                format!("{id}-{}", value)
            };
            let desc = if n == 0 { described.as_str() } else { "" };
            let _ = write!(
                out,
                r#"<div class="opt"><input type="{kind}" id="{iid}" name="{name}" value="{v}"{c}{desc}><label for="{iid}">{label}</label></div>"#,
                iid = esc(&input_id),
                v = esc(value),
                c = checked(value),
            );
        }
        if row {
            out.push_str("</div>");
        }
        out
    };
    let group = |inner: String| -> String {
        format!(
            r#"<div class="{class}"><fieldset{described}><legend>{text}</legend>{hint_html}{error_html}{inner}</fieldset></div>"#
        )
    };
    let select = |items: Vec<(String, String)>| -> String {
        let mut out = format!(
            r#"<div class="{class}"><label class="lbl" for="{id}">{text}</label>{hint_html}{error_html}<select id="{id}" name="{name}"{described}><option value="">—</option>"#
        );
        for (value, label) in items {
            let sel = if values.contains(&value) {
                " selected"
            } else {
                ""
            };
            let _ = write!(
                out,
                r#"<option value="{}"{sel}>{label}</option>"#,
                esc(&value)
            );
        }
        out.push_str("</select></div>");
        out
    };
    const SELECT_OVER: usize = 10;
    let html = match &q.kind {
        Kind::SingleChoice { options } => {
            let items: Vec<_> = options.iter().map(|o| (o.id.clone(), t(&o.text))).collect();
            if items.len() > SELECT_OVER {
                select(items)
            } else {
                group(choices(items, "radio", false))
            }
        }
        Kind::Location {} => {
            let items: Vec<_> = form
                .places
                .iter()
                .map(|p| (p.id.clone(), t(&p.name)))
                .collect();
            if items.len() > SELECT_OVER {
                select(items)
            } else {
                group(choices(items, "radio", false))
            }
        }
        Kind::MultipleChoice { options, .. } => {
            let items: Vec<_> = options.iter().map(|o| (o.id.clone(), t(&o.text))).collect();
            group(choices(items, "checkbox", false))
        }
        Kind::Scale {
            min, max, labels, ..
        } => {
            let wide = max - min > 5;
            let items: Vec<_> = (*min..=*max)
                .map(|n| {
                    let label = match labels.iter().find(|l| l.value == n) {
                        Some(l) if !wide => format!("{n} – {}", t(&l.text)),
                        _ => n.to_string(),
                    };
                    (n.to_string(), label)
                })
                .collect();
            group(choices(items, "radio", wide))
        }
        Kind::Text { multiline, .. } => {
            let value = esc(values.first().map(String::as_str).unwrap_or(""));
            let input = if *multiline {
                format!(
                    r#"<textarea id="{id}" name="{name}" rows="5"{described}>{value}</textarea>"#
                )
            } else {
                format!(r#"<input type="text" id="{id}" name="{name}" value="{value}"{described}>"#)
            };
            format!(
                r#"<div class="{class}"><label class="lbl" for="{id}">{text}</label>{hint_html}{error_html}{input}</div>"#
            )
        }
        Kind::Consent {} => group(format!(
            r#"<div class="opt"><input type="checkbox" id="{id}" name="{name}" value="true"{c}{described}><label for="{id}">{text}</label></div>"#,
            c = checked("true"),
        )),
    };
    h.push_str(&html);
}

/// The support numbers a form's safeguarding section gives, as a panel
/// that leads the page: a region named by its heading, which takes the
/// focus when the page loads, so a screen reader starts there; each
/// number a `tel:` link. Empty when the form gives no numbers. The same
/// markup as the widget's (`widget/src/components/help.rs`).
pub(super) fn help_panel(form: &Form, lang: &str) -> String {
    let Some(sg) = form
        .safeguarding
        .as_ref()
        .filter(|sg| !sg.contacts.is_empty())
    else {
        return String::new();
    };
    let s = i18n::strings(lang);
    let t = |x: &survey::Text| esc(x.get(lang, &form.default_lang));
    let mut h = format!(
        r#"<div class="help" role="region" aria-labelledby="help-title"><h2 id="help-title" tabindex="-1" autofocus>{}</h2><p>{}</p><ul>"#,
        esc(s.help_title),
        esc(s.help_intro)
    );
    for c in &sg.contacts {
        let _ = write!(
            h,
            r#"<li><span class="hl">{}</span><a class="tel" href="tel:{}">{}</a>"#,
            t(&c.label),
            esc(&c.tel()),
            esc(&c.number)
        );
        if let Some(hint) = &c.hint {
            let _ = write!(h, r#"<span class="hint">{}</span>"#, t(hint));
        }
        h.push_str("</li>");
    }
    h.push_str("</ul></div>");
    h
}

/// The page's icon: browsers ask for one, and a 404 is a console error.
pub(super) const FAVICON: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0b0c0c"/><path d="M4 8.5l2.5 2.5L12 5" stroke="#fff" stroke-width="2" fill="none"/></svg>"##;

/// The page around the content: inline CSS only, no blocking resources.
pub(super) fn page_shell(
    form: &Form,
    lang: &str,
    title: &str,
    main: &str,
    script: Option<&str>,
) -> String {
    let dir = if i18n::is_rtl(lang) { "rtl" } else { "ltr" };
    // What a search result or a shared link says of the page.
    let description = form
        .intro
        .as_ref()
        .unwrap_or(&form.title)
        .get(lang, &form.default_lang);
    format!(
        r#"<!doctype html>
<html lang="{lang}" dir="{dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="description" content="{description}">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<div class="top"><p>City of London Police</p></div>
<main id="main" class="page">
<div id="page-form" class="cfw">{main}</div>
<div id="widget" hidden></div>
</main>
{script}
</body>
</html>
"#,
        lang = esc(lang),
        description = esc(description),
        style = page_style(),
        script = script.unwrap_or(""),
    )
}

/// The text of the page's one `<style>`: its own few rules, then the
/// shared stylesheet. The page's Content-Security-Policy allows it by hash.
pub(super) fn page_style() -> String {
    format!("{PAGE_CSS}{}", style::CSS)
}

const PAGE_CSS: &str = "html{-webkit-text-size-adjust:100%}body{margin:0;background:#fff;color:#0b0c0c}\
.top{background:#0b0c0c;color:#fff;font-family:Helvetica,Arial,sans-serif;font-weight:700;padding:.75em 1em}.top p{margin:0}\
.page{display:block;max-width:40em;margin:0 auto;padding:0 1em 2em}\
.taps{display:grid;gap:.6em;margin:0 0 1.25em}.taps .btn{width:100%;min-height:3em;margin:0;font-size:1.1em;text-align:center}\n";

/// Escapes text for HTML element content and quoted attributes.
pub(in crate::http) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a path segment (RFC 3986: all but the unreserved).
pub(super) fn url_part(s: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

/// `/f/{form}{rest}?query`: a link to the hosted page.
pub(in crate::http) fn page_url(form: &str, rest: &str, query: &[(&str, &str)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    format!("/f/{}{rest}?{query}", url_part(form))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use super::super::tests::form;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(url_part("a b/é"), "a%20b%2F%C3%A9");
    }

    #[test]
    fn page_has_labels_fieldsets_and_the_widget_loader() {
        let form = form();
        let f = Fields {
            submission_id: "0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f".into(),
            location: Some("bank".into()),
            channel: "qr".into(),
            lang: "en".into(),
            token: String::new(),
            invitation: None,
            answers: BTreeMap::new(),
        };
        let html = render_form(&form, &f, &[], None, true, false);
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains(r#"<html lang="en" dir="ltr">"#));
        assert!(html.contains("<fieldset"));
        assert!(html.contains(r#"<label for="f-respondent_type">"#));
        assert!(
            html.contains(r#"name="submission_id" value="0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f""#)
        );
        assert!(html.contains(r#"data-channel="qr""#));
        assert!(
            !html.contains(r#"rel="stylesheet""#),
            "no blocking stylesheet"
        );
        let start = html.find(r#"id="form-definition">"#).unwrap() + 21;
        let json = &html[start..start + html[start..].find("</script>").unwrap()];
        let embedded: Form = serde_json::from_str(json).unwrap();
        assert_eq!(embedded, form, "the page carries the form for the widget");
        let with_errors = render_form(
            &form,
            &f,
            &[("respondent_type".into(), "Select an answer".into())],
            None,
            false,
            false,
        );
        assert!(with_errors.contains(r##"<a href="#f-respondent_type">"##));
        assert!(!with_errors.contains("widget.js"));
    }
}

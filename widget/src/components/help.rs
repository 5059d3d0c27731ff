//! The support numbers a form's safeguarding section gives, shown when
//! the person sends free text that matches its phrases (see
//! [`Flow::help`](crate::model::Flow)): a region named by its heading, which
//! takes the focus so a screen reader starts there, each number a `tel:`
//! link. The same markup as the hosted page's (`help_panel` in the
//! collector's `http/hosted/render.rs`).

use crate::model::Flow;
use yew::prelude::*;

/// The panel, or nothing when the form gives no numbers.
pub fn view(f: &Flow, heading: &NodeRef) -> Html {
    let Some(sg) = f.form.safeguarding.as_ref() else {
        return Html::default();
    };
    if sg.contacts.is_empty() {
        return Html::default();
    }
    let s = f.strings();
    let t = |x: &survey::Text| x.get(&f.lang, &f.form.default_lang).to_owned();
    let contacts: Html = sg
        .contacts
        .iter()
        .map(|c| {
            html! {
                <li>
                    <span class="hl">{t(&c.label)}</span>
                    <a class="tel" href={format!("tel:{}", c.tel())}>{c.number.clone()}</a>
                    {c.hint.as_ref().map(|h| html! { <span class="hint">{t(h)}</span> })}
                </li>
            }
        })
        .collect();
    html! {
        <div class="help" role="region" aria-labelledby="help-title">
            <h2 id="help-title" tabindex="-1" ref={heading.clone()}>{s.help_title}</h2>
            <p>{s.help_intro}</p>
            <ul>{contacts}</ul>
        </div>
    }
}

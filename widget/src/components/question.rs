//! One question, GOV.UK style: a fieldset and legend for every group of
//! inputs, labels bound to inputs, hint and error message tied to the
//! inputs with `aria-describedby`.

use crate::i18n;
use crate::model::{Flow, Msg};
use serde_json::Value;
use survey::Kind;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

/// The id of a question's first input, which error links point at.
pub fn field_id(q: &str) -> String {
    format!("f-{q}")
}

/// Choice lists longer than this become a drop-down.
const SELECT_OVER: usize = 10;

/// Renders question `i` of the flow's form. `heading` makes the question
/// text the step's heading (one question per step).
pub fn view(flow: &Flow, i: usize, send: &Callback<Msg>, heading: bool) -> Html {
    let form = &flow.form;
    let q = &form.questions[i];
    let s = flow.strings();
    let t = |x: &survey::Text| x.get(&flow.lang, &form.default_lang).to_owned();
    let id = field_id(&q.id);
    let value = flow.answers.get(&q.id);
    let error = flow.error(&q.id);

    let mut question_text = t(&q.text);
    if !q.required && !matches!(q.kind, Kind::Consent {}) {
        question_text = format!("{question_text} {}", s.optional);
    }
    // On a whole page every question shows, so each says when it applies.
    let hint = i18n::hint(form, q, s, t, flow.whole_page);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = [
        hint.as_ref().map(|_| hint_id.clone()),
        error.map(|_| error_id.clone()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let described = (!described.is_empty()).then_some(described);
    let hint_html = hint.map(|h| html! { <div id={hint_id.clone()} class="hint">{h}</div> });
    let error_html = error.map(|e| {
        html! {
            <p id={error_id.clone()} class="err">
                <span class="vh">{s.error_prefix}{" "}</span>{&e.message}
            </p>
        }
    });
    let class = classes!("q", error.is_some().then_some("has-err"));
    let legend = if heading {
        html! { <legend><h2 class="q-h">{question_text.clone()}</h2></legend> }
    } else {
        html! { <legend>{question_text.clone()}</legend> }
    };
    let label_text = if heading {
        html! { <h2 class="q-h">{question_text.clone()}</h2> }
    } else {
        html! { {question_text.clone()} }
    };
    let qid = q.id.clone();

    let radios = |items: Vec<(String, String, bool, Value)>| -> Html {
        items
            .into_iter()
            .enumerate()
            .map(|(n, (key, label, checked, v))| {
                let input_id = if n == 0 {
                    id.clone()
                } else {
                    format!("{id}-{key}")
                };
                let send = send.clone();
                let qid = qid.clone();
                let onchange =
                    Callback::from(move |_: Event| send.emit(Msg::Set(qid.clone(), v.clone())));
                html! {
                    <div class="opt">
                        <input type="radio" id={input_id.clone()} name={id.clone()} value={key}
                            checked={checked} {onchange}
                            aria-describedby={if n == 0 { described.clone() } else { None }} />
                        <label for={input_id}>{label}</label>
                    </div>
                }
            })
            .collect()
    };

    let body = match &q.kind {
        // One option to pick: the question's own, or one of the form's places.
        Kind::SingleChoice { .. } | Kind::Location {} => {
            let choices: Vec<(&str, &survey::Text)> = match &q.kind {
                Kind::SingleChoice { options } => {
                    options.iter().map(|o| (o.id.as_str(), &o.text)).collect()
                }
                _ => form
                    .places
                    .iter()
                    .map(|p| (p.id.as_str(), &p.name))
                    .collect(),
            };
            let items = choices
                .into_iter()
                .map(|(choice, text)| {
                    let checked = value.and_then(Value::as_str) == Some(choice);
                    (
                        choice.to_owned(),
                        t(text),
                        checked,
                        Value::String(choice.to_owned()),
                    )
                })
                .collect::<Vec<_>>();
            if items.len() > SELECT_OVER {
                select(
                    &id, label_text, hint_html, error_html, described, items, send, &qid, class,
                )
            } else {
                fieldset(
                    class,
                    legend,
                    hint_html,
                    error_html,
                    described.clone(),
                    radios(items),
                )
            }
        }
        Kind::Scale {
            min, max, labels, ..
        } => {
            let wide = max - min > 5;
            let items = (*min..=*max)
                .map(|n| {
                    let label = match labels.iter().find(|l| l.value == n) {
                        Some(l) if !wide => format!("{n} – {}", t(&l.text)),
                        _ => n.to_string(),
                    };
                    let checked = value.and_then(Value::as_i64) == Some(n);
                    (n.to_string(), label, checked, Value::from(n))
                })
                .collect::<Vec<_>>();
            let inner = radios(items);
            let inner = if wide {
                html! { <div class="row">{inner}</div> }
            } else {
                inner
            };
            fieldset(
                class,
                legend,
                hint_html,
                error_html,
                described.clone(),
                inner,
            )
        }
        Kind::MultipleChoice { options, .. } => {
            let chosen: Vec<&str> = match value {
                Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            let boxes: Html = options
                .iter()
                .enumerate()
                .map(|(n, o)| {
                    let input_id = if n == 0 { id.clone() } else { format!("{id}-{}", o.id) };
                    let send = send.clone();
                    let qid = qid.clone();
                    let oid = o.id.clone();
                    let onchange = Callback::from(move |_: Event| send.emit(Msg::Toggle(qid.clone(), oid.clone())));
                    html! {
                        <div class="opt">
                            <input type="checkbox" id={input_id.clone()} name={id.clone()} value={o.id.clone()}
                                checked={chosen.contains(&o.id.as_str())} {onchange}
                                aria-describedby={if n == 0 { described.clone() } else { None }} />
                            <label for={input_id}>{t(&o.text)}</label>
                        </div>
                    }
                })
                .collect();
            fieldset(
                class,
                legend,
                hint_html,
                error_html,
                described.clone(),
                boxes,
            )
        }
        Kind::Text { multiline, .. } => {
            let text = value.and_then(Value::as_str).unwrap_or("").to_owned();
            let send = send.clone();
            let input = if *multiline {
                let oninput = Callback::from(move |e: InputEvent| {
                    let v = e.target_unchecked_into::<HtmlTextAreaElement>().value();
                    send.emit(Msg::Set(qid.clone(), Value::String(v)));
                });
                html! { <textarea id={id.clone()} name={id.clone()} rows="5" value={text}
                aria-describedby={described.clone()} {oninput} /> }
            } else {
                let oninput = Callback::from(move |e: InputEvent| {
                    let v = e.target_unchecked_into::<HtmlInputElement>().value();
                    send.emit(Msg::Set(qid.clone(), Value::String(v)));
                });
                html! { <input type="text" id={id.clone()} name={id.clone()} value={text}
                aria-describedby={described.clone()} {oninput} /> }
            };
            html! {
                <div class={class}>
                    <label for={id.clone()} class="lbl">{label_text}</label>
                    {hint_html}{error_html}{input}
                </div>
            }
        }
        Kind::Consent {} => {
            let checked = value.and_then(Value::as_bool).unwrap_or(false);
            let send = send.clone();
            let onchange = Callback::from(move |e: Event| {
                let v = e.target_unchecked_into::<HtmlInputElement>().checked();
                send.emit(Msg::Set(qid.clone(), Value::Bool(v)));
            });
            let inner = html! {
                <div class="opt">
                    <input type="checkbox" id={id.clone()} name={id.clone()} value="true" {checked} {onchange}
                        aria-describedby={described.clone()} />
                    <label for={id.clone()}>{question_text.clone()}</label>
                </div>
            };
            fieldset(
                class,
                legend,
                hint_html,
                error_html,
                described.clone(),
                inner,
            )
        }
    };
    html! { <div key={q.id.clone()}>{body}</div> }
}

fn fieldset(
    class: Classes,
    legend: Html,
    hint: Option<Html>,
    error: Option<Html>,
    described: Option<String>,
    inner: Html,
) -> Html {
    html! {
        <div class={class}>
            <fieldset aria-describedby={described}>
                {legend}{hint}{error}{inner}
            </fieldset>
        </div>
    }
}

#[allow(clippy::too_many_arguments)]
fn select(
    id: &str,
    label: Html,
    hint: Option<Html>,
    error: Option<Html>,
    described: Option<String>,
    items: Vec<(String, String, bool, Value)>,
    send: &Callback<Msg>,
    qid: &str,
    class: Classes,
) -> Html {
    let values: Vec<Value> = items.iter().map(|i| i.3.clone()).collect();
    let send = send.clone();
    let qid = qid.to_owned();
    let onchange = Callback::from(move |e: Event| {
        let idx = e
            .target_unchecked_into::<HtmlSelectElement>()
            .selected_index();
        // Index 0 is the empty choice.
        let v = usize::try_from(idx - 1)
            .ok()
            .and_then(|i| values.get(i).cloned())
            .unwrap_or(Value::Null);
        send.emit(Msg::Set(qid.clone(), v));
    });
    let any = items.iter().any(|i| i.2);
    html! {
        <div class={class}>
            <label for={id.to_owned()} class="lbl">{label}</label>
            {hint}{error}
            <select id={id.to_owned()} name={id.to_owned()} aria-describedby={described} {onchange}>
                <option value="" selected={!any}>{"—"}</option>
                { for items.into_iter().map(|(key, text, checked, _)| html! {
                    <option value={key} selected={checked}>{text}</option>
                }) }
            </select>
        </div>
    }
}

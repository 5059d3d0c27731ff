//! The widget's Yew components: [`App`] loads the form, [`FormView`] runs
//! one filling of it (steps, review, sending, thank-you, and the support
//! numbers of [`help`] when the free text calls for them).

pub mod help;
pub mod question;

use crate::api::{self, Closed, Posted};
use crate::i18n;
use crate::model::{At, Context, FieldError, Flow, Msg, Status};
use crate::offline::{self, Pending};
use crate::style::CSS;
use std::rc::Rc;
use survey::Form;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// What the page asked for (the loader's `data-*` attributes).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Options {
    /// Collector origin, `https://collector.example`.
    pub origin: String,
    /// Form id.
    pub form: String,
    /// `data-lang`, else the browser's language.
    pub lang: String,
    pub location: Option<String>,
    pub channel: String,
    /// Called once the form is rendered, with a function that takes the
    /// answers of the page's own HTML form (JSON: question id → values) so
    /// the loader can hand them over at the moment it swaps the two.
    pub on_ready: Option<js_sys::Function>,
    /// Lay the form out as the hosted page's HTML form does (every
    /// question on one page), so taking it over moves nothing.
    pub whole_page: bool,
    /// The submission id of the page's HTML form, so that answers it has
    /// already posted and the widget's are stored once.
    pub submission_id: Option<String>,
    /// The invitation key the hosted page was opened with.
    pub invitation: Option<String>,
    /// Takes the funnel's state as JSON at every render
    /// ([`Flow::funnel`]): the loader counts from it.
    pub on_funnel: Option<js_sys::Function>,
    /// A form definition given up front, so no request is made for it
    /// (the hosted page embeds it; tests use it too).
    pub definition: Option<Rc<Form>>,
}

/// The widget's stylesheet, as a `<style>` element that arrives in the
/// shadow root with its text. Written as `<style>{CSS}</style>` in `html!`,
/// Yew would insert the element empty and then its text, and a page whose
/// Content-Security-Policy allows the stylesheet by the hash of its text
/// would refuse (and report) the empty one first.
#[hook]
fn use_stylesheet() -> Html {
    let html = use_memo((), |_| AttrValue::from(format!("<style>{CSS}</style>")));
    Html::from_html_unchecked((*html).clone())
}

/// Props of [`App`].
#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub options: Rc<Options>,
}

#[derive(PartialEq)]
enum Loaded {
    Loading,
    Failed,
    Ready(Rc<Form>),
}

/// Loads the form definition, then shows it; loads it again, and starts
/// the form afresh, when answers kept offline came back refused (the form
/// changed meanwhile): the fresh form puts them back ([`Flow::restore`]).
#[component]
pub fn App(props: &AppProps) -> Html {
    let stylesheet = use_stylesheet();
    let opts = props.options.clone();
    let loaded = use_state(|| match &opts.definition {
        Some(f) => Loaded::Ready(f.clone()),
        None => Loaded::Loading,
    });
    // Bumped at each fresh start; the form below is keyed on it.
    let starts = use_state(|| 0u32);
    // Whether the last fresh start followed the person's own doing.
    let focus = use_state(|| false);
    let load = {
        let loaded = loaded.clone();
        let (starts, focus) = (starts.clone(), focus.clone());
        let opts = opts.clone();
        let current = match &*loaded {
            Loaded::Ready(f) => Some(f.clone()),
            _ => None,
        };
        // `None`: the first load; `Some(focus)`: afresh, the notice taking
        // the focus or not.
        Callback::from(move |afresh: Option<bool>| {
            let (loaded, starts, opts) = (loaded.clone(), starts.clone(), opts.clone());
            let again = afresh.is_some();
            let current = current.clone().filter(|_| again);
            if let Some(f) = afresh {
                focus.set(f);
                loaded.set(Loaded::Loading);
            }
            spawn_local(async move {
                match api::load_form(&opts.origin, &opts.form, again).await {
                    Ok(f) => {
                        starts.set(*starts + u32::from(again));
                        loaded.set(Loaded::Ready(Rc::new(f)));
                    }
                    // Starting afresh, the form on screen serves.
                    Err(_) => match current {
                        Some(f) => {
                            starts.set(*starts + 1);
                            loaded.set(Loaded::Ready(f));
                        }
                        None => loaded.set(Loaded::Failed),
                    },
                }
            });
        })
    };
    {
        let load = load.clone();
        let given = opts.definition.is_some();
        use_effect_with((), move |_| {
            if !given {
                load.emit(None);
            }
        });
    }
    let view_opts = if *starts == 0 {
        opts.clone()
    } else {
        // The page's own form was taken over at the first start already,
        // so its submission id need not be shared with it: a fresh one,
        // since answers under it may be stored already (their reply lost,
        // then put back and deleted on this page). Answers put back keep
        // their own ([`Flow::restore`]).
        Rc::new(Options {
            on_ready: None,
            submission_id: None,
            ..(*opts).clone()
        })
    };
    match &*loaded {
        Loaded::Ready(form) => html! {
            <FormView key={*starts} form={form.clone()} options={view_opts}
                on_returned={load.reform(Some)} again={*starts > 0 && *focus} />
        },
        other => {
            let s = i18n::strings(&opts.lang);
            let text = if *other == Loaded::Failed {
                s.load_failed
            } else {
                s.loading
            };
            html! {
                <>
                    {stylesheet}
                    <div class="cfw" lang={s.lang} dir={if s.rtl { "rtl" } else { "ltr" }}>
                        <p role="status">{text}</p>
                    </div>
                </>
            }
        }
    }
}

/// Props of [`FormView`].
#[derive(Properties, PartialEq)]
pub struct FormViewProps {
    pub form: Rc<Form>,
    pub options: Rc<Options>,
    /// Called when answers kept offline were refused, to start afresh
    /// with them put back: with `true` the notice takes the focus.
    pub on_returned: Callback<bool>,
    /// Started afresh while the person was here (their answers were
    /// refused): the notice that says so takes the focus.
    pub again: bool,
}

/// [`Flow`] as Yew state.
#[derive(PartialEq)]
struct State(Flow);

impl Reducible for State {
    type Action = Msg;
    fn reduce(self: Rc<Self>, msg: Msg) -> Rc<Self> {
        let mut flow = self.0.clone();
        flow.update(msg);
        Rc::new(State(flow))
    }
}

/// Makes a version 4 UUID from the browser's secure random numbers.
pub fn new_submission_id() -> String {
    let mut bytes = [0u8; 16];
    if let Some(c) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = c.get_random_values_with_u8_array(&mut bytes);
    }
    if bytes == [0; 16] {
        // No crypto at all (very old browser): fall back to Math.random.
        for b in bytes.iter_mut() {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    crate::model::uuid_v4(bytes)
}

/// One filling of the form.
#[component]
pub fn FormView(props: &FormViewProps) -> Html {
    let stylesheet = use_stylesheet();
    let opts = props.options.clone();
    let form = props.form.clone();
    let flow = use_reducer(|| {
        let ctx = Context {
            location: opts.location.clone(),
            channel: opts.channel.clone(),
            invitation: opts.invitation.clone(),
        };
        let id = opts.submission_id.clone().unwrap_or_else(new_submission_id);
        let flow = Flow::new(form, &opts.lang, ctx, id);
        let mut flow = if opts.whole_page {
            flow.whole_page()
        } else {
            flow
        };
        if let Some(v) =
            offline::returned(&opts.origin, &opts.form).and_then(|p| crate::json::parse(&p.body))
        {
            flow.restore(&v);
        }
        State(flow)
    });
    // Set once this filling's answers are kept offline: only then is a
    // refusal of its submission id news for it.
    let kept = use_mut_ref(|| false);
    // Cleared when this filling is taken off the page: a send it started
    // may still answer, and must not start the widget afresh again.
    let mounted = use_mut_ref(|| true);
    // Whether the person has done nothing yet: answers refused as the
    // widget opens may then be put back on it.
    let untouched = use_mut_ref(|| false);
    {
        let f = &flow.0;
        *untouched.borrow_mut() =
            !f.returned && f.furthest().is_none() && f.status == Status::Editing;
    }
    let notice_ref = use_node_ref();
    let title_ref = use_node_ref();
    let root_ref = use_node_ref();
    let summary_ref = use_node_ref();
    let step_ref = use_node_ref();
    let help_ref = use_node_ref();
    let send: Callback<Msg> = {
        let d = flow.dispatcher();
        Callback::from(move |m| d.dispatch(m))
    };

    // Answers adopted from the page's HTML form are on screen once this
    // runs: only then may the loader swap the two (a render can wait
    // behind the person's keystrokes; the loader checks for any since).
    let adopted = use_mut_ref(|| None::<js_sys::Function>);
    {
        let adopted = adopted.clone();
        use_effect_with(flow.0.adopted, move |_| {
            // Taken out first: the call may hand over answers again.
            let done = adopted.borrow_mut().take();
            if let Some(done) = done {
                let _ = done.call0(&wasm_bindgen::JsValue::NULL);
            }
        });
    }

    // Tell the loader the form is up; send anything an earlier visit left
    // behind, now and whenever the browser comes back online.
    {
        let d = flow.dispatcher();
        let opts = opts.clone();
        let own_id = flow.0.submission_id.clone();
        let form = props.form.clone();
        let adopt_d = d.clone();
        let adopted = adopted.clone();
        let on_returned = props.on_returned.clone();
        let (kept, mounted, untouched) = (kept.clone(), mounted.clone(), untouched.clone());
        let (notice, title, again) = (notice_ref.clone(), title_ref.clone(), props.again);
        let root = root_ref.clone();
        use_effect_with((), move |_| {
            // Started afresh by the person's doing, or with the focus in
            // the form it replaced: the notice saying their answers came
            // back takes the focus, or the form's title once they deleted
            // them, unless the person is busy elsewhere on the page (in
            // another widget).
            let target = notice
                .cast::<web_sys::HtmlElement>()
                .or_else(|| title.cast());
            if let Some(el) = target.filter(|_| again) {
                let host = el
                    .get_root_node()
                    .dyn_into::<web_sys::ShadowRoot>()
                    .ok()
                    .map(|r| r.host());
                let doc = web_sys::window().and_then(|w| w.document());
                let body = doc
                    .as_ref()
                    .and_then(|d| d.body())
                    .map(web_sys::Element::from);
                let active = doc
                    .and_then(|d| d.active_element())
                    .filter(|a| Some(a) != body.as_ref());
                if active.is_none() || active == host {
                    let _ = el.focus();
                }
            }
            // The loader hands over the answers of the page's HTML form and
            // a function to call once they are on screen (see below).
            let adopt = Closure::<dyn FnMut(String, js_sys::Function)>::new(
                move |json: String, done: js_sys::Function| {
                    if let Some(v) = crate::json::parse(&json) {
                        *adopted.borrow_mut() = Some(done);
                        adopt_d.dispatch(Msg::Adopt(crate::model::raw_from_posted(&form, &v)));
                    }
                },
            );
            if let Some(f) = &opts.on_ready {
                let _ = f.call1(&wasm_bindgen::JsValue::NULL, adopt.as_ref());
            }
            let (origin, form_id) = (opts.origin.clone(), opts.form.clone());
            let cleared = mounted.clone();
            let flush = move || {
                let d = d.clone();
                let (origin, form_id) = (origin.clone(), form_id.clone());
                let own_id = own_id.clone();
                let (on_returned, kept) = (on_returned.clone(), kept.clone());
                let (mounted, untouched) = (mounted.clone(), untouched.clone());
                let root = root.clone();
                spawn_local(async move {
                    let done = offline::flush(&origin).await;
                    if !*mounted.borrow() {
                        return;
                    }
                    // Starting afresh takes away what has the focus: if
                    // that is in this widget, the notice takes it.
                    let here = root
                        .cast::<web_sys::Element>()
                        .is_some_and(|el| focus_inside(&el));
                    if done.stored.contains(&own_id) {
                        d.dispatch(Msg::Sent);
                    } else if let Some((_, c)) = done.closed.iter().find(|(id, _)| *id == own_id) {
                        d.dispatch(Msg::Closed(*c));
                    } else if *kept.borrow() && offline::returned_has(&own_id) {
                        // Another widget on the page may have sent it. The
                        // person may be reading elsewhere: the focus is taken
                        // only from this widget.
                        on_returned.emit(here);
                    } else if !done.returned.is_empty()
                        && *untouched.borrow()
                        && offline::returned(&origin, &form_id).is_some()
                    {
                        // Refused as the widget opened (an earlier visit's):
                        // put back on the form as it now is, the person
                        // perhaps reading elsewhere on the page.
                        on_returned.emit(here);
                    }
                });
            };
            flush();
            let on_online = Closure::<dyn FnMut()>::new(flush);
            let window = web_sys::window();
            if let Some(w) = &window {
                let _ = w
                    .add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
            }
            move || {
                *cleared.borrow_mut() = false;
                if let Some(w) = window {
                    let _ = w.remove_event_listener_with_callback(
                        "online",
                        on_online.as_ref().unchecked_ref(),
                    );
                }
                drop(on_online);
                drop(adopt);
            }
        });
    }

    // The error summary takes focus each time errors are shown.
    {
        let r = summary_ref.clone();
        use_effect_with(flow.0.error_round, move |round| {
            if *round > 0 {
                if let Some(el) = r.cast::<web_sys::HtmlElement>() {
                    let _ = el.focus();
                }
            }
        });
    }
    // Moving to another step, or finishing, moves focus to its heading;
    // finishing with the support numbers up keeps it on theirs.
    {
        let r = step_ref.clone();
        let help = help_ref.clone();
        let status = flow.0.status.clone();
        let with_help = flow.0.help;
        use_effect_with((flow.0.moves, status), move |(moves, status)| {
            let finished = matches!(
                status,
                Status::Sent | Status::SavedOffline | Status::Closed(_)
            );
            let r = if finished && with_help { help } else { r };
            if *moves > 0 || finished {
                if let Some(el) = r.cast::<web_sys::HtmlElement>() {
                    let _ = el.focus();
                }
            }
        });
    }
    // The support numbers take the focus as they appear, so a screen
    // reader announces them first.
    {
        let r = help_ref.clone();
        use_effect_with(flow.0.help, move |shown| {
            if *shown {
                if let Some(el) = r.cast::<web_sys::HtmlElement>() {
                    let _ = el.focus();
                }
            }
        });
    }

    let onsubmit = {
        let flow = flow.clone();
        let on_returned = props.on_returned.clone();
        let opts = opts.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let f = &flow.0;
            if let At::Question(_) = f.at {
                flow.dispatch(Msg::Next);
                return;
            }
            if f.status == Status::Sending {
                return;
            }
            let errors = f.check(None);
            if !errors.is_empty() {
                flow.dispatch(Msg::Invalid(errors));
                return;
            }
            let body = crate::json::stringify(&f.submission().to_value());
            let snapshot = f.clone();
            let d = flow.dispatcher();
            let opts = opts.clone();
            let (kept, mounted) = (kept.clone(), mounted.clone());
            let on_returned = on_returned.clone();
            flow.dispatch(Msg::Sending);
            spawn_local(async move {
                let msg = match api::post(&opts.origin, &opts.form, &body).await {
                    Posted::Stored => Msg::Sent,
                    Posted::Offline => {
                        let p = Pending {
                            origin: opts.origin.clone(),
                            form: opts.form.clone(),
                            id: snapshot.submission_id.clone(),
                            body,
                        };
                        if offline::keep(p) {
                            *kept.borrow_mut() = true;
                            Msg::SavedOffline
                        } else {
                            Msg::Failed
                        }
                    }
                    Posted::Rejected(problems) => {
                        // Refused by a form changed since this one loaded:
                        // the answers go back on the changed form (`App`),
                        // where the person can see what it now asks.
                        let changed = api::load_form(&opts.origin, &opts.form, true)
                            .await
                            .is_ok_and(|now| now.version != snapshot.form.version);
                        let p = Pending {
                            origin: opts.origin.clone(),
                            form: opts.form.clone(),
                            id: snapshot.submission_id.clone(),
                            body,
                        };
                        if changed && offline::put_back(p) {
                            // Not from a form already replaced.
                            if *mounted.borrow() {
                                on_returned.emit(true);
                            }
                            return;
                        }
                        let errors = snapshot.server_errors(&problems);
                        if errors.is_empty() {
                            Msg::Failed
                        } else {
                            Msg::Invalid(errors)
                        }
                    }
                    Posted::Failed => Msg::Failed,
                    Posted::Closed(c) => Msg::Closed(c),
                };
                if snapshot.returned
                    && matches!(msg, Msg::Sent | Msg::SavedOffline | Msg::Closed(_))
                {
                    // Put back refused, now stored, waiting again or
                    // beyond sending: no longer to be put back.
                    offline::forget_returned(&snapshot.submission_id);
                }
                d.dispatch(msg);
            });
        })
    };

    // The funnel's state, at every render, for the page's loader to
    // count views, starts and leaves from (see `Flow::funnel`).
    if let Some(f) = &opts.on_funnel {
        let state = crate::json::stringify(&flow.0.funnel());
        let _ = f.call1(&wasm_bindgen::JsValue::NULL, &state.into());
    }

    let f = &flow.0;
    let s = f.strings();
    let t = |x: &survey::Text| x.get(&f.lang, &f.form.default_lang).to_owned();
    let live = match f.status {
        Status::Sending => s.sending,
        Status::Sent => s.thank_you,
        Status::SavedOffline => s.saved_offline,
        Status::Failed => s.send_failed,
        Status::Closed(Closed::Answered) => s.already_answered,
        Status::Closed(Closed::Expired) => s.link_expired,
        Status::Editing => "",
    };

    let body = match f.status {
        Status::Sent => html! {
            <div class="panel">
                <h2 tabindex="-1" ref={step_ref.clone()}>{s.thank_you}</h2>
                <p>{f.form.thank_you.as_ref().map_or_else(|| s.thank_you_body.to_owned(), t)}</p>
            </div>
        },
        Status::Closed(c) => html! {
            <div class="notice">
                <h2 tabindex="-1" ref={step_ref.clone()}>
                    {if c == Closed::Answered { s.thank_you } else { s.there_is_a_problem }}
                </h2>
                <p>{live}</p>
            </div>
        },
        Status::SavedOffline => html! {
            <div class="notice">
                <h2 tabindex="-1" ref={step_ref.clone()}>{s.thank_you}</h2>
                <p>{s.saved_offline}</p>
            </div>
        },
        _ => {
            let langs = language_switch(f, &send);
            let summary = error_summary(f, &summary_ref);
            let failed =
                (f.status == Status::Failed).then(|| html! { <p class="err">{s.send_failed}</p> });
            let busy = f.status == Status::Sending;
            let back = f.can_go_back().then(|| {
                let send = send.clone();
                html! {
                    <button type="button" class="btn sec" onclick={Callback::from(move |_| send.emit(Msg::Back))}>
                        {s.back}
                    </button>
                }
            });
            let main = match f.at {
                At::Page => html! {
                    <>{ for f.on_page().into_iter().map(|i| question::view(f, i, &send, false)) }</>
                },
                At::Question(i) => {
                    let progress = f.progress().map(|(n, total)| {
                        i18n::fill(
                            s.progress,
                            &[("n", &n.to_string()), ("total", &total.to_string())],
                        )
                    });
                    html! {
                        <>
                            <p class="prog" tabindex="-1" ref={step_ref.clone()}>{progress}</p>
                            {question::view(f, i, &send, true)}
                        </>
                    }
                }
                At::Review => review(f, &send, &step_ref),
            };
            let primary = if matches!(f.at, At::Question(_)) {
                s.next
            } else if busy {
                s.sending
            } else {
                s.submit
            };
            html! {
                <>
                    {langs}
                    // The hosted page's main heading; a section of a partner's page.
                    if f.whole_page {
                        <h1 tabindex="-1" ref={title_ref.clone()}>{t(&f.form.title)}</h1>
                    } else {
                        <h2 tabindex="-1" ref={title_ref.clone()}>{t(&f.form.title)}</h2>
                    }
                    {f.form.intro.as_ref().map(|i| html! { <p>{t(i)}</p> })}
                    <p class="inset">{t(&f.form.not_for_reporting)}</p>
                    if f.returned {
                        <div class="notice returned" tabindex="-1" ref={notice_ref.clone()}>
                            <p>{s.answers_returned}</p>
                            // On a shared device they may be someone else's.
                            // Not while they are being sent.
                            <button type="button" class="btn sec" disabled={f.status == Status::Sending} onclick={
                                let (fresh, id) = (props.on_returned.clone(), f.submission_id.clone());
                                Callback::from(move |_| {
                                    offline::forget_returned(&id);
                                    // Afresh from the page's own options (the form
                                    // on screen if it cannot be loaded), the focus
                                    // on its title: the button is gone.
                                    fresh.emit(true);
                                })
                            }>{s.discard_answers}</button>
                        </div>
                    }
                    {summary}
                    <form novalidate=true {onsubmit}>
                        {main}
                        {failed}
                        <div class="btns">
                            <button type="submit" class="btn" disabled={busy}>{primary}</button>
                            {back}
                        </div>
                    </form>
                    <details>
                        <summary>{s.privacy}</summary>
                        <p>{t(&f.form.privacy_notice)}</p>
                    </details>
                </>
            }
        }
    };

    html! {
        <>
            {stylesheet}
            <div class="cfw" lang={f.lang.clone()} dir={if i18n::is_rtl(&f.lang) { "rtl" } else { "ltr" }} ref={root_ref}>
                if f.help { {help::view(f, &help_ref)} }
                {body}
                <div class="vh" role="status" aria-live="polite">{live}</div>
            </div>
        </>
    }
}

/// Whether the focus is in the widget that holds `el` (in its shadow
/// root, which the loader gives each widget).
fn focus_inside(el: &web_sys::Element) -> bool {
    el.get_root_node()
        .dyn_into::<web_sys::ShadowRoot>()
        .is_ok_and(|r| r.active_element().is_some())
}

fn language_switch(f: &Flow, send: &Callback<Msg>) -> Option<Html> {
    if f.form.languages.len() < 2 {
        return None;
    }
    let s = f.strings();
    let items: Html = f
        .form
        .languages
        .iter()
        .map(|l| {
            let name = i18n::lang_name(l).to_owned();
            if *l == f.lang {
                html! { <li><span class="cur" aria-current="true">{name}</span></li> }
            } else {
                let send = send.clone();
                let lang = l.clone();
                let onclick = Callback::from(move |e: MouseEvent| {
                    e.prevent_default();
                    send.emit(Msg::SetLang(lang.clone()))
                });
                if f.whole_page {
                    // The hosted page's own links, as its HTML has them, but
                    // switching in place keeps the answers.
                    let mut href = format!(
                        "/f/{}?lang={l}&ch={}",
                        f.form.id, f.context.channel
                    );
                    if let Some(loc) = &f.context.location {
                        href.push_str("&loc=");
                        href.push_str(loc);
                    }
                    html! {
                        <li><a class="link" {href} lang={l.clone()} hreflang={l.clone()} {onclick}>{name}</a></li>
                    }
                } else {
                    html! {
                        <li><button type="button" class="link" lang={l.clone()} {onclick}>{name}</button></li>
                    }
                }
            }
        })
        .collect();
    Some(html! {
        <nav aria-label={s.language}><ul class="langs">{items}</ul></nav>
    })
}

fn error_summary(f: &Flow, summary_ref: &NodeRef) -> Option<Html> {
    if f.errors.is_empty() {
        return None;
    }
    let s = f.strings();
    let items: Html = f
        .errors
        .iter()
        .map(|FieldError { field, message }| {
            let target = question::field_id(field);
            let text = f
                .form
                .question(field)
                .map(|q| format!("{} – {message}", q.text.get(&f.lang, &f.form.default_lang)))
                .unwrap_or_else(|| message.clone());
            // Fragment links do not reach into a shadow root, so focus by hand.
            let onclick = {
                let target = target.clone();
                Callback::from(move |e: MouseEvent| {
                    e.prevent_default();
                    focus_in_same_root(&e, &target);
                })
            };
            html! { <li><a href={format!("#{target}")} {onclick}>{text}</a></li> }
        })
        .collect();
    Some(html! {
        <div class="es" tabindex="-1" ref={summary_ref.clone()}>
            <div role="alert">
                <h2 id="es-title">{s.there_is_a_problem}</h2>
                <ul>{items}</ul>
            </div>
        </div>
    })
}

/// Focuses the element with `id` in the same document or shadow root as
/// the event's target.
fn focus_in_same_root(e: &MouseEvent, id: &str) {
    let Some(node) = e.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok()) else {
        return;
    };
    let root = node.get_root_node();
    let found = if let Some(sr) = root.dyn_ref::<web_sys::ShadowRoot>() {
        sr.get_element_by_id(id)
    } else if let Some(doc) = root.dyn_ref::<web_sys::Document>() {
        doc.get_element_by_id(id)
    } else {
        None
    };
    if let Some(el) = found.and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = el.focus();
    }
}

fn review(f: &Flow, send: &Callback<Msg>, step_ref: &NodeRef) -> Html {
    let s = f.strings();
    let rows: Html = f
        .shown()
        .into_iter()
        .map(|i| {
            let q = &f.form.questions[i];
            let send = send.clone();
            let id = q.id.clone();
            let qtext = q.text.get(&f.lang, &f.form.default_lang).to_owned();
            let onclick = Callback::from(move |_| send.emit(Msg::Change(id.clone())));
            html! {
                <div>
                    <dt>{qtext.clone()}</dt>
                    <dd>{f.display(q)}</dd>
                    <dd>
                        <button type="button" class="link" {onclick}>
                            {s.change}<span class="vh">{format!(" {qtext}")}</span>
                        </button>
                    </dd>
                </div>
            }
        })
        .collect();
    html! {
        <>
            <h2 tabindex="-1" ref={step_ref.clone()}>{s.check_answers}</h2>
            <dl>{rows}</dl>
        </>
    }
}

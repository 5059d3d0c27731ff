//! The embeddable survey widget.
//!
//! The `widget.js` loader (see `widget/loader/widget.js`) makes a shadow
//! root on the partner page, loads this module and calls [`start`] with a
//! mount element inside it and the page's options. Everything after that
//! (loading the form, the questions, validation with the shared `survey`
//! crate, sending, keeping answers while offline) lives in the modules
//! below; this file is only the JavaScript boundary.
//!
//! ```text
//! widget.js ─► start(root, options) ─► components::App ─► FormView (a model::Flow)
//!                                          │ api (fetch, post)   │ offline (localStorage)
//!                                          └──── survey (validation), ui (words, CSS)
//! hosted page: onready(adopt) ─► Flow::whole_page + Msg::Adopt (the page's answers) ─► swap
//! ```

pub mod api;
pub mod components;
pub mod json;
pub mod model;
pub mod offline;
pub use ui::{i18n, style};

use components::{App, AppProps, Options};
use js_sys::Reflect;
use std::rc::Rc;
use survey::Form;
use wasm_bindgen::prelude::*;
use yew::AppHandle;

/// A running widget; `unmount()` removes it and its listeners.
#[wasm_bindgen]
pub struct Handle {
    app: Option<AppHandle<App>>,
}

#[wasm_bindgen]
impl Handle {
    /// Removes the widget from the page.
    pub fn unmount(&mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
        }
    }
}

fn get(options: &JsValue, key: &str) -> Option<String> {
    Reflect::get(options, &JsValue::from_str(key))
        .ok()?
        .as_string()
        .filter(|s| !s.is_empty())
}

fn function(options: &JsValue, key: &str) -> Option<js_sys::Function> {
    Reflect::get(options, &JsValue::from_str(key))
        .ok()?
        .dyn_into()
        .ok()
}

/// Shows form `options.form` from collector `options.origin` inside `root`.
///
/// Options (a plain object): `form` and `origin` (required), `lang`,
/// `location`, `channel` (default `embed`), `onready` (a function called
/// once the form is rendered, with a function that takes the answers of
/// the page's HTML form as JSON), `definition` (the form as a JSON string,
/// to skip fetching it), `layout` (`page`: every question on one page, as
/// the hosted page's HTML form has them), `submission_id` (that form's),
/// `invitation` (the key of the victim's invitation link the page was
/// opened with), `onfunnel` (a function taking the funnel's state as JSON
/// at every render: the loader counts views, starts and leaves from it).
#[wasm_bindgen]
pub fn start(root: web_sys::Element, options: JsValue) -> Result<Handle, JsError> {
    let form = get(&options, "form").ok_or_else(|| JsError::new("options.form is required"))?;
    let origin =
        get(&options, "origin").ok_or_else(|| JsError::new("options.origin is required"))?;
    let lang = get(&options, "lang")
        .or_else(browser_lang)
        .unwrap_or_default();
    let definition = match get(&options, "definition") {
        Some(json) => {
            let v =
                json::parse(&json).ok_or_else(|| JsError::new("options.definition: not JSON"))?;
            Some(Rc::new(Form::from_value(&v).map_err(|e| {
                JsError::new(&format!("options.definition: {e}"))
            })?))
        }
        None => None,
    };
    let options = Options {
        origin: origin.trim_end_matches('/').to_owned(),
        form,
        lang,
        location: get(&options, "location"),
        channel: get(&options, "channel").unwrap_or_else(|| "embed".into()),
        on_ready: function(&options, "onready"),
        definition,
        whole_page: get(&options, "layout").as_deref() == Some("page"),
        submission_id: get(&options, "submission_id"),
        invitation: get(&options, "invitation"),
        on_funnel: function(&options, "onfunnel"),
    };
    let props = AppProps {
        options: Rc::new(options),
    };
    let app = yew::Renderer::<App>::with_root_and_props(root, props).render();
    Ok(Handle { app: Some(app) })
}

fn browser_lang() -> Option<String> {
    web_sys::window()?.navigator().language()
}

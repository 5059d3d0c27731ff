//! JSON text in and out of the widget.
//!
//! In the browser the text is parsed and written by `JSON.parse` and
//! `JSON.stringify`, and only the walk between a JS value and a
//! [`serde_json::Value`] is compiled into the widget: no JSON parser and
//! no float formatting in the download. Off the browser (the native unit
//! tests) serde_json does the same job.

use serde_json::Value;

/// Parses JSON text; `None` when it is not JSON.
pub fn parse(text: &str) -> Option<Value> {
    imp::parse(text)
}

/// Writes a value as JSON text.
pub fn stringify(v: &Value) -> String {
    imp::stringify(v)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use js_sys::{Array, Object, Reflect, JSON};
    use serde_json::{Map, Number, Value};
    use wasm_bindgen::{JsCast, JsValue};

    pub fn parse(text: &str) -> Option<Value> {
        from_js(&JSON::parse(text).ok()?)
    }

    pub fn stringify(v: &Value) -> String {
        JSON::stringify(&to_js(v))
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default()
    }

    /// A JS number as JSON reads it: whole numbers (within 2^53) as
    /// integers, so `5` and `5.0` are both the integer 5.
    fn number(n: f64) -> Value {
        if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0 {
            Value::from(n as i64)
        } else {
            Number::from_f64(n).map_or(Value::Null, Value::Number)
        }
    }

    fn from_js(v: &JsValue) -> Option<Value> {
        if v.is_null() {
            return Some(Value::Null);
        }
        if let Some(b) = v.as_bool() {
            return Some(Value::Bool(b));
        }
        if let Some(n) = v.as_f64() {
            return Some(number(n));
        }
        if let Some(s) = v.as_string() {
            return Some(Value::String(s));
        }
        if Array::is_array(v) {
            let a: &Array = v.unchecked_ref();
            return a
                .iter()
                .map(|x| from_js(&x))
                .collect::<Option<_>>()
                .map(Value::Array);
        }
        if v.is_object() {
            let mut map = Map::new();
            for entry in Object::entries(v.unchecked_ref()).iter() {
                let pair: Array = entry.unchecked_into();
                map.insert(pair.get(0).as_string()?, from_js(&pair.get(1))?);
            }
            return Some(Value::Object(map));
        }
        None
    }

    fn to_js(v: &Value) -> JsValue {
        match v {
            Value::Null => JsValue::NULL,
            Value::Bool(b) => JsValue::from_bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => JsValue::from_f64(i as f64),
                None => JsValue::from_f64(n.as_f64().unwrap_or(0.0)),
            },
            Value::String(s) => JsValue::from_str(s),
            Value::Array(a) => a.iter().map(to_js).collect::<Array>().into(),
            Value::Object(m) => {
                let o = Object::new();
                for (k, v) in m {
                    // Setting a property on a fresh plain object cannot fail.
                    let _ = Reflect::set(&o, &JsValue::from_str(k), &to_js(v));
                }
                o.into()
            }
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use serde_json::Value;

    pub fn parse(text: &str) -> Option<Value> {
        serde_json::from_str(text).ok()
    }

    pub fn stringify(v: &Value) -> String {
        v.to_string()
    }
}

//! The map of wards shaded by a measure. The wards' shapes come from an
//! SVG shipped beside the register of places (`wards.svg`: one
//! `<path id="ward-{id}">` per ward, no tile server); the shading is the
//! measure's share in each ward, in five light-to-dark steps of one hue
//! (readable without telling colours apart), with the figures as a table
//! beside it.

use super::measure;
use super::table::{Cell, Num, Table};
use super::{filters_form, Ctx, Signed};
use crate::error::{Error, Result};
use crate::http::aggregates::aggregate_of;
use crate::http::AppState;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use maud::{html, Markup};

/// One ward's shape.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Shape {
    pub ward: String,
    pub d: String,
    pub label: Option<(f64, f64)>,
}

/// The map file: its view box and the wards' shapes.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct WardMap {
    pub view_box: String,
    pub shapes: Vec<Shape>,
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// Reads the wards' shapes from the map file's text: the `viewBox` of its
/// `<svg>` and each `<path id="ward-…" d="…">` (our own file's simple
/// form; anything else in it is ignored).
pub(super) fn parse(svg: &str) -> Option<WardMap> {
    let root = &svg[svg.find("<svg")?..];
    let view_box = attr(&root[..root.find('>')?], "viewBox")?.to_owned();
    let mut shapes = Vec::new();
    for chunk in svg.split("<path").skip(1) {
        let tag = &chunk[..chunk.find('>').unwrap_or(chunk.len())];
        let (Some(id), Some(d)) = (attr(tag, "id"), attr(tag, "d")) else {
            continue;
        };
        let Some(ward) = id.strip_prefix("ward-") else {
            continue;
        };
        // Path data is numbers and commands only.
        if !d
            .chars()
            .all(|c| c.is_ascii_digit() || " ,.-MLZmlzHVhv".contains(c))
        {
            continue;
        }
        let num = |k: &str| attr(tag, k).and_then(|v| v.parse::<f64>().ok());
        shapes.push(Shape {
            ward: ward.to_owned(),
            d: d.to_owned(),
            label: num("data-label-x").zip(num("data-label-y")),
        });
    }
    Some(WardMap { view_box, shapes })
}

/// The ward map of this deployment: `wards.svg` beside its register of
/// places.
fn load(state: &AppState) -> Option<WardMap> {
    let file =
        crate::service::places::file_for(state.config.places.as_deref(), &state.config.forms)?
            .with_file_name("wards.svg");
    parse(&std::fs::read_to_string(file).ok()?)
}

/// Five steps of blue, light to dark.
const STEPS: [&str; 5] = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];

/// `GET /dashboard/map?form=&m=&…`.
pub(super) async fn page(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    super::answer(state, signed, raw, map_page)
}

fn map_page(ctx: &Ctx) -> Result<Response> {
    let m = match ctx.get("m") {
        Some(k) => measure::parse(&ctx.form.form, k)?,
        None => measure::headlines(&ctx.form.form)
            .into_iter()
            .next()
            .ok_or_else(|| Error::BadParameter {
                field: "m".into(),
                message: "this form has no headline measure; name one as m=question:answer,answer"
                    .into(),
            })?,
    };
    let map = load(&ctx.state);
    let a = aggregate_of(
        &ctx.state,
        &ctx.signed.staff,
        ctx.id(),
        &[
            ctx.filters(),
            vec![
                ("by".into(), "ward".into()),
                ("question".into(), m.question.clone()),
            ],
        ]
        .concat(),
    )?;
    let register = ctx.state.places.get();
    let figures: Vec<(String, measure::Figure)> = register
        .wards
        .iter()
        .map(|w| (w.id.clone(), m.figure(&a, std::slice::from_ref(&w.id))))
        .collect();
    let shown: Vec<f64> = figures.iter().filter_map(|(_, f)| f.share).collect();
    let (lo, hi) = shown
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    let step = |v: f64| -> usize {
        if hi <= lo {
            2
        } else {
            (((v - lo) / (hi - lo)) * 5.0).floor().clamp(0.0, 4.0) as usize
        }
    };
    let caption = format!(
        "{} by ward, {}",
        m.label,
        ctx.quarter().unwrap_or_else(|| "all time".into())
    );
    let mut t = Table::new(
        caption.clone(),
        &["Ward", "Share", "95% interval", "Answers"],
    );
    let mut sorted = figures.clone();
    measure::lowest_first(&mut sorted);
    for (w, f) in &sorted {
        t.rows.push(vec![
            Cell::Link(
                ctx.place_name(w),
                ctx.url(
                    "/dashboard/drill",
                    &[("level", Some("site")), ("in", Some(&format!("ward:{w}")))],
                ),
            ),
            Cell::Num(Num::share(f.share, f.count)),
            Cell::Interval(f.ci),
            Cell::Num(Num::count(f.n)),
        ]);
    }
    let tables = [t];
    if let Some(csv) = ctx.csv(&tables) {
        return Ok(csv);
    }
    let path = "/dashboard/map";
    let title = format!("{}: map", ctx.form.form.title.get("en", "en"));
    let legend: Vec<(String, &str)> = (0..5)
        .map(|i| {
            let a = lo + (hi - lo) * i as f64 / 5.0;
            let b = lo + (hi - lo) * (i + 1) as f64 / 5.0;
            (format!("{:.0}% to {:.0}%", a * 100.0, b * 100.0), STEPS[i])
        })
        .collect();
    let drawn: Markup = match &map {
        Some(map) => html! {
            svg.chart.map viewBox=(map.view_box) role="img" aria-label=(format!("{caption}: map of the wards, darker is a higher share; the table gives every figure")) {
                title { (caption) }
                defs {
                    pattern id="none" width="12" height="12" patternUnits="userSpaceOnUse" patternTransform="rotate(45)" {
                        rect width="12" height="12" fill="#f3f2f1" {}
                        line x1="0" y1="0" x2="0" y2="12" stroke="#6f777b" stroke-width="3" {}
                    }
                }
                @for s in &map.shapes {
                    @let f = figures.iter().find(|(w, _)| *w == s.ward).map(|(_, f)| *f).unwrap_or_default();
                    @let fill = f.share.map_or("url(#none)".to_owned(), |v| STEPS[step(v)].to_owned());
                    path d=(s.d) fill=(fill) stroke="#0b0c0c" stroke-width="2" data-ward=(s.ward) data-value=[f.share] data-count=[f.count] {
                        title { (ctx.place_name(&s.ward)) ": " (f.share.map_or("no figure".to_owned(), |v| format!("{:.0}%", v * 100.0))) }
                    }
                }
                @for s in &map.shapes {
                    @if let Some((x, y)) = s.label {
                        text x=(x) y=(y) font-size="22" text-anchor="middle" fill="#0b0c0c" stroke="#fff" stroke-width="5" paint-order="stroke" aria-hidden="true" {
                            (ctx.place_name(&s.ward))
                        }
                    }
                }
            }
            ul.legend {
                @if shown.is_empty() { li { "No ward has a figure for this view." } }
                @for (words, colour) in legend.iter().filter(|_| !shown.is_empty()) {
                    li { svg.swatch viewBox="0 0 22 14" width="22" height="14" aria-hidden="true" { rect width="22" height="14" fill=(colour) stroke="#0b0c0c" {} } (words) }
                }
                li { svg.swatch viewBox="0 0 22 14" width="22" height="14" aria-hidden="true" { rect width="22" height="14" fill="#f3f2f1" stroke="#0b0c0c" {} line x1="4" y1="14" x2="18" y2="0" stroke="#6f777b" stroke-width="3" {} } "No figure (no answers, or hidden for sharing)" }
            }
        },
        None => html! {
            p.note { "This deployment has no map of its wards (a wards.svg beside its register of places); the table gives every figure." }
        },
    };
    Ok(ctx.page(
        &title,
        path,
        html! {
            h1 { (title) }
            (filters_form(ctx, path, html! { (super::views::measure_field(ctx, &m)) }, &[], false))
            div.pair {
                div { (drawn) p.lede { "A schematic of the wards: where each lies and which touch, not exact boundaries." } }
                div { (tables[0].html(Some(&ctx.csv_link(path, 0)))) }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_map_has_every_ward_of_the_register() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let svg = std::fs::read_to_string(root.join("examples/wards.svg")).expect("map");
        let map = parse(&svg).expect("parses");
        let register: crate::model::Register = serde_json::from_slice(
            &std::fs::read(root.join("examples/places.json")).expect("register"),
        )
        .expect("register");
        let mut drawn: Vec<&str> = map.shapes.iter().map(|s| s.ward.as_str()).collect();
        let mut wards: Vec<&str> = register.wards.iter().map(|w| w.id.as_str()).collect();
        drawn.sort_unstable();
        wards.sort_unstable();
        assert_eq!(drawn, wards);
        assert!(map
            .shapes
            .iter()
            .all(|s| s.label.is_some() && s.d.starts_with('M')));
        assert_eq!(map.view_box.split(' ').count(), 4);
    }

    #[test]
    fn anything_but_path_data_is_left_out() {
        let svg = r#"<svg viewBox="0 0 10 10"><path id="ward-a" d="M0,0 L1,1 Z"/><path id="ward-b" d="M0,0 url(javascript:x)"/><path id="river" d="M0,0"/></svg>"#;
        let map = parse(svg).expect("parses");
        assert_eq!(map.shapes.len(), 1);
        assert_eq!(map.shapes[0].ward, "a");
    }
}

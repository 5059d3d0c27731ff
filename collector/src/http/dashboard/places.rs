//! The drill-down through the register of places: a measure at one level
//! (city → sector → cluster → ward → site, or by team), lowest first, each
//! place linking one level down and to its own trend.

use super::chart::{self, Bar};
use super::measure::Figure;
use super::table::{Cell, Num, Table};
use super::views::{aggregates, chosen, measure_field, period_words, shared_note};
use super::{filters_form, Ctx, Signed};
use crate::error::{Error, Result};
use crate::http::AppState;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use maud::html;

/// The levels of the drill-down, from the top; a victim survey's teams
/// stand beside them.
const LEVELS: [&str; 4] = ["sector", "cluster", "ward", "site"];

fn level_name(level: &str) -> &str {
    match level {
        "sector" => "Sector",
        "cluster" => "Cluster",
        "ward" => "Ward",
        "site" => "Site",
        "team" => "Team",
        _ => "Group",
    }
}

/// `GET /dashboard/drill?form=&m=&level=&in=level:id&…`: a measure at one
/// level of places (city → sector → cluster → ward → site, or by team),
/// each place linking one level down.
pub(super) async fn drill(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    super::answer(state, signed, raw, drill_page)
}

fn drill_page(ctx: &Ctx) -> Result<Response> {
    let m = chosen(ctx)?;
    let level = ctx.get("level").unwrap_or("sector");
    if !LEVELS.contains(&level) && level != "team" {
        return Err(Error::BadParameter {
            field: "level".into(),
            message: format!("level '{level}' is not one of sector, cluster, ward, site, team"),
        });
    }
    let parent = match ctx.get("in") {
        Some(p) => {
            let (l, id) = p.split_once(':').ok_or_else(|| Error::BadParameter {
                field: "in".into(),
                message: "name the place above as level:id, such as cluster:liverpool-street"
                    .into(),
            })?;
            if !LEVELS.contains(&l) {
                return Err(Error::BadParameter {
                    field: "in".into(),
                    message: format!("'{l}' is not one of sector, cluster, ward, site"),
                });
            }
            Some((l.to_owned(), id.to_owned()))
        }
        None => None,
    };
    let mut extra: Vec<(&str, &str)> = vec![("by", level), ("question", &m.question)];
    if let Some((l, id)) = &parent {
        extra.push((l.as_str(), id.as_str()));
    }
    let a = aggregates(ctx, ctx.filters(), &extra)?;
    let below = LEVELS
        .iter()
        .position(|l| *l == level)
        .and_then(|i| LEVELS.get(i + 1));
    let mut rows: Vec<(String, Figure)> = a
        .summaries
        .iter()
        .filter(|s| s.question == m.question)
        .filter_map(|s| Some((s.group.first()?.clone(), m.figure(&a, &s.group))))
        .collect();
    if ctx.get("sort") == Some("name") {
        rows.sort_by_key(|(g, _)| ctx.place_name(g));
    } else {
        super::measure::lowest_first(&mut rows);
    }
    let place_words = parent
        .as_ref()
        .map(|(l, id)| format!(" in {} ({})", ctx.place_name(id), l))
        .unwrap_or_else(|| {
            if level == "team" {
                String::new()
            } else {
                " across the city".into()
            }
        });
    let caption = format!(
        "{} by {}{}, {}",
        m.label,
        level_name(level).to_lowercase(),
        place_words,
        period_words(ctx)
    );
    let mut t = Table::new(
        caption.clone(),
        &[
            level_name(level),
            "Share",
            "95% interval",
            "Count",
            "Answers",
        ],
    );
    let mut bars = Vec::new();
    for (g, f) in &rows {
        let name = if level == "team" {
            g.clone()
        } else {
            ctx.place_name(g)
        };
        let down = match below {
            Some(next) if g != "_none" && g != "unknown" => Some(ctx.url(
                "/dashboard/drill",
                &[
                    ("level", Some(next)),
                    ("in", Some(&format!("{level}:{g}"))),
                    ("format", None),
                    ("table", None),
                ],
            )),
            _ => None,
        };
        // Its trend: the same measure and filters, at this place alone.
        let trend = ctx.url(
            "/dashboard/trend",
            &[
                (level, Some(g.as_str())),
                ("quarter", None),
                ("level", None),
                ("in", None),
                ("sort", None),
                ("format", None),
                ("table", None),
            ],
        );
        let first = Cell::Place {
            name: name.clone(),
            down,
            trend,
        };
        t.rows.push(vec![
            first,
            Cell::Num(Num::share(f.share, f.count)),
            Cell::Interval(f.ci),
            Cell::Num(Num::count(f.count)),
            Cell::Num(Num::count(f.n)),
        ]);
        bars.push(Bar {
            label: name,
            value: f.share,
            ci: f.ci,
            count: f.count,
        });
    }
    let tables = [t];
    if let Some(csv) = ctx.csv(&tables) {
        return Ok(csv);
    }
    // Where we are: the city, then each place above.
    let register = ctx.state.places.get();
    let mut crumbs: Vec<(String, String)> = vec![(
        "City".into(),
        ctx.url(
            "/dashboard/drill",
            &[("level", Some("sector")), ("in", None)],
        ),
    )];
    if let Some((l, id)) = &parent {
        let chain: Vec<(&str, String)> = match l.as_str() {
            "sector" => vec![("sector", id.clone())],
            "cluster" => {
                let sector = register
                    .clusters
                    .iter()
                    .find(|c| &c.id == id)
                    .map(|c| c.sector.clone());
                sector
                    .into_iter()
                    .map(|s| ("sector", s))
                    .chain([("cluster", id.clone())])
                    .collect()
            }
            "ward" => {
                let lineage = register.lineage(id);
                let mut v = Vec::new();
                if let Some(s) = lineage.and_then(|x| x.sector) {
                    v.push(("sector", s.to_owned()));
                }
                if let Some(c) = lineage.and_then(|x| x.cluster) {
                    v.push(("cluster", c.to_owned()));
                }
                v.push(("ward", id.clone()));
                v
            }
            _ => vec![(l.as_str(), id.clone())],
        };
        for (l, id) in chain {
            let next = LEVELS
                .iter()
                .position(|x| *x == l)
                .and_then(|i| LEVELS.get(i + 1))
                .copied()
                .unwrap_or("site");
            crumbs.push((
                ctx.place_name(&id),
                ctx.url(
                    "/dashboard/drill",
                    &[("level", Some(next)), ("in", Some(&format!("{l}:{id}")))],
                ),
            ));
        }
    }
    // Every level of the whole city (all wards, say) is a view of its own
    // below the city's.
    if parent.is_none() && level != "sector" {
        crumbs.push((
            format!("All {}s", level_name(level).to_lowercase()),
            String::new(),
        ));
    }
    let path = "/dashboard/drill";
    let title = format!("{}: places", ctx.form.form.title.get("en", "en"));
    Ok(ctx.page(
        &title,
        path,
        html! {
            h1 { (title) }
            nav.crumbs aria-label="Where you are" {
                ol {
                    @for (i, (name, href)) in crumbs.iter().enumerate() {
                        li {
                            @if i + 1 == crumbs.len() {
                                span aria-current="location" { (name) }
                            } @else {
                                a href=(href) { (name) }
                            }
                        }
                    }
                }
            }
            (filters_form(ctx, path, html! {
                (measure_field(ctx, &m))
                div.field {
                    label for="f-level" { "Level" }
                    select id="f-level" name="level" {
                        @for l in LEVELS.iter().chain(["team"].iter()) {
                            option value=(l) selected[*l == level] { (level_name(l)) "s" }
                        }
                    }
                }
            }, &["in", "sort"], false))
            (shared_note(ctx))
            p.lede { "Lowest share first. " @if below.is_some() { "Choose a place to see the " (below.map(|b| level_name(b).to_lowercase()).unwrap_or_default()) "s in it." } }
            p { a href=(ctx.url(path, &[("sort", Some(if ctx.get("sort") == Some("name") { "value" } else { "name" }))])) { @if ctx.get("sort") == Some("name") { "Sort by share, lowest first" } @else { "Sort by name" } } }
            div.pair {
                div { (chart::bars(&caption, &bars)) }
                div { (tables[0].html(Some(&ctx.csv_link(path, 0)))) }
            }
            p { a href=(ctx.url("/dashboard/trend", &[("quarter", None), ("level", None), ("in", None), ("sort", None)])) { "See the trend of this measure" } }
        },
    ))
}

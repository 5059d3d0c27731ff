//! Charts as inline SVG, drawn from the same figures as the table beside
//! them. Colours are the Okabe–Ito palette (safe for colour-blind
//! readers), and nothing is told by colour alone: an exception is a
//! diamond as well as vermilion, a limit is dashed. Every mark carries its
//! exact figure in `data-value` (`data-count` for counts).

use maud::{html, Markup, PreEscaped};

const BLUE: &str = "#0072b2";
const ORANGE: &str = "#a65e00"; // Okabe–Ito orange darkened to 4.5:1 on white
const VERMILION: &str = "#c14a00";
const INK: &str = "#0b0c0c";
const GREY: &str = "#505a5f";

/// One bar: a label, a share (none when suppressed), its interval and
/// count.
pub(super) struct Bar {
    pub label: String,
    pub value: Option<f64>,
    pub ci: Option<(f64, f64)>,
    pub count: Option<u64>,
}

/// Horizontal bars of shares (0–100%) with their 95% intervals as
/// whiskers.
pub(super) fn bars(title: &str, bars: &[Bar]) -> Markup {
    const LABEL: f64 = 190.0;
    const WIDTH: f64 = 640.0;
    const ROW: f64 = 26.0;
    let plot = WIDTH - LABEL - 50.0;
    let height = ROW * bars.len() as f64 + 30.0;
    let x = |v: f64| LABEL + v.clamp(0.0, 1.0) * plot;
    html! {
        svg.chart viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-label=(format!("{title}: bar chart; the table gives every figure")) {
            title { (title) }
            @for (i, tick) in [0.0, 0.25, 0.5, 0.75, 1.0].iter().enumerate() {
                line x1=(x(*tick)) x2=(x(*tick)) y1="0" y2=(height - 22.0) stroke="#b1b4b6" stroke-width="1" {}
                text x=(x(*tick)) y=(height - 6.0) font-size="12" text-anchor="middle" fill=(INK) data-tick=(i) { (format!("{:.0}%", tick * 100.0)) }
            }
            @for (i, b) in bars.iter().enumerate() {
                @let y = ROW * i as f64 + 4.0;
                text x=(LABEL - 8.0) y=(y + 14.0) font-size="13" text-anchor="end" fill=(INK) { (clip(&b.label, 28)) }
                @if let Some(v) = b.value {
                    rect x=(LABEL) y=(y) width=(x(v) - LABEL) height=(ROW - 10.0) fill=(BLUE) data-value=(v) data-count=[b.count] {}
                    @if let Some((lo, hi)) = b.ci {
                        line x1=(x(lo)) x2=(x(hi)) y1=(y + (ROW - 10.0) / 2.0) y2=(y + (ROW - 10.0) / 2.0) stroke=(INK) stroke-width="1.5" data-low=(lo) data-high=(hi) {}
                    }
                    text x=(x(b.ci.map_or(v, |c| c.1)) + 4.0) y=(y + 13.0) font-size="12" fill=(INK) { (format!("{:.0}%", v * 100.0)) }
                } @else {
                    text x=(LABEL + 4.0) y=(y + 13.0) font-size="12" fill=(GREY) { "not shown (too few answers)" }
                }
            }
        }
    }
}

/// One point of a control chart.
#[derive(Clone)]
pub(super) struct Point {
    pub period: String,
    pub value: f64,
    pub lower: f64,
    pub upper: f64,
    pub exception: bool,
    pub n: u64,
}

/// A control chart: the series, its centre line, the ±2σ limits and the
/// exceptions marked, as the force's performance reports draw them.
pub(super) fn control(title: &str, centre: Option<f64>, points: &[Point], share: bool) -> Markup {
    const WIDTH: f64 = 720.0;
    const HEIGHT: f64 = 300.0;
    const LEFT: f64 = 56.0;
    const BOTTOM: f64 = 40.0;
    const TOP: f64 = 12.0;
    if points.is_empty() {
        return html! { p { "No responses in this period." } };
    }
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for p in points {
        lo = lo.min(p.value).min(p.lower);
        hi = hi.max(p.value).max(p.upper);
    }
    if let Some(c) = centre {
        lo = lo.min(c);
        hi = hi.max(c);
    }
    let pad = ((hi - lo) * 0.1).max(0.01);
    let (lo, hi) = if share {
        ((lo - pad).max(0.0), (hi + pad).min(1.0))
    } else {
        (lo - pad, hi + pad)
    };
    let plot_w = WIDTH - LEFT - 12.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let step = plot_w / points.len().max(1) as f64;
    let x = |i: usize| LEFT + step * (i as f64 + 0.5);
    let y = |v: f64| TOP + (hi - v) / (hi - lo).max(1e-9) * plot_h;
    let fmt = |v: f64| {
        if share {
            format!("{:.0}%", v * 100.0)
        } else {
            format!("{v:.2}")
        }
    };
    let series: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.value)))
        .collect();
    // The limits as steps: with proportions they widen where a month had
    // fewer answers.
    let limit = |f: &dyn Fn(&Point) -> f64| -> String {
        points
            .iter()
            .enumerate()
            .flat_map(|(i, p)| {
                let (a, b) = (x(i) - step / 2.0, x(i) + step / 2.0);
                [
                    format!("{a:.1},{:.1}", y(f(p))),
                    format!("{b:.1},{:.1}", y(f(p))),
                ]
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let label_every = (points.len() / 12).max(1);
    html! {
        svg.chart viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-label=(format!("{title}: control chart; the table gives every figure and marks the exceptions")) {
            title { (title) }
            @for k in 0..=4 {
                @let v = lo + (hi - lo) * k as f64 / 4.0;
                line x1=(LEFT) x2=(WIDTH - 12.0) y1=(y(v)) y2=(y(v)) stroke="#e5e6e7" stroke-width="1" {}
                text x=(LEFT - 6.0) y=(y(v) + 4.0) font-size="12" text-anchor="end" fill=(INK) { (fmt(v)) }
            }
            @if let Some(c) = centre {
                line.centre x1=(LEFT) x2=(WIDTH - 12.0) y1=(y(c)) y2=(y(c)) stroke=(GREY) stroke-width="1.5" data-value=(c) {}
            }
            polyline.limit points=(limit(&|p: &Point| p.upper)) fill="none" stroke=(ORANGE) stroke-width="1.5" stroke-dasharray="6 4" {}
            polyline.limit points=(limit(&|p: &Point| p.lower)) fill="none" stroke=(ORANGE) stroke-width="1.5" stroke-dasharray="6 4" {}
            polyline points=(series.join(" ")) fill="none" stroke=(BLUE) stroke-width="2" {}
            @for (i, p) in points.iter().enumerate() {
                @if p.exception {
                    @let (cx, cy) = (x(i), y(p.value));
                    path.exception d=(format!("M{cx:.1},{:.1} L{:.1},{cy:.1} L{cx:.1},{:.1} L{:.1},{cy:.1} Z", cy - 7.0, cx + 7.0, cy + 7.0, cx - 7.0)) fill=(VERMILION) stroke=(INK) stroke-width="1" data-period=(p.period) data-value=(p.value) data-count=(p.n) {}
                } @else {
                    circle cx=(x(i)) cy=(y(p.value)) r="3.5" fill=(BLUE) data-period=(p.period) data-value=(p.value) data-count=(p.n) {}
                }
                @if i % label_every == 0 {
                    text x=(x(i)) y=(HEIGHT - BOTTOM + 16.0) font-size="11" text-anchor="middle" fill=(INK) { (p.period) }
                }
            }
        }
        (legend())
    }
}

fn legend() -> Markup {
    html! {
        ul.legend {
            li { (swatch(&format!(r#"<line x1="0" y1="6" x2="22" y2="6" stroke="{BLUE}" stroke-width="2"/><circle cx="11" cy="6" r="3.5" fill="{BLUE}"/>"#))) "Monthly figure" }
            li { (swatch(&format!(r#"<line x1="0" y1="6" x2="22" y2="6" stroke="{GREY}" stroke-width="1.5"/>"#))) "Centre line (average)" }
            li { (swatch(&format!(r#"<line x1="0" y1="6" x2="22" y2="6" stroke="{ORANGE}" stroke-width="1.5" stroke-dasharray="6 4"/>"#))) "Control limits (±2 standard deviations)" }
            li { (swatch(&format!(r#"<path d="M11,0 L17,6 L11,12 L5,6 Z" fill="{VERMILION}" stroke="{INK}"/>"#))) "Exception (a point outside the limits, or a run or trend of 7)" }
        }
    }
}

fn swatch(inner: &str) -> Markup {
    html! { svg.swatch viewBox="0 0 22 12" width="22" height="12" aria-hidden="true" { (PreEscaped(inner)) } }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

//! The figures of a view as a table: drawn as HTML beside its chart, and
//! downloaded as CSV, from the same rows, so the download is exactly what
//! the page shows. Every figure carries its exact value in `data-value`
//! (counts in `data-count`) for tests and assistive tools.

use crate::error::{Error, Result};
use maud::{html, Markup};

/// How a number is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A share, shown as a whole percentage.
    Share,
    /// A change in a share, shown in percentage points with a sign.
    Points,
    /// A count.
    Count,
    /// A mean or other figure, shown to two places.
    Value,
    /// Cohen's kappa, to two places.
    Kappa,
}

/// One figure.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Num {
    /// The exact value; none when suppressed or undefined.
    pub value: Option<f64>,
    /// How it is shown.
    pub kind: Kind,
    /// The count behind it, if any.
    pub count: Option<u64>,
    /// A marker shown after it (a significant change, an exception).
    pub flag: Option<&'static str>,
}

impl Num {
    pub(super) fn share(value: Option<f64>, count: Option<u64>) -> Num {
        Num {
            value,
            kind: Kind::Share,
            count,
            flag: None,
        }
    }

    pub(super) fn count(n: Option<u64>) -> Num {
        Num {
            value: n.map(|n| n as f64),
            kind: Kind::Count,
            count: n,
            flag: None,
        }
    }

    pub(super) fn of(value: Option<f64>, kind: Kind) -> Num {
        Num {
            value,
            kind,
            count: None,
            flag: None,
        }
    }

    pub(super) fn flagged(mut self, flag: Option<&'static str>) -> Num {
        self.flag = flag;
        self
    }

    /// The figure as a person reads it.
    pub(super) fn shown(&self) -> String {
        let Some(v) = self.value else {
            return "–".into();
        };
        match self.kind {
            Kind::Share => format!("{:.0}%", v * 100.0),
            Kind::Points => match (v * 100.0).round() {
                0.0 => "0 pts".into(),
                x => format!("{x:+.0} pts"),
            },
            Kind::Count => format!("{}", v as u64),
            Kind::Value | Kind::Kappa => format!("{v:.2}"),
        }
    }

    /// The figure as the CSV carries it: exact, empty when not shown.
    fn exact(&self) -> String {
        match (self.value, self.kind) {
            (None, _) => String::new(),
            (Some(v), Kind::Count) => format!("{}", v as u64),
            (Some(v), _) => format!("{v:.6}"),
        }
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell {
    /// Words.
    Text(String),
    /// Words linking to a view (a place to drill into).
    Link(String, String),
    /// A place: its name, linking one level down when there is one, and a
    /// link to its trend.
    Place {
        name: String,
        down: Option<String>,
        trend: String,
    },
    /// A figure.
    Num(Num),
    /// A 95% interval, shown as `low–high`.
    Interval(Option<(f64, f64)>),
}

impl Cell {
    fn csv(&self) -> Vec<String> {
        match self {
            Cell::Text(t) | Cell::Link(t, _) | Cell::Place { name: t, .. } => vec![t.clone()],
            Cell::Num(n) => vec![n.exact()],
            Cell::Interval(Some((a, b))) => vec![format!("{a:.6}"), format!("{b:.6}")],
            Cell::Interval(None) => vec![String::new(), String::new()],
        }
    }
}

/// A table of figures.
#[derive(Debug, Clone, Default)]
pub(super) struct Table {
    /// What it shows.
    pub caption: String,
    /// Column headings.
    pub head: Vec<String>,
    /// Rows; the first cell heads its row.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub(super) fn new(caption: impl Into<String>, head: &[&str]) -> Table {
        Table {
            caption: caption.into(),
            head: head.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// The table as HTML, with a link to its CSV (`csv`: this view's URL
    /// asking for it).
    pub(super) fn html(&self, csv: Option<&str>) -> Markup {
        html! {
            // A region that can take focus, so a table wider than the
            // screen scrolls by keyboard too.
            div.table-wrap tabindex="0" role="region" aria-label=(self.caption) {
                table {
                    caption { (self.caption) }
                    thead { tr { @for h in &self.head { th scope="col" { (h) } } } }
                    tbody {
                        @for row in &self.rows {
                            tr {
                                @for (i, c) in row.iter().enumerate() {
                                    @if i == 0 {
                                        th scope="row" { (cell(c)) }
                                    } @else {
                                        @match c {
                                            Cell::Num(n) => td.num data-value=[n.value.map(|v| v.to_string())] data-count=[n.count] { (n.shown()) @if let Some(f) = n.flag { " " span.flag { (f) } } },
                                            _ => td { (cell(c)) },
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(href) = csv {
                p.csv { a href=(href) download { "Download this table as CSV" span.visually-hidden { ": " (self.caption) } } }
            }
        }
    }

    /// The table as CSV, exact figures, with a byte-order mark so Excel
    /// reads it as UTF-8. An interval is two columns, low and high.
    pub(super) fn csv(&self) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
        let io = |e: csv::Error| Error::Io(std::io::Error::other(e));
        let first = self.rows.first();
        let mut head = Vec::new();
        for (i, h) in self.head.iter().enumerate() {
            match first.and_then(|r| r.get(i)) {
                Some(Cell::Interval(_)) => {
                    head.push(format!("{h} low"));
                    head.push(format!("{h} high"));
                }
                _ => head.push(h.clone()),
            }
        }
        w.write_record(&head).map_err(io)?;
        for row in &self.rows {
            let rec: Vec<String> = row.iter().flat_map(Cell::csv).collect();
            w.write_record(&rec).map_err(io)?;
        }
        w.into_inner()
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))
    }
}

fn cell(c: &Cell) -> Markup {
    match c {
        Cell::Text(t) => html! { (t) },
        Cell::Link(t, href) => html! { a href=(href) { (t) } },
        Cell::Place { name, down, trend } => html! {
            @match down {
                Some(href) => a href=(href) { (name) },
                None => (name),
            }
            " " a.minor href=(trend) { "trend" span.visually-hidden { " of " (name) } }
        },
        Cell::Num(n) => {
            html! { span data-value=[n.value.map(|v| v.to_string())] data-count=[n.count] { (n.shown()) } }
        }
        Cell::Interval(Some((a, b))) => html! {
            span data-low=(a) data-high=(b) { (format!("{:.0}–{:.0}%", a * 100.0, b * 100.0)) }
        },
        Cell::Interval(None) => html! { "–" },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_and_csv_carry_the_same_exact_figures() {
        let mut t = Table::new(
            "Feel safe after dark by ward",
            &["Ward", "Share", "95% interval", "Answers"],
        );
        t.rows.push(vec![
            Cell::Link("Bishopsgate".into(), "/dashboard/drill?x=1&y=2".into()),
            Cell::Num(Num::share(Some(0.612_345), Some(60))),
            Cell::Interval(Some((0.51, 0.7))),
            Cell::Num(Num::count(Some(98))),
        ]);
        t.rows.push(vec![
            Cell::Text("Tower <b>".into()),
            Cell::Num(Num::share(None, None)),
            Cell::Interval(None),
            Cell::Num(Num::count(None)),
        ]);
        let html = t.html(Some("/dashboard/drill?format=csv")).into_string();
        assert!(
            html.contains(r#"data-value="0.612345" data-count="60">61%"#),
            "{html}"
        );
        assert!(
            html.contains(r#"data-value="98" data-count="98">98"#),
            "{html}"
        );
        assert!(html.contains("Tower &lt;b&gt;"), "escaped: {html}");
        assert!(
            html.contains(r#"href="/dashboard/drill?x=1&amp;y=2""#),
            "{html}"
        );
        let csv = String::from_utf8(t.csv().expect("csv")).expect("utf-8");
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(
            lines[0],
            "Ward,Share,95% interval low,95% interval high,Answers"
        );
        assert_eq!(lines[1], "Bishopsgate,0.612345,0.510000,0.700000,98");
        assert_eq!(lines[2], "Tower <b>,,,,");
    }

    #[test]
    fn figures_read_as_people_expect() {
        assert_eq!(Num::share(Some(0.675), None).shown(), "68%");
        assert_eq!(Num::of(Some(-0.052), Kind::Points).shown(), "-5 pts");
        assert_eq!(Num::of(Some(0.031), Kind::Points).shown(), "+3 pts");
        assert_eq!(Num::of(Some(-0.004), Kind::Points).shown(), "0 pts");
        assert_eq!(Num::of(Some(0.4567), Kind::Kappa).shown(), "0.46");
        assert_eq!(Num::count(None).shown(), "–");
    }
}

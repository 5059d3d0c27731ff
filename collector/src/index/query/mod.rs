//! Queries over the answer index: filters, one or two grouping dimensions,
//! counts and proportions with Wilson intervals, scale means, satisfied
//! shares, small-cell suppression for shared outputs, and trends. The
//! query arrives parsed (the HTTP edge reads it from the URL).
//!
//! ```text
//! Query ─► filter::Filter ──┬─► aggregate (dims, blocks, suppression) ─► Aggregates
//!                           └─► trends::series (calendar buckets)     ─► PeriodCounts
//! ```

mod aggregate;
mod blocks;
mod calendar;
mod dims;
mod filter;
mod suppression;
mod trends;

pub use aggregate::{aggregate, Aggregates, Cell, Summary};
pub use calendar::{parse_period, quarter_bounds, quarter_label};
pub use dims::ATTR;
pub(crate) use filter::Filter;
pub use trends::{answer_codes, series, series_by, PeriodCount};

/// The case attribute a supervisor's teams are matched against.
pub const TEAM: &str = "team";

/// A forced filter: only rows whose `team` attribute is one of `teams`, or
/// whose place is one of `places`. Applied in the index with the other
/// filters, so what is outside never reaches a count, a group or a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowScope {
    /// Team names.
    pub teams: Vec<String>,
    /// Place ids.
    pub places: Vec<String>,
}

/// A parsed query.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Earliest arrival, ms (inclusive).
    pub from_ms: Option<u64>,
    /// Latest arrival, ms (exclusive).
    pub to_ms: Option<u64>,
    /// Place ids allowed (empty: all).
    pub locations: Vec<String>,
    /// Filters on the register's levels (`ward=bishopsgate,tower`,
    /// `sector=east`): a row passes when its place lies in one of the
    /// ids at that level; all must hold.
    pub levels: Vec<(crate::model::Level, Vec<String>)>,
    /// The register of places that `levels`, `by=site|ward|cluster|sector`
    /// and a supervisor's places are read against.
    pub register: std::sync::Arc<crate::model::Register>,
    /// Channels allowed (empty: all).
    pub channels: Vec<String>,
    /// Languages allowed (empty: all).
    pub langs: Vec<String>,
    /// Form versions allowed (empty: all).
    pub versions: Vec<u16>,
    /// `question:answer,answer` filters, all of which must hold.
    pub wheres: Vec<(String, Vec<String>)>,
    /// Case attribute filters (`team=a,b`): name and the values allowed;
    /// all must hold.
    pub attributes: Vec<(String, Vec<String>)>,
    /// Case attributes the deployment knows (`team`, `category`, …): one
    /// may name them in `by` before any response carries them.
    pub known_attributes: Vec<String>,
    /// Rows a supervisor may see, whatever else the query asks; none for
    /// analysts and admins.
    pub scope: Option<RowScope>,
    /// Grouping dimensions (at most two).
    pub by: Vec<String>,
    /// Questions to report (empty: all).
    pub questions: Vec<String>,
    /// Suppress small cells (output shared beyond analysts).
    pub public: bool,
}

#[cfg(test)]
mod tests {
    use super::aggregate::{slots_for, Slots};
    use super::blocks::{count, count_blocks, COPIES_UP_TO};
    use super::dims::Dim;
    use super::*;
    use crate::index::form_index::{ColumnKind, FormIndex, SENTIMENT_LABELS};
    use crate::index::Indexes;
    use crate::service::import;
    use crate::store::ResponseId;
    use synth::{Generator, Options};

    fn index(count: usize) -> FormIndex {
        let text = include_str!("../../../../examples/forms/community-safety.json");
        let form: survey::Form = serde_json::from_str(text).unwrap();
        let analysis = Indexes::new(analysis::Scorer::new());
        let mut ix = FormIndex::new(&form);
        let gen = Generator::new(
            &form,
            Options {
                count,
                ..Options::default()
            },
        )
        .unwrap();
        for (seq, g) in gen.enumerate() {
            let mut r = import::stored(&analysis, &form, &g.submission, g.received_ms).unwrap();
            r.id = Some(ResponseId {
                ms: g.received_ms,
                seq: seq as u64 + 1,
            });
            // Case attributes on most rows, as invitations would carry.
            if seq % 4 != 0 {
                let team = ["East response", "West response", "CID", "Roads"][seq % 7 % 4];
                r.attributes.insert(TEAM.into(), team.into());
            }
            if seq % 3 != 0 {
                r.attributes
                    .insert("category".into(), format!("category {}", seq % 5));
            }
            ix.push(&r);
        }
        ix
    }

    /// Guards the two-thread split of large queries: counting two halves
    /// and adding them up must give exactly the counts of one pass.
    #[test]
    fn counts_of_parts_add_up_to_the_whole() {
        let ix = index(3000);
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let parsed = |by: &[&str], wheres: &[(&str, &[&str])]| Query {
            by: strings(by),
            wheres: wheres
                .iter()
                .map(|(q, answers)| (q.to_string(), strings(answers)))
                .collect(),
            ..Query::default()
        };
        // Each URL query with the Query the HTTP edge reads from it.
        let queries = [
            (
                "by=respondent_type,worry&where=feel_safe_day:4,5",
                parsed(&["respondent_type", "worry"], &[("feel_safe_day", &["4", "5"])]),
            ),
            (
                "by=location,quarter&where=respondent_type:worker&question=feel_safe_dark,safety_comment",
                Query {
                    questions: strings(&["feel_safe_dark", "safety_comment"]),
                    ..parsed(&["location", "quarter"], &[("respondent_type", &["worker"])])
                },
            ),
            (
                "by=month&where=priorities:drugs,phone-bag-theft&from=2024-01-01",
                Query {
                    from_ms: Some(1_704_067_200_000),
                    ..parsed(&["month"], &[("priorities", &["drugs", "phone-bag-theft"])])
                },
            ),
            ("where=priorities:", parsed(&[], &[("priorities", &[])])),
        ];
        for (query, q) in queries {
            let filter = Filter::compile(&ix, &q).unwrap();
            let dims: Vec<Dim> =
                q.by.iter()
                    .map(|b| Dim::resolve(&ix, b, None, &q.known_attributes, &q.register).unwrap())
                    .collect();
            let cards: Vec<usize> = dims.iter().map(|d| d.cardinality(&ix)).collect();
            let groups = cards.iter().product::<usize>().max(1);
            let slots: Vec<Slots> = (0..ix.columns.len()).map(|c| slots_for(&ix, c)).collect();
            let width = slots.iter().map(|s| s.width).sum();
            let whole = count_blocks(
                &ix,
                &filter,
                &dims,
                &cards,
                &slots,
                width,
                groups,
                0..ix.len(),
            );
            assert!(
                query.ends_with(':') || whole.1.iter().sum::<u64>() > 0,
                "{query} selects rows"
            );
            for mid in [1, 1234, 2999] {
                let a = count_blocks(&ix, &filter, &dims, &cards, &slots, width, groups, 0..mid);
                let b = count_blocks(
                    &ix,
                    &filter,
                    &dims,
                    &cards,
                    &slots,
                    width,
                    groups,
                    mid..ix.len(),
                );
                let acc: Vec<u64> = a.0.iter().zip(&b.0).map(|(x, y)| x + y).collect();
                let n: Vec<u64> = a.1.iter().zip(&b.1).map(|(x, y)| x + y).collect();
                assert_eq!((acc, n), whole, "{query} split at {mid}");
            }
        }
    }
    /// A small deterministic generator for the randomised queries below.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n.max(1) as u64) as usize
        }

        fn some<T: Clone>(&mut self, from: &[T], most: usize) -> Vec<T> {
            (0..self.below(most + 1))
                .map(|_| from[self.below(from.len())].clone())
                .collect()
        }
    }

    fn names(d: &crate::index::dict::Dict) -> Vec<String> {
        (1..=d.len() as u32)
            .filter_map(|c| d.name(c).map(str::to_owned))
            .collect()
    }

    /// A random query over `ix`: any filters, dimensions and questions.
    fn random_query(ix: &FormIndex, rng: &mut Rng) -> Query {
        let mut q = Query::default();
        let (first, last) = ix.span.unwrap();
        if rng.below(3) == 0 {
            q.from_ms = Some(first + (rng.below(1000) as u64) * (last - first) / 1000);
        }
        if rng.below(3) == 0 {
            q.to_ms = Some(first + (rng.below(1000) as u64) * (last - first) / 1000);
        }
        if rng.below(4) == 0 {
            q.locations = rng.some(&names(&ix.locations), 4);
        }
        if rng.below(6) == 0 {
            q.channels = rng.some(&names(&ix.channels), 2);
        }
        if rng.below(6) == 0 {
            q.langs = rng.some(&names(&ix.langs), 1);
        }
        if rng.below(6) == 0 {
            q.versions = rng.some(&[1, 2], 2);
        }
        for a in &ix.attributes {
            if rng.below(5) == 0 {
                q.attributes
                    .push((a.name.clone(), rng.some(&names(&a.dict), 2)));
            }
        }
        if rng.below(4) == 0 {
            // Some of them unknown to the index, as a new team would be.
            let mut teams = names(&ix.attributes[ix.attribute(TEAM).unwrap()].dict);
            teams.push("No such team".into());
            let mut places = names(&ix.locations);
            places.push("no-such-place".into());
            q.scope = Some(RowScope {
                teams: rng.some(&teams, 2),
                places: rng.some(&places, 3),
            });
        }
        for _ in 0..rng.below(3) {
            let c = &ix.columns[rng.below(ix.columns.len())];
            let mut answers = names(&c.dict);
            if let ColumnKind::Text { .. } = c.kind {
                answers.extend(SENTIMENT_LABELS.map(|l| l.as_str().to_owned()));
            }
            if answers.is_empty() {
                continue;
            }
            q.wheres.push((c.id.clone(), rng.some(&answers, 3)));
        }
        q.known_attributes = vec!["reported_via".into()];
        let mut dims: Vec<String> = ["location", "channel", "lang", "version"]
            .into_iter()
            .chain([TEAM, "attr.category", "reported_via"])
            .chain(["day", "week", "month", "quarter", "year"])
            .map(String::from)
            .collect();
        dims.extend(
            ix.columns
                .iter()
                .filter(|c| !matches!(c.kind, ColumnKind::Multi | ColumnKind::Text { .. }))
                .map(|c| c.id.clone()),
        );
        q.by = rng.some(&dims, 2);
        let questions: Vec<String> = ix.columns.iter().map(|c| c.id.clone()).collect();
        q.questions = rng.some(&questions, 5);
        q
    }

    /// Guards the block-wise counter used for queries of a few questions:
    /// on random queries (every kind of filter, dimension and question) it
    /// must give exactly the counts of the column-wise one, for the whole
    /// index and for parts of it that do not start or end on a block.
    #[test]
    fn block_counts_agree_with_column_counts_on_random_queries() {
        let ix = index(3000);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut few_cells, mut many_cells, mut selecting) = (0, 0, 0);
        for round in 0..400 {
            let q = random_query(&ix, &mut rng);
            let filter = Filter::compile(&ix, &q).unwrap();
            let dims: Vec<Dim> =
                q.by.iter()
                    .map(|b| Dim::resolve(&ix, b, None, &q.known_attributes, &q.register).unwrap())
                    .collect();
            let cards: Vec<usize> = dims.iter().map(|d| d.cardinality(&ix)).collect();
            let groups = cards.iter().product::<usize>().max(1);
            let slots: Vec<Slots> = q
                .questions
                .iter()
                .map(|name| slots_for(&ix, ix.column(name).unwrap().0))
                .collect();
            let width = slots.iter().map(|s| s.width).sum();
            if (groups + 1) * (width + 2) > COPIES_UP_TO {
                many_cells += 1;
            } else {
                few_cells += 1;
            }
            let args = (
                &ix,
                &filter,
                &dims[..],
                &cards[..],
                &slots[..],
                width,
                groups,
            );
            let by_column = |range| {
                count(
                    args.0, args.1, args.2, args.3, args.4, args.5, args.6, range,
                )
            };
            let by_block = |range| {
                count_blocks(
                    args.0, args.1, args.2, args.3, args.4, args.5, args.6, range,
                )
            };
            let whole = by_column(0..ix.len());
            selecting += usize::from(whole.1.iter().sum::<u64>() > 0);
            assert_eq!(by_block(0..ix.len()), whole, "round {round}: {q:?}");
            let mid = 1 + rng.below(ix.len() - 1);
            let end = mid + rng.below(ix.len() - mid);
            assert_eq!(
                by_block(mid..end),
                by_column(mid..end),
                "round {round} rows {mid}..{end}: {q:?}"
            );
        }
        assert!(
            few_cells > 100 && many_cells > 5,
            "{few_cells} small and {many_cells} large"
        );
        assert!(selecting > 200, "{selecting} queries selected rows");
    }

    /// A supervisor's scope is a filter like any other: rows of their
    /// teams or at their places, and nothing else, reach the counts, the
    /// groups and the trends; teams that have no rows yet are no error.
    #[test]
    fn a_scope_keeps_the_rows_of_its_teams_or_places_only() {
        let ix = index(2000);
        let team = ix.attribute(TEAM).unwrap();
        let team_of = |row: usize| {
            ix.attributes[team]
                .dict
                .name(u32::from(ix.attributes[team].codes[row]))
        };
        let place_of = |row: usize| ix.locations.name(u32::from(ix.location[row]));
        let place = place_of(1).unwrap().to_owned();
        let scope = RowScope {
            teams: vec!["CID".into(), "A team with no cases yet".into()],
            places: vec![place.clone()],
        };
        let inside = |row: usize| team_of(row) == Some("CID") || place_of(row) == Some(&*place);
        let expected = (0..ix.len()).filter(|&r| inside(r)).count() as u64;
        assert!(
            expected > 100 && expected < ix.len() as u64 / 2,
            "{expected}"
        );
        let q = Query {
            by: vec![TEAM.into()],
            questions: vec!["worry".into()],
            scope: Some(scope.clone()),
            ..Query::default()
        };
        let a = aggregate(&ix, &q, None, 10).unwrap();
        assert_eq!(a.n, Some(expected));
        // Grouped by team: CID's rows, and other teams' (or none) only
        // where they are at the place.
        let mut by_team: std::collections::BTreeMap<String, u64> = Default::default();
        for r in (0..ix.len()).filter(|&r| inside(r)) {
            *by_team
                .entry(team_of(r).unwrap_or("_none").to_owned())
                .or_default() += 1;
        }
        let got: std::collections::BTreeMap<String, u64> = a
            .summaries
            .iter()
            .map(|s| (s.group[0].clone(), s.n.unwrap()))
            .collect();
        assert_eq!(got, by_team);
        // Only teams: CID alone.
        let q = Query {
            by: vec![TEAM.into()],
            questions: vec!["worry".into()],
            scope: Some(RowScope {
                teams: vec!["CID".into()],
                places: vec![],
            }),
            ..Query::default()
        };
        let a = aggregate(&ix, &q, None, 10).unwrap();
        let groups: Vec<&str> = a.summaries.iter().map(|s| s.group[0].as_str()).collect();
        assert_eq!(groups, ["CID"]);
        // A team filter inside the scope narrows it further.
        let q = Query {
            attributes: vec![(TEAM.into(), vec!["East response".into()])],
            scope: Some(scope),
            ..Query::default()
        };
        let east_at_place = (0..ix.len())
            .filter(|&r| team_of(r) == Some("East response") && place_of(r) == Some(&*place))
            .count() as u64;
        assert_eq!(aggregate(&ix, &q, None, 10).unwrap().n, Some(east_at_place));
        // A trend grouped by team has one series per team in scope.
        let (col, _) = ix.column("feel_safe_dark").unwrap();
        let q = Query {
            scope: Some(RowScope {
                teams: vec!["CID".into(), "Roads".into()],
                places: vec![],
            }),
            ..Query::default()
        };
        let groups = series_by(
            &ix,
            &q,
            analysis::stats::Period::Quarter,
            col,
            &[],
            TEAM,
            None,
        )
        .unwrap();
        let names: Vec<&str> = groups.iter().map(|(g, _)| g.as_str()).collect();
        assert_eq!(names, ["CID", "Roads"]);
        let whole: u64 = series(&ix, &q, analysis::stats::Period::Quarter, col, &[])
            .unwrap()
            .iter()
            .map(|p| p.answered)
            .sum();
        let parts: u64 = groups.iter().flat_map(|(_, s)| s).map(|p| p.answered).sum();
        assert_eq!(whole, parts);
    }

    /// Unknown values of a case attribute are refused like unknown places;
    /// an attribute the deployment knows but no row carries groups every
    /// row as `_none`.
    #[test]
    fn attribute_filters_and_groups() {
        let ix = index(300);
        let q = Query {
            attributes: vec![("category".into(), vec!["no such category".into()])],
            ..Query::default()
        };
        assert!(aggregate(&ix, &q, None, 10).is_err());
        let q = Query {
            by: vec!["reported_via".into()],
            questions: vec!["worry".into()],
            ..Query::default()
        };
        assert!(aggregate(&ix, &q, None, 10).is_err(), "not known");
        let q = Query {
            known_attributes: vec!["reported_via".into()],
            ..q
        };
        let a = aggregate(&ix, &q, None, 10).unwrap();
        let groups: Vec<&str> = a.summaries.iter().map(|s| s.group[0].as_str()).collect();
        assert_eq!(groups, ["_none"]);
        assert_eq!(a.n, Some(300));
    }
}

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
pub(crate) use filter::Filter;
pub use trends::{answer_codes, series, PeriodCount};

/// A parsed query.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Earliest arrival, ms (inclusive).
    pub from_ms: Option<u64>,
    /// Latest arrival, ms (exclusive).
    pub to_ms: Option<u64>,
    /// Place ids allowed (empty: all).
    pub locations: Vec<String>,
    /// Channels allowed (empty: all).
    pub channels: Vec<String>,
    /// Languages allowed (empty: all).
    pub langs: Vec<String>,
    /// Form versions allowed (empty: all).
    pub versions: Vec<u16>,
    /// `question:answer,answer` filters, all of which must hold.
    pub wheres: Vec<(String, Vec<String>)>,
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
                    .map(|b| Dim::resolve(&ix, b, None).unwrap())
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
        let mut dims: Vec<String> = ["location", "channel", "lang", "version"]
            .into_iter()
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
                    .map(|b| Dim::resolve(&ix, b, None).unwrap())
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
}

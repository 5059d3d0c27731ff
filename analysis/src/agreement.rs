//! Agreement between automatic theme codes and analysts' manual codes.
//!
//! For one theme, each response that an analyst has coded is a yes/no pair:
//! did the codebook find the theme, did the analyst. Cohen's kappa says how
//! much more they agree than two coders picking yes at their own rates by
//! chance would: 1 is perfect agreement, 0 is chance, below 0 worse than
//! chance. It tells analysts whether a theme's phrases can be trusted for
//! the responses nobody has read.

use serde::{Deserialize, Serialize};

/// The 2×2 table of automatic against manual codes, and Cohen's kappa.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Both say the theme is present.
    pub both_yes: u64,
    /// Only the automatic coding says so.
    pub auto_only: u64,
    /// Only the analyst says so.
    pub manual_only: u64,
    /// Both say it is absent.
    pub both_no: u64,
    /// Observed agreement, (both_yes + both_no) / n; `None` when n = 0.
    pub observed: Option<f64>,
    /// Agreement expected by chance from the two coders' rates.
    pub expected: Option<f64>,
    /// Cohen's kappa, (observed − expected) / (1 − expected). `None` when
    /// there are no pairs, or when both coders gave one and the same answer
    /// throughout (expected = 1, kappa undefined).
    pub kappa: Option<f64>,
}

impl Agreement {
    /// Agreement over `(automatic, manual)` pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (bool, bool)>) -> Agreement {
        let mut t = [[0u64; 2]; 2];
        for (auto, manual) in pairs {
            t[usize::from(!auto)][usize::from(!manual)] += 1;
        }
        Agreement::from_counts(t[0][0], t[0][1], t[1][0], t[1][1])
    }

    /// Agreement for one theme over responses as `(automatic codes, manual
    /// codes)`; responses with no manual codes (`None`) are left out, while
    /// `Some(&[])` is an analyst saying "no theme applies".
    pub fn for_theme<'a, A, M>(
        theme: &str,
        responses: impl IntoIterator<Item = (A, Option<M>)>,
    ) -> Agreement
    where
        A: IntoIterator<Item = &'a String>,
        M: IntoIterator<Item = &'a String>,
    {
        Agreement::from_pairs(responses.into_iter().filter_map(|(auto, manual)| {
            let manual = manual?;
            Some((
                auto.into_iter().any(|t| t == theme),
                manual.into_iter().any(|t| t == theme),
            ))
        }))
    }

    /// Agreement from the four counts of the 2×2 table.
    pub fn from_counts(both_yes: u64, auto_only: u64, manual_only: u64, both_no: u64) -> Agreement {
        let n = (both_yes + auto_only + manual_only + both_no) as f64;
        let (observed, expected, kappa) = if n == 0.0 {
            (None, None, None)
        } else {
            let po = (both_yes + both_no) as f64 / n;
            let auto_yes = (both_yes + auto_only) as f64 / n;
            let manual_yes = (both_yes + manual_only) as f64 / n;
            let pe = auto_yes * manual_yes + (1.0 - auto_yes) * (1.0 - manual_yes);
            let kappa = (pe < 1.0).then(|| (po - pe) / (1.0 - pe));
            (Some(po), Some(pe), kappa)
        };
        Agreement {
            both_yes,
            auto_only,
            manual_only,
            both_no,
            observed,
            expected,
            kappa,
        }
    }

    /// Number of pairs.
    pub fn n(&self) -> u64 {
        self.both_yes + self.auto_only + self.manual_only + self.both_no
    }
}

#[cfg(test)]
mod tests {
    use super::Agreement;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn textbook_example() {
        // Two readers of 50 grant proposals: 20 yes/yes, 5 yes/no, 10
        // no/yes, 15 no/no. Observed 0.7, by chance 0.5, kappa 0.4.
        let a = Agreement::from_counts(20, 5, 10, 15);
        assert!(
            close(a.observed, 0.7) && close(a.expected, 0.5) && close(a.kappa, 0.4),
            "{a:?}"
        );
        assert_eq!(a.n(), 50);
        // Same table with unbalanced marginals: κ = (0.60 − 0.54) / 0.46.
        let b = Agreement::from_counts(45, 15, 25, 15);
        assert!(close(b.kappa, 0.06 / 0.46), "{b:?}");
    }

    #[test]
    fn pairs_and_theme_codes_fill_the_table() {
        let pairs = [(true, true); 20]
            .into_iter()
            .chain([(true, false); 5])
            .chain([(false, true); 10])
            .chain([(false, false); 15]);
        let a = Agreement::from_pairs(pairs);
        assert_eq!(
            (a.both_yes, a.auto_only, a.manual_only, a.both_no),
            (20, 5, 10, 15)
        );

        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let (drugs, none, theft) = (s(&["drugs"]), s(&[]), s(&["phone-theft"]));
        let both = s(&["drugs", "phone-theft"]);
        let responses = vec![
            (&drugs, Some(&drugs)), // both yes
            (&both, Some(&theft)),  // auto only
            (&none, Some(&drugs)),  // manual only
            (&theft, Some(&none)),  // both no: analyst says no theme
            (&drugs, None),         // not coded by hand: left out
        ];
        let a = Agreement::for_theme("drugs", responses);
        assert_eq!(
            (a.both_yes, a.auto_only, a.manual_only, a.both_no),
            (1, 1, 1, 1)
        );
        assert!(close(a.kappa, 0.0));
    }

    #[test]
    fn perfect_chance_and_undefined_agreement() {
        assert!(close(Agreement::from_counts(7, 0, 0, 13).kappa, 1.0));
        assert!(close(Agreement::from_counts(0, 10, 10, 0).kappa, -1.0));
        let none = Agreement::from_counts(0, 0, 0, 0);
        assert_eq!((none.observed, none.kappa), (None, None));
        // Both coders said "no" every time: agreement is total but kappa is
        // undefined, not 1.
        let all_no = Agreement::from_counts(0, 0, 0, 12);
        assert_eq!(all_no.kappa, None);
        assert!(close(all_no.observed, 1.0));
    }
}

//! Codes free-text answers with the themes of a form's codebook.
//!
//! Each theme lists words or phrases. An answer has the theme when one of
//! its phrases appears in it as consecutive word stems: both sides are cut
//! into lower-cased word tokens (punctuation and hyphens separate words) and
//! stemmed with the Snowball English (Porter2) stemmer, so "snatched",
//! "snatching" and "Snatch!" all match the phrase "snatch", and "police
//! officers" matches "police officer". Codes are computed when a response
//! is stored; analysts' manual codes override them in aggregates.

use crate::text::with_tokens;
use std::collections::HashMap;
use survey::Codebook;

/// A codebook compiled for matching.
pub struct Coder {
    version: u32,
    questions: Vec<String>,
    /// Theme ids in codebook order.
    themes: Vec<String>,
    /// First stem → (theme index, the phrase's stems), longest first.
    by_first: HashMap<String, Vec<(usize, Vec<String>)>>,
}

impl std::fmt::Debug for Coder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coder")
            .field("version", &self.version)
            .field("themes", &self.themes)
            .finish()
    }
}

impl Coder {
    /// Compiles a codebook. Phrases with no words are ignored (the form
    /// check rejects them before publication anyway).
    pub fn new(codebook: &Codebook) -> Coder {
        let mut by_first: HashMap<String, Vec<(usize, Vec<String>)>> = HashMap::new();
        for (i, theme) in codebook.themes.iter().enumerate() {
            for phrase in &theme.phrases {
                let stems = stems(phrase);
                if let Some(first) = stems.first() {
                    by_first.entry(first.clone()).or_default().push((i, stems));
                }
            }
        }
        for list in by_first.values_mut() {
            list.sort_by_key(|(_, s)| std::cmp::Reverse(s.len()));
        }
        Coder {
            version: codebook.version,
            questions: codebook.questions.clone(),
            themes: codebook.themes.iter().map(|t| t.id.clone()).collect(),
            by_first,
        }
    }

    /// The codebook's version, to store beside the codes.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Whether `theme` is one of the codebook's themes.
    pub fn has_theme(&self, theme: &str) -> bool {
        self.themes.iter().any(|t| t == theme)
    }

    /// Whether answers to `question` are coded: those the codebook lists,
    /// or every text question when it lists none.
    pub fn applies_to(&self, question: &str) -> bool {
        self.questions.is_empty() || self.questions.iter().any(|q| q == question)
    }

    /// The ids of the themes found in `text`, in codebook order, each once.
    pub fn code(&self, text: &str) -> Vec<String> {
        let words = stems(text);
        let mut hit = vec![false; self.themes.len()];
        for i in 0..words.len() {
            let Some(list) = self.by_first.get(&words[i]) else {
                continue;
            };
            for (theme, phrase) in list {
                if words[i..].starts_with(phrase) {
                    hit[*theme] = true;
                }
            }
        }
        self.themes
            .iter()
            .zip(hit)
            .filter(|(_, h)| *h)
            .map(|(id, _)| id.clone())
            .collect()
    }
}

fn stems(text: &str) -> Vec<String> {
    with_tokens(text, |words| {
        words.iter().map(|t| crate::text::stem(t)).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::Coder;
    use survey::{Codebook, Theme};

    fn theme(id: &str, phrases: &[&str]) -> Theme {
        Theme {
            id: id.into(),
            label: id.into(),
            phrases: phrases.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn codebook() -> Codebook {
        Codebook {
            version: 3,
            questions: vec!["feel-safe-why".into()],
            themes: vec![
                theme(
                    "visible-policing",
                    &[
                        "police officers around",
                        "see police",
                        "patrol",
                        "police presence",
                        "bobby on the beat",
                    ],
                ),
                theme(
                    "phone-theft",
                    &[
                        "phone snatched",
                        "snatch",
                        "phone theft",
                        "stole my phone",
                        "e-bike",
                    ],
                ),
                theme("drugs", &["drug", "dealing", "smell of cannabis"]),
                theme("lighting", &["street lights", "poorly lit", "dark"]),
                theme(
                    "kept-informed",
                    &["kept informed", "no update", "never heard back"],
                ),
            ],
        }
    }

    #[test]
    fn codes_realistic_community_safety_answers() {
        let c = Coder::new(&codebook());
        let cases: &[(&str, &[&str])] = &[
            (
                "I never see any police officers around after 7pm",
                &["visible-policing"],
            ),
            (
                "My phone was snatched by someone on an e-bike on Cheapside",
                &["phone-theft"],
            ),
            (
                "Phones get snatched outside the station every week.",
                &["phone-theft"],
            ),
            (
                "People dealing drugs by the bins, and the street lights are out",
                &["drugs", "lighting"],
            ),
            (
                "More patrols please - I'd feel safer seeing a police presence",
                &["visible-policing"],
            ),
            (
                "Officers PATROLLING on foot make a difference",
                &["visible-policing"],
            ),
            (
                "I was not kept informed and never heard back about my case",
                &["kept-informed"],
            ),
            ("Lovely area, no problems at all.", &[]),
            ("", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(c.code(text), *want, "{text}");
        }
    }

    #[test]
    fn phrases_need_consecutive_words() {
        let c = Coder::new(&codebook());
        // "police ... around" with other words between is not the phrase.
        assert_eq!(c.code("police cars drive around"), Vec::<String>::new());
        assert_eq!(c.code("the smell of cannabis in the alley"), ["drugs"]);
        assert_eq!(c.code("the smell was of cannabis"), Vec::<String>::new());
    }

    #[test]
    fn matching_ignores_case_punctuation_and_inflection() {
        let c = Coder::new(&codebook());
        assert_eq!(c.code("DRUGS!!! everywhere"), ["drugs"]);
        assert_eq!(c.code("poorly-lit, DARKER streets"), ["lighting"]);
        assert_eq!(c.code("they stole my phone’s charger"), ["phone-theft"]);
        assert_eq!(c.code("Someone STOLE MY PHONE!"), ["phone-theft"]);
    }

    #[test]
    fn knows_which_questions_it_codes() {
        let c = Coder::new(&codebook());
        assert_eq!(c.version(), 3);
        assert!(c.applies_to("feel-safe-why") && !c.applies_to("other"));
        let all = Coder::new(&Codebook {
            version: 1,
            questions: vec![],
            themes: vec![],
        });
        assert!(all.applies_to("anything"));
        assert!(all.code("drugs").is_empty());
    }
}

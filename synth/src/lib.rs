//! Realistic synthetic responses for demonstrations, tests and benchmarks.
//!
//! [`Generator`] makes wire-format [`Submission`]s for the three City of
//! London Police forms (`community-safety`, `victim-satisfaction`,
//! `street-feedback`), deterministic from a seed, with arrival times spread
//! over a span (by default April 2023 to March 2025, two financial years)
//! and handed out oldest first.
//!
//! ```text
//! Form + Options ─► Generator ─► Generated { submission, received_ms } ─┬─► to_json ─► POST (benchmarks, tests)
//!                                                                      └─► collector::service::import::load
//!                                                                          (validated and coded as ingest does)
//! ```
//!
//! A crate of its own so that the server library ships without it: the
//! benchmarks, the tests and `collector demo-data` use it.
//!
//! # What the data looks like
//!
//! The marginals follow the shape of the force's published survey results
//! rather than any real responses:
//!
//! - Far more people who work in the City answer than people who live
//!   there (workers about half, then visitors, residents, businesses and
//!   students). Workers cluster round the big stations (Liverpool Street,
//!   Bank, Moorgate), residents round the Barbican and Aldgate estates,
//!   visitors round St Paul's and Tower Hill.
//! - People feel less safe after dark than by day; both scales share a
//!   personal disposition, so they correlate. Places differ (the stations
//!   and Aldgate a little less safe, the Barbican and Guildhall more).
//!   Women and students feel less safe after dark on average.
//! - Worry about becoming a victim goes with feeling unsafe, and victims of
//!   crime in the last 12 months feel less safe and worry more. The
//!   `victim_12m → victim_reported → why_not_reported` chain and
//!   `priorities → priorities_other` are answered only when shown.
//! - Confidence in the police correlates with feeling safe and falls among
//!   victims who did not report.
//! - About a third leave a comment (more of those who feel unsafe), made of
//!   template sentences that name the codebook's themes, both negative and
//!   positive.
//! - Channels: embedded on partner pages, QR codes on the street, links.
//!   `street-feedback` is mostly QR codes and is answered in its five
//!   languages.
//!
//! # The deliberate signal
//!
//! For the walkthrough in the README, workers around `liverpool-street`
//! feel markedly less safe after dark in 2024/25 Q3 (October to December
//! 2024): their latent "after dark" score drops by [`SIGNAL_SHIFT`]
//! standard deviations, they comment more often, and their comments are
//! mostly about phone and bag theft and poor lighting (the station
//! works). A monthly trend of `feel_safe_dark` answers 1 or 2 for workers
//! at that place shows those months as an exception against the control
//! limits. Nothing else changes over time.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use survey::{Form, Submission};

/// The folder of the example forms ([`FORMS`] and the others):
/// `examples/forms` at the root of the workspace. Tests and benchmarks
/// publish from it.
pub fn forms_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/forms")
}

/// 2023-04-01T00:00:00Z, start of financial year 2023/24, in ms.
pub const DEFAULT_FROM_MS: u64 = 1_680_307_200_000;
/// 2025-04-01T00:00:00Z, end of financial year 2024/25 (exclusive), in ms.
pub const DEFAULT_TO_MS: u64 = 1_743_465_600_000;
/// 2024-10-01T00:00:00Z: the signal starts.
pub const SIGNAL_FROM_MS: u64 = 1_727_740_800_000;
/// 2025-01-01T00:00:00Z: the signal ends (exclusive).
pub const SIGNAL_TO_MS: u64 = 1_735_689_600_000;
/// How far (in standard deviations of the latent score) workers at
/// `liverpool-street` feel less safe after dark during the signal.
pub const SIGNAL_SHIFT: f64 = 0.8;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Seed of the pseudo-random generator: the same seed and options give
    /// the same responses.
    pub seed: u64,
    /// Number of responses.
    pub count: usize,
    /// Earliest arrival, ms since the Unix epoch.
    pub from_ms: u64,
    /// Latest arrival (exclusive), ms since the Unix epoch.
    pub to_ms: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 1,
            count: 10_000,
            from_ms: DEFAULT_FROM_MS,
            to_ms: DEFAULT_TO_MS,
        }
    }
}

/// One generated response: what a client would post, and when it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The submission as posted.
    pub submission: Submission,
    /// Arrival time, ms since the Unix epoch.
    pub received_ms: u64,
}

/// The forms the generator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    CommunitySafety,
    VictimSatisfaction,
    StreetFeedback,
}

/// The generator cannot make responses for this form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no synthetic responses for form '{0}': use community-safety, victim-satisfaction or street-feedback")]
pub struct UnknownForm(pub String);

/// Generates responses to one form, oldest first (an [`Iterator`]).
#[derive(Debug, Clone)]
pub struct Generator {
    kind: Kind,
    form: Form,
    /// Where responses come from: site id, its name, and the answer a
    /// location question takes there (the site itself, or its ward when
    /// the form asks for wards).
    sites: Vec<(String, String, String)>,
    rng: Rng,
    options: Options,
    next: usize,
}

/// The forms [`Generator::new`] accepts.
pub const FORMS: [&str; 3] = ["community-safety", "victim-satisfaction", "street-feedback"];

impl Generator {
    /// A generator for `form` (one of [`FORMS`]).
    pub fn new(form: &Form, options: Options) -> Result<Generator, UnknownForm> {
        let kind = match form.id.as_str() {
            "community-safety" => Kind::CommunitySafety,
            "victim-satisfaction" => Kind::VictimSatisfaction,
            "street-feedback" => Kind::StreetFeedback,
            other => return Err(UnknownForm(other.to_owned())),
        };
        let sites = match form.place_register {
            None => form
                .places
                .iter()
                .map(|p| {
                    let name = p.name.get("en", &form.default_lang).to_owned();
                    (p.id.clone(), name, p.id.clone())
                })
                .collect(),
            Some(level) => example_sites()
                .into_iter()
                .map(|(id, name, ward)| {
                    let answer = match level {
                        survey::PlaceLevel::Site => id.clone(),
                        survey::PlaceLevel::Ward => ward,
                    };
                    (id, name, answer)
                })
                .collect(),
        };
        Ok(Generator {
            kind,
            sites,
            form: form.clone(),
            rng: Rng::new(options.seed ^ fnv(form.id.as_bytes())),
            options,
            next: 0,
        })
    }

    /// The arrival time of response `i` of `count`: evenly spread over the
    /// span with a little jitter, warped so that volume grows through the
    /// span (the platform gets better known), and never decreasing.
    fn time(&mut self, i: usize) -> u64 {
        let o = self.options;
        let span = o.to_ms.saturating_sub(o.from_ms).max(1) as f64;
        let n = o.count.max(1) as f64;
        let u = ((i as f64 + self.rng.f64()) / n).min(1.0);
        // Density ∝ 1 + A·x on [0, 1]; invert its distribution function.
        const A: f64 = 0.8;
        let x = ((1.0 + 2.0 * A * u * (1.0 + A / 2.0)).sqrt() - 1.0) / A;
        (o.from_ms + (x * span) as u64).min(o.to_ms.saturating_sub(1))
    }

    fn submission_id(&mut self) -> String {
        let a = self.rng.next_u64();
        let b = self.rng.next_u64();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&a.to_be_bytes());
        bytes[8..].copy_from_slice(&b.to_be_bytes());
        // Version 4, and a variant digit 8 to b drawn from `b`'s top bits.
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x0f) | ((8 + (b >> 62) as u8) << 4);
        uuid::Uuid::from_bytes(bytes).hyphenated().to_string()
    }

    fn place_name(&self, id: &str) -> String {
        self.sites
            .iter()
            .find(|s| s.0 == id)
            .map_or_else(|| id.replace('-', " "), |s| s.1.clone())
    }
}

/// The example register of places (`examples/places.json`): each site's
/// id, English name and ward. Sites taken down are left out: new
/// responses do not come from them.
pub fn example_sites() -> Vec<(String, String, String)> {
    let register: Value =
        serde_json::from_str(include_str!("../../examples/places.json")).unwrap_or(Value::Null);
    register["sites"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["removed"].is_null())
        .filter_map(|s| {
            let name = match &s["name"] {
                Value::String(n) => n.clone(),
                n => n["en"].as_str()?.to_owned(),
            };
            Some((
                s["id"].as_str()?.to_owned(),
                name,
                s["ward"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

impl Iterator for Generator {
    type Item = Generated;

    fn next(&mut self) -> Option<Generated> {
        if self.next >= self.options.count {
            return None;
        }
        let i = self.next;
        self.next += 1;
        let received_ms = self.time(i);
        let submission_id = self.submission_id();
        let submission = match self.kind {
            Kind::CommunitySafety => community_safety(self, submission_id, received_ms),
            Kind::VictimSatisfaction => victim_satisfaction(self, submission_id),
            Kind::StreetFeedback => street_feedback(self, submission_id),
        };
        Some(Generated {
            submission,
            received_ms,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.options.count - self.next;
        (left, Some(left))
    }
}

/// The generated responses as `(submission, arrival ms)` pairs, oldest
/// first: what the collector's bulk import
/// (`collector::service::import::load`) takes.
pub fn submissions(
    form: &Form,
    options: Options,
) -> Result<impl Iterator<Item = (Submission, u64)>, UnknownForm> {
    Ok(Generator::new(form, options)?.map(|g| (g.submission, g.received_ms)))
}

// ---------------------------------------------------------------------------
// community-safety

const RESPONDENTS: &[(&str, f64)] = &[
    ("worker", 0.50),
    ("visitor", 0.17),
    ("resident", 0.13),
    ("business", 0.10),
    ("student", 0.10),
];

/// Where each kind of respondent tends to be; other places get 1.
fn place_weight(respondent: &str, place: &str) -> f64 {
    let w: &[(&str, f64)] = match respondent {
        "worker" => &[
            ("liverpool-street", 10.0),
            ("bank", 5.0),
            ("moorgate", 4.0),
            ("bishopsgate", 4.0),
            ("leadenhall", 3.0),
            ("fenchurch-street", 3.0),
            ("cannon-street", 2.5),
            ("st-pauls", 2.0),
            ("aldgate", 2.0),
            ("cheapside", 2.0),
        ],
        "resident" => &[
            ("barbican", 12.0),
            ("aldgate", 5.0),
            ("smithfield", 2.0),
            ("temple", 2.0),
            ("london-wall", 2.0),
        ],
        "visitor" => &[
            ("st-pauls", 8.0),
            ("tower-hill", 7.0),
            ("monument", 4.0),
            ("liverpool-street", 4.0),
            ("leadenhall", 3.0),
            ("fleet-street", 2.5),
            ("barbican", 2.5),
            ("bank", 2.0),
        ],
        "business" => &[
            ("cheapside", 4.0),
            ("leadenhall", 4.0),
            ("fenchurch-street", 3.0),
            ("bank", 3.0),
            ("fleet-street", 3.0),
            ("liverpool-street", 3.0),
        ],
        _ => &[
            ("aldgate", 5.0),
            ("barbican", 4.0),
            ("chancery-lane", 4.0),
            ("holborn-circus", 3.0),
            ("smithfield", 3.0),
            ("liverpool-street", 3.0),
        ],
    };
    w.iter().find(|(p, _)| *p == place).map_or(1.0, |(_, w)| *w)
}

/// Shift of the latent "after dark" score at a place (day gets a third).
fn place_effect(place: &str) -> f64 {
    match place {
        "liverpool-street" => -0.3,
        "aldgate" => -0.35,
        "smithfield" => -0.2,
        "fenchurch-street" => -0.15,
        "tower-hill" => -0.15,
        "bishopsgate" => -0.1,
        "holborn-circus" => -0.1,
        "blackfriars" => -0.1,
        "barbican" => 0.3,
        "guildhall" => 0.35,
        "temple" => 0.25,
        "st-pauls" => 0.1,
        _ => 0.0,
    }
}

/// Cut points on a standard-normal latent score for 1–5 answers.
const CUTS_DAY: [f64; 4] = [-2.054, -1.476, -0.842, 0.305]; // 2 5 13 42 38 %
const CUTS_DARK: [f64; 4] = [-1.405, -0.674, 0.0, 0.915]; // 8 17 25 32 18 %
const CUTS_POLICE: [f64; 4] = [-1.645, -1.036, -0.253, 0.842]; // 5 10 25 40 20 %

fn scale(z: f64, cuts: &[f64; 4]) -> i64 {
    1 + cuts.iter().filter(|c| z > **c).count() as i64
}

const POLICE_SCALES: [&str; 7] = [
    "police_good_job",
    "police_rely_on",
    "police_respect",
    "police_fair",
    "police_understand",
    "police_deal_matters",
    "confidence_overall",
];

fn community_safety(g: &mut Generator, submission_id: String, ms: u64) -> Submission {
    let rng = &mut g.rng;
    let mut answers = BTreeMap::new();
    let respondent = *rng.weighted(RESPONDENTS);
    let places: Vec<(&str, f64)> = g
        .sites
        .iter()
        .map(|p| (p.0.as_str(), place_weight(respondent, &p.0)))
        .collect();
    let place = rng.weighted(&places).to_string();
    let signal = respondent == "worker"
        && place == "liverpool-street"
        && (SIGNAL_FROM_MS..SIGNAL_TO_MS).contains(&ms);

    answers.insert("respondent_type".into(), json!(respondent));
    // Most say which area they mean; it is usually where the form was found.
    if rng.chance(0.8) {
        let site = if rng.chance(0.9) {
            place.clone()
        } else {
            rng.weighted(&places).to_string()
        };
        let area = g
            .sites
            .iter()
            .find(|s| s.0 == site)
            .map_or_else(|| site.clone(), |s| s.2.clone());
        answers.insert("area".into(), json!(area));
    }

    let gender = rng.chance(0.85).then(|| {
        *rng.weighted(&[
            ("woman", 0.46),
            ("man", 0.48),
            ("non-binary", 0.01),
            ("other", 0.005),
            ("prefer-not-to-say", 0.045),
        ])
    });

    // Victim in the last 12 months: more likely at the busy stations.
    let victim_p = match place.as_str() {
        "liverpool-street" | "aldgate" | "bank" => 0.15,
        _ => 0.10,
    } + if signal { 0.08 } else { 0.0 };
    let victim = if rng.chance(0.93) {
        let v = if rng.chance(victim_p) {
            "yes"
        } else if rng.chance(0.05) {
            "prefer-not-to-say"
        } else {
            "no"
        };
        answers.insert("victim_12m".into(), json!(v));
        v
    } else {
        ""
    };
    let mut reported = "";
    if victim == "yes" && rng.chance(0.9) {
        reported = *rng.weighted(&[
            ("yes-all", 0.40),
            ("yes-some", 0.15),
            ("no", 0.40),
            ("prefer-not-to-say", 0.05),
        ]);
        answers.insert("victim_reported".into(), json!(reported));
        if matches!(reported, "yes-some" | "no") && rng.chance(0.85) {
            let k = 1 + rng.below(3);
            let why = rng.several(
                &[
                    ("not-serious", 0.25),
                    ("police-could-not-help", 0.25),
                    ("did-not-know-how", 0.08),
                    ("takes-too-long", 0.15),
                    ("told-someone-else", 0.05),
                    ("worried-about-consequences", 0.03),
                    ("did-not-trust-police", 0.07),
                    ("other", 0.04),
                ],
                k,
            );
            answers.insert("why_not_reported".into(), json!(why));
        }
    }

    // Latent scores: a personal disposition shared by day and dark.
    let person = rng.normal();
    let mut dark_shift = 0.25 + place_effect(&place);
    dark_shift += match respondent {
        "visitor" => -0.15,
        "student" => -0.3,
        "resident" => 0.1,
        _ => 0.0,
    };
    if gender == Some("woman") {
        dark_shift -= 0.25;
    }
    if victim == "yes" {
        dark_shift -= 0.45;
    }
    if signal {
        dark_shift -= SIGNAL_SHIFT;
    }
    let day_shift = place_effect(&place) / 3.0 + if victim == "yes" { -0.3 } else { 0.0 };
    let day_z = 0.8 * person + 0.6 * rng.normal() + day_shift;
    let dark_z = 0.8 * person + 0.6 * rng.normal() + dark_shift;
    let day = scale(day_z, &CUTS_DAY);
    let dark = scale(dark_z, &CUTS_DARK).min(day.max(2));
    answers.insert("feel_safe_day".into(), json!(day));
    answers.insert("feel_safe_dark".into(), json!(dark));

    let worry_z = -0.7 * dark_z + 0.7 * rng.normal() + if victim == "yes" { 0.7 } else { 0.0 };
    let worry = if worry_z > 1.28 {
        "a-lot"
    } else if worry_z > 0.13 {
        "a-little"
    } else if worry_z > -1.04 {
        "not-very"
    } else {
        "not-at-all"
    };
    answers.insert("worry".into(), json!(worry));

    let confidence = 0.45 * person
        + 0.3 * dark_z
        + 0.75 * rng.normal()
        + match reported {
            "no" => -0.4,
            "yes-some" => -0.2,
            "yes-all" => 0.1,
            _ => 0.0,
        };
    for q in POLICE_SCALES {
        if rng.chance(0.92) {
            let v = scale(0.85 * confidence + 0.5 * rng.normal(), &CUTS_POLICE);
            answers.insert(q.into(), json!(v));
        }
    }

    if rng.chance(0.9) {
        let theft = if place == "liverpool-street" || place == "bank" {
            0.4
        } else {
            0.28
        } + if signal { 0.4 } else { 0.0 };
        let women = if gender == Some("woman") { 0.18 } else { 0.07 };
        let business = if respondent == "business" { 0.12 } else { 0.04 };
        let k = *rng.weighted(&[(1usize, 0.25), (2, 0.3), (3, 0.45)]);
        let picks = rng.several(
            &[
                ("anti-social-behaviour", 0.16),
                ("phone-bag-theft", theft),
                ("cycle-enabled-crime", 0.10),
                ("vawg", women),
                ("retail-crime", business),
                ("hate-crime", 0.04),
                ("drugs", 0.07),
                ("fraud-cyber", 0.06 + business),
                ("terrorism", 0.07),
                ("road-safety", 0.05),
                ("other", 0.02),
            ],
            k,
        );
        if picks.contains(&"other") && rng.chance(0.7) {
            let other = *rng.pick(&[
                "Cyclists on the pavement",
                "Noise from building sites at night",
                "Scams at cash machines",
                "Fly-tipping behind the shops",
            ]);
            answers.insert("priorities_other".into(), json!(other));
        }
        answers.insert("priorities".into(), json!(picks));
    }

    let comment_p = 0.25 + if dark <= 2 { 0.2 } else { 0.0 } + if signal { 0.25 } else { 0.0 };
    if rng.chance(comment_p) {
        let name = g.place_name(&place);
        let text = safety_comment(
            &mut g.rng,
            &name,
            dark,
            gender == Some("woman"),
            victim == "yes",
            signal,
        );
        answers.insert("safety_comment".into(), json!(text));
    }

    let rng = &mut g.rng;
    if rng.chance(0.85) {
        let ages: &[(&str, f64)] = match respondent {
            "student" => &[("16-24", 0.8), ("25-34", 0.15), ("35-44", 0.05)],
            "resident" => &[
                ("25-34", 0.12),
                ("35-44", 0.15),
                ("45-54", 0.17),
                ("55-64", 0.2),
                ("65-74", 0.2),
                ("75-plus", 0.11),
                ("prefer-not-to-say", 0.05),
            ],
            _ => &[
                ("16-24", 0.1),
                ("25-34", 0.32),
                ("35-44", 0.25),
                ("45-54", 0.17),
                ("55-64", 0.1),
                ("65-74", 0.02),
                ("prefer-not-to-say", 0.04),
            ],
        };
        answers.insert("age".into(), json!(rng.weighted(ages)));
    }
    if let Some(gender) = gender {
        answers.insert("gender".into(), json!(gender));
    }
    if rng.chance(0.8) {
        let e = *rng.weighted(&[
            ("white", 0.60),
            ("asian", 0.18),
            ("black", 0.08),
            ("mixed", 0.06),
            ("other", 0.03),
            ("prefer-not-to-say", 0.05),
        ]);
        answers.insert("ethnicity".into(), json!(e));
    }
    if rng.chance(0.7) {
        let d = *rng.weighted(&[
            ("none", 0.80),
            ("mobility", 0.04),
            ("sensory", 0.03),
            ("mental-health", 0.05),
            ("long-term-illness", 0.03),
            ("learning-neurodivergent", 0.02),
            ("other", 0.01),
            ("prefer-not-to-say", 0.02),
        ]);
        answers.insert("disability".into(), json!([d]));
    }

    let channel = *rng.weighted(&[("embed", 0.45), ("qr", 0.30), ("link", 0.25)]);
    Submission {
        submission_id,
        answers,
        location: Some(place),
        channel: Some(channel.into()),
        lang: Some(g.form.default_lang.clone()),
        invitation: None,
    }
}

/// Comment sentences by theme; `{place}` is the place's name.
const NEGATIVE: &[(&str, &[&str])] = &[
    (
        "lighting",
        &[
            "The street lighting around {place} is poor and the side streets feel deserted after dark.",
            "Too many dark alleys and scaffolding near {place}, so I take the long way home.",
            "The underpass near {place} is badly lit and I avoid it at night.",
            "Since the building sites went up the walk from {place} is poorly lit and hemmed in by hoardings.",
        ],
    ),
    (
        "theft",
        &[
            "My phone was snatched by someone on an e-bike outside {place}.",
            "I keep my phone in my pocket now because of the thieves on mopeds.",
            "A colleague had her bag stolen near {place} and nothing was done.",
            "Pickpockets work the crowds at {place} in the rush hour.",
            "Phone snatching by riders on bikes is the main worry for everyone in my office.",
        ],
    ),
    (
        "asb",
        &[
            "Groups of youths shouting and fighting outside {place} late at night.",
            "Street drinking and rowdy people by the station are intimidating.",
        ],
    ),
    (
        "drugs",
        &[
            "There is a smell of weed and obvious drug dealing around {place} in the evenings.",
            "Nitrous oxide canisters everywhere every Monday morning, someone is dealing drugs here.",
        ],
    ),
    (
        "vawg",
        &[
            "As a woman walking alone at night I have been followed and catcalled near {place}.",
            "Men staring and unwanted comments outside the bars, it is horrible.",
        ],
    ),
    (
        "nte",
        &[
            "On a Friday night the pubs spill out and people are very drunk around {place}.",
            "Crowds at closing time and fights near the bars make me nervous.",
        ],
    ),
    (
        "begging",
        &["More rough sleepers and aggressive begging near {place} than last year, which is sad and a bit scary."],
    ),
    (
        "policing",
        &[
            "I never see police on foot in the evenings, more officers would help.",
            "No police around after 7pm, the place feels abandoned.",
        ],
    ),
    (
        "confidence",
        &[
            "I reported a theft and nothing was done, it felt like a waste of time.",
            "No point reporting anything, the police don't care about phone theft.",
        ],
    ),
    (
        "victim",
        &["I was mugged last year near {place} and since it happened I avoid the area after dark."],
    ),
    (
        "roads",
        &["Cyclists jumping red lights and e-scooters on the pavement are more dangerous than crime here."],
    ),
];

const POSITIVE: &[&str] = &[
    "I often see officers on foot patrol around {place} and it is reassuring.",
    "The area is well lit and there are cameras everywhere, so I feel safe.",
    "The City police do a good job and responded quickly when I needed them.",
    "I feel very safe in the City, it is a great place to work.",
    "Police presence at {place} in the mornings is great, thank you.",
    "Friendly, busy streets and lots of people around, I have never had a problem.",
    "It is mostly fine, just quiet streets at weekends.",
];

fn safety_comment(
    rng: &mut Rng,
    place: &str,
    dark: i64,
    woman: bool,
    victim: bool,
    signal: bool,
) -> String {
    let sentences = if rng.chance(0.35) { 2 } else { 1 };
    let mut out: Vec<String> = Vec::new();
    for _ in 0..sentences {
        let negative = match dark {
            1 | 2 => rng.chance(0.92),
            3 => rng.chance(0.6),
            _ => rng.chance(0.2),
        };
        let s = if negative {
            let weight = |theme: &str| match theme {
                "lighting" if signal => 6.0,
                "theft" if signal => 8.0,
                "lighting" => 1.6,
                "theft" => 2.0,
                "vawg" if woman => 2.0,
                "vawg" => 0.2,
                "victim" if victim => 2.0,
                "victim" => 0.1,
                _ => 0.8,
            };
            let themes: Vec<(&(&str, &[&str]), f64)> =
                NEGATIVE.iter().map(|t| (t, weight(t.0))).collect();
            let (_, list) = **rng.weighted(&themes);
            *rng.pick(list)
        } else {
            *rng.pick(POSITIVE)
        };
        let s = s.replace("{place}", place);
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out.join(" ")
}

// ---------------------------------------------------------------------------
// victim-satisfaction (1 = very satisfied … 5 = very dissatisfied)

const CUTS_SATISFIED: [f64; 4] = [-1.126, -0.674, -0.253, 0.524]; // 13 12 15 30 30 % (worst first)

fn victim_satisfaction(g: &mut Generator, submission_id: String) -> Submission {
    let rng = &mut g.rng;
    let mut answers = BTreeMap::new();
    let crime = *rng.weighted(&[
        ("theft-from-person", 0.30),
        ("bicycle-theft", 0.10),
        ("other-theft", 0.15),
        ("fraud-cyber", 0.12),
        ("violence", 0.10),
        ("criminal-damage", 0.05),
        ("burglary", 0.03),
        ("vehicle-crime", 0.03),
        ("hate-crime", 0.03),
        ("other", 0.06),
        ("prefer-not-to-say", 0.03),
    ]);
    if rng.chance(0.95) {
        answers.insert("crime_type".into(), json!(crime));
    }
    let how = *rng.weighted(&[
        ("online", 0.35),
        ("phone-101", 0.25),
        ("phone-999", 0.15),
        ("in-person", 0.15),
        ("someone-else", 0.05),
        ("dont-remember", 0.05),
    ]);
    if rng.chance(0.9) {
        answers.insert("how_reported".into(), json!(how));
    }
    // Higher latent = better served; answers are 6 - scale.
    let served = rng.normal()
        + match how {
            "phone-999" | "in-person" => 0.2,
            "phone-101" => -0.2,
            _ => 0.0,
        };
    let item = |rng: &mut Rng, shift: f64| {
        6 - scale(0.8 * served + 0.6 * rng.normal() + shift, &CUTS_SATISFIED)
    };
    for (q, shift) in [
        ("ease_of_contact", 0.1),
        ("response_time", -0.1),
        ("treatment", 0.45),
        ("kept_informed", -0.35),
        ("actions_taken", -0.25),
    ] {
        if rng.chance(0.9) {
            let v = item(rng, shift);
            answers.insert(q.into(), json!(v));
        }
    }
    let overall = item(rng, 0.0);
    answers.insert("overall_service".into(), json!(overall));
    if rng.chance(0.9) {
        let again = match overall {
            1 | 2 => *rng.weighted(&[
                ("very-likely", 0.6),
                ("fairly-likely", 0.35),
                ("dont-know", 0.05),
            ]),
            3 => *rng.weighted(&[
                ("fairly-likely", 0.5),
                ("not-very-likely", 0.3),
                ("dont-know", 0.2),
            ]),
            _ => *rng.weighted(&[
                ("fairly-likely", 0.15),
                ("not-very-likely", 0.45),
                ("not-at-all-likely", 0.3),
                ("dont-know", 0.1),
            ]),
        };
        answers.insert("would_report_again".into(), json!(again));
    }
    if rng.chance(0.85) {
        let change = match overall {
            1 | 2 => *rng.weighted(&[("more", 0.5), ("no-change", 0.45), ("dont-know", 0.05)]),
            3 => *rng.weighted(&[("no-change", 0.7), ("less", 0.2), ("dont-know", 0.1)]),
            _ => *rng.weighted(&[("less", 0.7), ("no-change", 0.25), ("dont-know", 0.05)]),
        };
        answers.insert("confidence_change".into(), json!(change));
    }
    if rng.chance(if overall >= 4 { 0.65 } else { 0.4 }) {
        let list = if overall <= 2 {
            VICTIM_POSITIVE
        } else if overall == 3 {
            if rng.chance(0.5) {
                VICTIM_POSITIVE
            } else {
                VICTIM_NEGATIVE
            }
        } else {
            VICTIM_NEGATIVE
        };
        let mut text = rng.pick(list).to_string();
        if rng.chance(0.3) {
            let more = *rng.pick(list);
            if !text.contains(more) {
                text = format!("{text} {more}");
            }
        }
        answers.insert("experience_comment".into(), json!(text));
    }
    if rng.chance(0.8) {
        let age = *rng.weighted(&[
            ("16-24", 0.12),
            ("25-34", 0.33),
            ("35-44", 0.24),
            ("45-54", 0.15),
            ("55-64", 0.09),
            ("65-74", 0.03),
            ("prefer-not-to-say", 0.04),
        ]);
        answers.insert("age".into(), json!(age));
    }
    if rng.chance(0.75) {
        let e = *rng.weighted(&[
            ("white", 0.58),
            ("asian", 0.19),
            ("black", 0.09),
            ("mixed", 0.06),
            ("other", 0.03),
            ("prefer-not-to-say", 0.05),
        ]);
        answers.insert("ethnicity".into(), json!(e));
    }
    if rng.chance(if overall >= 4 { 0.35 } else { 0.1 }) {
        answers.insert("callback_consent".into(), json!(true));
        let reference = format!("6{:07}/{}", rng.below(10_000_000), 23 + rng.below(2));
        answers.insert("crime_reference".into(), json!(reference));
        // Ofcom's drama range: never a real number.
        let contact = format!("07700 900{:03}", rng.below(1000));
        answers.insert("callback_contact".into(), json!(contact));
    }
    let channel = *rng.weighted(&[("link", 0.7), ("embed", 0.3)]);
    Submission {
        submission_id,
        answers,
        location: None,
        channel: Some(channel.into()),
        lang: Some(g.form.default_lang.clone()),
        invitation: None,
    }
}

const VICTIM_POSITIVE: &[&str] = &[
    "The officer who came was kind and professional and kept me updated.",
    "They arrived quickly and took a statement, I felt listened to.",
    "The referral to Victim Support was really helpful.",
    "Got my phone back thanks to the CCTV footage, brilliant work.",
    "Reporting online was easy and someone called me back the next day.",
    "Very reassuring and calm, they explained clearly what would happen next.",
];

const VICTIM_NEGATIVE: &[&str] = &[
    "I was on hold for forty minutes on 101 and nobody answered.",
    "Nobody came and I never heard back, the case closed without telling me.",
    "The call handler was dismissive and I felt not believed.",
    "No investigation at all even though there was CCTV right there.",
    "Still waiting for an update after three weeks, terrible.",
    "They were polite but nothing happened and no one told me why.",
];

// ---------------------------------------------------------------------------
// street-feedback

fn street_feedback(g: &mut Generator, submission_id: String) -> Submission {
    let rng = &mut g.rng;
    let places: Vec<(&str, f64)> = g
        .sites
        .iter()
        .map(|p| {
            (
                p.0.as_str(),
                place_weight("worker", &p.0) + place_weight("visitor", &p.0),
            )
        })
        .collect();
    let place = rng.weighted(&places).to_string();
    let z = rng.normal() + place_effect(&place) + 0.3;
    let safe = scale(z, &CUTS_DARK);
    let mut answers = BTreeMap::new();
    answers.insert("feel_safe_now".into(), json!(safe));
    let langs: Vec<(&str, f64)> = g
        .form
        .languages
        .iter()
        .map(|l| {
            (
                l.as_str(),
                if *l == g.form.default_lang {
                    17.0
                } else {
                    0.75
                },
            )
        })
        .collect();
    let lang = rng.weighted(&langs).to_string();
    if lang == g.form.default_lang && rng.chance(if safe <= 2 { 0.4 } else { 0.15 }) {
        let list = if safe <= 2 {
            STREET_NEGATIVE
        } else {
            STREET_POSITIVE
        };
        answers.insert("comment".into(), json!(rng.pick(list)));
    }
    let channel = if rng.chance(0.9) { "qr" } else { "link" };
    Submission {
        submission_id,
        answers,
        location: Some(place),
        channel: Some(channel.into()),
        lang: Some(lang),
        invitation: None,
    }
}

const STREET_NEGATIVE: &[&str] = &[
    "Phone snatched here last week.",
    "Need more police presence here at night.",
    "Dark alley, no CCTV, feels unsafe.",
    "Lots of drunk people on Thursday night.",
    "Rough sleepers and begging at the entrance.",
    "Cyclists jumping red lights at this junction.",
    "Groups hanging around shouting, intimidating.",
];

const STREET_POSITIVE: &[&str] = &[
    "Well lit and busy, feels fine.",
    "Always see a PCSO here, thank you.",
    "Fine in the day.",
    "Feels safe, good CCTV.",
];

// ---------------------------------------------------------------------------
// pseudo-random numbers

/// SplitMix64: small, fast and good enough for synthetic data.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Uniform in 0..n.
    fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.f64();
        let v = self.f64();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn weighted<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.f64() * total;
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }

    /// `k` different items, drawn by weight without replacement.
    fn several<T: Copy + PartialEq>(&mut self, items: &[(T, f64)], k: usize) -> Vec<T> {
        let mut left: Vec<(T, f64)> = items.to_vec();
        let mut out = Vec::with_capacity(k);
        while out.len() < k && !left.is_empty() {
            let item = *self.weighted(&left);
            left.retain(|(x, _)| *x != item);
            out.push(item);
        }
        out
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A wire-format JSON body of a generated submission (for posting it).
pub fn to_json(s: &Submission) -> Value {
    serde_json::to_value(s).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_responses_and_times_never_decrease() {
        let form: Form =
            serde_json::from_str(include_str!("../../examples/forms/community-safety.json"))
                .unwrap();
        let o = Options {
            seed: 7,
            count: 500,
            ..Options::default()
        };
        let a: Vec<Generated> = Generator::new(&form, o).unwrap().collect();
        let b: Vec<Generated> = Generator::new(&form, o).unwrap().collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 500);
        assert!(a.windows(2).all(|w| w[0].received_ms <= w[1].received_ms));
        assert!(a
            .iter()
            .all(|g| (DEFAULT_FROM_MS..DEFAULT_TO_MS).contains(&g.received_ms)));
    }
}

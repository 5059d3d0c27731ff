//! The register of places the force knows: sectors, the clusters in them,
//! the wards in those and the named sites (a station entrance, a junction,
//! an estate) where QR codes hang, each in one ward.
//!
//! ```text
//! sector ◄── cluster ◄── ward ◄── site (installed, removed?, lat?, lon?)
//! ```
//!
//! A response's place is a site or a ward id (`loc` from a QR code, or
//! the answer to a location question); its [`Lineage`] gives the ward,
//! cluster and sector above it, so results group and filter at any level.
//! Ids are unique within a level; a site and a ward may share an id (the
//! street `bishopsgate` in the ward `bishopsgate`), and a `loc` names the
//! site first.

use serde::{Deserialize, Deserializer, Serialize};
use survey::{Place, PlaceLevel, Text};

/// The register of places.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Register {
    /// Sectors (the top level).
    #[serde(default)]
    pub sectors: Vec<Sector>,
    /// Clusters, each in one sector.
    #[serde(default)]
    pub clusters: Vec<Cluster>,
    /// Wards, each in one cluster.
    #[serde(default)]
    pub wards: Vec<Ward>,
    /// Named sites, each in one ward.
    #[serde(default)]
    pub sites: Vec<Site>,
}

/// A sector of the force's area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sector {
    /// Id (`east`).
    pub id: String,
    /// Name shown to people: a string, or language → string.
    #[serde(deserialize_with = "text")]
    pub name: Text,
}

/// A cluster of wards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// Id (`liverpool-street`).
    pub id: String,
    /// Name shown to people.
    #[serde(deserialize_with = "text")]
    pub name: Text,
    /// The sector it is in.
    pub sector: String,
}

/// A ward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ward {
    /// Id (`bishopsgate`).
    pub id: String,
    /// Name shown to people.
    #[serde(deserialize_with = "text")]
    pub name: Text,
    /// The cluster it is in.
    pub cluster: String,
}

/// A named site where a QR code hangs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// Id, as in the QR code's `loc` (`liverpool-street`).
    pub id: String,
    /// Name shown to people.
    #[serde(deserialize_with = "text")]
    pub name: Text,
    /// The ward it is in.
    pub ward: String,
    /// When its poster went up (`YYYY-MM-DD`).
    pub installed: String,
    /// When it came down, if it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<String>,
    /// Latitude (WGS 84), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude (WGS 84), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Text::from_value(&v).map_err(serde::de::Error::custom)
}

/// A level of the register, as `by=` and the filters name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// A named site.
    Site,
    /// A ward.
    Ward,
    /// A cluster of wards.
    Cluster,
    /// A sector.
    Sector,
}

impl Level {
    /// Every level, from the smallest.
    pub const ALL: [Level; 4] = [Level::Site, Level::Ward, Level::Cluster, Level::Sector];

    /// The level `name` names (`site`, `ward`, `cluster`, `sector`).
    pub fn parse(name: &str) -> Option<Level> {
        Some(match name {
            "site" => Level::Site,
            "ward" => Level::Ward,
            "cluster" => Level::Cluster,
            "sector" => Level::Sector,
            _ => return None,
        })
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Level::Site => "site",
            Level::Ward => "ward",
            Level::Cluster => "cluster",
            Level::Sector => "sector",
        }
    }
}

/// Where a place sits: the site (if it is one) and the ward, cluster and
/// sector above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lineage<'a> {
    /// The site, when the place is one.
    pub site: Option<&'a str>,
    /// Its ward.
    pub ward: &'a str,
    /// The ward's cluster, if the register names one that exists.
    pub cluster: Option<&'a str>,
    /// The cluster's sector.
    pub sector: Option<&'a str>,
}

impl<'a> Lineage<'a> {
    /// Its id at `level`, if it has one there.
    pub fn at(&self, level: Level) -> Option<&'a str> {
        match level {
            Level::Site => self.site,
            Level::Ward => Some(self.ward),
            Level::Cluster => self.cluster,
            Level::Sector => self.sector,
        }
    }
}

/// One thing wrong with a register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterProblem {
    /// Where (`sites[3].ward`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl Register {
    /// Reads a register from JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Register, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }

    /// Every problem with the register: ids that are not short lower-case
    /// words or are used twice in a level, a parent that does not exist,
    /// a date that is not `YYYY-MM-DD` or a removal before the
    /// installation, coordinates off the globe, an empty name.
    pub fn check(&self) -> Result<(), Vec<RegisterProblem>> {
        let mut out = Vec::new();
        let mut err = |path: String, message: String| out.push(RegisterProblem { path, message });
        let ids = |level: &str, list: Vec<(&str, &Text)>, err: &mut dyn FnMut(String, String)| {
            let mut seen = std::collections::BTreeSet::new();
            for (i, (id, name)) in list.into_iter().enumerate() {
                if !is_id(id) {
                    err(
                        format!("{level}[{i}].id"),
                        format!(
                            "'{}' is not an id: use 1–64 lower-case letters, digits, '-' or '_'",
                            clip(id)
                        ),
                    );
                } else if !seen.insert(id) {
                    err(
                        format!("{level}[{i}].id"),
                        format!("'{id}' is listed twice"),
                    );
                }
                if name.is_blank() {
                    err(format!("{level}[{i}].name"), "the name is empty".into());
                }
            }
        };
        ids(
            "sectors",
            self.sectors
                .iter()
                .map(|s| (s.id.as_str(), &s.name))
                .collect(),
            &mut err,
        );
        ids(
            "clusters",
            self.clusters
                .iter()
                .map(|s| (s.id.as_str(), &s.name))
                .collect(),
            &mut err,
        );
        ids(
            "wards",
            self.wards
                .iter()
                .map(|s| (s.id.as_str(), &s.name))
                .collect(),
            &mut err,
        );
        ids(
            "sites",
            self.sites
                .iter()
                .map(|s| (s.id.as_str(), &s.name))
                .collect(),
            &mut err,
        );
        for (i, c) in self.clusters.iter().enumerate() {
            if !self.sectors.iter().any(|s| s.id == c.sector) {
                err(
                    format!("clusters[{i}].sector"),
                    format!("no sector '{}'", clip(&c.sector)),
                );
            }
        }
        for (i, w) in self.wards.iter().enumerate() {
            if !self.clusters.iter().any(|c| c.id == w.cluster) {
                err(
                    format!("wards[{i}].cluster"),
                    format!("no cluster '{}'", clip(&w.cluster)),
                );
            }
        }
        for (i, s) in self.sites.iter().enumerate() {
            if self.ward(&s.ward).is_none() {
                err(
                    format!("sites[{i}].ward"),
                    format!("no ward '{}'", clip(&s.ward)),
                );
            }
            let installed = date(&s.installed);
            if installed.is_none() {
                err(
                    format!("sites[{i}].installed"),
                    "must be a date such as 2025-04-01".into(),
                );
            }
            if let Some(r) = &s.removed {
                match (date(r), installed) {
                    (None, _) => err(
                        format!("sites[{i}].removed"),
                        "must be a date such as 2026-03-31".into(),
                    ),
                    (Some(r), Some(i0)) if r < i0 => {
                        err(
                            format!("sites[{i}].removed"),
                            "is before the site was installed".into(),
                        );
                    }
                    _ => {}
                }
            }
            if s.lat.is_some() != s.lon.is_some() {
                err(
                    format!("sites[{i}]"),
                    "give both lat and lon, or neither".into(),
                );
            }
            if s.lat.is_some_and(|x| !(-90.0..=90.0).contains(&x)) {
                err(
                    format!("sites[{i}].lat"),
                    "must be between -90 and 90".into(),
                );
            }
            if s.lon.is_some_and(|x| !(-180.0..=180.0).contains(&x)) {
                err(
                    format!("sites[{i}].lon"),
                    "must be between -180 and 180".into(),
                );
            }
        }
        if out.is_empty() {
            Ok(())
        } else {
            Err(out)
        }
    }

    /// The site `id`.
    pub fn site(&self, id: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.id == id)
    }

    /// The ward `id`.
    pub fn ward(&self, id: &str) -> Option<&Ward> {
        self.wards.iter().find(|w| w.id == id)
    }

    /// Where the place `loc` (a site, else a ward) sits; none for a place
    /// the register does not know.
    pub fn lineage(&self, loc: &str) -> Option<Lineage<'_>> {
        let (site, ward) = match self.site(loc) {
            Some(s) => (Some(s.id.as_str()), self.ward(&s.ward)?),
            None => (None, self.ward(loc)?),
        };
        let cluster = self.clusters.iter().find(|c| c.id == ward.cluster);
        let sector = cluster.and_then(|c| self.sectors.iter().find(|s| s.id == c.sector));
        Some(Lineage {
            site,
            ward: &ward.id,
            cluster: cluster.map(|c| c.id.as_str()),
            sector: sector.map(|s| s.id.as_str()),
        })
    }

    /// Whether the register has `id` at `level`.
    pub fn has(&self, level: Level, id: &str) -> bool {
        match level {
            Level::Site => self.site(id).is_some(),
            Level::Ward => self.ward(id).is_some(),
            Level::Cluster => self.clusters.iter().any(|c| c.id == id),
            Level::Sector => self.sectors.iter().any(|s| s.id == id),
        }
    }

    /// The ids at `level`, in the register's order.
    pub fn ids(&self, level: Level) -> Vec<&str> {
        match level {
            Level::Site => self.sites.iter().map(|s| s.id.as_str()).collect(),
            Level::Ward => self.wards.iter().map(|s| s.id.as_str()).collect(),
            Level::Cluster => self.clusters.iter().map(|s| s.id.as_str()).collect(),
            Level::Sector => self.sectors.iter().map(|s| s.id.as_str()).collect(),
        }
    }

    /// The places a form's picker offers at `level`: every site (removed
    /// ones too, so an old poster's answers still name their site), or
    /// every ward.
    pub fn places_at(&self, level: PlaceLevel) -> Vec<Place> {
        match level {
            PlaceLevel::Site => self
                .sites
                .iter()
                .map(|s| Place {
                    id: s.id.clone(),
                    name: s.name.clone(),
                })
                .collect(),
            PlaceLevel::Ward => self
                .wards
                .iter()
                .map(|w| Place {
                    id: w.id.clone(),
                    name: w.name.clone(),
                })
                .collect(),
        }
    }

    /// The sites whose poster is up on `day` (`YYYY-MM-DD`).
    pub fn active_sites(&self, day: &str) -> impl Iterator<Item = &Site> {
        let day = day.to_owned();
        self.sites.iter().filter(move |s| {
            s.installed.as_str() <= day.as_str()
                && s.removed.as_deref().is_none_or(|r| r > day.as_str())
        })
    }
}

/// Whether `s` is a register id: 1–64 of `a-z 0-9 - _`.
fn is_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn date(s: &str) -> Option<time::Date> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn register() -> Register {
        Register::from_json(
            r#"{
              "sectors": [{"id": "east", "name": "East"}],
              "clusters": [{"id": "liverpool-street", "name": "Liverpool Street", "sector": "east"}],
              "wards": [{"id": "bishopsgate", "name": "Bishopsgate", "cluster": "liverpool-street"}],
              "sites": [
                {"id": "bishopsgate", "name": {"en": "Bishopsgate", "bn": "বিশপসগেট"}, "ward": "bishopsgate", "installed": "2025-04-01"},
                {"id": "old", "name": "Old poster", "ward": "bishopsgate", "installed": "2025-04-01", "removed": "2026-01-01", "lat": 51.5, "lon": -0.08}
              ]
            }"#
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn a_site_names_its_ward_cluster_and_sector_and_a_ward_itself() {
        let r = register();
        assert_eq!(r.check(), Ok(()));
        let l = r.lineage("old").unwrap();
        assert_eq!(
            (l.site, l.ward, l.cluster, l.sector),
            (
                Some("old"),
                "bishopsgate",
                Some("liverpool-street"),
                Some("east")
            )
        );
        // A site and a ward may share an id: the site comes first.
        assert_eq!(r.lineage("bishopsgate").unwrap().site, Some("bishopsgate"));
        assert!(r.lineage("narnia").is_none());
        assert_eq!(l.at(Level::Cluster), Some("liverpool-street"));
    }

    #[test]
    fn active_sites_follow_their_dates() {
        let r = register();
        let on = |d| r.active_sites(d).map(|s| s.id.clone()).collect::<Vec<_>>();
        assert_eq!(on("2025-12-31"), ["bishopsgate", "old"]);
        assert_eq!(on("2026-01-01"), ["bishopsgate"]);
        assert!(on("2025-03-31").is_empty());
    }

    #[test]
    fn every_problem_names_its_place() {
        let mut r = register();
        r.sites[1].ward = "nowhere".into();
        r.sites[1].installed = "1 April".into();
        r.sites[0].removed = Some("2020-01-01".into());
        r.wards.push(r.wards[0].clone());
        r.clusters[0].sector = "north".into();
        r.sites[0].lat = Some(100.0);
        r.sites[0].lon = Some(0.0);
        r.sectors[0].id = "East!".into();
        let paths: Vec<String> = r.check().unwrap_err().into_iter().map(|p| p.path).collect();
        for want in [
            "sectors[0].id",
            "wards[1].id",
            "clusters[0].sector",
            "sites[1].ward",
            "sites[1].installed",
            "sites[0].removed",
            "sites[0].lat",
        ] {
            assert!(
                paths.iter().any(|p| p == want),
                "{want} missing from {paths:?}"
            );
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let e = Register::from_json(br#"{"wards": [], "towns": []}"#).unwrap_err();
        assert!(e.contains("towns"), "{e}");
    }
}

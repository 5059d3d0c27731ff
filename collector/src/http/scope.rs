//! What a supervisor sees of results: the rows of their teams (the `team`
//! case attribute) or at their places, and nothing else. Their token's
//! scope becomes a filter of the index query itself, so rows outside it
//! never reach a count, a group, a trend or a page of free text; it is
//! not a view trimmed afterwards. Analysts and admins are not restricted.
//!
//! ```text
//! Staff { scope } ─restrict─► Query.scope (forced) ─► index filter
//!                       └─► 403 out-of-scope for a team (or place) they can never see
//! ```

use super::auth::Staff;
use crate::error::{Error, Result};
use crate::index::query::{Query, RowScope, TEAM};

/// Restricts `q` to what `staff` may see.
///
/// A supervisor who asks for a team outside their teams is refused (403,
/// naming `team`) when no row of it could be theirs: when their token
/// covers no places. With places, rows of any team at those places are
/// theirs, so such a filter only narrows what they see. Places asked for
/// are checked the same way against a token that covers no teams.
pub(super) fn restrict(staff: &Staff, q: &mut Query) -> Result<()> {
    let Some(scope) = &staff.scope else {
        return Ok(());
    };
    if scope.places.is_empty() {
        let asked = q
            .attributes
            .iter()
            .filter(|(name, _)| name == TEAM)
            .flat_map(|(_, values)| values);
        if let Some(team) = asked.into_iter().find(|t| !scope.teams.contains(t)) {
            return Err(Error::OutOfScope {
                field: TEAM.into(),
                message: format!(
                    "team '{team}' is outside this token's scope, which covers the teams {}",
                    listed(&scope.teams)
                ),
            });
        }
    }
    if scope.teams.is_empty() {
        // A place is theirs when it is one of their places or lies in one
        // (a site in their ward).
        let theirs = |p: &String| {
            scope.places.contains(p)
                || q.register.lineage(p).is_some_and(|l| {
                    crate::model::Level::ALL
                        .iter()
                        .filter_map(|&level| l.at(level))
                        .any(|at| scope.places.iter().any(|s| s == at))
                })
        };
        if let Some(place) = q.locations.iter().find(|p| !theirs(p)) {
            return Err(Error::OutOfScope {
                field: "location".into(),
                message: format!(
                    "location '{place}' is outside this token's scope, which covers the places {}",
                    listed(&scope.places)
                ),
            });
        }
    }
    q.scope = Some(RowScope {
        teams: scope.teams.clone(),
        places: scope.places.clone(),
    });
    Ok(())
}

fn listed(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    quoted.join(", ")
}

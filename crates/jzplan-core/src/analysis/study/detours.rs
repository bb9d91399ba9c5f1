//! Detours round every closed stretch, both directions, cut-off stretches first.

use super::closures::{ResolvedClosure, names_of};
use crate::analysis::detour::{self, Around, Outcome};
use crate::network::{EdgeId, RoadNetwork};
use crate::works::paths::Dijkstra;
use serde::Serialize;

/// One direction round one closed stretch.
#[derive(Clone, Debug, Serialize)]
pub struct StudyDetour {
    /// `P1.1 A→B`: closure, stretch number, direction.
    pub id: String,
    /// The closure's label.
    pub closure: String,
    /// Streets closed.
    pub streets: Vec<String>,
    /// The way round, from one end of the stretch to the other.
    #[serde(flatten)]
    pub around: Around,
    /// The detour's edges.
    #[serde(skip)]
    pub path: Vec<EdgeId>,
}

/// A study's detour reads as its way round (`d.detour_s`, `d.via`, …).
impl std::ops::Deref for StudyDetour {
    type Target = Around;
    fn deref(&self) -> &Around {
        &self.around
    }
}

/// Detours round every stretch a closure closes, each direction in which through traffic used
/// it. `faced`: free-flow times with the closures (`INFINITY` = closed); `open`: the same
/// network without them.
pub fn closure_detours(
    net: &RoadNetwork,
    faced: &[f64],
    open: &[f64],
    c: &ResolvedClosure,
    d: &mut Dijkstra,
) -> Vec<StudyDetour> {
    let closed: Vec<EdgeId> = c
        .edges
        .iter()
        .copied()
        .filter(|e| !faced[e.index()].is_finite() && open[e.index()].is_finite())
        .collect();
    let mut out = Vec::new();
    let mut reopened = faced.to_vec();
    for (k, stretch) in detour::stretches(net, &closed).into_iter().enumerate() {
        let (a, b, through) = detour::stretch_ends(net, faced, &stretch);
        for &e in &stretch {
            reopened[e.index()] = open[e.index()];
        }
        let streets = names_of(net, &stretch);
        let mut dirs = Vec::new();
        for (x, y, arrow) in [(a, b, "A→B"), (b, a, "B→A")] {
            d.run(net, &reopened, x, Some(y));
            if !d.dist(y).is_finite() {
                continue;
            }
            let base_path = d.path_to(net, y);
            // A direction whose fastest route never used the stretch loses nothing.
            if !base_path.iter().any(|e| stretch.binary_search(e).is_ok()) {
                continue;
            }
            let base_s = d.dist(y);
            let (detour, path) = if through {
                d.run(net, faced, x, Some(y));
                let t = d.dist(y);
                (t.is_finite().then_some(t), d.path_to(net, y))
            } else {
                (None, Vec::new())
            };
            let path = if detour.is_some() { path } else { Vec::new() };
            let (outcome, reason) = match (through, detour) {
                (false, _) => (
                    Outcome::DeadEnd,
                    Some(
                        "dead end: the closed stretch meets open roads at one junction at most; \
                         no through traffic to divert, access along it is lost"
                            .to_string(),
                    ),
                ),
                (true, None) => (
                    Outcome::CutOff,
                    Some(
                        "cut off: no open route leads from one end of the closed stretch to the \
                         other"
                            .to_string(),
                    ),
                ),
                (true, Some(_)) => (Outcome::Detour, None),
            };
            dirs.push(StudyDetour {
                id: format!("{}.{} {arrow}", c.label, k + 1),
                closure: c.label.clone(),
                streets: streets.clone(),
                around: Around::measure(
                    net,
                    (x, y),
                    Some((base_s, base_path.as_slice())),
                    detour.map(|t| (t, path.as_slice())),
                    (outcome, reason),
                ),
                path,
            });
            if !through {
                break; // one entry says a dead end is a dead end
            }
        }
        for &e in &stretch {
            reopened[e.index()] = faced[e.index()];
        }
        out.extend(dirs);
    }
    out
}

pub(super) fn outcome_rank(o: Outcome) -> u8 {
    match o {
        Outcome::CutOff => 0,
        Outcome::DeadEnd => 1,
        Outcome::Detour => 2,
    }
}

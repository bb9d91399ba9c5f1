//! Detours round every closed stretch, both directions, cut-off stretches first.

use super::closures::{ResolvedClosure, names_of, point_of};
use crate::analysis::detour::{self, Outcome};
use crate::network::{EdgeId, RoadNetwork};
use crate::works::LonLat;
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
    /// Start (lon, lat).
    pub from: LonLat,
    /// End (lon, lat).
    pub to: LonLat,
    /// Free-flow time with the stretch open, s.
    pub base_s: Option<f64>,
    /// Its length, m.
    pub base_m: Option<f64>,
    /// Free-flow time round the closure, s (`None`: cut off).
    pub detour_s: Option<f64>,
    /// Its length, m.
    pub detour_m: Option<f64>,
    /// Extra time, s.
    pub extra_s: Option<f64>,
    /// Extra length, m.
    pub extra_m: Option<f64>,
    /// Streets of the detour in driving order.
    pub via: Vec<String>,
    /// The detour (lon/lat).
    pub geometry: Vec<LonLat>,
    /// Detour, cut off or dead end.
    pub outcome: Outcome,
    /// Why there is no detour.
    pub reason: Option<String>,
    /// The detour's edges.
    #[serde(skip)]
    pub path: Vec<EdgeId>,
}

fn streets_in_order(net: &RoadNetwork, path: &[EdgeId]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for &e in path {
        let n = net.street_of(e).display_name();
        if !out.iter().any(|x| x == n) {
            out.push(n.to_string());
        }
    }
    out
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
            let base_m: f64 = base_path.iter().map(|&e| net.edge(e).length_m).sum();
            let (detour, path) = if through {
                d.run(net, faced, x, Some(y));
                let t = d.dist(y);
                (t.is_finite().then_some(t), d.path_to(net, y))
            } else {
                (None, Vec::new())
            };
            let path = if detour.is_some() { path } else { Vec::new() };
            let detour_m = detour.map(|_| path.iter().map(|&e| net.edge(e).length_m).sum());
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
                from: point_of(net, x),
                to: point_of(net, y),
                base_s: Some(base_s),
                base_m: Some(base_m),
                detour_s: detour,
                detour_m,
                extra_s: detour.map(|t| t - base_s),
                extra_m: detour_m.map(|m| m - base_m),
                via: streets_in_order(net, &path),
                geometry: detour::path_geometry(net, &path),
                outcome,
                reason,
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

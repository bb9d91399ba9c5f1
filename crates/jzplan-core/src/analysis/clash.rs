//! Clash detection ("dig once").
//!
//! Two works clash when their construction footprints on the network touch — a shared road
//! segment, a shared junction, or segment ends within `near_m` of each other — and their
//! construction windows overlap. A clash is strong when closing both at once cuts every route
//! between two probe points (district centres: typically a river crossing), makes some probe
//! pair's fastest route more than `detour_factor` × its base time, or shuts two bridges at
//! once. Detours live in [`super::detour`].

pub use super::probes::Probe;
use super::probes::ProbeSet;
use crate::network::geom::haversine_m;
use crate::network::{EdgeId, NodeId, RoadNetwork};
use crate::works::{Action, DateRange, Phase, ResolvedEffect, Status, Work, WorkId};
use crate::{Error, Result};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};

/// The district seats of Jinzhou's three urban districts and the municipal government
/// (sourced points, shared/data/jinzhou-geo.md): Guta, Linghe and the old city lie north of the
/// Xiaoling River, Taihe's seat west of the old city and the government south of the river.
pub fn jinzhou_probes() -> Vec<Probe> {
    [
        ("古塔区 Guta", [121.1226, 41.1152]),
        ("凌河区 Linghe", [121.1453, 41.1130]),
        ("太和区 Taihe", [121.0982, 41.1071]),
        ("市政府 Municipal government", [121.1212, 41.0936]),
    ]
    .into_iter()
    .map(|(n, at)| Probe {
        name: n.to_string(),
        at,
    })
    .collect()
}

/// Options of a clash search.
#[derive(Clone, Debug)]
pub struct ClashOptions {
    /// Only clashes overlapping this window.
    pub window: Option<DateRange>,
    /// Footprints closer than this (metres) touch.
    pub near_m: f64,
    /// Probe points for the strong-clash test.
    pub probes: Vec<Probe>,
    /// A detour longer than this factor × the base time makes a clash strong.
    pub detour_factor: f64,
}

impl Default for ClashOptions {
    fn default() -> Self {
        ClashOptions {
            window: None,
            near_m: 100.0,
            probes: jinzhou_probes(),
            detour_factor: 2.0,
        }
    }
}

/// How two footprints touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Touch {
    /// The same road segment.
    SharedSegment,
    /// Segments meeting at a junction.
    SharedJunction,
    /// Segment ends within `near_m`.
    Near,
}

/// A clash between two works.
#[derive(Clone, Debug, Serialize)]
pub struct Clash {
    /// First work.
    pub a: WorkId,
    /// Second work.
    pub b: WorkId,
    /// How their footprints touch.
    pub touch: Touch,
    /// Shortest distance between the footprints (0 when they share a segment or junction).
    pub distance_m: f64,
    /// Days both are on site.
    pub overlap: DateRange,
    /// Streets concerned.
    pub streets: Vec<String>,
    /// Strong clash (see the module doc).
    pub strong: bool,
    /// Why, in words.
    pub reasons: Vec<String>,
}

/// A work's construction footprint: canonical segments (lower id of a twin pair), their
/// junctions, and the closed edges.
struct Footprint {
    segments: BTreeSet<EdgeId>,
    nodes: HashSet<NodeId>,
    closed: Vec<EdgeId>,
}

fn canonical(net: &RoadNetwork, e: EdgeId) -> EdgeId {
    net.edge(e).twin.map_or(e, |t| t.min(e))
}

fn footprint(net: &RoadNetwork, effects: &[ResolvedEffect]) -> Footprint {
    let mut f = Footprint {
        segments: BTreeSet::new(),
        nodes: HashSet::new(),
        closed: Vec::new(),
    };
    for eff in effects.iter().filter(|e| e.phase == Phase::Construction) {
        if eff.action == Action::OpenLink {
            continue;
        }
        for &e in &eff.edges {
            if e.index() >= net.edge_count() || net.edge(e).planned {
                continue;
            }
            f.segments.insert(canonical(net, e));
            f.nodes.insert(net.edge(e).from);
            f.nodes.insert(net.edge(e).to);
            if matches!(eff.action, Action::Close | Action::Remove) {
                f.closed.push(e);
            }
        }
    }
    f
}

pub(crate) fn street_names(
    net: &RoadNetwork,
    edges: impl IntoIterator<Item = EdgeId>,
) -> Vec<String> {
    let mut v: Vec<String> = edges
        .into_iter()
        .map(|e| net.street_of(e).display_name().to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Finds clashes among `works` (cancelled works are ignored) on `net`.
pub fn find_clashes(
    net: &RoadNetwork,
    works: &[Work],
    effects: &HashMap<WorkId, Vec<ResolvedEffect>>,
    opts: &ClashOptions,
) -> Result<Vec<Clash>> {
    if !(opts.near_m >= 0.0 && opts.near_m <= 5_000.0) {
        return Err(Error::invalid(format!(
            "near distance {} m must be in [0, 5000]",
            opts.near_m
        )));
    }
    if opts.detour_factor.is_nan() || opts.detour_factor <= 1.0 {
        return Err(Error::invalid("detour factor must be > 1"));
    }
    let live: Vec<(&Work, Footprint)> = works
        .iter()
        .filter(|w| w.status != Status::Cancelled)
        .filter_map(|w| {
            let f = footprint(net, effects.get(&w.id).map(Vec::as_slice).unwrap_or(&[]));
            (!f.segments.is_empty()).then_some((w, f))
        })
        .collect();
    let probes = ProbeSet::new(net, &opts.probes);
    let mut out = Vec::new();
    for i in 0..live.len() {
        for j in i + 1..live.len() {
            let (wa, fa) = &live[i];
            let (wb, fb) = &live[j];
            // A programme and its own children describe the same site.
            if wa.parent.as_ref() == Some(&wb.id) || wb.parent.as_ref() == Some(&wa.id) {
                continue;
            }
            let Some(mut overlap) = wa.window().intersection(&wb.window()) else {
                continue;
            };
            if let Some(win) = opts.window {
                match overlap.intersection(&win) {
                    Some(o) => overlap = o,
                    None => continue,
                }
            }
            let shared: Vec<EdgeId> = fa.segments.intersection(&fb.segments).copied().collect();
            let (touch, distance_m, streets) = if !shared.is_empty() {
                (Touch::SharedSegment, 0.0, street_names(net, shared))
            } else if fa.nodes.iter().any(|n| fb.nodes.contains(n)) {
                let both = fa.segments.iter().chain(&fb.segments).copied();
                (Touch::SharedJunction, 0.0, street_names(net, both))
            } else {
                let d = min_node_distance(net, &fa.nodes, &fb.nodes);
                if d > opts.near_m {
                    continue;
                }
                let both = fa.segments.iter().chain(&fb.segments).copied();
                (Touch::Near, d, street_names(net, both))
            };
            let mut reasons = vec![match touch {
                Touch::SharedSegment => format!(
                    "both work on the same stretch of {} from {} to {}",
                    streets.join(", "),
                    overlap.start,
                    overlap.end
                ),
                Touch::SharedJunction => format!(
                    "their sites meet at a junction ({}) from {} to {}",
                    streets.join(", "),
                    overlap.start,
                    overlap.end
                ),
                Touch::Near => format!(
                    "their sites are {:.0} m apart ({}) from {} to {}",
                    distance_m,
                    streets.join(", "),
                    overlap.start,
                    overlap.end
                ),
            }];
            let mut strong = false;
            let bridges_a = fa.closed.iter().any(|&e| net.edge(e).bridge);
            let bridges_b = fb.closed.iter().any(|&e| net.edge(e).bridge);
            if bridges_a && bridges_b {
                strong = true;
                reasons.push("both close a river bridge at the same time".to_string());
            }
            if !fa.closed.is_empty() || !fb.closed.is_empty() {
                let closed: Vec<EdgeId> = fa.closed.iter().chain(&fb.closed).copied().collect();
                for r in worse_with_closed(&probes, net, &closed, opts.detour_factor) {
                    strong = true;
                    reasons.push(r);
                }
            }
            out.push(Clash {
                a: wa.id.clone(),
                b: wb.id.clone(),
                touch,
                distance_m,
                overlap,
                streets,
                strong,
                reasons,
            });
        }
    }
    out.sort_by(|x, y| {
        y.strong
            .cmp(&x.strong)
            .then(x.overlap.start.cmp(&y.overlap.start))
            .then(x.a.cmp(&y.a))
            .then(x.b.cmp(&y.b))
    });
    Ok(out)
}

fn min_node_distance(net: &RoadNetwork, a: &HashSet<NodeId>, b: &HashSet<NodeId>) -> f64 {
    let mut best = f64::INFINITY;
    for &x in a {
        let px = net.node(x).point();
        for &y in b {
            best = best.min(haversine_m(px, net.node(y).point()));
        }
    }
    best
}

/// Probe pairs that become unreachable or slower than `factor` × base with `closed` shut.
fn worse_with_closed(
    probes: &ProbeSet,
    net: &RoadNetwork,
    closed: &[EdgeId],
    factor: f64,
) -> Vec<String> {
    if probes.nodes.len() < 2 {
        return Vec::new();
    }
    let times = probes.with_closed(net, &[closed]);
    let mut out = Vec::new();
    for (i, &a) in probes.nodes.iter().enumerate() {
        for (j, &b) in probes.nodes.iter().enumerate() {
            let t0 = probes.base[i][j];
            if i == j || a == b || !t0.is_finite() || t0 <= 0.0 {
                continue;
            }
            let t1 = times[i][j];
            if !t1.is_finite() {
                out.push(format!(
                    "closing both cuts every route from {} to {}",
                    probes.names[i], probes.names[j]
                ));
            } else if t1 > factor * t0 {
                out.push(format!(
                    "closing both makes {} → {} take {:.0} s instead of {:.0} s ({:.1}×)",
                    probes.names[i],
                    probes.names[j],
                    t1,
                    t0,
                    t1 / t0
                ));
            }
        }
    }
    out
}

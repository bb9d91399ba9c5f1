//! Detours: for every stretch of road a work closes, the fastest way from one end of the
//! stretch to the other, with its route on the network's edge geometries.
//!
//! Two views of the same question:
//! - **on a date** ([`Engine::detours_on`](crate::engine::Engine::detours_on)): the network as it stands that day — every work's
//!   closures of the date in force, new links of the date open, reduced speeds applied. This is
//!   what a driver faces, and what the `detours` map layer shows.
//! - **each work alone** ([`Engine::detours`](crate::engine::Engine::detours)): the base network with only this work's
//!   closures; a catalogue overview that does not depend on what else is on site.
//!
//! A work's closed edges are split into stretches (edges connected through shared junctions);
//! each stretch gets one detour between its two junctions farthest apart. The time "before" is
//! the fastest trip between those ends with the stretch open again (all else as in the view),
//! which normally runs along the stretch. Times are free-flow (length / speed of each edge);
//! turns cost nothing. The ends are the stretch's junctions with open roads (where through
//! traffic enters and leaves). A stretch whose ends are no longer connected is kept, with no
//! detour and a reason (cut off), as is a stretch with one way in (dead end: nothing to
//! divert): these are findings, not omissions.

use crate::analysis::clash::street_names;
use crate::network::geom::haversine_m;
use crate::network::{EdgeId, Metric, NodeId, RoadNetwork};
use crate::scenario::NetworkState;
use crate::works::paths::Dijkstra;
use crate::works::{Action, LonLat, Phase, ResolvedEffect, Status, Work, WorkId};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Method part of the `source` of every detour.
pub const METHOD: &str = "model:free-flow-shortest-path";

/// The fastest way around one closed stretch.
#[derive(Clone, Debug, Serialize)]
pub struct Detour {
    /// `<work>.<n>`: the n-th stretch (from 1) of the work, in order of its lowest edge id.
    pub id: String,
    /// The work that closes the stretch.
    pub work: WorkId,
    /// Work name, Chinese.
    pub name_zh: String,
    /// Work name, English.
    pub name_en: String,
    /// The date of the network state (`None` for "each work alone").
    pub date: Option<NaiveDate>,
    /// How it was computed and on which network (`model:…`).
    pub source: String,
    /// Streets closed.
    pub streets: Vec<String>,
    /// The closed edges of the stretch (directed; both directions of a two-way road).
    pub closed_edges: Vec<EdgeId>,
    /// The way round, from one end of the stretch to the other.
    #[serde(flatten)]
    pub around: Around,
    /// The route it replaces (with the stretch open), lon/lat.
    pub base_geometry: Vec<LonLat>,
}

/// One way round a closed stretch, from one end to the other: what the dated detours and a
/// closure study both report.
#[derive(Clone, Debug, Serialize)]
pub struct Around {
    /// Start (lon, lat): one of the stretch's two junctions farthest apart.
    pub from: LonLat,
    /// End (lon, lat).
    pub to: LonLat,
    /// Fastest time `from → to` with the stretch open (`None`: not connected even then).
    pub base_s: Option<f64>,
    /// Length of that route, metres.
    pub base_m: Option<f64>,
    /// Fastest time `from → to` with the stretch closed (`None` = no way around).
    pub detour_s: Option<f64>,
    /// Length of the detour, metres.
    pub detour_m: Option<f64>,
    /// `detour_s - base_s`.
    pub extra_s: Option<f64>,
    /// `detour_m - base_m`.
    pub extra_m: Option<f64>,
    /// Streets of the detour, in driving order.
    pub via: Vec<String>,
    /// The detour route, lon/lat along the edges' geometries (empty when there is none).
    pub geometry: Vec<LonLat>,
    /// Detour, cut off or dead end.
    pub outcome: Outcome,
    /// Why there is no detour or no base route (`None` when both exist).
    pub reason: Option<String>,
}

impl Around {
    /// The way from `a` to `b`: `base` the time and route with the stretch open, `detour`
    /// the time and route round it (`None` when there is none); lengths, differences, streets
    /// and geometry follow from the routes.
    pub fn measure(
        net: &RoadNetwork,
        (a, b): (NodeId, NodeId),
        base: Option<(f64, &[EdgeId])>,
        detour: Option<(f64, &[EdgeId])>,
        (outcome, reason): (Outcome, Option<String>),
    ) -> Around {
        let base_m = base.map(|(_, p)| path_length_m(net, p));
        let detour_m = detour.map(|(_, p)| path_length_m(net, p));
        let path = detour.map(|(_, p)| p).unwrap_or(&[]);
        let (pa, pb) = (net.node(a), net.node(b));
        Around {
            from: [pa.lon, pa.lat],
            to: [pb.lon, pb.lat],
            base_s: base.map(|(t, _)| t),
            base_m,
            detour_s: detour.map(|(t, _)| t),
            detour_m,
            extra_s: base.zip(detour).map(|((b, _), (t, _))| t - b),
            extra_m: base_m.zip(detour_m).map(|(b, t)| t - b),
            via: streets_in_order(net, path),
            geometry: path_geometry(net, path),
            outcome,
            reason,
        }
    }
}

/// A detour reads as its way round (`d.detour_s`, `d.via`, …).
impl std::ops::Deref for Detour {
    type Target = Around;
    fn deref(&self) -> &Around {
        &self.around
    }
}

/// One work's closure as the detour search sees it.
#[derive(Clone, Copy, Debug)]
pub struct Closure<'a> {
    /// The work.
    pub work: &'a WorkId,
    /// Its Chinese name.
    pub name_zh: &'a str,
    /// Its English name.
    pub name_en: &'a str,
    /// Edges it closes.
    pub edges: &'a [EdgeId],
}

impl<'a> Closure<'a> {
    /// A work's closure of `edges`.
    pub fn of(w: &'a Work, edges: &'a [EdgeId]) -> Self {
        Closure {
            work: &w.id,
            name_zh: &w.name_zh,
            name_en: &w.name_en,
            edges,
        }
    }
}

/// Where and how a set of detours is computed.
#[derive(Clone, Copy, Debug)]
pub struct DetourNetwork<'a> {
    /// The network.
    pub net: &'a RoadNetwork,
    /// Free-flow times of the network drivers face (`INFINITY` = closed), with the closures.
    pub faced: &'a [f64],
    /// Free-flow times of the base network: what a closed edge costs when opened again.
    pub base: &'a [f64],
    /// The date of the state, if any.
    pub date: Option<NaiveDate>,
    /// `source` given to every detour.
    pub source: &'a str,
}

/// Groups edges into stretches connected through shared nodes; each stretch sorted, the
/// stretches in order of their lowest edge.
pub fn stretches(net: &RoadNetwork, edges: &[EdgeId]) -> Vec<Vec<EdgeId>> {
    let mut edges = edges.to_vec();
    edges.sort_unstable();
    edges.dedup();
    let mut at: HashMap<NodeId, Vec<usize>> = HashMap::new();
    for (i, &e) in edges.iter().enumerate() {
        let ed = net.edge(e);
        at.entry(ed.from).or_default().push(i);
        at.entry(ed.to).or_default().push(i);
    }
    let mut seen = vec![false; edges.len()];
    let mut out = Vec::new();
    for start in 0..edges.len() {
        if seen[start] {
            continue;
        }
        seen[start] = true;
        let mut stack = vec![start];
        let mut group = Vec::new();
        while let Some(i) = stack.pop() {
            group.push(edges[i]);
            let ed = net.edge(edges[i]);
            for n in [ed.from, ed.to] {
                for &j in &at[&n] {
                    if !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        group.sort_unstable();
        out.push(group);
    }
    out
}

/// The route of a path over the edges' geometries, lon/lat, junction points once.
pub fn path_geometry(net: &RoadNetwork, path: &[EdgeId]) -> Vec<LonLat> {
    let mut out: Vec<LonLat> = Vec::new();
    for &e in path {
        for c in &net.edge(e).geometry.0 {
            let p = [c.x, c.y];
            if out.last() != Some(&p) {
                out.push(p);
            }
        }
    }
    out
}

fn path_length_m(net: &RoadNetwork, path: &[EdgeId]) -> f64 {
    path.iter().map(|&e| net.edge(e).length_m).sum()
}

/// Street names along a path, in driving order, each once.
pub(crate) fn streets_in_order(net: &RoadNetwork, path: &[EdgeId]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for &e in path {
        let n = net.street_of(e).display_name();
        if !out.iter().any(|x| x == n) {
            out.push(n.to_string());
        }
    }
    out
}

/// What a closed stretch means for through traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// There is a way around.
    Detour,
    /// Through traffic has no way around: the stretch's ends are disconnected.
    CutOff,
    /// The stretch leads nowhere else (one way in, e.g. the approach to a bridge not yet
    /// built): no through traffic to divert, only access along it is lost.
    DeadEnd,
}

/// The two nodes farthest apart (lower id first; `nodes` sorted, not empty).
fn farthest(net: &RoadNetwork, nodes: &[NodeId]) -> (NodeId, NodeId) {
    let mut best = (f64::NEG_INFINITY, nodes[0], nodes[0]);
    for (i, &a) in nodes.iter().enumerate() {
        for &b in &nodes[i + 1..] {
            let dist = haversine_m(net.node(a).point(), net.node(b).point());
            if dist > best.0 {
                best = (dist, a, b);
            }
        }
    }
    (best.1, best.2)
}

/// The junctions of a stretch (sorted edge list) where it meets a road open in `faced`
/// outside it: where through traffic enters and leaves.
pub fn boundary_nodes(net: &RoadNetwork, faced: &[f64], stretch: &[EdgeId]) -> Vec<NodeId> {
    let mut nodes: Vec<NodeId> = stretch
        .iter()
        .flat_map(|&e| [net.edge(e).from, net.edge(e).to])
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    nodes
        .into_iter()
        .filter(|&n| {
            net.out_edges(n)
                .iter()
                .chain(net.in_edges(n))
                .any(|e| faced[e.index()].is_finite() && stretch.binary_search(e).is_err())
        })
        .collect()
}

/// The two ends of a closed stretch (sorted edge list, not empty): its two boundary junctions
/// farthest apart, and `true`; or, with fewer than two boundary junctions (a dead end), its
/// two nodes farthest apart and `false`.
pub fn stretch_ends(
    net: &RoadNetwork,
    faced: &[f64],
    stretch: &[EdgeId],
) -> (NodeId, NodeId, bool) {
    let boundary = boundary_nodes(net, faced, stretch);
    if boundary.len() >= 2 {
        let (a, b) = farthest(net, &boundary);
        return (a, b, true);
    }
    let mut nodes: Vec<NodeId> = stretch
        .iter()
        .flat_map(|&e| [net.edge(e).from, net.edge(e).to])
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    let (a, b) = farthest(net, &nodes);
    (a, b, false)
}

/// Detours around one work's closure on a network. Only edges closed in `on.faced` count
/// (an edge the network still drives is not a closure there).
///
/// A stretch's ends are its two boundary junctions farthest apart, a boundary junction being
/// one with a road outside the stretch open in `on.faced`: that is where through traffic
/// enters and leaves. A stretch with fewer than two is a dead end.
pub fn detours_around(on: &DetourNetwork<'_>, c: &Closure<'_>, d: &mut Dijkstra) -> Vec<Detour> {
    let net = on.net;
    let closed: Vec<EdgeId> = c
        .edges
        .iter()
        .copied()
        .filter(|e| e.index() < net.edge_count() && !on.faced[e.index()].is_finite())
        .filter(|&e| !net.edge(e).planned)
        .collect();
    let mut open = on.faced.to_vec();
    let mut out = Vec::new();
    for (k, stretch) in stretches(net, &closed).into_iter().enumerate() {
        let (mut a, mut b, through) = stretch_ends(net, on.faced, &stretch);
        let boundary_count = boundary_nodes(net, on.faced, &stretch).len();
        for &e in &stretch {
            open[e.index()] = on.base[e.index()];
        }
        d.run(net, &open, a, Some(b));
        if !d.dist(b).is_finite() {
            // A one-way stretch is driven in its own direction.
            std::mem::swap(&mut a, &mut b);
            d.run(net, &open, a, Some(b));
        }
        let base_path = d.path_to(net, b);
        let base_s = d.dist(b).is_finite().then(|| d.dist(b));
        for &e in &stretch {
            open[e.index()] = on.faced[e.index()];
        }
        let (detour_s, path) = if through {
            d.run(net, on.faced, a, Some(b));
            let t = d.dist(b);
            (t.is_finite().then_some(t), d.path_to(net, b))
        } else {
            (None, Vec::new())
        };
        let on_what = match on.date {
            Some(day) => format!("on {day}, with every closure of that day"),
            None => "with this work's closures".to_string(),
        };
        let (outcome, reason) = if !through {
            (
                Outcome::DeadEnd,
                Some(format!(
                    "dead end: {on_what}, the closed stretch meets open roads {}, so there is \
                     no through traffic to divert; access along it is lost",
                    if boundary_count == 0 {
                        "nowhere"
                    } else {
                        "at one junction only"
                    }
                )),
            )
        } else if base_s.is_none() {
            (
                Outcome::CutOff,
                Some("the ends of the closed stretch are not connected even with it open".into()),
            )
        } else if detour_s.is_none() {
            (
                Outcome::CutOff,
                Some(format!(
                    "cut off: {on_what}, no open route leads from one end of the closed stretch \
                     to the other"
                )),
            )
        } else {
            (Outcome::Detour, None)
        };
        out.push(Detour {
            id: format!("{}.{}", c.work, k + 1),
            work: c.work.clone(),
            name_zh: c.name_zh.to_string(),
            name_en: c.name_en.to_string(),
            date: on.date,
            source: on.source.to_string(),
            streets: street_names(net, stretch.iter().copied()),
            closed_edges: stretch,
            around: Around::measure(
                net,
                (a, b),
                base_s.map(|t| (t, base_path.as_slice())),
                detour_s.map(|t| (t, path.as_slice())),
                (outcome, reason),
            ),
            base_geometry: path_geometry(net, &base_path),
        });
    }
    out
}

/// Edges a work's construction closes (its `close` and `remove` effects; unbuilt links left
/// out: closing what does not exist needs no detour).
pub fn construction_closures(net: &RoadNetwork, effects: &[ResolvedEffect]) -> Vec<EdgeId> {
    let mut seen = HashSet::new();
    effects
        .iter()
        .filter(|eff| eff.phase == Phase::Construction)
        .filter(|eff| matches!(eff.action, Action::Close | Action::Remove))
        .flat_map(|eff| eff.edges.iter().copied())
        .filter(|e| e.index() < net.edge_count() && !net.edge(*e).planned)
        .filter(|e| seen.insert(*e))
        .collect()
}

/// Each work with closures alone on the base network (cancelled works left out).
pub fn detours(
    net: &RoadNetwork,
    works: &[Work],
    effects: &HashMap<WorkId, Vec<ResolvedEffect>>,
) -> Vec<Detour> {
    let base = net.weights(Metric::Time);
    let mut faced = base.clone();
    let mut d = Dijkstra::new(net.node_count());
    let source = format!("{METHOD} on the base network with this work's closures alone");
    let mut out = Vec::new();
    for w in works.iter().filter(|w| w.status != Status::Cancelled) {
        let closed = construction_closures(net, effects.get(&w.id).map_or(&[], Vec::as_slice));
        if closed.is_empty() {
            continue;
        }
        for &e in &closed {
            faced[e.index()] = f64::INFINITY;
        }
        let on = DetourNetwork {
            net,
            faced: &faced,
            base: &base,
            date: None,
            source: &source,
        };
        out.extend(detours_around(&on, &Closure::of(w, &closed), &mut d));
        for &e in &closed {
            faced[e.index()] = base[e.index()];
        }
    }
    out
}

/// Every stretch closed on a date, on the network as it stands that day (`state`): each work
/// on site with closures, in id order.
pub fn detours_in_state(
    state: &NetworkState<'_>,
    works: &[Work],
    effects: &HashMap<WorkId, Vec<ResolvedEffect>>,
) -> Vec<Detour> {
    let net = state.network();
    let base = net.weights(Metric::Time);
    let faced = state.weights(Metric::Time);
    let source = match state.date {
        Some(day) => format!("{METHOD} on the network of {day}"),
        None => format!("{METHOD} on the network of the scenario"),
    };
    let on = DetourNetwork {
        net,
        faced: &faced,
        base: &base,
        date: state.date,
        source: &source,
    };
    let mut d = Dijkstra::new(net.node_count());
    let mut out = Vec::new();
    for id in &state.active.construction {
        let Some(w) = works.iter().find(|w| &w.id == id) else {
            continue;
        };
        let closed = construction_closures(net, effects.get(id).map_or(&[], Vec::as_slice));
        if closed.is_empty() {
            continue;
        }
        out.extend(detours_around(&on, &Closure::of(w, &closed), &mut d));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{EdgeSpec, NetworkBuilder, RoadClass};
    use geo_types::{Coord, LineString};

    /// ```text
    ///        C (121.01, 41.01)
    ///  bend /  \
    ///      /    \
    ///     A ---- B ---- E ---- F (dead end)
    ///      \    /
    ///       D  (121.01, 40.99)
    /// ```
    /// A–B 500 m, A–C 400 m (drawn with a bend at 121.000, 41.004), C–B 400 m, A–D and D–B
    /// 1000 m, B–E "Spur" 300 m (the only way to E and F), E–F "Far" 200 m; every road two-way
    /// at 36 km/h (10 m/s).
    fn net() -> (RoadNetwork, [NodeId; 5]) {
        let mut b = NetworkBuilder::new("test:detour");
        let a = b.add_node(121.00, 41.00).unwrap();
        let bb = b.add_node(121.02, 41.00).unwrap();
        let c = b.add_node(121.01, 41.01).unwrap();
        let dd = b.add_node(121.01, 40.99).unwrap();
        let e = b.add_node(121.03, 41.00).unwrap();
        let f = b.add_node(121.04, 41.00).unwrap();
        let mut road = |from, to, name: &str, len: f64, bend: Option<Coord<f64>>| {
            let s = b.add_street(name, name, name);
            let mut spec = EdgeSpec::new(from, to, s, RoadClass::Secondary, "estimate:test");
            spec.length_m = Some(len);
            spec.speed_kmh = Some(36.0);
            if let Some(m) = bend {
                let (pf, pt) = (b.node(from), b.node(to));
                spec.geometry = Some(LineString(vec![
                    Coord {
                        x: pf.lon,
                        y: pf.lat,
                    },
                    m,
                    Coord {
                        x: pt.lon,
                        y: pt.lat,
                    },
                ]));
            }
            b.add_road(spec, false).unwrap().0
        };
        let ab = road(a, bb, "Main", 500.0, None);
        road(
            a,
            c,
            "North",
            400.0,
            Some(Coord {
                x: 121.000,
                y: 41.004,
            }),
        );
        road(c, bb, "North", 400.0, None);
        road(a, dd, "South", 1000.0, None);
        road(dd, bb, "South", 1000.0, None);
        road(bb, e, "Spur", 300.0, None);
        road(e, f, "Far", 200.0, None);
        assert_eq!(ab, EdgeId(0));
        (b.build().unwrap(), [a, bb, c, dd, e])
    }

    fn closed_both_ways(net: &RoadNetwork, street: &str) -> Vec<EdgeId> {
        net.edges_named(street)
    }

    fn around(net: &RoadNetwork, faced: &[f64], edges: &[EdgeId]) -> Vec<Detour> {
        let base = net.weights(Metric::Time);
        let id = WorkId::parse("W1").unwrap();
        let on = DetourNetwork {
            net,
            faced,
            base: &base,
            date: None,
            source: "model:test",
        };
        let c = Closure {
            work: &id,
            name_zh: "测试",
            name_en: "Test",
            edges,
        };
        detours_around(&on, &c, &mut Dijkstra::new(net.node_count()))
    }

    fn with_closed(net: &RoadNetwork, edges: &[EdgeId]) -> Vec<f64> {
        let mut w = net.weights(Metric::Time);
        for e in edges {
            w[e.index()] = f64::INFINITY;
        }
        w
    }

    #[test]
    fn closing_one_link_detours_over_the_next_best_road_along_its_geometry() {
        let (net, [a, b, ..]) = net();
        let main = closed_both_ways(&net, "Main");
        assert_eq!(main.len(), 2);
        let ds = around(&net, &with_closed(&net, &main), &main);
        assert_eq!(ds.len(), 1);
        let d = &ds[0];
        assert_eq!(d.id, "W1.1");
        assert_eq!(d.streets, ["Main"]);
        assert_eq!(d.closed_edges, main);
        let (pa, pb) = (net.node(a), net.node(b));
        assert_eq!((d.from, d.to), ([pa.lon, pa.lat], [pb.lon, pb.lat]));
        // Before: A–B, 500 m at 10 m/s. Around: A–C–B, 800 m = 80 s; A–D–B (2000 m) loses.
        assert!((d.base_s.unwrap() - 50.0).abs() < 1e-9);
        assert!((d.base_m.unwrap() - 500.0).abs() < 1e-9);
        assert!((d.detour_s.unwrap() - 80.0).abs() < 1e-9);
        assert!((d.detour_m.unwrap() - 800.0).abs() < 1e-9);
        assert!((d.extra_s.unwrap() - 30.0).abs() < 1e-9);
        assert_eq!(d.via, ["North"]);
        // The route follows A–C's bend, not a straight line from A to C.
        assert_eq!(
            d.geometry,
            [
                [121.00, 41.00],
                [121.000, 41.004],
                [121.01, 41.01],
                [121.02, 41.00]
            ]
        );
        assert_eq!(d.base_geometry, [[121.00, 41.00], [121.02, 41.00]]);
        assert!(d.reason.is_none());
        assert_eq!(d.outcome, Outcome::Detour);
    }

    #[test]
    fn with_the_north_road_also_closed_the_detour_takes_the_south_road() {
        // What a driver faces on a date: another work's closure of North Road in force.
        let (net, _) = net();
        let main = closed_both_ways(&net, "Main");
        let mut both = main.clone();
        both.extend(closed_both_ways(&net, "North"));
        let ds = around(&net, &with_closed(&net, &both), &main);
        let d = &ds[0];
        assert!((d.detour_m.unwrap() - 2000.0).abs() < 1e-9);
        assert!((d.extra_s.unwrap() - 150.0).abs() < 1e-9);
        assert_eq!(d.via, ["South"]);
        assert_eq!(d.geometry.len(), 3);
    }

    #[test]
    fn closing_the_only_link_to_a_part_of_town_is_reported_cut_off_not_dropped() {
        let (net, _) = net();
        let spur = closed_both_ways(&net, "Spur");
        let ds = around(&net, &with_closed(&net, &spur), &spur);
        assert_eq!(ds.len(), 1);
        let d = &ds[0];
        assert_eq!(d.outcome, Outcome::CutOff);
        assert!((d.base_m.unwrap() - 300.0).abs() < 1e-9);
        assert_eq!((d.detour_s, d.detour_m, d.extra_s), (None, None, None));
        assert!(d.geometry.is_empty());
        assert_eq!(d.base_geometry, [[121.02, 41.00], [121.03, 41.00]]);
        assert!(d.reason.as_deref().unwrap().starts_with("cut off"), "{d:?}");
    }

    #[test]
    fn a_closed_dead_end_has_no_through_traffic_to_divert() {
        let (net, _) = net();
        let far = closed_both_ways(&net, "Far");
        let ds = around(&net, &with_closed(&net, &far), &far);
        let d = &ds[0];
        assert_eq!(d.outcome, Outcome::DeadEnd);
        assert!((d.base_m.unwrap() - 200.0).abs() < 1e-9);
        assert_eq!(d.detour_s, None);
        assert!(
            d.reason.as_deref().unwrap().starts_with("dead end"),
            "{d:?}"
        );
    }

    #[test]
    fn a_dead_end_tail_does_not_move_the_ends_of_a_through_stretch() {
        // Main and Spur and Far closed together: one stretch A–B–E–F whose ways in are A and
        // B (E and F lead nowhere else), so the detour is still A → C → B.
        let (net, _) = net();
        let mut edges = closed_both_ways(&net, "Main");
        edges.extend(closed_both_ways(&net, "Spur"));
        edges.extend(closed_both_ways(&net, "Far"));
        let ds = around(&net, &with_closed(&net, &edges), &edges);
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].outcome, Outcome::Detour);
        assert!((ds[0].detour_m.unwrap() - 800.0).abs() < 1e-9);
        assert_eq!(ds[0].closed_edges.len(), 6);
    }

    #[test]
    fn separate_closed_stretches_get_one_detour_each() {
        let (net, _) = net();
        let mut edges = closed_both_ways(&net, "Spur");
        edges.extend(closed_both_ways(&net, "South"));
        // South (A–D–B) and Spur (B–E) share B: one stretch. Main alone is another.
        assert_eq!(stretches(&net, &edges).len(), 1);
        edges.truncate(2); // Spur only
        edges.extend(closed_both_ways(&net, "North").into_iter().take(2)); // A–C only
        let s = stretches(&net, &edges);
        assert_eq!(s.len(), 2, "{s:?}");
        let ds = around(&net, &with_closed(&net, &edges), &edges);
        let ids: Vec<&str> = ds.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["W1.1", "W1.2"]);
    }

    #[test]
    fn an_edge_open_on_the_network_is_no_closure_there() {
        let (net, _) = net();
        let main = closed_both_ways(&net, "Main");
        assert!(around(&net, &net.weights(Metric::Time), &main).is_empty());
    }
}

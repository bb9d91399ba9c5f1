//! Where the traffic goes: flow changes by street and direction, and per edge for the map.

use crate::assignment::zones::RoadFlows;
use crate::network::{EdgeId, NodeId, RoadNetwork};
use crate::works::LonLat;
use serde::Serialize;
use std::collections::BTreeMap;

/// Flow change on one street in one direction (headline period).
#[derive(Clone, Debug, Serialize)]
pub struct StreetChange {
    /// Chinese name (or the display name).
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// `eastbound`, `westbound`, `northbound`, `southbound`.
    pub direction: String,
    /// Length of the street in this direction, m.
    pub length_m: f64,
    /// Length-weighted mean volume, baseline, veh/h.
    pub before_vph: f64,
    /// The same with the closure.
    pub after_vph: f64,
    /// after − before (length-weighted mean).
    pub delta_vph: f64,
    /// Largest change on one edge, veh/h (signed).
    pub delta_vph_peak: f64,
    /// Highest v/c, baseline.
    pub vc_before: f64,
    /// Highest v/c with the closure.
    pub vc_after: f64,
    /// vc_after − vc_before.
    pub delta_vc: f64,
    /// Rank by Δv/c (1 = largest rise).
    pub rank_vc: usize,
    /// The edges.
    #[serde(skip)]
    pub edges: Vec<EdgeId>,
}

/// A flow change on one edge, for the map (headline period).
#[derive(Clone, Debug, Serialize)]
pub struct EdgeDelta {
    /// The edge.
    pub edge: EdgeId,
    /// Street name.
    pub street: String,
    /// Baseline volume, veh/h.
    pub before_vph: f64,
    /// With the closure.
    pub after_vph: f64,
    /// Change.
    pub delta_vph: f64,
    /// v/c baseline.
    pub vc_before: f64,
    /// v/c with the closure.
    pub vc_after: f64,
    /// The edge's line (lon/lat).
    pub geometry: Vec<LonLat>,
}

fn cardinal(dx: f64, dy: f64) -> &'static str {
    if dx.abs() >= dy.abs() {
        if dx >= 0.0 { "eastbound" } else { "westbound" }
    } else if dy >= 0.0 {
        "northbound"
    } else {
        "southbound"
    }
}

/// Flow changes summed by street and direction. A street's two directions are told apart by
/// its main axis (its two nodes farthest apart): each edge goes along it or against it.
pub fn street_changes(
    net: &RoadNetwork,
    before: &RoadFlows,
    after: &RoadFlows,
    min_abs_vph: f64,
) -> Vec<StreetChange> {
    // Street → its edges.
    let mut by_street: BTreeMap<usize, Vec<EdgeId>> = BTreeMap::new();
    for (i, e) in net.edges().iter().enumerate() {
        if !e.planned || before.time_s[i].is_finite() || after.time_s[i].is_finite() {
            by_street
                .entry(e.street.index())
                .or_default()
                .push(EdgeId::from_index(i));
        }
    }
    let mut out = Vec::new();
    for (s, edges) in by_street {
        // The street's axis: between its two nodes farthest apart (local metres).
        let mut nodes: Vec<NodeId> = edges
            .iter()
            .flat_map(|&e| [net.edge(e).from, net.edge(e).to])
            .collect();
        nodes.sort_unstable();
        nodes.dedup();
        let lat0 = net.node(nodes[0]).lat.to_radians().cos();
        let xy = |n: NodeId| {
            let p = net.node(n);
            (p.lon * lat0, p.lat)
        };
        let mut axis = (0.0, 0.0, 0.0);
        if nodes.len() <= 40 {
            for (i, &a) in nodes.iter().enumerate() {
                for &b in &nodes[i + 1..] {
                    let (pa, pb) = (xy(a), xy(b));
                    let d2 = (pb.0 - pa.0).powi(2) + (pb.1 - pa.1).powi(2);
                    if d2 > axis.2 {
                        axis = (pb.0 - pa.0, pb.1 - pa.1, d2);
                    }
                }
            }
        } else {
            // Long streets: the extreme nodes along the bbox's longer side.
            let (mut lo, mut hi) = (nodes[0], nodes[0]);
            let (minx, maxx) = nodes.iter().fold((f64::MAX, f64::MIN), |m, &n| {
                (m.0.min(xy(n).0), m.1.max(xy(n).0))
            });
            let (miny, maxy) = nodes.iter().fold((f64::MAX, f64::MIN), |m, &n| {
                (m.0.min(xy(n).1), m.1.max(xy(n).1))
            });
            let horizontal = maxx - minx >= maxy - miny;
            for &n in &nodes {
                let k = |m: NodeId| if horizontal { xy(m).0 } else { xy(m).1 };
                if k(n) < k(lo) {
                    lo = n;
                }
                if k(n) > k(hi) {
                    hi = n;
                }
            }
            axis = (xy(hi).0 - xy(lo).0, xy(hi).1 - xy(lo).1, 1.0);
        }
        // Point the axis east or north, so "along" reads eastbound/northbound.
        if axis.0.abs() >= axis.1.abs() {
            if axis.0 < 0.0 {
                axis = (-axis.0, -axis.1, axis.2);
            }
        } else if axis.1 < 0.0 {
            axis = (-axis.0, -axis.1, axis.2);
        }
        let mut groups: [Vec<EdgeId>; 2] = [Vec::new(), Vec::new()];
        for &e in &edges {
            let (a, b) = (xy(net.edge(e).from), xy(net.edge(e).to));
            let along = (b.0 - a.0) * axis.0 + (b.1 - a.1) * axis.1 >= 0.0;
            groups[usize::from(!along)].push(e);
        }
        let st = net.street(crate::network::StreetId::from_index(s));
        for (gi, g) in groups.into_iter().enumerate() {
            if g.is_empty() {
                continue;
            }
            let dir = if gi == 0 {
                cardinal(axis.0, axis.1)
            } else {
                cardinal(-axis.0, -axis.1)
            };
            let len: f64 = g.iter().map(|&e| net.edge(e).length_m).sum();
            let mean = |f: &RoadFlows| {
                g.iter()
                    .map(|&e| f.volume_vph[e.index()] * net.edge(e).length_m)
                    .sum::<f64>()
                    / len.max(1e-9)
            };
            let vmax = |f: &RoadFlows| {
                g.iter()
                    .filter(|e| f.time_s[e.index()].is_finite())
                    .map(|e| f.vc[e.index()])
                    .fold(0.0, f64::max)
            };
            let peak = g
                .iter()
                .map(|e| after.volume_vph[e.index()] - before.volume_vph[e.index()])
                .fold(0.0, |m: f64, x| if x.abs() > m.abs() { x } else { m });
            let (b, a) = (mean(before), mean(after));
            if (a - b).abs() < min_abs_vph && peak.abs() < min_abs_vph {
                continue;
            }
            let (vb, va) = (vmax(before), vmax(after));
            out.push(StreetChange {
                name_zh: st.display_name().to_string(),
                name_en: st.name_en.clone(),
                direction: dir.to_string(),
                length_m: len,
                before_vph: b,
                after_vph: a,
                delta_vph: a - b,
                delta_vph_peak: peak,
                vc_before: vb,
                vc_after: va,
                delta_vc: va - vb,
                rank_vc: 0,
                edges: g,
            });
        }
    }
    let mut by_vc: Vec<usize> = (0..out.len()).collect();
    by_vc.sort_by(|&x, &y| out[y].delta_vc.total_cmp(&out[x].delta_vc));
    for (r, i) in by_vc.into_iter().enumerate() {
        out[i].rank_vc = r + 1;
    }
    out.sort_by(|x, y| {
        y.delta_vph
            .total_cmp(&x.delta_vph)
            .then_with(|| x.name_zh.cmp(&y.name_zh))
    });
    out
}

/// Edge flow changes of 5 veh/h or more (the map's difference layer).
pub fn edge_changes(net: &RoadNetwork, before: &RoadFlows, after: &RoadFlows) -> Vec<EdgeDelta> {
    (0..net.edge_count())
        .filter_map(|i| {
            let (b, a) = (before.volume_vph[i], after.volume_vph[i]);
            let e = EdgeId::from_index(i);
            ((a - b).abs() >= 5.0).then(|| EdgeDelta {
                edge: e,
                street: net.street_of(e).display_name().to_string(),
                before_vph: b,
                after_vph: a,
                delta_vph: a - b,
                vc_before: before.vc[i],
                vc_after: after.vc[i],
                geometry: net.edge(e).geometry.0.iter().map(|c| [c.x, c.y]).collect(),
            })
        })
        .collect()
}

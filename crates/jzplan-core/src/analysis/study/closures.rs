//! Closures resolved on the network: a work's site, a street or a stretch of it, edges; with
//! what is closed (lanes, direction, speed).

use super::request::{ClosureSpec, Direction, Lanes, STRETCH_SNAP_M};
use crate::network::geom::haversine_m;
use crate::network::{EdgeId, NodeId, RoadNetwork};
use crate::works::paths::Dijkstra;
use crate::works::{Action, LonLat, Phase, ResolvedEffect, Work, WorkId};
use crate::{Error, Result};
use serde::Serialize;
use std::collections::HashMap;

/// A closure as resolved on the network.
#[derive(Clone, Debug, Serialize)]
pub struct ResolvedClosure {
    /// `P1`, `锦州街`, `锦州街 121.100,41.100→121.110,41.100`, `edges 12,13`.
    pub label: String,
    /// The work, when the closure is a work's site.
    pub work: Option<WorkId>,
    /// What it does, in words (`closed both directions`, `1 lane per direction taken, 30 km/h`).
    pub what: String,
    /// Streets concerned.
    pub streets: Vec<String>,
    /// Directed edges affected.
    pub edges: Vec<EdgeId>,
    /// Length of road affected (each direction counted), metres.
    pub length_m: f64,
    /// The effects applied.
    #[serde(skip)]
    pub effects: Vec<ResolvedEffect>,
}

fn base_name(s: &str) -> &str {
    let s = s.trim();
    if let Some(stripped) = s.strip_suffix('段') {
        for num in ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"] {
            if let Some(b) = stripped.strip_suffix(num) {
                return b;
            }
        }
    }
    s
}

/// Built edges of the street named `name` (Chinese, with or without a section suffix, or
/// English, case ignored).
pub fn street_edges(net: &RoadNetwork, name: &str) -> Vec<EdgeId> {
    let n = name.trim();
    let hits: Vec<bool> = net
        .streets()
        .iter()
        .map(|s| {
            (!s.name_zh.is_empty() && (s.name_zh == n || base_name(&s.name_zh) == n))
                || (!s.name_en.is_empty() && s.name_en.eq_ignore_ascii_case(n))
        })
        .collect();
    net.edges()
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.planned && hits[e.street.index()])
        .map(|(i, _)| EdgeId::from_index(i))
        .collect()
}

/// Street names of edges, sorted, each once.
pub(super) fn names_of(net: &RoadNetwork, edges: &[EdgeId]) -> Vec<String> {
    let mut v: Vec<String> = edges
        .iter()
        .map(|&e| net.street_of(e).display_name().to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

fn nearest_node(net: &RoadNetwork, edges: &[EdgeId], p: LonLat) -> (NodeId, f64) {
    let pt = geo_types::Point::new(p[0], p[1]);
    let mut best = (net.edge(edges[0]).from, f64::INFINITY);
    for &e in edges {
        for n in [net.edge(e).from, net.edge(e).to] {
            let d = haversine_m(pt, net.node(n).point());
            if d < best.1 {
                best = (n, d);
            }
        }
    }
    best
}

fn check_point(p: LonLat, what: &str) -> Result<()> {
    if !crate::network::geom::valid_lon_lat(p[0], p[1]) {
        return Err(Error::invalid(format!(
            "{what} {},{} is not a valid WGS84 lon/lat",
            p[0], p[1]
        )));
    }
    Ok(())
}

/// The edges of `street` between the junctions nearest `from` and `to`, along the street.
fn stretch_edges(
    net: &RoadNetwork,
    name: &str,
    street: &[EdgeId],
    from: LonLat,
    to: LonLat,
) -> Result<Vec<EdgeId>> {
    let mut ends = Vec::new();
    for (p, what) in [(from, "from"), (to, "to")] {
        check_point(p, what)?;
        let (n, d) = nearest_node(net, street, p);
        if d > STRETCH_SNAP_M {
            return Err(Error::NoSegment {
                lon: p[0],
                lat: p[1],
                max_m: STRETCH_SNAP_M,
            });
        }
        ends.push(n);
    }
    if ends[0] == ends[1] {
        return Err(Error::invalid(format!(
            "the stretch of {name} from {},{} to {},{} is shorter than one block: both ends \
             snap to the same junction",
            from[0], from[1], to[0], to[1]
        )));
    }
    let mut w = vec![f64::INFINITY; net.edge_count()];
    for &e in street {
        w[e.index()] = net.edge(e).length_m;
    }
    let mut d = Dijkstra::new(net.node_count());
    d.run(net, &w, ends[0], Some(ends[1]));
    if !d.dist(ends[1]).is_finite() {
        return Err(Error::invalid(format!(
            "{name} does not run from {},{} to {},{} in one piece",
            from[0], from[1], to[0], to[1]
        )));
    }
    Ok(d.path_to(net, ends[1]))
}

fn with_twins(net: &RoadNetwork, edges: &[EdgeId]) -> Vec<EdgeId> {
    let mut v: Vec<EdgeId> = edges
        .iter()
        .flat_map(|&e| std::iter::once(e).chain(net.edge(e).twin))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

pub(super) fn describe_action(a: &Action) -> String {
    match a {
        Action::Close => "closes".into(),
        Action::Remove => "removes".into(),
        Action::CutLanes { lanes } => format!(
            "narrows ({lanes} lane{} per direction taken)",
            if *lanes == 1 { "" } else { "s" }
        ),
        Action::SetSpeed { speed_kmh } => format!("caps the speed at {speed_kmh} km/h"),
        Action::SetLanes { lanes } => format!("sets {lanes} lanes per direction"),
        Action::AddLanes { lanes } => format!("adds {lanes} lanes per direction"),
        Action::ScaleCapacity { factor } => format!("scales capacity × {factor}"),
        Action::OpenLink => "opens a new link".into(),
    }
}

/// Resolves one closure (see [`ClosureSpec`]).
pub fn resolve_closure(
    net: &RoadNetwork,
    spec: &ClosureSpec,
    works: &[Work],
    resolved: &HashMap<WorkId, Vec<ResolvedEffect>>,
) -> Result<ResolvedClosure> {
    let given = [
        spec.work.is_some(),
        spec.street.is_some(),
        spec.edges.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if given != 1 {
        return Err(Error::invalid(
            "each closure names exactly one of: work, street, edges",
        ));
    }
    if spec.from.is_some() != spec.to.is_some() {
        return Err(Error::invalid(
            "a stretch needs both from and to (lon,lat each)",
        ));
    }
    if spec.from.is_some() && spec.street.is_none() {
        return Err(Error::invalid(
            "from/to give a stretch of a street: add street",
        ));
    }
    if let Some(v) = spec.speed_kmh
        && !(v > 0.0 && v <= 200.0)
    {
        return Err(Error::invalid(format!("speed_kmh {v} must be in (0, 200]")));
    }
    if let Some(w) = &spec.work {
        if spec.lanes.is_some() || spec.speed_kmh.is_some() || spec.direction != Direction::Both {
            return Err(Error::invalid(format!(
                "lanes, direction and speed_kmh apply to a street or edges; work {w}'s own \
                 effects say what its site does"
            )));
        }
        let id = WorkId::parse(w)?;
        let work = works
            .iter()
            .find(|x| x.id == id)
            .ok_or_else(|| Error::not_found("work", &id))?;
        let effects: Vec<ResolvedEffect> = resolved
            .get(&id)
            .into_iter()
            .flatten()
            .filter(|e| e.phase == Phase::Construction && !e.edges.is_empty())
            .cloned()
            .collect();
        if effects.is_empty() {
            return Err(Error::invalid(format!(
                "work {id} ({}) changes no road while it is built: nothing to close",
                work.name_en
            )));
        }
        let mut edges: Vec<EdgeId> = effects.iter().flat_map(|e| e.edges.clone()).collect();
        edges.sort_unstable();
        edges.dedup();
        let mut what: Vec<String> = effects.iter().map(|e| describe_action(&e.action)).collect();
        what.dedup();
        return Ok(ResolvedClosure {
            label: id.to_string(),
            work: Some(id),
            what: format!("its site {}", what.join(", ")),
            streets: names_of(net, &edges),
            length_m: edges.iter().map(|&e| net.edge(e).length_m).sum(),
            edges,
            effects,
        });
    }
    let (label, picked) = if let Some(name) = &spec.street {
        let street = street_edges(net, name);
        if street.is_empty() {
            return Err(Error::not_found("street", name.trim()));
        }
        match (spec.from, spec.to) {
            (Some(a), Some(b)) => {
                let path = stretch_edges(net, name.trim(), &street, a, b)?;
                (
                    format!(
                        "{} {:.4},{:.4}→{:.4},{:.4}",
                        name.trim(),
                        a[0],
                        a[1],
                        b[0],
                        b[1]
                    ),
                    path,
                )
            }
            _ => {
                if spec.direction == Direction::Forward {
                    return Err(Error::invalid(
                        "direction forward needs a stretch (from and to) to say which way",
                    ));
                }
                (name.trim().to_string(), street)
            }
        }
    } else {
        let edges = spec.edges.clone().unwrap_or_default();
        if edges.is_empty() {
            return Err(Error::invalid(
                "an edges closure needs at least one edge id",
            ));
        }
        for &e in &edges {
            let ed = net.try_edge(e)?;
            if ed.planned {
                return Err(Error::invalid(format!(
                    "edge {e} is a planned link (not built yet): there is nothing to close"
                )));
            }
        }
        let ids: Vec<String> = edges.iter().map(|e| e.to_string()).collect();
        (format!("edges {}", ids.join(",")), edges)
    };
    let edges = match spec.direction {
        Direction::Both => with_twins(net, &picked),
        Direction::Forward => {
            let mut v = picked;
            v.sort_unstable();
            v.dedup();
            v
        }
    };
    let lanes = match (spec.lanes, spec.speed_kmh) {
        (Some(l), _) => Some(l),
        (None, Some(_)) => None,
        (None, None) => Some(Lanes::All),
    };
    let mut effects = Vec::new();
    let mut closed = Vec::new();
    let mut narrowed = Vec::new();
    match lanes {
        Some(Lanes::All) => closed = edges.clone(),
        Some(Lanes::Count(k)) => {
            for &e in &edges {
                if k >= net.edge(e).lanes {
                    closed.push(e);
                } else {
                    narrowed.push(e);
                }
            }
        }
        None => {}
    }
    let mut what = Vec::new();
    let dir = match spec.direction {
        Direction::Both => "both directions",
        Direction::Forward => "one direction (from → to)",
    };
    if !closed.is_empty() {
        what.push(format!("closed, {dir}"));
        effects.push(ResolvedEffect {
            phase: Phase::Construction,
            action: Action::Close,
            edges: closed.clone(),
            schedule: None,
        });
    }
    if let Some(Lanes::Count(k)) = lanes
        && !narrowed.is_empty()
    {
        what.push(format!(
            "{k} lane{} per direction taken, {dir}{}",
            if k == 1 { "" } else { "s" },
            if closed.is_empty() {
                String::new()
            } else {
                " (closed where no lane is left)".to_string()
            }
        ));
        effects.push(ResolvedEffect {
            phase: Phase::Construction,
            action: Action::CutLanes { lanes: k },
            edges: narrowed.clone(),
            schedule: None,
        });
    }
    if let Some(v) = spec.speed_kmh {
        let open: Vec<EdgeId> = edges
            .iter()
            .copied()
            .filter(|e| !closed.contains(e))
            .collect();
        if !open.is_empty() {
            what.push(format!("speed limited to {v} km/h"));
            effects.push(ResolvedEffect {
                phase: Phase::Construction,
                action: Action::SetSpeed { speed_kmh: v },
                edges: open,
                schedule: None,
            });
        }
    }
    Ok(ResolvedClosure {
        label,
        work: None,
        what: what.join("; "),
        streets: names_of(net, &edges),
        length_m: edges.iter().map(|&e| net.edge(e).length_m).sum(),
        edges,
        effects,
    })
}

pub(super) fn point_of(net: &RoadNetwork, n: NodeId) -> LonLat {
    let p = net.node(n);
    [p.lon, p.lat]
}

//! Anchoring works to a network by street name and approximate position.
//!
//! The catalogue names streets (`锦州街`) and gives approximate coordinates; it never relies on
//! the edge ids of one particular network. Attaching resolves each anchor on a given network:
//! the edges of a street with that name within a radius of the anchor line, and for planned
//! links (new bridges, roads) the nearest node of the named street at each end, on the right
//! side of the river the link crosses. Every resolution is reported: what matched, how far the
//! anchor had to move, what could not be matched.

use super::{Action, Effect, LonLat, ResolvedEffect, StreetAnchor, Target, Work, WorkId};
use crate::hotspot::Hotspot;
use crate::network::geom::LocalProjection;
use crate::network::names::street_named;
use crate::network::{EdgeId, EdgeSpec, NetworkBuilder, NodeId, RoadClass, RoadNetwork};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// One end of a planned link: an approximate position and the streets it should join.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkEnd {
    /// Approximate position of the end.
    pub at: LonLat,
    /// Streets to join (by name); empty = the nearest node of any road.
    #[serde(default)]
    pub streets: Vec<String>,
    /// Search radius in metres.
    #[serde(default = "default_end_radius_m")]
    pub radius_m: f64,
}

fn default_end_radius_m() -> f64 {
    1_500.0
}

/// A new link a work builds (bridge, riverside road, ring-road section, interchange ramp,
/// new alignment). It is added to the network as `planned` edges (closed in the base state)
/// and opened by the work's `open_link` effect on completion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedLink {
    /// Link id (`P1-bridge`).
    pub id: String,
    /// The work that builds it.
    pub work: WorkId,
    /// Street name of the new edges, Chinese.
    pub name_zh: String,
    /// Street name, English.
    pub name_en: String,
    /// Road class.
    pub class: RoadClass,
    /// Lanes per direction.
    pub lanes: u8,
    /// Design speed.
    pub speed_kmh: f32,
    /// On a bridge.
    #[serde(default)]
    pub bridge: bool,
    /// Start.
    pub from: LinkEnd,
    /// End.
    pub to: LinkEnd,
    /// Intermediate shape points.
    #[serde(default)]
    pub via: Vec<LonLat>,
    /// A line (a river) the link crosses: its ends must lie on opposite sides of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub across: Vec<LonLat>,
    /// Provenance.
    pub source: String,
}

impl PlannedLink {
    /// Way id of the link's street in an augmented network.
    pub fn way_id(&self) -> String {
        format!("plan:{}", self.id)
    }
}

/// One line of an attach report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttachItem {
    /// The record: work id, hotspot id or link id.
    pub record: String,
    /// What was anchored (`effect 1 close 锦州街`, `link end from`).
    pub what: String,
    /// Whether it matched.
    pub matched: bool,
    /// Street(s) matched.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub street: String,
    /// Number of edges (or 1 node) matched.
    pub edges: usize,
    /// How far the anchor moved to reach the network, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_m: Option<f64>,
    /// Why it did not match, or how it matched (fallback).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// The result of attaching records to a network.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AttachReport {
    /// One item per anchor.
    pub items: Vec<AttachItem>,
}

impl AttachReport {
    /// Anchors that matched.
    pub fn matched(&self) -> usize {
        self.items.iter().filter(|i| i.matched).count()
    }
    /// Anchors that did not.
    pub fn unmatched(&self) -> usize {
        self.items.len() - self.matched()
    }
}

/// Whether a street carries one of `names` (Chinese or English, section suffixes ignored).
pub(crate) fn street_matches(net: &RoadNetwork, e: EdgeId, names: &[String]) -> bool {
    street_named(net.street_of(e), names)
}

/// Distance in metres from point `p` to segment `a–b` (local metres), and the parameter t.
fn seg_dist(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    ((p[0] - a[0] - t * dx).powi(2) + (p[1] - a[1] - t * dy).powi(2)).sqrt()
}

/// Side (-1, 0, +1) of point `p` relative to a polyline: the sign of the cross product with
/// the polyline's nearest segment.
fn side_of(line: &[[f64; 2]], p: [f64; 2]) -> i8 {
    let mut best = (f64::INFINITY, 0i8);
    for w in line.windows(2) {
        let d = seg_dist(p, w[0], w[1]);
        if d < best.0 {
            let cross =
                (w[1][0] - w[0][0]) * (p[1] - w[0][1]) - (w[1][1] - w[0][1]) * (p[0] - w[0][0]);
            best = (
                d,
                if cross > 0.0 {
                    1
                } else if cross < 0.0 {
                    -1
                } else {
                    0
                },
            );
        }
    }
    best.1
}

/// The edges of `anchor` on `net`: edges of a street with one of the anchor's names whose
/// geometry comes within `radius_m` of the anchor line (or point). Planned edges never match.
/// Returns the edges, the distance the anchor moved (the larger of its two ends' distances to
/// the matched geometry), and the matched street names.
pub fn resolve_street(
    net: &RoadNetwork,
    anchor: &StreetAnchor,
) -> std::result::Result<(Vec<EdgeId>, f64, String), String> {
    let proj = LocalProjection::new(anchor.from[0], anchor.from[1]);
    let a = proj.forward(geo_types::Coord {
        x: anchor.from[0],
        y: anchor.from[1],
    });
    let b = anchor
        .to
        .map(|t| proj.forward(geo_types::Coord { x: t[0], y: t[1] }))
        .unwrap_or(a);
    let mut edges = Vec::new();
    let mut names = BTreeMap::new();
    let (mut d_from, mut d_to) = (f64::INFINITY, f64::INFINITY);
    // Only edges near the anchor can be within its radius: those meeting the box of the
    // anchor segment grown by the radius (a metre more for rounding). Every edge is read only
    // to say how far the nearest named one is when none is near.
    let grow = anchor.radius_m + 1.0;
    let near = edges_near(net, &proj, [a, b], grow);
    for id in near {
        let e = net.edge(id);
        if e.planned || !street_matches(net, id, &anchor.streets) {
            continue;
        }
        let (d, df, dt) = edge_to_segment(&proj, e, a, b);
        if d <= anchor.radius_m {
            edges.push(id);
            d_from = d_from.min(df);
            d_to = d_to.min(dt);
            *names
                .entry(net.street_of(id).display_name().to_string())
                .or_insert(0) += 1;
        }
    }
    if edges.is_empty() {
        let nearest_named = nearest_named_edge(net, &proj, anchor, a, b);
        let names = anchor.streets.join("/");
        return Err(if nearest_named.is_finite() {
            format!(
                "street {names} exists but its nearest edge is {:.0} m away (radius {:.0} m)",
                nearest_named, anchor.radius_m
            )
        } else {
            format!("no street named {names} in the network")
        });
    }
    let moved = d_from.max(d_to);
    let street = names.into_keys().collect::<Vec<_>>().join(", ");
    Ok((edges, moved, street))
}

/// The edges meeting the box of `points` (local metres of `proj`) grown by `grow_m`, by id
/// (see [`crate::network::snap::SnapIndex::edges_meeting`]).
fn edges_near(
    net: &RoadNetwork,
    proj: &LocalProjection,
    points: [[f64; 2]; 2],
    grow_m: f64,
) -> Vec<EdgeId> {
    let lo = proj.inverse([
        points[0][0].min(points[1][0]) - grow_m,
        points[0][1].min(points[1][1]) - grow_m,
    ]);
    let hi = proj.inverse([
        points[0][0].max(points[1][0]) + grow_m,
        points[0][1].max(points[1][1]) + grow_m,
    ]);
    net.snap_index()
        .edges_meeting(net, geo_types::Rect::new(lo, hi))
}

/// Distance between an edge and the anchor segment `a–b` (local metres): the minimum over the
/// edge's vertices to the segment and the segment's ends to the edge's pieces (exact for
/// lines that do not cross); with the distances of `a` and of `b` to the edge.
fn edge_to_segment(
    proj: &LocalProjection,
    e: &crate::network::Edge,
    a: [f64; 2],
    b: [f64; 2],
) -> (f64, f64, f64) {
    let pts: Vec<[f64; 2]> = e.geometry.0.iter().map(|c| proj.forward(*c)).collect();
    let d = pts
        .iter()
        .map(|p| seg_dist(*p, a, b))
        .fold(f64::INFINITY, f64::min);
    let (mut df, mut dt) = (f64::INFINITY, f64::INFINITY);
    for w in pts.windows(2) {
        df = df.min(seg_dist(a, w[0], w[1]));
        dt = dt.min(seg_dist(b, w[0], w[1]));
    }
    (d.min(df).min(dt), df, dt)
}

/// Distance from the anchor segment `a–b` to the nearest edge of its streets, over the whole
/// network (for the error message when none is within the radius).
fn nearest_named_edge(
    net: &RoadNetwork,
    proj: &LocalProjection,
    anchor: &StreetAnchor,
    a: [f64; 2],
    b: [f64; 2],
) -> f64 {
    // The streets carrying the names from the network's index of names, then only their
    // edges: nothing network-wide is read per anchor.
    let index = net.street_names();
    let mut nearest = f64::INFINITY;
    for si in index.streets_named(&anchor.streets) {
        for &id in index.edges_of(si) {
            let e = net.edge(id);
            if !e.planned {
                nearest = nearest.min(edge_to_segment(proj, e, a, b).0);
            }
        }
    }
    nearest
}

/// The node a link end joins: the nearest node of the named streets (on the required side of
/// `across`), else the nearest node of any built road; with the distance and a note.
fn resolve_end(
    net: &RoadNetwork,
    end: &LinkEnd,
    across: &[[f64; 2]],
    proj: &LocalProjection,
    exclude: Option<NodeId>,
) -> std::result::Result<(NodeId, f64, String), String> {
    let at = proj.forward(geo_types::Coord {
        x: end.at[0],
        y: end.at[1],
    });
    let want_side = if across.len() >= 2 {
        side_of(across, at)
    } else {
        0
    };
    // The nearest node of a built edge (of the named streets), nearest first and then by the
    // edge's id and end (tail before head), as a scan of every edge would find it; but each
    // node is measured once, and only the edges of the nodes within the radius are read
    // (O(nodes) per end: only links not yet in the network get here, never a prepared file's).
    type Best = Option<(f64, (EdgeId, u8), NodeId)>;
    let better = |best: &Best, d: f64, key: (EdgeId, u8)| {
        best.is_none_or(|(bd, bk, _)| d < bd || (d == bd && key < bk))
    };
    let mut best_named: Best = None;
    let mut best_any: Best = None;
    for (i, node) in net.nodes().iter().enumerate() {
        let n = NodeId::from_index(i);
        if Some(n) == exclude {
            continue;
        }
        let p = proj.forward(geo_types::Coord {
            x: node.lon,
            y: node.lat,
        });
        let d = ((p[0] - at[0]).powi(2) + (p[1] - at[1]).powi(2)).sqrt();
        if d > end.radius_m || (want_side != 0 && side_of(across, p) != want_side) {
            continue;
        }
        let ends = (net.out_edges(n).iter().map(|&e| (e, 0u8)))
            .chain(net.in_edges(n).iter().map(|&e| (e, 1u8)));
        for (e, at_end) in ends {
            if net.edge(e).planned {
                continue;
            }
            let key = (e, at_end);
            if better(&best_any, d, key) {
                best_any = Some((d, key, n));
            }
            if !end.streets.is_empty()
                && better(&best_named, d, key)
                && street_matches(net, e, &end.streets)
            {
                best_named = Some((d, key, n));
            }
        }
    }
    let best_named = best_named.map(|(d, _, n)| (d, n));
    let best_any = best_any.map(|(d, _, n)| (d, n));
    match (best_named, best_any) {
        (Some((d, n)), _) => Ok((n, d, String::new())),
        (None, Some((d, n))) => Ok((
            n,
            d,
            if end.streets.is_empty() {
                String::new()
            } else {
                format!(
                    "fallback: no {} node within {:.0} m, joined the nearest road node",
                    end.streets.join("/"),
                    end.radius_m
                )
            },
        )),
        (None, None) => Err(format!(
            "no road node within {:.0} m of {:.5},{:.5}{}",
            end.radius_m,
            end.at[0],
            end.at[1],
            if want_side != 0 {
                " on its side of the river"
            } else {
                ""
            }
        )),
    }
}

/// A network with the catalogue's planned links, and where they went.
pub struct Augmented {
    /// The network: the base plus every resolvable link as `planned` edges.
    pub network: RoadNetwork,
    /// Link id → its edges (both directions).
    pub links: HashMap<String, Vec<EdgeId>>,
    /// What matched.
    pub report: AttachReport,
}

/// Adds every planned link to `base` as `planned = true` two-way edges between the nodes its
/// ends resolve to. Base node, edge and street ids are unchanged. Links already present (a
/// street `plan:<id>` exists, e.g. a network saved after augmenting) are found, not re-added.
///
/// A network that already holds every link (a prepared network file) is returned as it is,
/// not copied; finding the links reads its streets and edges once.
pub fn augment(base: RoadNetwork, links: &[PlannedLink]) -> Result<Augmented> {
    let mut report = AttachReport::default();
    let mut found: HashMap<String, Vec<EdgeId>> = HashMap::new();
    // Streets of links already added (way id `plan:<id>`; the last of a way id counts), and
    // their edges, in one pass over the streets and one over the edges.
    let mut existing: HashMap<&str, usize> = HashMap::new();
    for (i, st) in base.streets().iter().enumerate() {
        if st.way_id.starts_with("plan:") {
            existing.insert(st.way_id.as_str(), i);
        }
    }
    let mut edges_of: HashMap<usize, Vec<EdgeId>> = HashMap::new();
    if !existing.is_empty() {
        let wanted: HashSet<usize> = links
            .iter()
            .filter_map(|l| existing.get(l.way_id().as_str()).copied())
            .collect();
        for (j, e) in base.edges().iter().enumerate() {
            if wanted.contains(&e.street.index()) {
                edges_of
                    .entry(e.street.index())
                    .or_default()
                    .push(EdgeId::from_index(j));
            }
        }
    }
    let mut builder: Option<NetworkBuilder> = None;
    for link in links {
        if let Some(&si) = existing.get(link.way_id().as_str()) {
            let edges = edges_of.get(&si).cloned().unwrap_or_default();
            report.items.push(AttachItem {
                record: link.id.clone(),
                what: format!("link {} (already in the network)", link.name_zh),
                matched: !edges.is_empty(),
                street: link.name_zh.clone(),
                edges: edges.len(),
                moved_m: Some(0.0),
                note: String::new(),
            });
            found.insert(link.id.clone(), edges);
            continue;
        }
        let proj = LocalProjection::new(link.from.at[0], link.from.at[1]);
        let across: Vec<[f64; 2]> = link
            .across
            .iter()
            .map(|c| proj.forward(geo_types::Coord { x: c[0], y: c[1] }))
            .collect();
        let from = resolve_end(&base, &link.from, &across, &proj, None);
        let to = match &from {
            Ok((n, _, _)) => resolve_end(&base, &link.to, &across, &proj, Some(*n)),
            Err(_) => resolve_end(&base, &link.to, &across, &proj, None),
        };
        for (label, r) in [("from", &from), ("to", &to)] {
            report.items.push(match r {
                Ok((_, d, note)) => AttachItem {
                    record: link.id.clone(),
                    what: format!("link {} end {label}", link.name_zh),
                    matched: true,
                    street: if note.is_empty() {
                        link.end_named(label).streets.join("/")
                    } else {
                        String::new()
                    },
                    edges: 1,
                    moved_m: Some(*d),
                    note: note.clone(),
                },
                Err(why) => AttachItem {
                    record: link.id.clone(),
                    what: format!("link {} end {label}", link.name_zh),
                    matched: false,
                    street: String::new(),
                    edges: 0,
                    moved_m: None,
                    note: why.clone(),
                },
            });
        }
        let (Ok((a, _, _)), Ok((z, _, _))) = (from, to) else {
            continue;
        };
        let b = builder.get_or_insert_with(|| NetworkBuilder::from_network(&base));
        let street = b.add_street(&link.way_id(), &link.name_zh, &link.name_en);
        let na = b.node(a);
        let nz = b.node(z);
        let mut coords = vec![(na.lon, na.lat)];
        coords.extend(link.via.iter().map(|c| (c[0], c[1])));
        coords.push((nz.lon, nz.lat));
        let mut spec = EdgeSpec::new(a, z, street, link.class, &link.source);
        spec.lanes = Some(link.lanes);
        spec.speed_kmh = Some(link.speed_kmh);
        spec.bridge = link.bridge;
        spec.planned = true;
        spec.geometry = Some(geo_types::LineString::from(coords));
        let (e1, e2) = b.add_road(spec, false)?;
        found.insert(link.id.clone(), std::iter::once(e1).chain(e2).collect());
    }
    Ok(Augmented {
        network: match builder {
            Some(b) => b.build()?,
            None => base,
        },
        links: found,
        report,
    })
}

impl PlannedLink {
    fn end_named(&self, label: &str) -> &LinkEnd {
        if label == "from" {
            &self.from
        } else {
            &self.to
        }
    }
}

/// Works resolved on one network: each work's effects with edge ids.
#[derive(Clone, Debug, Default)]
pub struct Attachment {
    /// Link id → edges (from [`augment`]).
    pub links: HashMap<String, Vec<EdgeId>>,
    /// Work → its resolved effects (effects that did not resolve are left out and reported).
    pub effects: HashMap<WorkId, Vec<ResolvedEffect>>,
    /// What matched.
    pub report: AttachReport,
}

impl Attachment {
    /// Resolves every effect of `works` on `net` (which should already hold the planned links
    /// given in `links`). Anchors that do not resolve are reported, never fatal.
    pub fn resolve(
        net: &RoadNetwork,
        works: &[Work],
        links: HashMap<String, Vec<EdgeId>>,
    ) -> Attachment {
        let mut att = Attachment {
            links,
            ..Default::default()
        };
        for w in works {
            att.resolve_work(net, w);
        }
        att
    }

    /// (Re-)resolves the effects of one work.
    pub fn resolve_work(&mut self, net: &RoadNetwork, w: &Work) {
        self.report.items.retain(|i| i.record != w.id.as_str());
        let mut out = Vec::with_capacity(w.effects.len());
        for (k, e) in w.effects.iter().enumerate() {
            let what = describe_effect(k, e);
            let r =
                resolve_target(net, &e.target, &self.links).and_then(|r| one_direction(net, e, r));
            match r {
                Ok((edges, moved, street)) => {
                    self.report.items.push(AttachItem {
                        record: w.id.to_string(),
                        what,
                        matched: true,
                        street,
                        edges: edges.len(),
                        moved_m: moved,
                        note: String::new(),
                    });
                    out.push(ResolvedEffect {
                        phase: e.phase,
                        action: e.action.clone(),
                        edges,
                        schedule: e.schedule.clone(),
                    });
                }
                Err(why) => self.report.items.push(AttachItem {
                    record: w.id.to_string(),
                    what,
                    matched: false,
                    street: String::new(),
                    edges: 0,
                    moved_m: None,
                    note: why,
                }),
            }
        }
        self.effects.insert(w.id.clone(), out);
    }
}

pub(crate) type Resolved = (Vec<EdgeId>, Option<f64>, String);

pub(crate) fn resolve_target(
    net: &RoadNetwork,
    t: &Target,
    links: &HashMap<String, Vec<EdgeId>>,
) -> std::result::Result<Resolved, String> {
    match t {
        Target::Street(a) => resolve_street(net, a).map(|(e, m, s)| (e, Some(m), s)),
        Target::Link { link } => match links.get(link) {
            Some(e) if !e.is_empty() => Ok((e.clone(), None, format!("planned link {link}"))),
            _ => Err(format!("planned link {link} is not in the network")),
        },
        Target::Edges { edges } => {
            if let Some(bad) = edges.iter().find(|e| e.index() >= net.edge_count()) {
                return Err(format!(
                    "edge {bad} does not exist ({} edges)",
                    net.edge_count()
                ));
            }
            Ok((edges.clone(), Some(0.0), String::new()))
        }
    }
}

/// Checks that a work's explicit edge targets exist on `net` (user edits): `NotFound` names the
/// first missing edge.
pub fn check_edges(net: &RoadNetwork, w: &Work) -> Result<()> {
    for e in &w.effects {
        if let Target::Edges { edges } = &e.target {
            for &id in edges {
                net.try_edge(id)?;
            }
        }
    }
    Ok(())
}

fn describe_effect(k: usize, e: &Effect) -> String {
    let action = match &e.action {
        Action::Close => "close".to_string(),
        Action::CutLanes { lanes } => format!("cut {lanes} lane(s)"),
        Action::SetSpeed { speed_kmh } => format!("speed {speed_kmh} km/h"),
        Action::SetLanes { lanes } => format!("set {lanes} lanes"),
        Action::AddLanes { lanes } => format!("add {lanes} lane(s)"),
        Action::ScaleCapacity { factor } => format!("capacity ×{factor}"),
        Action::OpenLink => "open".to_string(),
        Action::Remove => "remove".to_string(),
    };
    let target = match &e.target {
        Target::Street(a) => a.streets.join("/"),
        Target::Link { link } => link.clone(),
        Target::Edges { edges } => format!("{} edge(s)", edges.len()),
    };
    let phase = match e.phase {
        super::Phase::Construction => "during construction",
        super::Phase::Completion => "after completion",
    };
    format!("effect {} {phase}: {action} {target}", k + 1)
}

/// Unique edge ids, both directions of every two-way road included.
pub fn with_twins(net: &RoadNetwork, edges: &[EdgeId]) -> Vec<EdgeId> {
    let mut set: HashSet<EdgeId> = HashSet::with_capacity(edges.len() * 2);
    for &e in edges {
        set.insert(e);
        if let Some(t) = net.edge(e).twin {
            set.insert(t);
        }
    }
    let mut v: Vec<EdgeId> = set.into_iter().collect();
    v.sort_unstable();
    v
}

/// Checks a link list: unique ids, valid coordinates, lanes and speeds.
pub fn validate_links(links: &[PlannedLink]) -> Result<()> {
    let mut seen = HashSet::new();
    for l in links {
        if !seen.insert(l.id.as_str()) {
            return Err(Error::invalid(format!(
                "planned link {} appears twice",
                l.id
            )));
        }
        if l.lanes == 0 || !(l.speed_kmh > 0.0 && l.speed_kmh <= 200.0) {
            return Err(Error::invalid(format!(
                "planned link {}: lanes must be ≥ 1 and speed in (0, 200] km/h",
                l.id
            )));
        }
        for c in [l.from.at, l.to.at].iter().chain(&l.via).chain(&l.across) {
            if !crate::network::geom::valid_lon_lat(c[0], c[1]) {
                return Err(Error::invalid(format!(
                    "planned link {}: coordinate {},{} is not a valid lon/lat",
                    l.id, c[0], c[1]
                )));
            }
        }
    }
    Ok(())
}

/// The junction a choke point stands at on `net` (the nearest node of its streets within
/// 500 m of its position), if it attaches.
pub fn hotspot_junction(net: &RoadNetwork, h: &Hotspot) -> Option<NodeId> {
    resolve_hotspot(net, h).ok().map(|(n, _)| n)
}

/// The junction of a choke point on `net`: the node of its streets nearest its position,
/// with the attachment report item (or the item saying why it did not attach).
pub(crate) fn resolve_hotspot(
    net: &RoadNetwork,
    h: &Hotspot,
) -> std::result::Result<(NodeId, AttachItem), Box<AttachItem>> {
    let anchor = StreetAnchor {
        streets: h.streets.clone(),
        from: h.at,
        to: None,
        radius_m: 500.0,
    };
    let item = |matched: bool, street: String, moved: Option<f64>, note: String| AttachItem {
        record: h.id.to_string(),
        what: format!("choke point {}", h.name_zh),
        matched,
        street,
        edges: usize::from(matched),
        moved_m: moved,
        note,
    };
    match resolve_street(net, &anchor) {
        Ok((edges, _, street)) => {
            let p = geo_types::Point::new(h.at[0], h.at[1]);
            let mut best: Option<(f64, NodeId)> = None;
            for &e in &edges {
                let ed = net.edge(e);
                for n in [ed.from, ed.to] {
                    let d = crate::network::geom::haversine_m(p, net.node(n).point());
                    if best.is_none_or(|b| d < b.0) {
                        best = Some((d, n));
                    }
                }
            }
            let (d, n) =
                best.ok_or_else(|| Box::new(item(false, String::new(), None, "no node".into())))?;
            Ok((n, item(true, street, Some(d), String::new())))
        }
        Err(why) => Err(Box::new(item(false, String::new(), None, why))),
    }
}

/// Narrows a resolved street effect to one direction of the street, when it asks for one.
/// An anchor whose street has no edge running that way is an attachment failure.
pub(crate) fn one_direction(
    net: &RoadNetwork,
    e: &Effect,
    r: Resolved,
) -> std::result::Result<Resolved, String> {
    let (Some(dir), Target::Street(a)) = (e.direction, &e.target) else {
        return Ok(r);
    };
    let Some(to) = a.to else { return Ok(r) };
    let (edges, moved, street) = r;
    let kept = super::schedule::keep_direction(net, &edges, a.from, to, dir);
    if kept.is_empty() {
        return Err(format!(
            "no edge of {street} runs {} (from → to of the anchor) near it",
            if dir == super::Direction::Forward {
                "forward"
            } else {
                "backward"
            }
        ));
    }
    Ok((kept, moved, street))
}

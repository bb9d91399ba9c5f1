//! Traffic choke points (堵点): the one the plan names (Nanyang East Road, `seed:P6`) and the
//! ones a model identifies on the network.
//!
//! Identification ([`identify`]) ranks junctions by a per-edge score. The score function is a
//! seam: [`demand_proxy_scores`] computes a volume-over-capacity proxy from a gravity demand
//! and all-or-nothing shortest paths; the assignment module can pass its own v/c instead.

pub use crate::ids::HotspotId;
use crate::ids::{LonLat, WorkId};
use crate::network::geom::haversine_m;
use crate::network::{EdgeId, Metric, NodeId, RoadNetwork};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// What kind of choke point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HotspotKind {
    /// A junction.
    Intersection,
    /// The approach to a bridge.
    BridgeApproach,
    /// A narrow stretch of road.
    Bottleneck,
    /// A level crossing or rail underpass.
    RailCrossing,
}

/// Where a choke point stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HotspotStatus {
    /// Congested, no work yet.
    Congested,
    /// The work opening it is under way.
    BeingOpened,
    /// Opened.
    Opened,
}

impl HotspotKind {
    /// Snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            HotspotKind::Intersection => "intersection",
            HotspotKind::BridgeApproach => "bridge_approach",
            HotspotKind::Bottleneck => "bottleneck",
            HotspotKind::RailCrossing => "rail_crossing",
        }
    }
}

impl HotspotStatus {
    /// Snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            HotspotStatus::Congested => "congested",
            HotspotStatus::BeingOpened => "being_opened",
            HotspotStatus::Opened => "opened",
        }
    }
}

impl std::str::FromStr for HotspotStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "congested" => Ok(HotspotStatus::Congested),
            "being_opened" => Ok(HotspotStatus::BeingOpened),
            "opened" => Ok(HotspotStatus::Opened),
            _ => Err(Error::invalid(format!(
                "hotspot status '{s}' is not one of: congested, being_opened, opened"
            ))),
        }
    }
}

/// Measured or modelled figures of a choke point (absent until known).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Measures {
    /// Volume over capacity (model proxy or assignment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vc_ratio: Option<f64>,
    /// Delay in seconds per vehicle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_s: Option<f64>,
    /// How the figures were obtained (`model:<method>`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// A choke point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hotspot {
    /// Id.
    pub id: HotspotId,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Kind.
    pub kind: HotspotKind,
    /// Approximate position (a junction).
    pub at: LonLat,
    /// Streets meeting there (the anchor for other networks).
    pub streets: Vec<String>,
    /// `seed:P6` for the named one, `model:<method>` for the others.
    pub evidence: String,
    /// Status.
    pub status: HotspotStatus,
    /// The work that opens it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_by: Option<WorkId>,
    /// Figures.
    #[serde(default)]
    pub measures: Measures,
    /// Rank among the model candidates (1 = worst), if model-identified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// Optimistic-concurrency version.
    #[serde(default)]
    pub version: u64,
}

impl Hotspot {
    /// Checks id, names, coordinate, streets and evidence.
    pub fn validate(&self) -> Result<()> {
        HotspotId::parse(self.id.as_str())?;
        if self.name_zh.trim().is_empty() && self.name_en.trim().is_empty() {
            return Err(Error::invalid(format!("hotspot {} has no name", self.id)));
        }
        if !crate::network::geom::valid_lon_lat(self.at[0], self.at[1]) {
            return Err(Error::invalid(format!(
                "hotspot {}: {},{} is not a valid lon/lat",
                self.id, self.at[0], self.at[1]
            )));
        }
        if !(self.evidence.starts_with("seed:") || self.evidence.starts_with("model:")) {
            return Err(Error::invalid(format!(
                "hotspot {}: evidence must be seed:… or model:…",
                self.id
            )));
        }
        Ok(())
    }
}

/// A candidate choke point found by [`identify`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// Rank (1 = worst).
    pub rank: u32,
    /// The junction.
    pub node: NodeId,
    /// Its position.
    pub at: LonLat,
    /// The worst edge entering it.
    pub edge: EdgeId,
    /// The score of that edge (v/c or proxy).
    pub score: f64,
    /// Names of the streets meeting there (Chinese, else English).
    pub streets: Vec<String>,
    /// English names of those streets, same order (empty where unknown).
    pub streets_en: Vec<String>,
    /// Bridge approach or intersection.
    pub kind: HotspotKind,
}

/// Ranks junctions by the worst score of the edges entering them and keeps the best `n`, at
/// least `min_sep_m` apart (one choke point per junction cluster). `scores` is per edge
/// (index = `EdgeId`); non-finite or planned edges are ignored. This is the seam the
/// assignment module uses with real v/c.
pub fn identify(
    net: &RoadNetwork,
    scores: &[f64],
    n: usize,
    min_sep_m: f64,
) -> Result<Vec<Candidate>> {
    if scores.len() != net.edge_count() {
        return Err(Error::invalid(format!(
            "{} scores for {} edges",
            scores.len(),
            net.edge_count()
        )));
    }
    let mut per_node: Vec<(f64, EdgeId)> = vec![(f64::NEG_INFINITY, EdgeId(0)); net.node_count()];
    for (i, e) in net.edges().iter().enumerate() {
        let s = scores[i];
        if e.planned || !s.is_finite() {
            continue;
        }
        let slot = &mut per_node[e.to.index()];
        if s > slot.0 {
            *slot = (s, EdgeId::from_index(i));
        }
    }
    let mut order: Vec<usize> = (0..net.node_count())
        .filter(|&i| per_node[i].0.is_finite() && per_node[i].0 > 0.0)
        .collect();
    order.sort_by(|&a, &b| per_node[b].0.total_cmp(&per_node[a].0).then(a.cmp(&b)));
    let mut out: Vec<Candidate> = Vec::new();
    for i in order {
        if out.len() >= n {
            break;
        }
        let node = NodeId::from_index(i);
        let p = net.node(node).point();
        if out
            .iter()
            .any(|c| haversine_m(p, geo_types::Point::new(c.at[0], c.at[1])) < min_sep_m)
        {
            continue;
        }
        let (score, edge) = per_node[i];
        let mut pairs: Vec<(String, String)> = net
            .in_edges(node)
            .iter()
            .chain(net.out_edges(node))
            .filter(|&&e| !net.edge(e).planned)
            .map(|&e| {
                let st = net.street_of(e);
                (st.display_name().to_string(), st.name_en.clone())
            })
            .collect();
        pairs.sort();
        pairs.dedup_by(|a, b| a.0 == b.0);
        let (streets, streets_en): (Vec<String>, Vec<String>) = pairs.into_iter().unzip();
        let bridge = net
            .in_edges(node)
            .iter()
            .chain(net.out_edges(node))
            .any(|&e| net.edge(e).bridge && !net.edge(e).planned);
        out.push(Candidate {
            rank: out.len() as u32 + 1,
            node,
            at: [p.x(), p.y()],
            edge,
            score,
            streets,
            streets_en,
            kind: if bridge {
                HotspotKind::BridgeApproach
            } else {
                HotspotKind::Intersection
            },
        });
    }
    Ok(out)
}

/// Name of the demand-proxy method, as written into `evidence: model:<method>`.
pub const PROXY_METHOD: &str = "gravity-aon-vc-proxy";

/// Per-edge volume/capacity proxy: zones are the nodes nearest the centres of a `cell_m`
/// grid over the network; each zone's weight is the lane-kilometres of road within the cell
/// (a stand-in for activity, as no population data is available); demand between two zones is
/// `w_i · w_j / max(d_ij, 1 km)²` (gravity), scaled so the busiest edge carries 1.0 × its
/// capacity; demand is loaded all-or-nothing on free-flow shortest paths of the base state.
/// The result ranks edges by load relative to capacity; its absolute value is not a v/c.
pub fn demand_proxy_scores(net: &RoadNetwork, cell_m: f64) -> Result<Vec<f64>> {
    if cell_m.is_nan() || cell_m < 100.0 {
        return Err(Error::invalid(format!(
            "cell size {cell_m} m must be ≥ 100"
        )));
    }
    let Some(bb) = net.bbox() else {
        return Err(Error::EmptyNetwork("no nodes".into()));
    };
    let proj = crate::network::geom::LocalProjection::new(bb.center().x, bb.center().y);
    // Zone weights: lane-km per cell.
    let mut cells: std::collections::HashMap<(i64, i64), f64> = std::collections::HashMap::new();
    for e in net.edges() {
        if e.planned {
            continue;
        }
        let a = net.node(e.from);
        let p = proj.forward(geo_types::Coord { x: a.lon, y: a.lat });
        let key = (
            (p[0] / cell_m).floor() as i64,
            (p[1] / cell_m).floor() as i64,
        );
        *cells.entry(key).or_default() += e.lanes as f64 * e.length_m / 1000.0;
    }
    let weights = net.weights(Metric::Time);
    let snap = net.snap_index();
    let mut zones: Vec<(NodeId, f64, [f64; 2])> = Vec::new();
    let mut keys: Vec<_> = cells.into_iter().collect();
    keys.sort_by_key(|k| k.0);
    for ((cx, cy), w) in keys {
        let c = proj.inverse([(cx as f64 + 0.5) * cell_m, (cy as f64 + 0.5) * cell_m]);
        let Ok(s) = snap.snap_filtered(net, geo_types::Point::new(c.x, c.y), cell_m, |e| {
            !net.edge(e).planned
        }) else {
            continue;
        };
        let node = if s.frac < 0.5 {
            net.edge(s.edge).from
        } else {
            net.edge(s.edge).to
        };
        let n = net.node(node);
        zones.push((
            node,
            w,
            proj.forward(geo_types::Coord { x: n.lon, y: n.lat }),
        ));
    }
    let mut load = vec![0.0f64; net.edge_count()];
    let mut tree = crate::works::paths::Dijkstra::new(net.node_count());
    for &(o, wo, po) in &zones {
        tree.run(net, &weights, o, None);
        // Accumulate each destination's demand along its tree path, leaves first, so every
        // edge is touched once per origin.
        let mut node_demand = vec![0.0f64; 0];
        node_demand.resize(net.node_count(), 0.0);
        for &(d, wd, pd) in &zones {
            if d == o || !tree.dist(d).is_finite() {
                continue;
            }
            let dist_m = ((po[0] - pd[0]).powi(2) + (po[1] - pd[1]).powi(2)).sqrt();
            node_demand[d.index()] += wo * wd / dist_m.max(1000.0).powi(2);
        }
        for &v in tree.settled().iter().rev() {
            let dem = node_demand[v.index()];
            if dem == 0.0 {
                continue;
            }
            if let Some(e) = tree.pred_edge(v) {
                load[e.index()] += dem;
                node_demand[net.edge(e).from.index()] += dem;
            }
        }
    }
    let mut scores: Vec<f64> = load
        .iter()
        .zip(net.edges())
        .map(|(l, e)| {
            if e.planned {
                0.0
            } else {
                l / e.capacity_vph as f64
            }
        })
        .collect();
    let max = scores.iter().copied().fold(0.0, f64::max);
    if max > 0.0 {
        for s in &mut scores {
            *s /= max;
        }
    }
    Ok(scores)
}

/// A street's worst edge score (for ranking streets, e.g. which to widen).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreetScore {
    /// Chinese name (or the display name).
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// The highest score of its edges.
    pub score: f64,
    /// Its two extreme nodes along its longer bounding-box axis (for anchoring a work to it).
    pub extent: [LonLat; 2],
}

/// Streets ranked by the highest score of their edges (planned edges ignored), worst first.
pub fn street_scores(net: &RoadNetwork, scores: &[f64]) -> Result<Vec<StreetScore>> {
    if scores.len() != net.edge_count() {
        return Err(Error::invalid(format!(
            "{} scores for {} edges",
            scores.len(),
            net.edge_count()
        )));
    }
    let mut best: std::collections::BTreeMap<String, StreetScore> = Default::default();
    for (i, e) in net.edges().iter().enumerate() {
        if e.planned || !scores[i].is_finite() {
            continue;
        }
        let st = net.street(e.street);
        let name = st.display_name().to_string();
        let entry = best.entry(name.clone()).or_insert(StreetScore {
            name_zh: name,
            name_en: st.name_en.clone(),
            score: f64::NEG_INFINITY,
            extent: [
                [f64::INFINITY, f64::INFINITY],
                [f64::NEG_INFINITY, f64::NEG_INFINITY],
            ],
        });
        entry.score = entry.score.max(scores[i]);
        for n in [e.from, e.to] {
            let p = net.node(n);
            let x = &mut entry.extent;
            x[0] = [x[0][0].min(p.lon), x[0][1].min(p.lat)];
            x[1] = [x[1][0].max(p.lon), x[1][1].max(p.lat)];
        }
    }
    let mut v: Vec<StreetScore> = best.into_values().collect();
    for s in &mut v {
        // Keep the bbox corners as the extent ends: the source streets are nearly straight
        // E-W or N-S lines, so the corners lie on them within metres.
        let [a, b] = s.extent;
        if (b[0] - a[0]) * 0.75 > (b[1] - a[1]) {
            s.extent = [[a[0], (a[1] + b[1]) / 2.0], [b[0], (a[1] + b[1]) / 2.0]];
        } else {
            s.extent = [[(a[0] + b[0]) / 2.0, a[1]], [(a[0] + b[0]) / 2.0, b[1]]];
        }
    }
    v.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.name_zh.cmp(&b.name_zh)));
    Ok(v)
}

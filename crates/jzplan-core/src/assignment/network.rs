//! The compact network that assignment runs on: links sorted by tail node in CSR order, with
//! their BPR parameters in plain `f64` arrays. It is built from a TNTP network or from a jzplan
//! [`RoadNetwork`](crate::network::RoadNetwork) plus zones and centroid connectors (see
//! [`super::zones`]), and keeps for every link what it came from, so results map back.

use super::{LinkId, ZoneId};
use crate::io::tntp::{TntpLink, TntpNetwork};
use crate::network::EdgeId;
use crate::{Error, Result};

/// What an assignment link stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    /// A link of a TNTP file: its tail and head node numbers (1-based, as in the file).
    Tntp {
        /// Tail node number.
        init: u32,
        /// Head node number.
        term: u32,
    },
    /// A directed edge of a road network.
    Road(EdgeId),
    /// A centroid connector of a zone (no road behind it).
    Connector(ZoneId),
}

/// One link before the network is built (0-based node indices).
#[derive(Clone, Debug, PartialEq)]
pub struct LinkSpec {
    /// Tail node index.
    pub from: u32,
    /// Head node index.
    pub to: u32,
    /// Free-flow time (any unit; the road-network builder uses seconds). May be 0.
    pub free_flow_time: f64,
    /// Capacity in demand units per period; may be 0 or infinite only when the link has no
    /// congestion term (`alpha == 0` or `free_flow_time == 0`).
    pub capacity: f64,
    /// BPR alpha.
    pub alpha: f64,
    /// BPR beta (power).
    pub beta: f64,
    /// Length (any unit; the road-network builder uses metres).
    pub length: f64,
    /// Toll.
    pub toll: f64,
    /// What the link is.
    pub kind: LinkKind,
}

impl LinkSpec {
    /// A TNTP link `from → to` (0-based; numbered `from + 1 → to + 1` in the files) with the
    /// standard BPR curve (α 0.15, β 4), no toll and its free-flow time as its length.
    pub fn tntp_bpr(from: u32, to: u32, free_flow_time: f64, capacity: f64) -> LinkSpec {
        LinkSpec {
            from,
            to,
            free_flow_time,
            capacity,
            alpha: 0.15,
            beta: 4.0,
            length: free_flow_time,
            toll: 0.0,
            kind: LinkKind::Tntp {
                init: from + 1,
                term: to + 1,
            },
        }
    }
}

/// A network prepared for assignment.
///
/// Links are stored in CSR order (sorted by tail node, stable), which is what Dijkstra scans;
/// every public method takes and returns link data in the *input* order (`LinkId`).
#[derive(Clone, Debug)]
pub struct AssignNetwork {
    pub(crate) n_nodes: usize,
    pub(crate) n_zones: usize,
    /// Nodes with an index below this are centroids: paths may not pass through them.
    pub(crate) first_thru: usize,
    pub(crate) toll_factor: f64,
    pub(crate) distance_factor: f64,
    pub(crate) offsets: Vec<u32>,
    pub(crate) tail: Vec<u32>,
    pub(crate) head: Vec<u32>,
    pub(crate) t0: Vec<f64>,
    pub(crate) capacity: Vec<f64>,
    pub(crate) alpha: Vec<f64>,
    pub(crate) beta: Vec<f64>,
    pub(crate) length: Vec<f64>,
    pub(crate) toll: Vec<f64>,
    /// Flow-independent part of the generalized cost: toll and distance terms.
    pub(crate) fixed: Vec<f64>,
    /// Internal (CSR) index → input index.
    pub(crate) to_input: Vec<u32>,
    /// Input index → internal index.
    pub(crate) to_internal: Vec<u32>,
    pub(crate) kinds: Vec<LinkKind>,
    pub(crate) zone_names: Vec<String>,
}

impl AssignNetwork {
    /// Builds a network. Zones are nodes `0..zone_names.len()`; nodes below `first_thru` are
    /// centroids that paths may start and end at but not pass through. The generalized cost of
    /// a link is `t(v) + toll_factor * toll + distance_factor * length`.
    pub fn new(
        n_nodes: usize,
        zone_names: Vec<String>,
        first_thru: usize,
        toll_factor: f64,
        distance_factor: f64,
        links: Vec<LinkSpec>,
    ) -> Result<AssignNetwork> {
        let n_zones = zone_names.len();
        if n_zones == 0 {
            return Err(Error::EmptyNetwork(
                "assignment network has no zones".into(),
            ));
        }
        if links.is_empty() {
            return Err(Error::EmptyNetwork(
                "assignment network has no links".into(),
            ));
        }
        if n_zones > n_nodes {
            return Err(Error::invalid(format!(
                "{n_zones} zones but only {n_nodes} nodes"
            )));
        }
        if n_nodes >= u32::MAX as usize || links.len() >= u32::MAX as usize {
            return Err(Error::TooBig(format!(
                "{n_nodes} nodes / {} links exceed the u32 index range",
                links.len()
            )));
        }
        for (f, name) in [
            (toll_factor, "toll factor"),
            (distance_factor, "distance factor"),
        ] {
            if !f.is_finite() || f < 0.0 {
                return Err(Error::invalid(format!(
                    "{name} {f} must be finite and >= 0"
                )));
            }
        }
        for (i, l) in links.iter().enumerate() {
            let bad = |m: String| Error::invalid(format!("link {i} ({:?}): {m}", l.kind));
            if l.from as usize >= n_nodes || l.to as usize >= n_nodes {
                return Err(bad(format!(
                    "node {}→{} outside 0..{n_nodes}",
                    l.from, l.to
                )));
            }
            for (name, v) in [
                ("free_flow_time", l.free_flow_time),
                ("alpha", l.alpha),
                ("beta", l.beta),
                ("length", l.length),
                ("toll", l.toll),
            ] {
                if !v.is_finite() || v < 0.0 {
                    return Err(bad(format!("{name} {v} must be finite and >= 0")));
                }
            }
            let congests = l.alpha > 0.0 && l.free_flow_time > 0.0;
            if l.capacity.is_nan()
                || l.capacity < 0.0
                || (congests && !(l.capacity > 0.0 && l.capacity.is_finite()))
            {
                return Err(bad(format!(
                    "capacity {} must be positive and finite on a link with a congestion term",
                    l.capacity
                )));
            }
        }
        let m = links.len();
        let mut order: Vec<u32> = (0..m as u32).collect();
        order.sort_by_key(|&i| links[i as usize].from);
        let mut offsets = vec![0u32; n_nodes + 1];
        for l in &links {
            offsets[l.from as usize + 1] += 1;
        }
        for i in 0..n_nodes {
            offsets[i + 1] += offsets[i];
        }
        let mut to_internal = vec![0u32; m];
        for (k, &i) in order.iter().enumerate() {
            to_internal[i as usize] = k as u32;
        }
        let pick = |f: &dyn Fn(&LinkSpec) -> f64| -> Vec<f64> {
            order.iter().map(|&i| f(&links[i as usize])).collect()
        };
        let t0 = pick(&|l| l.free_flow_time);
        let capacity = pick(&|l| l.capacity);
        let alpha = pick(&|l| l.alpha);
        let beta = pick(&|l| l.beta);
        let length = pick(&|l| l.length);
        let toll = pick(&|l| l.toll);
        let fixed = (0..m)
            .map(|k| toll_factor * toll[k] + distance_factor * length[k])
            .collect();
        Ok(AssignNetwork {
            n_nodes,
            n_zones,
            first_thru: first_thru.min(n_nodes),
            toll_factor,
            distance_factor,
            offsets,
            tail: order.iter().map(|&i| links[i as usize].from).collect(),
            head: order.iter().map(|&i| links[i as usize].to).collect(),
            t0,
            capacity,
            alpha,
            beta,
            length,
            toll,
            fixed,
            kinds: links.iter().map(|l| l.kind).collect(),
            to_input: order,
            to_internal,
            zone_names,
        })
    }

    /// Builds the network of a TNTP file (zones are nodes `1..=zones`, named by their number).
    pub fn from_tntp(t: &TntpNetwork) -> Result<AssignNetwork> {
        let links = t
            .links
            .iter()
            .map(|l| LinkSpec {
                from: l.init_node - 1,
                to: l.term_node - 1,
                free_flow_time: l.free_flow_time,
                capacity: l.capacity,
                alpha: l.b,
                beta: l.power,
                length: l.length,
                toll: l.toll,
                kind: LinkKind::Tntp {
                    init: l.init_node,
                    term: l.term_node,
                },
            })
            .collect();
        AssignNetwork::new(
            t.nodes as usize,
            (1..=t.zones).map(|z| z.to_string()).collect(),
            (t.first_thru_node as usize).saturating_sub(1),
            t.toll_factor,
            t.distance_factor,
            links,
        )
        .map_err(|e| match e {
            Error::InvalidInput(m) => Error::file(&t.path, "links", m),
            other => other,
        })
    }

    /// The network as a TNTP network (links in input order, nodes numbered from 1, zones
    /// first), for [`crate::io::tntp::format_net`]. Centroids are not through nodes exactly
    /// when the network says so for all of them (`<FIRST THRU NODE>` is then `zones + 1`).
    pub fn to_tntp(&self, path: &std::path::Path) -> TntpNetwork {
        let links = (0..self.link_count())
            .map(|i| {
                let k = self.to_internal[i] as usize;
                TntpLink {
                    init_node: self.tail[k] + 1,
                    term_node: self.head[k] + 1,
                    capacity: self.capacity[k],
                    length: self.length[k],
                    free_flow_time: self.t0[k],
                    b: self.alpha[k],
                    power: self.beta[k],
                    speed: 0.0,
                    toll: self.toll[k],
                    link_type: 1,
                    line: 0,
                }
            })
            .collect();
        TntpNetwork {
            zones: self.n_zones as u32,
            nodes: self.n_nodes as u32,
            first_thru_node: self.first_thru as u32 + 1,
            toll_factor: self.toll_factor,
            distance_factor: self.distance_factor,
            links,
            metadata: Default::default(),
            path: path.to_path_buf(),
        }
    }

    /// Weight of tolls in the generalized cost.
    pub fn toll_factor(&self) -> f64 {
        self.toll_factor
    }
    /// Weight of length in the generalized cost.
    pub fn distance_factor(&self) -> f64 {
        self.distance_factor
    }
    /// Toll of a link.
    pub fn toll(&self, l: LinkId) -> f64 {
        self.toll[self.to_internal[l.index()] as usize]
    }
    /// Number of nodes (zones included).
    pub fn node_count(&self) -> usize {
        self.n_nodes
    }
    /// Number of links.
    pub fn link_count(&self) -> usize {
        self.tail.len()
    }
    /// Number of zones.
    pub fn zone_count(&self) -> usize {
        self.n_zones
    }
    /// Zone names, indexed by `ZoneId`.
    pub fn zone_names(&self) -> &[String] {
        &self.zone_names
    }
    /// The zone of a name.
    pub fn zone_by_name(&self, name: &str) -> Option<ZoneId> {
        self.zone_names
            .iter()
            .position(|z| z == name)
            .map(|i| ZoneId(i as u32))
    }
    /// What a link stands for.
    pub fn link_kind(&self, l: LinkId) -> LinkKind {
        self.kinds[l.index()]
    }
    /// All link kinds in input order.
    pub fn link_kinds(&self) -> &[LinkKind] {
        &self.kinds
    }
    /// Tail and head node indices of a link.
    pub fn link_ends(&self, l: LinkId) -> (u32, u32) {
        let k = self.to_internal[l.index()] as usize;
        (self.tail[k], self.head[k])
    }
    /// Capacity of a link.
    pub fn capacity(&self, l: LinkId) -> f64 {
        self.capacity[self.to_internal[l.index()] as usize]
    }
    /// Free-flow time of a link.
    pub fn free_flow_time(&self, l: LinkId) -> f64 {
        self.t0[self.to_internal[l.index()] as usize]
    }
    /// Length of a link.
    pub fn length(&self, l: LinkId) -> f64 {
        self.length[self.to_internal[l.index()] as usize]
    }
    /// The first link of a TNTP file from node `init` to node `term` (1-based numbers).
    pub fn tntp_link(&self, init: u32, term: u32) -> Option<LinkId> {
        self.kinds
            .iter()
            .position(|k| *k == LinkKind::Tntp { init, term })
            .map(|i| LinkId(i as u32))
    }
    /// The link of a road edge, if the edge is in this network (closed edges are not).
    pub fn road_link(&self, e: EdgeId) -> Option<LinkId> {
        self.kinds
            .iter()
            .position(|k| *k == LinkKind::Road(e))
            .map(|i| LinkId(i as u32))
    }

    /// Reorders an internal (CSR-order) per-link vector into input order.
    pub(crate) fn to_input_order(&self, v: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; v.len()];
        for (k, &i) in self.to_input.iter().enumerate() {
            out[i as usize] = v[k];
        }
        out
    }
    /// Reorders an input-order per-link vector into CSR order.
    pub(crate) fn to_internal_order(&self, v: &[f64]) -> Vec<f64> {
        self.to_input.iter().map(|&i| v[i as usize]).collect()
    }
}

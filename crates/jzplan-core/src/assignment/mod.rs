//! Static user-equilibrium traffic assignment.
//!
//! The network is a compact [`AssignNetwork`] (CSR arrays of `f64`), built from a TNTP file
//! ([`AssignNetwork::from_tntp`]) or from a jzplan road network with zones and centroid
//! connectors ([`zones::road_assign_network`]). Link cost is BPR, `t = t0 (1 + α (v/c)^β)`,
//! plus the flow-independent generalized terms `toll_factor · toll + distance_factor · length`.
//!
//! Algorithms ([`Algorithm`]): all-or-nothing, MSA, Frank-Wolfe with an exact line search,
//! conjugate and biconjugate Frank-Wolfe (Mitradjieva & Lindberg 2013), each iteration one
//! shortest-path tree per origin, in parallel; and the bush-based Algorithm B (Dial 2006),
//! which moves flow between the longest and shortest paths of each origin's acyclic bush and
//! reaches gaps of 1e-8 and below. Convergence is measured by the
//! relative gap `(TSTT − SPTT) / TSTT` at the current flows; the run stops at the target gap
//! or at the iteration limit (then [`AssignmentResult::converged`] is false and
//! [`AssignmentResult::ensure_converged`] turns it into [`Error::NotConverged`]).
//!
//! ```
//! use jzplan_core::assignment::{assign, AssignNetwork, AssignOptions, LinkKind, LinkSpec, OdMatrix};
//! // Two zones joined by two parallel roads (through node 2 and node 3).
//! let road = |from, to, t0, cap| LinkSpec {
//!     from, to, free_flow_time: t0, capacity: cap, alpha: 0.15, beta: 4.0,
//!     length: t0, toll: 0.0, kind: LinkKind::Connector(jzplan_core::assignment::ZoneId(0)),
//! };
//! let links = vec![road(0, 2, 10.0, 100.0), road(2, 1, 0.0, 0.0),
//!                  road(0, 3, 12.0, 200.0), road(3, 1, 0.0, 0.0)];
//! let net = AssignNetwork::new(4, vec!["A".into(), "B".into()], 2, 0.0, 0.0, links).unwrap();
//! let mut od = OdMatrix::new(2);
//! od.set(0, 1, 300.0).unwrap();
//! let r = assign(&net, &od, &AssignOptions::default()).unwrap();
//! assert!(r.converged);
//! // At equilibrium both used routes cost the same.
//! assert!((r.time[0] - r.time[2]).abs() < 1e-3);
//! ```

pub mod bpr;
mod bush;
mod generalized;
pub mod network;
pub mod odme;
pub mod paths;
pub mod periods;
pub mod solver;
pub mod supply;
pub mod synthetic;
pub mod zones;

pub use network::{AssignNetwork, LinkKind, LinkSpec};
pub use paths::{SelectLinkPair, Skims};
pub use solver::{assign, assign_with_progress};

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

/// A link of an [`AssignNetwork`] (its index in the order the links were given).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LinkId(pub u32);

/// A traffic zone (index into the zone list; zone `i` is node `i` of the network).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ZoneId(pub u32);

impl LinkId {
    /// As an array index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}
impl ZoneId {
    /// As an array index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}
impl fmt::Display for LinkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl fmt::Display for ZoneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A dense origin-destination demand matrix (demand units per period, e.g. vehicles per hour).
#[derive(Clone, Debug, PartialEq)]
pub struct OdMatrix {
    zones: usize,
    data: Vec<f64>,
}

impl OdMatrix {
    /// An all-zero matrix.
    pub fn new(zones: usize) -> OdMatrix {
        OdMatrix {
            zones,
            data: vec![0.0; zones * zones],
        }
    }
    /// From row-major data; every entry must be finite and not negative.
    pub fn from_dense(zones: usize, data: Vec<f64>) -> Result<OdMatrix> {
        if data.len() != zones * zones {
            return Err(Error::invalid(format!(
                "OD matrix of {zones} zones needs {} entries, got {}",
                zones * zones,
                data.len()
            )));
        }
        if let Some(i) = data.iter().position(|v| !v.is_finite() || *v < 0.0) {
            return Err(Error::invalid(format!(
                "OD demand {} for pair ({}, {}) must be finite and not negative",
                data[i],
                i / zones,
                i % zones
            )));
        }
        Ok(OdMatrix { zones, data })
    }
    /// From a TNTP trips file.
    pub fn from_tntp(t: &crate::io::tntp::TntpTrips) -> Result<OdMatrix> {
        OdMatrix::from_dense(t.zones as usize, t.demand.clone())
    }
    /// As a TNTP trips file (for [`crate::io::tntp::format_trips`]).
    pub fn to_tntp(&self, path: &Path) -> crate::io::tntp::TntpTrips {
        crate::io::tntp::TntpTrips {
            zones: self.zones as u32,
            demand: self.data.clone(),
            total_od_flow: Some(self.total()),
            path: path.to_path_buf(),
        }
    }
    /// Number of zones.
    pub fn zones(&self) -> usize {
        self.zones
    }
    /// Demand of one pair (0-based zone indices).
    pub fn get(&self, o: usize, d: usize) -> f64 {
        self.data[o * self.zones + d]
    }
    /// Sets the demand of one pair.
    pub fn set(&mut self, o: usize, d: usize, v: f64) -> Result<()> {
        if o >= self.zones || d >= self.zones {
            return Err(Error::not_found("zone", format!("({o}, {d})")));
        }
        if !v.is_finite() || v < 0.0 {
            return Err(Error::invalid(format!(
                "demand {v} must be finite and not negative"
            )));
        }
        self.data[o * self.zones + d] = v;
        Ok(())
    }
    /// The demand row of an origin.
    pub fn row(&self, o: usize) -> &[f64] {
        &self.data[o * self.zones..(o + 1) * self.zones]
    }
    /// Row-major data.
    pub fn data(&self) -> &[f64] {
        &self.data
    }
    /// Total demand (intrazonal included).
    pub fn total(&self) -> f64 {
        self.data.iter().sum()
    }
    /// Multiplies every entry by `f` (≥ 0).
    pub fn scale(&mut self, f: f64) -> Result<()> {
        if !f.is_finite() || f < 0.0 {
            return Err(Error::invalid(format!("scale factor {f} must be >= 0")));
        }
        self.data.iter_mut().for_each(|v| *v *= f);
        Ok(())
    }

    /// Reads a CSV matrix with a header naming an origin column (`origin`/`o`/`from`), a
    /// destination column (`destination`/`d`/`to`) and a demand column
    /// (`trips`/`demand`/`flow`/`volume`); zones are matched by name against `zone_names`.
    /// Repeated pairs add up.
    pub fn read_csv(path: &Path, zone_names: &[String]) -> Result<OdMatrix> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        OdMatrix::parse_csv(path, file, zone_names)
    }

    /// Parses a CSV matrix (see [`OdMatrix::read_csv`]); `path` is used in messages.
    pub fn parse_csv(
        path: &Path,
        reader: impl std::io::Read,
        zone_names: &[String],
    ) -> Result<OdMatrix> {
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(reader);
        let headers = rdr
            .headers()
            .map_err(|e| Error::file(path, "line 1", format!("header: {e}")))?
            .clone();
        let find = |names: &[&str], what: &str| -> Result<usize> {
            headers
                .iter()
                .position(|h| names.contains(&h.to_ascii_lowercase().as_str()))
                .ok_or_else(|| {
                    Error::file(
                        path,
                        "line 1",
                        format!("no {what} column (one of: {})", names.join(", ")),
                    )
                })
        };
        let oc = find(&["origin", "o", "from", "orig"], "origin")?;
        let dc = find(&["destination", "d", "to", "dest"], "destination")?;
        let vc = find(&["trips", "demand", "flow", "volume"], "demand")?;
        let index: std::collections::HashMap<&str, usize> = zone_names
            .iter()
            .enumerate()
            .map(|(i, z)| (z.as_str(), i))
            .collect();
        let n = zone_names.len();
        let mut m = OdMatrix::new(n);
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| Error::file(path, format!("line {line}"), e.to_string()))?;
            let get = |c: usize, name: &str| -> Result<&str> {
                rec.get(c).ok_or_else(|| {
                    Error::file(
                        path,
                        format!("line {line}"),
                        format!("field '{name}' is missing"),
                    )
                })
            };
            let zone = |c: usize, name: &str| -> Result<usize> {
                let z = get(c, name)?;
                index.get(z).copied().ok_or_else(|| {
                    Error::file(
                        path,
                        format!("line {line}"),
                        format!("field '{name}': zone '{z}' does not exist in the network"),
                    )
                })
            };
            let o = zone(oc, "origin")?;
            let d = zone(dc, "destination")?;
            let raw = get(vc, "demand")?;
            let v: f64 = raw.parse().map_err(|_| {
                Error::file(
                    path,
                    format!("line {line}"),
                    format!("field 'demand': '{raw}' is not a number"),
                )
            })?;
            if !v.is_finite() || v < 0.0 {
                return Err(Error::file(
                    path,
                    format!("line {line}"),
                    format!("field 'demand': {v} must be finite and not negative"),
                ));
            }
            m.data[o * n + d] += v;
        }
        Ok(m)
    }

    /// Writes the non-zero entries as `origin,destination,trips` CSV.
    pub fn write_csv(&self, path: &Path, zone_names: &[String]) -> Result<()> {
        let mut w = csv::Writer::from_path(path).map_err(|e| Error::io(path, e.into()))?;
        let io = |e: csv::Error| Error::io(path, e.into());
        w.write_record(["origin", "destination", "trips"])
            .map_err(io)?;
        for o in 0..self.zones {
            for d in 0..self.zones {
                let v = self.get(o, d);
                if v > 0.0 {
                    w.write_record([&zone_names[o], &zone_names[d], &format!("{v:.3}")])
                        .map_err(io)?;
                }
            }
        }
        w.flush().map_err(|e| Error::io(path, e))
    }
}

/// The equilibrium algorithm.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// All-or-nothing on free-flow costs (one iteration, no equilibrium).
    Aon,
    /// Method of successive averages (step 1/k).
    Msa,
    /// Frank-Wolfe with exact line search.
    Fw,
    /// Conjugate Frank-Wolfe.
    Cfw,
    /// Biconjugate Frank-Wolfe.
    #[default]
    Bfw,
    /// Algorithm B (Dial 2006): bush-based, converges to tight gaps (1e-8 and below).
    #[serde(rename = "algb")]
    AlgB,
}

impl Algorithm {
    /// All algorithms.
    pub const ALL: [Algorithm; 6] = [
        Algorithm::Aon,
        Algorithm::Msa,
        Algorithm::Fw,
        Algorithm::Cfw,
        Algorithm::Bfw,
        Algorithm::AlgB,
    ];
    /// Short name (`aon`, `msa`, `fw`, `cfw`, `bfw`, `algb`).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Aon => "aon",
            Algorithm::Msa => "msa",
            Algorithm::Fw => "fw",
            Algorithm::Cfw => "cfw",
            Algorithm::Bfw => "bfw",
            Algorithm::AlgB => "algb",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Algorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "aon" | "all-or-nothing" => Algorithm::Aon,
            "msa" => Algorithm::Msa,
            "fw" | "frank-wolfe" => Algorithm::Fw,
            "cfw" => Algorithm::Cfw,
            "bfw" => Algorithm::Bfw,
            "algb" | "algorithm-b" | "bush" => Algorithm::AlgB,
            _ => {
                return Err(Error::invalid(format!(
                    "algorithm '{s}' is not one of: aon, msa, fw, cfw, bfw, algb"
                )));
            }
        })
    }
}

/// Options of an assignment run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssignOptions {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// Target relative gap.
    pub target_gap: f64,
    /// Iteration limit (one iteration = one all-or-nothing loading).
    pub max_iterations: usize,
}

impl Default for AssignOptions {
    fn default() -> Self {
        AssignOptions {
            algorithm: Algorithm::Bfw,
            target_gap: 1e-4,
            max_iterations: 500,
        }
    }
}

/// What one iteration reached (passed to the progress callback and kept in the result).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct IterationInfo {
    /// Iteration number (1 = the initial all-or-nothing).
    pub iteration: usize,
    /// Relative gap of the flows of this iteration.
    pub relative_gap: f64,
    /// Step size taken after measuring the gap (0 when the run stops here).
    pub step: f64,
    /// Beckmann objective of the flows of this iteration.
    pub objective: f64,
}

/// The outcome of an assignment. Per-link vectors are in the network's link order
/// ([`LinkId`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AssignmentResult {
    /// Algorithm used.
    pub algorithm: Algorithm,
    /// Iterations run.
    pub iterations: usize,
    /// Relative gap reached.
    pub relative_gap: f64,
    /// Target gap asked for.
    pub target_gap: f64,
    /// True when the target gap was reached.
    pub converged: bool,
    /// Link volumes.
    pub volume: Vec<f64>,
    /// Congested (BPR) travel time of each link at its volume.
    pub time: Vec<f64>,
    /// Generalized cost of each link (time + toll and distance terms).
    pub cost: Vec<f64>,
    /// Volume / capacity (0 on links without a finite positive capacity).
    pub vc: Vec<f64>,
    /// Σ volume × congested time.
    pub total_travel_time: f64,
    /// Σ volume × generalized cost (the TSTT of the gap).
    pub total_cost: f64,
    /// Σ volume × length.
    pub total_distance: f64,
    /// OD pairs with demand but no path (their demand is not assigned).
    pub unreachable_pairs: usize,
    /// Demand of those pairs.
    pub unreachable_demand: f64,
    /// Demand assigned (intrazonal and unreachable demand excluded).
    pub assigned_demand: f64,
    /// One entry per iteration.
    pub history: Vec<IterationInfo>,
}

impl AssignmentResult {
    /// `Err(NotConverged)` with the gap reached when the target was missed.
    pub fn ensure_converged(&self) -> Result<()> {
        if self.converged {
            Ok(())
        } else {
            Err(Error::NotConverged(format!(
                "{} reached relative gap {:.3e} after {} iterations (target {:.1e})",
                self.algorithm, self.relative_gap, self.iterations, self.target_gap
            )))
        }
    }

    /// Skim matrices (cost, time, distance) along the least-cost paths at the final costs.
    pub fn skims(&self, net: &AssignNetwork) -> Skims {
        let cost = net.to_internal_order(&self.cost);
        let time = net.to_internal_order(&self.time);
        paths::skims(net, &cost, &time)
    }

    /// OD pairs whose least-cost path at the final costs uses `link`, with their demand.
    ///
    /// This is an all-or-nothing assignment on the final (equilibrium) costs, not a
    /// decomposition of the equilibrium flows: at equilibrium every used path of a pair has
    /// the same cost, and this reports, per pair, whether the one least-cost path found
    /// crosses the link. Pairs that split over parallel equal-cost routes are therefore
    /// reported wholly on one of them; see docs/assignment.md.
    pub fn select_link(
        &self,
        net: &AssignNetwork,
        od: &OdMatrix,
        link: LinkId,
    ) -> Result<Vec<SelectLinkPair>> {
        if link.index() >= net.link_count() {
            return Err(Error::not_found("link", link));
        }
        let cost = net.to_internal_order(&self.cost);
        Ok(paths::select_link(net, &cost, od, link))
    }
}

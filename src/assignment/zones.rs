//! Traffic zones on a road network: centroid connectors, the assignment network of a road
//! network state, and a doubly constrained gravity model that turns zone populations and jobs
//! into an OD matrix.

use super::network::{AssignNetwork, LinkKind, LinkSpec};
use super::{OdMatrix, ZoneId};
use crate::network::geom::haversine_m;
use crate::network::{EdgeId, RoadNetwork};
use crate::{Error, Result};
use geo_types::Point;
use serde::{Deserialize, Serialize};

/// A traffic zone with its centroid and activity totals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    /// Stable id (`JZ01`, …); OD files name zones by it.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// District the zone belongs to.
    pub district: String,
    /// Centroid longitude, WGS84.
    pub lon: f64,
    /// Centroid latitude, WGS84.
    pub lat: f64,
    /// Residents.
    pub population: f64,
    /// Jobs.
    pub jobs: f64,
    /// Provenance (`estimate:<why>`).
    pub source: String,
}

/// How zones are tied to the road network.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectorOptions {
    /// Road nodes each zone centroid connects to (the nearest ones).
    pub per_zone: usize,
    /// Speed on connectors (access on local streets), km/h. Connector time is the straight
    /// line distance at this speed; connectors have no capacity limit.
    pub speed_kmh: f64,
}

impl Default for ConnectorOptions {
    fn default() -> Self {
        ConnectorOptions {
            per_zone: 3,
            speed_kmh: 20.0,
        }
    }
}

/// BPR alpha used for road links (the traditional value).
pub const ROAD_BPR_ALPHA: f64 = 0.15;
/// BPR beta used for road links.
pub const ROAD_BPR_BETA: f64 = 4.0;

/// Builds the assignment network of a road-network state: one link per open edge (edges with
/// a finite `time_s`; `INFINITY` marks a closed or not-yet-built edge), with the state's
/// per-edge `capacity_vph`, plus two-way centroid connectors. Times are seconds, lengths
/// metres, capacities vehicles per hour. Zones are nodes `0..zones.len()`, road node `i` is
/// node `zones.len() + i`; centroids are never through nodes.
pub fn road_assign_network(
    net: &RoadNetwork,
    zones: &[Zone],
    time_s: &[f64],
    capacity_vph: &[f64],
    conn: &ConnectorOptions,
) -> Result<AssignNetwork> {
    let m = net.edge_count();
    if time_s.len() != m || capacity_vph.len() != m {
        return Err(Error::invalid(format!(
            "state has {} times and {} capacities for {m} edges",
            time_s.len(),
            capacity_vph.len()
        )));
    }
    if zones.is_empty() {
        return Err(Error::invalid("no zones"));
    }
    if conn.per_zone == 0 || !(conn.speed_kmh > 0.0 && conn.speed_kmh.is_finite()) {
        return Err(Error::invalid(
            "connectors: per_zone must be >= 1 and speed_kmh positive",
        ));
    }
    let nz = zones.len();
    let mut links = Vec::with_capacity(m + 2 * nz * conn.per_zone);
    // Only nodes with an open edge in and out can carry a connector.
    let mut has_out = vec![false; net.node_count()];
    let mut has_in = vec![false; net.node_count()];
    for (i, e) in net.edges().iter().enumerate() {
        let t = time_s[i];
        if !t.is_finite() {
            continue;
        }
        let cap = capacity_vph[i];
        if t < 0.0 || cap.is_nan() || cap <= 0.0 {
            return Err(Error::invalid(format!(
                "edge {i}: time {t} s and capacity {cap} veh/h must be positive"
            )));
        }
        has_out[e.from.index()] = true;
        has_in[e.to.index()] = true;
        links.push(LinkSpec {
            from: (nz + e.from.index()) as u32,
            to: (nz + e.to.index()) as u32,
            free_flow_time: t,
            capacity: cap,
            alpha: ROAD_BPR_ALPHA,
            beta: ROAD_BPR_BETA,
            length: e.length_m,
            toll: 0.0,
            kind: LinkKind::Road(EdgeId::from_index(i)),
        });
    }
    let candidates: Vec<usize> = (0..net.node_count())
        .filter(|&i| has_out[i] && has_in[i])
        .collect();
    if candidates.is_empty() {
        return Err(Error::EmptyNetwork(
            "no open road to connect zones to".into(),
        ));
    }
    for (z, zone) in zones.iter().enumerate() {
        let c = Point::new(zone.lon, zone.lat);
        let mut near: Vec<(f64, usize)> = candidates
            .iter()
            .map(|&i| {
                (
                    haversine_m(c, net.node(crate::network::NodeId::from_index(i)).point()),
                    i,
                )
            })
            .collect();
        let k = conn.per_zone.min(near.len());
        near.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
        near.truncate(k);
        near.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (d, i) in near {
            let t = d / (conn.speed_kmh / 3.6);
            for (from, to) in [(z as u32, (nz + i) as u32), ((nz + i) as u32, z as u32)] {
                links.push(LinkSpec {
                    from,
                    to,
                    free_flow_time: t,
                    capacity: f64::INFINITY,
                    alpha: 0.0,
                    beta: 0.0,
                    length: d,
                    toll: 0.0,
                    kind: LinkKind::Connector(ZoneId(z as u32)),
                });
            }
        }
    }
    AssignNetwork::new(
        nz + net.node_count(),
        zones.iter().map(|z| z.id.clone()).collect(),
        nz,
        0.0,
        0.0,
        links,
    )
}

/// Parameters of the doubly constrained gravity model
/// `T_ij = A_i O_i B_j D_j exp(−β c_ij)` (intrazonal pairs excluded).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GravityParams {
    /// Deterrence β per minute of free-flow time.
    pub beta_per_min: f64,
    /// Trips produced per resident in the period (productions `O_i = rate × population`).
    pub trips_per_resident: f64,
    /// Maximum Furness (balancing) iterations.
    pub max_iterations: usize,
    /// Stop when every row and column total is within this relative error.
    pub tolerance: f64,
}

impl GravityParams {
    /// The `source` tag of matrices made with these parameters.
    pub fn source_tag(&self) -> String {
        format!(
            "model:gravity-doubly-constrained-exp-beta{}-per-min-rate{}",
            self.beta_per_min, self.trips_per_resident
        )
    }
}

/// What the gravity model produced.
#[derive(Clone, Debug, PartialEq)]
pub struct GravityResult {
    /// The OD matrix.
    pub od: OdMatrix,
    /// Furness iterations used.
    pub iterations: usize,
    /// Largest relative row/column error left.
    pub max_error: f64,
}

/// Distributes trips with a doubly constrained gravity model: productions proportional to
/// population, attractions proportional to jobs (scaled to the same total), deterrence
/// `exp(−β · time_min)` on the zone-to-zone free-flow times `time_min` (row-major; pairs
/// without a path are `INFINITY` and get no trips). Balanced by Furness iterations.
pub fn gravity(zones: &[Zone], time_min: &[f64], p: &GravityParams) -> Result<GravityResult> {
    let n = zones.len();
    if time_min.len() != n * n {
        return Err(Error::invalid(
            "gravity: time matrix does not match the zones",
        ));
    }
    if !(p.beta_per_min >= 0.0 && p.trips_per_resident >= 0.0 && p.tolerance > 0.0) {
        return Err(Error::invalid("gravity: parameters must be non-negative"));
    }
    for z in zones {
        if !(z.population >= 0.0 && z.jobs >= 0.0) {
            return Err(Error::invalid(format!(
                "zone {}: population and jobs must be >= 0",
                z.id
            )));
        }
    }
    let total: f64 = zones.iter().map(|z| z.population).sum::<f64>() * p.trips_per_resident;
    let jobs: f64 = zones.iter().map(|z| z.jobs).sum();
    if total <= 0.0 || jobs <= 0.0 {
        return Err(Error::invalid("gravity: no population or no jobs"));
    }
    let o: Vec<f64> = zones
        .iter()
        .map(|z| z.population * p.trips_per_resident)
        .collect();
    let d: Vec<f64> = zones.iter().map(|z| z.jobs / jobs * total).collect();
    let f: Vec<f64> = (0..n * n)
        .map(|k| {
            if k / n == k % n || !time_min[k].is_finite() {
                0.0
            } else {
                (-p.beta_per_min * time_min[k]).exp()
            }
        })
        .collect();
    let mut a = vec![1.0; n];
    let mut b = vec![1.0; n];
    let mut iterations = 0;
    let mut max_error = f64::INFINITY;
    while iterations < p.max_iterations {
        iterations += 1;
        for i in 0..n {
            let s: f64 = (0..n).map(|j| b[j] * d[j] * f[i * n + j]).sum();
            a[i] = if s > 0.0 { 1.0 / s } else { 0.0 };
        }
        for j in 0..n {
            let s: f64 = (0..n).map(|i| a[i] * o[i] * f[i * n + j]).sum();
            b[j] = if s > 0.0 { 1.0 / s } else { 0.0 };
        }
        // Columns are exact after the B update; the rows tell how far from balance we are.
        max_error = (0..n)
            .filter(|&i| o[i] > 0.0)
            .map(|i| {
                let row: f64 = (0..n)
                    .map(|j| a[i] * o[i] * b[j] * d[j] * f[i * n + j])
                    .sum();
                (row - o[i]).abs() / o[i]
            })
            .fold(0.0, f64::max);
        if max_error <= p.tolerance {
            break;
        }
    }
    let data: Vec<f64> = (0..n * n)
        .map(|k| {
            let (i, j) = (k / n, k % n);
            a[i] * o[i] * b[j] * d[j] * f[k]
        })
        .collect();
    Ok(GravityResult {
        od: OdMatrix::from_dense(n, data)?,
        iterations,
        max_error,
    })
}

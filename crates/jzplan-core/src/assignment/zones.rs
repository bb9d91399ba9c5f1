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

/// Builds the assignment network of a road-network state: one link per open edge (edges with
/// a finite `time_s`; `INFINITY` marks a closed or not-yet-built edge), with the state's
/// per-edge `capacity_vph`, plus two-way centroid connectors. Times are seconds, lengths
/// metres, capacities vehicles per hour; BPR α and β per road class
/// ([`super::supply::bpr_for_class`]). Zones are nodes `0..zones.len()`, road node `i` is
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
        let bpr = super::supply::bpr_for_class(e.class);
        links.push(LinkSpec {
            from: (nz + e.from.index()) as u32,
            to: (nz + e.to.index()) as u32,
            free_flow_time: t,
            capacity: cap,
            alpha: bpr.alpha,
            beta: bpr.beta,
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

/// Per-edge results of a road-network assignment (index = `EdgeId`; closed edges carry 0
/// volume, `INFINITY` time).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RoadFlows {
    /// Volume, vehicles per hour.
    pub volume_vph: Vec<f64>,
    /// Volume / capacity in the state.
    pub vc: Vec<f64>,
    /// Congested travel time, seconds.
    pub time_s: Vec<f64>,
}

/// Maps an assignment on [`road_assign_network`] back to the road edges.
pub fn road_flows(
    anet: &AssignNetwork,
    r: &super::AssignmentResult,
    edge_count: usize,
) -> RoadFlows {
    let mut f = RoadFlows {
        volume_vph: vec![0.0; edge_count],
        vc: vec![0.0; edge_count],
        time_s: vec![f64::INFINITY; edge_count],
    };
    for (i, k) in anet.link_kinds().iter().enumerate() {
        if let LinkKind::Road(e) = *k
            && e.index() < edge_count
        {
            f.volume_vph[e.index()] = r.volume[i];
            f.vc[e.index()] = r.vc[i];
            f.time_s[e.index()] = r.time[i];
        }
    }
    f
}

/// The assignment network of a network state (its free-flow times and capacities; closed and
/// unbuilt edges left out) with the zones' connectors.
pub fn state_assign_network(
    state: &crate::scenario::NetworkState<'_>,
    zones: &[Zone],
    conn: &ConnectorOptions,
) -> Result<AssignNetwork> {
    road_assign_network(
        state.network(),
        zones,
        &state.free_flow_times_s(),
        &state.capacities_vph(),
        conn,
    )
}

/// The parameters of the Jinzhou morning-peak-hour demand (see docs/assignment.md): β = 0.10
/// per minute of free-flow car time, 0.043 car trips between zones per resident in the peak
/// hour (calibrated: data/jinzhou/calibration.md, target `car_trips_per_resident`).
pub const JINZHOU_GRAVITY: GravityParams = GravityParams {
    beta_per_min: 0.10,
    trips_per_resident: 0.043,
    max_iterations: 1000,
    tolerance: 1e-9,
};

/// Gravity demand on the free-flow zone-to-zone times of an assignment network whose zones
/// are `zones` (in the same order).
pub fn gravity_demand(
    anet: &AssignNetwork,
    zones: &[Zone],
    p: &GravityParams,
) -> Result<GravityResult> {
    if anet.zone_count() != zones.len() {
        return Err(Error::invalid(format!(
            "{} zones for a network with {}",
            zones.len(),
            anet.zone_count()
        )));
    }
    let minutes: Vec<f64> = super::paths::free_flow_skims(anet)
        .time
        .iter()
        .map(|t| t / 60.0)
        .collect();
    gravity(zones, &minutes, p)
}

const JINZHOU_ZONES: &str = include_str!("../../../../data/jinzhou/zones.geojson");

/// The embedded Jinzhou traffic zones (`data/jinzhou/zones.geojson`).
pub fn jinzhou_zones() -> Result<Vec<Zone>> {
    parse_zones(
        JINZHOU_ZONES,
        std::path::Path::new("embedded:data/jinzhou/zones.geojson"),
    )
}

/// Reads a zones GeoJSON file (Point features with `id`, `name_zh`, `name_en`, `district`,
/// `population`, `jobs`, `source`).
pub fn read_zones(path: &std::path::Path) -> Result<Vec<Zone>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_zones(&text, path)
}

/// Parses a zones GeoJSON text; every error names the feature and the field.
pub fn parse_zones(text: &str, path: &std::path::Path) -> Result<Vec<Zone>> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Error::file(path, format!("line {}", e.line()), e.to_string()))?;
    let feats = v
        .get("features")
        .and_then(|f| f.as_array())
        .ok_or_else(|| Error::file(path, "root", "not a FeatureCollection"))?;
    let mut out: Vec<Zone> = Vec::with_capacity(feats.len());
    for (i, f) in feats.iter().enumerate() {
        let loc = || format!("feature {i}");
        let p = f
            .get("properties")
            .ok_or_else(|| Error::file(path, loc(), "no properties"))?;
        let s = |k: &str| -> Result<String> {
            p.get(k)
                .and_then(|x| x.as_str())
                .map(str::to_string)
                .ok_or_else(|| Error::file(path, loc(), format!("field '{k}' missing or not text")))
        };
        let n = |k: &str| -> Result<f64> {
            let x = p.get(k).and_then(|x| x.as_f64()).ok_or_else(|| {
                Error::file(path, loc(), format!("field '{k}' missing or not a number"))
            })?;
            if !x.is_finite() || x < 0.0 {
                return Err(Error::file(
                    path,
                    loc(),
                    format!("field '{k}': {x} must be >= 0"),
                ));
            }
            Ok(x)
        };
        let c = f
            .pointer("/geometry/coordinates")
            .and_then(|c| c.as_array())
            .filter(|c| c.len() >= 2)
            .ok_or_else(|| Error::file(path, loc(), "geometry must be a Point"))?;
        let (lon, lat) = (
            c[0].as_f64().unwrap_or(f64::NAN),
            c[1].as_f64().unwrap_or(f64::NAN),
        );
        if !crate::network::geom::valid_lon_lat(lon, lat) {
            return Err(Error::file(
                path,
                loc(),
                format!("coordinates {lon},{lat} are not lon/lat"),
            ));
        }
        let source = s("source")?;
        if !["seed:", "estimate:", "model:"]
            .iter()
            .any(|pre| source.starts_with(pre) && source.len() > pre.len())
        {
            return Err(Error::file(
                path,
                loc(),
                format!("field 'source': '{source}' is not seed:…, estimate:… or model:…"),
            ));
        }
        let id = s("id")?;
        if id.trim().is_empty() || out.iter().any(|z| z.id == id) {
            return Err(Error::file(
                path,
                loc(),
                format!("field 'id': '{id}' is empty or repeated"),
            ));
        }
        out.push(Zone {
            id,
            name_zh: s("name_zh")?,
            name_en: s("name_en")?,
            district: s("district")?,
            lon,
            lat,
            population: n("population")?,
            jobs: n("jobs")?,
            source,
        });
    }
    if out.is_empty() {
        return Err(Error::file(path, "features", "no zones"));
    }
    Ok(out)
}

/// Writes a demand matrix as `origin,destination,trips,source` CSV (non-zero pairs).
pub fn write_demand_csv(
    path: &std::path::Path,
    zones: &[Zone],
    od: &OdMatrix,
    source: &str,
) -> Result<()> {
    let io = |e: csv::Error| Error::io(path, e.into());
    let mut w = csv::Writer::from_path(path).map_err(io)?;
    w.write_record(["origin", "destination", "trips", "source"])
        .map_err(io)?;
    for o in 0..od.zones() {
        for d in 0..od.zones() {
            let v = od.get(o, d);
            if v > 0.0 {
                w.write_record([&zones[o].id, &zones[d].id, &format!("{v:.3}"), source])
                    .map_err(io)?;
            }
        }
    }
    w.flush().map_err(|e| Error::io(path, e))
}

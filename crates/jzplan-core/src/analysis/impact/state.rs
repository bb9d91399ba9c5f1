//! The demand every state is assigned with, one state's assignment, a day of periods, the gap
//! reached and the noise rule.

use crate::assignment::periods::{DayCount, JINZHOU_PERIODS, Period, PeriodId, period_matrix};
use crate::assignment::zones::{self, ConnectorOptions, RoadFlows, Zone};
use crate::assignment::{AssignOptions, OdMatrix, assign};
use crate::network::RoadNetwork;
use crate::scenario::NetworkState;
use crate::{Error, Result};
use rayon::prelude::*;
use serde::Serialize;

/// The demand every state is assigned with.
#[derive(Clone, Debug)]
pub struct Demand {
    /// Zones (their order is the OD matrix's).
    pub zones: Vec<Zone>,
    /// Morning-peak-hour OD matrix, vehicles per hour (the demand model's output; the
    /// `AmPeak` period's matrix is this × its factor).
    pub od: OdMatrix,
    /// The periods of the day, each with the matrix of its representative hour.
    pub periods: Vec<PeriodDemand>,
    /// Assignment options.
    pub opts: AssignOptions,
    /// Centroid connectors.
    pub connectors: ConnectorOptions,
}

/// One period of the day and the OD matrix of its representative hour (vehicles per hour).
#[derive(Clone, Debug)]
pub struct PeriodDemand {
    /// The period (hours per day type, factor, source).
    pub period: Period,
    /// Its matrix.
    pub od: OdMatrix,
}

impl Demand {
    /// A demand from the morning-peak-hour matrix and the periods of the day (each period's
    /// matrix made by [`period_matrix`]).
    pub fn new(
        zones: Vec<Zone>,
        am_peak_hour: OdMatrix,
        periods: &[Period],
        opts: AssignOptions,
        connectors: ConnectorOptions,
    ) -> Result<Demand> {
        if am_peak_hour.zones() != zones.len() {
            return Err(Error::invalid(format!(
                "OD matrix of {} zones for {} zones",
                am_peak_hour.zones(),
                zones.len()
            )));
        }
        let periods = periods
            .iter()
            .map(|p| {
                Ok(PeriodDemand {
                    period: *p,
                    od: period_matrix(&am_peak_hour, p)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Demand {
            zones,
            od: am_peak_hour,
            periods,
            opts,
            connectors,
        })
    }

    /// One period's demand.
    pub fn period(&self, id: PeriodId) -> Result<&PeriodDemand> {
        self.periods
            .iter()
            .find(|p| p.period.id == id)
            .ok_or_else(|| Error::not_found("period", id))
    }
}

/// Network-wide figures of one assigned state (one peak hour).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Vehicle-hours travelled on the roads.
    pub vht: f64,
    /// Vehicle-kilometres travelled on the roads.
    pub vkt: f64,
    /// VKT / VHT.
    pub mean_speed_kmh: f64,
    /// Trips assigned.
    pub trips: f64,
    /// OD pairs with demand and no path in this state.
    pub unreachable_pairs: usize,
    /// Their trips (not assigned).
    pub unreachable_trips: f64,
    /// Assignment iterations.
    pub iterations: usize,
    /// Relative gap reached.
    pub relative_gap: f64,
    /// Whether the target gap was reached.
    pub converged: bool,
    /// What the gap reached can resolve, vehicle-hours: relative gap × total cost (connectors
    /// included). Two states whose VHT differ by less than the sum of their resolutions are
    /// not distinguishable by these assignments.
    pub resolution_vht: f64,
}

/// One assigned state: its summary, per-edge flows and zone-to-zone times.
#[derive(Clone, Debug)]
pub struct StateRun {
    /// Figures.
    pub summary: Summary,
    /// Per-edge flows.
    pub flows: RoadFlows,
    /// Zone-to-zone congested time, seconds, row-major (`INFINITY`: no path).
    pub od_time_s: Vec<f64>,
}

/// Assigns the morning-peak-hour demand (`d.od`) on a state.
pub fn run_state(state: &NetworkState<'_>, d: &Demand) -> Result<StateRun> {
    run_state_od(state, d, &d.od)
}

/// Assigns one OD matrix (on `d`'s zones, connectors and options) on a state.
pub fn run_state_od(state: &NetworkState<'_>, d: &Demand, od: &OdMatrix) -> Result<StateRun> {
    let net = state.network();
    let anet = zones::state_assign_network(state, &d.zones, &d.connectors)?;
    let r = assign(&anet, od, &d.opts)?;
    let flows = zones::road_flows(&anet, &r, net.edge_count());
    let (mut vht, mut vkt) = (0.0, 0.0);
    for (i, e) in net.edges().iter().enumerate() {
        let v = flows.volume_vph[i];
        if v > 0.0 {
            vht += v * flows.time_s[i] / 3600.0;
            vkt += v * e.length_m / 1000.0;
        }
    }
    Ok(StateRun {
        summary: Summary {
            vht,
            vkt,
            mean_speed_kmh: if vht > 0.0 { vkt / vht } else { 0.0 },
            trips: r.assigned_demand,
            unreachable_pairs: r.unreachable_pairs,
            unreachable_trips: r.unreachable_demand,
            iterations: r.iterations,
            relative_gap: r.relative_gap,
            converged: r.converged,
            resolution_vht: r.relative_gap.max(0.0) * r.total_cost / 3600.0,
        },
        flows,
        od_time_s: r.skims(&anet).time,
    })
}

/// One state assigned in every period of the day.
#[derive(Clone, Debug)]
pub struct DayRun {
    /// One run per period of the demand, in its order.
    pub periods: Vec<(Period, StateRun)>,
}

impl DayRun {
    /// The run of one period.
    pub fn period(&self, id: PeriodId) -> Option<&StateRun> {
        self.periods
            .iter()
            .find(|(p, _)| p.id == id)
            .map(|(_, r)| r)
    }
    /// Vehicle-hours over `days`: Σ periods hours × VHT of the period's hour.
    pub fn vht(&self, days: &DayCount) -> f64 {
        self.periods
            .iter()
            .map(|(p, r)| days.hours_of(p) * r.summary.vht)
            .sum()
    }
    /// Vehicle-kilometres over `days`.
    pub fn vkt(&self, days: &DayCount) -> f64 {
        self.periods
            .iter()
            .map(|(p, r)| days.hours_of(p) * r.summary.vkt)
            .sum()
    }
    /// What the assignments resolve over `days` (Σ hours × resolution of the period's hour).
    pub fn resolution_vht(&self, days: &DayCount) -> f64 {
        self.periods
            .iter()
            .map(|(p, r)| days.hours_of(p) * r.summary.resolution_vht)
            .sum()
    }
    /// Highest relative gap reached and the fewest and most iterations of its runs.
    pub fn gap_reached(&self) -> GapReached {
        GapReached::of(self.periods.iter().map(|(_, r)| &r.summary))
    }
}

/// Assigns every period of the demand on a state (periods in parallel).
pub fn run_day(state: &NetworkState<'_>, d: &Demand) -> Result<DayRun> {
    let periods = d
        .periods
        .par_iter()
        .map(|pd| Ok((pd.period, run_state_od(state, d, &pd.od)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(DayRun { periods })
}

/// The convergence a set of assignments reached (what every report states).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct GapReached {
    /// Assignments.
    pub runs: usize,
    /// Target relative gap.
    pub target_gap: f64,
    /// Highest relative gap reached.
    pub max_gap: f64,
    /// Fewest iterations.
    pub min_iterations: usize,
    /// Most iterations.
    pub max_iterations: usize,
    /// Runs that missed the target.
    pub not_converged: usize,
}

impl GapReached {
    /// Over some summaries (target gap left 0; set it from the options).
    pub fn of<'a>(it: impl Iterator<Item = &'a Summary>) -> GapReached {
        let mut g = GapReached {
            min_iterations: usize::MAX,
            ..Default::default()
        };
        for s in it {
            g.runs += 1;
            g.max_gap = g.max_gap.max(s.relative_gap);
            g.min_iterations = g.min_iterations.min(s.iterations);
            g.max_iterations = g.max_iterations.max(s.iterations);
            g.not_converged += usize::from(!s.converged);
        }
        if g.runs == 0 {
            g.min_iterations = 0;
        }
        g
    }
    /// Merges two.
    pub fn merge(self, o: GapReached) -> GapReached {
        if self.runs == 0 {
            return o;
        }
        if o.runs == 0 {
            return self;
        }
        GapReached {
            runs: self.runs + o.runs,
            target_gap: self.target_gap.max(o.target_gap),
            max_gap: self.max_gap.max(o.max_gap),
            min_iterations: self.min_iterations.min(o.min_iterations),
            max_iterations: self.max_iterations.max(o.max_iterations),
            not_converged: self.not_converged + o.not_converged,
        }
    }
    /// In words, for reports.
    pub fn sentence(&self) -> String {
        format!(
            "{} assignments by biconjugate Frank-Wolfe to a target relative gap of {:.0e}: \
             highest gap reached {:.2e}, {}–{} iterations{}",
            self.runs,
            self.target_gap,
            self.max_gap,
            self.min_iterations,
            self.max_iterations,
            if self.not_converged > 0 {
                format!(", {} did NOT reach the target", self.not_converged)
            } else {
                String::new()
            }
        )
    }
}

/// A difference of vehicle-hours as reports print it: `≈ 0 (below the model's resolution)`
/// when it is smaller than `resolution`, else the number with `digits` decimals (never
/// `-0.0`).
pub fn format_delta(delta: f64, resolution: f64, digits: usize) -> String {
    if !delta.is_finite() {
        return String::new();
    }
    if delta.abs() < resolution {
        return BELOW_RESOLUTION.to_string();
    }
    let s = format!("{delta:.digits$}");
    let zero = s
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.');
    if zero {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// What [`format_delta`] prints for noise.
pub const BELOW_RESOLUTION: &str = "≈ 0 (below the model's resolution)";

/// The demand of impact analyses on a network: the zones (default: the embedded Jinzhou
/// zones), the calibrated gravity matrix of the morning peak hour on the base network's
/// free-flow times ([`zones::JINZHOU_GRAVITY`]), the Jinzhou periods of the day
/// ([`JINZHOU_PERIODS`]), assigned by BFW to `target_gap`.
pub fn demand_on(net: &RoadNetwork, zones: Option<Vec<Zone>>, target_gap: f64) -> Result<Demand> {
    let zones = match zones {
        Some(z) => z,
        None => zones::jinzhou_zones()?,
    };
    let connectors = ConnectorOptions::default();
    let base = NetworkState::base(net);
    let anet = zones::state_assign_network(&base, &zones, &connectors)?;
    let od = zones::gravity_demand(&anet, &zones, &zones::JINZHOU_GRAVITY)?.od;
    Demand::new(
        zones,
        od,
        &JINZHOU_PERIODS,
        AssignOptions {
            algorithm: crate::assignment::Algorithm::Bfw,
            target_gap,
            max_iterations: 1000,
        },
        connectors,
    )
}

//! Trips: the OD pairs whose congested time grows most.

use crate::analysis::impact::{Demand, StateRun};
use crate::assignment::OdMatrix;
use serde::Serialize;

/// An OD pair whose travel time changes (headline period).
#[derive(Clone, Debug, Serialize)]
pub struct OdPairChange {
    /// Origin zone id.
    pub origin: String,
    /// Its name.
    pub origin_name: String,
    /// Destination zone id.
    pub destination: String,
    /// Its name.
    pub destination_name: String,
    /// Trips in one hour of the period.
    pub trips: f64,
    /// Congested time, baseline, s.
    pub before_s: Option<f64>,
    /// With the closure (`None`: no path left).
    pub after_s: Option<f64>,
    /// Change.
    pub delta_s: Option<f64>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// OD pairs whose time grows most (pairs that lose every path first), and how many lose it.
pub fn od_changes(
    d: &Demand,
    od: &OdMatrix,
    before: &StateRun,
    after: &StateRun,
    n_top: usize,
) -> (Vec<OdPairChange>, usize) {
    let n = d.zones.len();
    let mut v = Vec::new();
    let mut cut = 0;
    for o in 0..n {
        for t in 0..n {
            let trips = od.get(o, t);
            if o == t || trips <= 0.0 {
                continue;
            }
            let (b, a) = (before.od_time_s[o * n + t], after.od_time_s[o * n + t]);
            if b.is_finite() && !a.is_finite() {
                cut += 1;
            }
            let delta = finite(a - b);
            let worse = match delta {
                Some(x) => x > 0.5,
                None => b.is_finite() && !a.is_finite(),
            };
            if worse {
                let name = |z: usize| {
                    let z = &d.zones[z];
                    if z.name_en.is_empty() {
                        z.name_zh.clone()
                    } else {
                        format!("{} ({})", z.name_zh, z.name_en)
                    }
                };
                v.push(OdPairChange {
                    origin: d.zones[o].id.clone(),
                    origin_name: name(o),
                    destination: d.zones[t].id.clone(),
                    destination_name: name(t),
                    trips,
                    before_s: finite(b),
                    after_s: finite(a),
                    delta_s: delta,
                });
            }
        }
    }
    v.sort_by(|x, y| {
        let k = |c: &OdPairChange| c.delta_s.unwrap_or(f64::INFINITY);
        k(y).total_cmp(&k(x))
            .then_with(|| (&x.origin, &x.destination).cmp(&(&y.origin, &y.destination)))
    });
    v.truncate(n_top);
    (v, cut)
}

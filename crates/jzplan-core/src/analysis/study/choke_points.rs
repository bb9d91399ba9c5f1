//! The choke points before and after: v/c of the approaches and their mean delay.

use super::closures::point_of;
use crate::analysis::impact::{ChokePointRef, node_vc};
use crate::assignment::zones::RoadFlows;
use crate::network::{NodeId, RoadNetwork};
use crate::works::LonLat;
use serde::Serialize;

/// One choke point before and after (headline period).
#[derive(Clone, Debug, Serialize)]
pub struct ChokePointStudy {
    /// Rank by Δv/c, then Δdelay (1 = worsens most).
    pub rank: usize,
    /// Id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Position.
    pub at: Option<LonLat>,
    /// Highest v/c of the open approaches, baseline.
    pub vc_before: Option<f64>,
    /// The same with the closure.
    pub vc_after: Option<f64>,
    /// Change.
    pub delta_vc: Option<f64>,
    /// Mean delay on the approaches, s per vehicle, baseline.
    pub delay_before_s: Option<f64>,
    /// The same with the closure.
    pub delay_after_s: Option<f64>,
    /// Change.
    pub delta_delay_s: Option<f64>,
    /// Thresholds crossed upwards (0.9, 1.0).
    pub crosses: Vec<f64>,
}

/// Mean delay (congested − free-flow time) on the open approaches of a junction, s per
/// vehicle (`None`: no flow enters).
fn approach_delay(net: &RoadNetwork, fl: &RoadFlows, ff: &[f64], n: NodeId) -> Option<f64> {
    let (mut vol, mut delay) = (0.0, 0.0);
    for e in net.in_edges(n) {
        let i = e.index();
        if fl.time_s[i].is_finite() && ff[i].is_finite() && fl.volume_vph[i] > 0.0 {
            vol += fl.volume_vph[i];
            delay += fl.volume_vph[i] * (fl.time_s[i] - ff[i]).max(0.0);
        }
    }
    (vol > 0.0).then(|| delay / vol)
}

/// The choke points compared, ranked by Δv/c then Δdelay.
#[allow(clippy::too_many_arguments)]
pub fn choke_point_changes(
    net: &RoadNetwork,
    refs: &[ChokePointRef],
    before: &RoadFlows,
    after: &RoadFlows,
    ff_before: &[f64],
    ff_after: &[f64],
) -> Vec<ChokePointStudy> {
    let mut out: Vec<ChokePointStudy> = refs
        .iter()
        .map(|c| {
            let vb = c.node.and_then(|n| node_vc(net, before, n));
            let va = c.node.and_then(|n| node_vc(net, after, n));
            let db = c
                .node
                .and_then(|n| approach_delay(net, before, ff_before, n));
            let da = c.node.and_then(|n| approach_delay(net, after, ff_after, n));
            let crosses = match (vb, va) {
                (Some(b), Some(a)) => [0.9, 1.0]
                    .into_iter()
                    .filter(|&t| b < t && a >= t)
                    .collect(),
                _ => Vec::new(),
            };
            ChokePointStudy {
                rank: 0,
                id: c.id.clone(),
                name_zh: c.name_zh.clone(),
                name_en: c.name_en.clone(),
                at: c.node.map(|n| point_of(net, n)),
                vc_before: vb,
                vc_after: va,
                delta_vc: vb.zip(va).map(|(b, a)| a - b),
                delay_before_s: db,
                delay_after_s: da,
                delta_delay_s: match (db, da) {
                    (Some(b), Some(a)) => Some(a - b),
                    (None, Some(a)) => Some(a),
                    (Some(b), None) => Some(-b),
                    (None, None) => None,
                },
                crosses,
            }
        })
        .collect();
    out.sort_by(|x, y| {
        let k = |c: &ChokePointStudy| {
            (
                c.delta_vc.unwrap_or(f64::NEG_INFINITY),
                c.delta_delay_s.unwrap_or(f64::NEG_INFINITY),
            )
        };
        let (a, b) = (k(x), k(y));
        b.0.total_cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then_with(|| x.id.cmp(&y.id))
    });
    for (i, c) in out.iter_mut().enumerate() {
        c.rank = i + 1;
    }
    out
}

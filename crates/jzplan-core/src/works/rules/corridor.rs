//! The corridor rule: two works closing parallel alternatives of one corridor at once, found
//! by timing trips between probe points with either closure and with both.

use super::footprint::{Foot, distance, related, round1, sorted_pair};
use super::types::{Finding, FindingKind, RuleOptions, Severity};
use crate::analysis::probes::ProbeSet;
use crate::network::RoadNetwork;
use crate::works::WorkId;
use std::collections::HashMap;

pub(super) fn corridor_findings(
    net: &RoadNetwork,
    feet: &[Foot],
    opts: &RuleOptions,
    only: Option<&WorkId>,
    out: &mut Vec<Finding>,
) {
    let closers: Vec<&Foot> = feet.iter().filter(|f| !f.closed.is_empty()).collect();
    if closers.len() < 2 || opts.probes.len() < 2 {
        return;
    }
    let probes = ProbeSet::new(net, &opts.probes);
    if probes.nodes.len() < 2 {
        return;
    }
    let mut alone: HashMap<&WorkId, Vec<Vec<f64>>> = HashMap::new();
    for i in 0..closers.len() {
        for j in i + 1..closers.len() {
            let (fa, fb) = (closers[i], closers[j]);
            let (wa, wb) = (fa.work, fb.work);
            if related(wa, wb) || only.is_some_and(|id| id != &wa.id && id != &wb.id) {
                continue;
            }
            let Some(overlap) = wa.window().intersection(&wb.window()) else {
                continue;
            };
            if opts.window.is_some_and(|x| !x.overlaps(&overlap)) {
                continue;
            }
            for f in [fa, fb] {
                alone
                    .entry(&f.work.id)
                    .or_insert_with(|| probes.with_closed(net, &[&f.closed]));
            }
            let both = probes.with_closed(net, &[&fa.closed, &fb.closed]);
            let (ta, tb) = (&alone[&wa.id], &alone[&wb.id]);
            // The worst probe trip that both closures together make much worse than either alone.
            let mut worst: Option<(usize, usize, f64)> = None;
            for p in 0..probes.nodes.len() {
                for q in 0..probes.nodes.len() {
                    let t0 = probes.base[p][q];
                    if p == q || !t0.is_finite() || t0 <= 0.0 {
                        continue;
                    }
                    let (t1, t2, t12) = (ta[p][q], tb[p][q], both[p][q]);
                    if !t1.is_finite() || !t2.is_finite() {
                        continue; // one alone already cuts it: not a pair of alternatives
                    }
                    let r12 = t12 / t0;
                    let extra_sum = (t1 - t0) + (t2 - t0);
                    let synergy = !t12.is_finite() || (t12 - t0) > extra_sum + 1.0;
                    if synergy && r12 >= opts.corridor_factor {
                        let better = worst.is_none_or(|(_, _, r)| r12 > r);
                        if better {
                            worst = Some((p, q, r12));
                        }
                    }
                }
            }
            let Some((p, q, r)) = worst else { continue };
            let (t0, t1, t2) = (probes.base[p][q], ta[p][q], tb[p][q]);
            let strong = !r.is_finite() || r >= opts.detour_factor;
            let what = if r.is_finite() {
                format!(
                    "takes {:.0} s instead of {:.0} s ({:.1}×; {} alone {:.1}×, {} alone {:.1}×)",
                    r * t0,
                    t0,
                    r,
                    wa.id,
                    t1 / t0,
                    wb.id,
                    t2 / t0
                )
            } else {
                format!(
                    "is cut ({} alone {:.1}×, {} alone {:.1}×)",
                    wa.id,
                    t1 / t0,
                    wb.id,
                    t2 / t0
                )
            };
            let streets: Vec<String> = fa.streets.union(&fb.streets).cloned().collect();
            out.push(Finding {
                id: format!("corridor:{}:{}", wa.id, wb.id),
                kind: FindingKind::Corridor,
                severity: if strong {
                    Severity::Critical
                } else {
                    Severity::High
                },
                works: sorted_pair(&wa.id, &wb.id),
                dates: overlap,
                streets,
                distance_m: round1(distance(fa, fb)),
                detour_factor: r.is_finite().then_some((r * 100.0).round() / 100.0),
                strong,
                emergency: wa.emergency || wb.emergency,
                reason: format!(
                    "{} and {} close parallel alternatives from {} to {}: with both closed the \
                     trip {} → {} {what}",
                    wa.id, wb.id, overlap.start, overlap.end, probes.names[p], probes.names[q]
                ),
            });
        }
    }
}

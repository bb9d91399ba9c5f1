//! Moratoria (dig-bans): the streets a completed or scheduled resurfacing, reconstruction or
//! new road protects, and the works found inside them.

use super::footprint::{
    Builder, Foot, add_years, distance, near_bbox, projection, related, round1,
};
use super::types::{
    Finding, FindingKind, MORATORIUM_SOURCE, Moratorium, MoratoriumPeriods, Protection,
    RuleOptions, Severity,
};
use crate::network::RoadNetwork;
use crate::works::{DateRange, ResolvedEffect, Status, Work, WorkId};
use std::collections::HashMap;

/// The moratoria of `works` on `net`: each completed or scheduled resurfacing, reconstruction
/// or new road, protecting its footprint from the day after its end for its period.
pub fn moratoria(
    net: &RoadNetwork,
    works: &[Work],
    effects: &HashMap<WorkId, Vec<ResolvedEffect>>,
    periods: &MoratoriumPeriods,
) -> Vec<Moratorium> {
    let b = Builder {
        net,
        proj: projection(net),
    };
    let mut out = Vec::new();
    for w in works {
        let Some(p) = protection_of(w) else { continue };
        let years = p.years(periods);
        if years == 0 {
            continue;
        }
        let Some(parts) = b.protected(w, effects.get(&w.id).map(Vec::as_slice).unwrap_or(&[]))
        else {
            continue;
        };
        let end = w.window().end;
        let Some(from) = end.succ_opt() else { continue };
        out.push(Moratorium {
            work: w.id.clone(),
            name_zh: w.name_zh.clone(),
            name_en: w.name_en.clone(),
            protection: p,
            from,
            until: add_years(end, years),
            completed: w.status == Status::Completed,
            streets: parts.streets.into_iter().collect(),
            lines: parts.lines,
            source: format!(
                "model:moratorium rule, {years} years after the {} of {} ending {end} (its dates: {})",
                p.as_str(),
                w.id,
                w.dates_source
            ),
            basis: if *periods == MoratoriumPeriods::default() {
                MORATORIUM_SOURCE.to_string()
            } else {
                format!("configured: {years} years after {}", p.as_str())
            },
        });
    }
    out.sort_by(|a, b| a.from.cmp(&b.from).then(a.work.cmp(&b.work)));
    out
}

/// A work protects its street once done if it is of a protecting kind and is completed or
/// scheduled to complete (not cancelled or suspended: the state follows the schedule).
fn protection_of(w: &Work) -> Option<Protection> {
    if matches!(w.status, Status::Cancelled | Status::Suspended) {
        return None;
    }
    Protection::of(w.kind)
}

pub(super) fn moratorium_findings(
    b: &Builder,
    works: &[Work],
    effects: &HashMap<WorkId, Vec<ResolvedEffect>>,
    feet: &[Foot],
    opts: &RuleOptions,
    only: Option<&WorkId>,
    out: &mut Vec<Finding>,
) {
    let none: &[ResolvedEffect] = &[];
    for m in works {
        let Some(p) = protection_of(m) else { continue };
        let years = p.years(&opts.moratorium);
        if years == 0 {
            continue;
        }
        let Some(prot) = b.protected(m, effects.get(&m.id).map(Vec::as_slice).unwrap_or(none))
        else {
            continue;
        };
        let end = m.window().end;
        let Some(from) = end.succ_opt() else { continue };
        let period = DateRange {
            start: from,
            end: add_years(end, years),
        };
        let pf = Foot {
            work: m,
            geoms: prot.geoms,
            bbox: prot.bbox,
            streets: prot.streets,
            closed: vec![],
            segs: prot.segs,
        };
        for f in feet {
            let w = f.work;
            if related(m, w) || only.is_some_and(|id| id != &m.id && id != &w.id) {
                continue;
            }
            let Some(overlap) = period.intersection(&w.window()) else {
                continue;
            };
            if opts.window.is_some_and(|x| !x.overlaps(&overlap)) {
                continue;
            }
            let shared: Vec<String> = pf.streets.intersection(&f.streets).cloned().collect();
            if shared.is_empty() || !near_bbox(&pf.bbox, &f.bbox, opts.buffer_m) {
                continue;
            }
            // On the protected stretch itself: a shared segment when both are on the network,
            // else within the buffer. A site next to it on the same street is not inside it.
            let d = distance(&pf, f);
            let on_it = if pf.segs.is_empty() || f.segs.is_empty() {
                d <= opts.buffer_m
            } else {
                !pf.segs.is_disjoint(&f.segs)
            };
            if !on_it {
                continue;
            }
            let done = if m.status == Status::Completed {
                format!("completed on {end}")
            } else {
                format!("scheduled to complete on {end}")
            };
            let (severity, tail) = if w.emergency {
                (
                    Severity::Medium,
                    "; emergency works may proceed (art. 35: dig first, notify), the finding is kept",
                )
            } else {
                (Severity::High, "")
            };
            out.push(Finding {
                id: format!("moratorium:{}:{}", m.id, w.id),
                kind: FindingKind::Moratorium,
                severity,
                works: [m.id.clone(), w.id.clone()],
                dates: overlap,
                streets: shared.clone(),
                distance_m: round1(d),
                detour_factor: None,
                strong: false,
                emergency: w.emergency,
                reason: format!(
                    "{} works on {} from {} to {}, inside the {years}-year moratorium after {} \
                     ({}, {done}; protected to {}){tail}",
                    w.id,
                    shared.join(", "),
                    overlap.start,
                    overlap.end,
                    m.id,
                    p.as_str(),
                    period.end
                ),
            });
        }
    }
}

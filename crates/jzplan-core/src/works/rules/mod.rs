//! Coordination rules of a street-works office: the findings a planner sees on every save.
//!
//! - **site**: two works whose footprints lie within `buffer_m` (default 50 m) of each other
//!   and whose windows overlap — two sites in one place at once;
//! - **corridor**: two works on parallel alternatives of one corridor at once: closing both
//!   makes a trip between two probe points (district seats) much slower than either alone
//!   does (each is the other's detour); strong when the trip takes `detour_factor` × its base
//!   time or more, or is cut;
//! - **opportunity**: two works on the same street or within `opportunity_m` (100 m) whose
//!   windows do not overlap but are at most `opportunity_days` (180) apart — dig once;
//! - **moratorium**: a work on a stretch protected after a resurfacing, reconstruction or new
//!   road ([`MoratoriumPeriods`], defaults from 城市道路管理条例 art. 33) — sharing a segment of
//!   it, or, for a work known only by its geometry, within `buffer_m` of it on the same street;
//!   emergency works are allowed (art. 35) and the finding is kept.
//!
//! A work's **footprint** is the network edges of its construction effects (both directions of
//! a street as one line; planned links left out until they exist), or, for a work without
//! construction effects, its own geometry. Distances are planar in a local metric projection
//! (good to well under 1 % over a city). Cancelled works take no part; a programme and its own
//! children describe one site and are never compared.
//!
//! Files: `types.rs` (findings, options, moratorium periods), `footprint.rs` (footprints and
//! distances), `moratorium.rs` (dig-bans), `corridor.rs` (parallel alternatives); the site and
//! opportunity rules and the whole search are here.

mod corridor;
mod footprint;
mod moratorium;
mod types;

pub use moratorium::moratoria;
pub use types::{
    Finding, FindingFilter, FindingKind, MORATORIUM_SOURCE, Moratorium, MoratoriumPeriods,
    Protection, RuleOptions, Severity,
};

use super::{DateRange, ResolvedEffect, Status, Work, WorkId};
use crate::Result;
use crate::network::RoadNetwork;
use corridor::corridor_findings;
use footprint::{Builder, Foot, distance, near_bbox, projection, related, round1, sorted_pair};
use moratorium::moratorium_findings;
use std::collections::HashMap;

/// Every finding among `works` on `net`, most severe first; with `only`, just the findings of
/// that work (the check run on every save).
pub fn find(
    net: &RoadNetwork,
    works: &[Work],
    effects: &HashMap<WorkId, Vec<ResolvedEffect>>,
    opts: &RuleOptions,
    only: Option<&WorkId>,
) -> Result<Vec<Finding>> {
    opts.validate()?;
    let b = Builder {
        net,
        proj: projection(net),
    };
    let none: &[ResolvedEffect] = &[];
    let feet: Vec<Foot> = works
        .iter()
        .filter(|w| w.status != Status::Cancelled)
        .filter_map(|w| {
            let p = b.site(w, effects.get(&w.id).map(Vec::as_slice).unwrap_or(none))?;
            Some(Foot {
                work: w,
                geoms: p.geoms,
                bbox: p.bbox,
                streets: p.streets,
                closed: p.closed,
                segs: p.segs,
            })
        })
        .collect();
    let in_window = |d: &DateRange| opts.window.is_none_or(|w| w.overlaps(d));
    let wanted = |a: &Work, b: &Work| only.is_none_or(|id| &a.id == id || &b.id == id);
    let mut out = Vec::new();
    let reach = opts.buffer_m.max(opts.opportunity_m);
    for i in 0..feet.len() {
        for j in i + 1..feet.len() {
            let (fa, fb) = (&feet[i], &feet[j]);
            let (wa, wb) = (fa.work, fb.work);
            if related(wa, wb) || !wanted(wa, wb) {
                continue;
            }
            let same_street: Vec<String> = fa.streets.intersection(&fb.streets).cloned().collect();
            let close = near_bbox(&fa.bbox, &fb.bbox, reach);
            if !close && same_street.is_empty() {
                continue;
            }
            let d = if close {
                distance(fa, fb)
            } else {
                f64::INFINITY
            };
            let streets = if same_street.is_empty() {
                fa.streets.union(&fb.streets).cloned().collect()
            } else {
                same_street.clone()
            };
            let (xa, xb) = (wa.window(), wb.window());
            if let Some(overlap) = xa.intersection(&xb) {
                if d <= opts.buffer_m && in_window(&overlap) {
                    let both_close = !fa.closed.is_empty() && !fb.closed.is_empty();
                    let emergency = wa.emergency || wb.emergency;
                    out.push(Finding {
                        id: format!("site:{}:{}", wa.id, wb.id),
                        kind: FindingKind::Site,
                        severity: if both_close {
                            Severity::High
                        } else {
                            Severity::Medium
                        },
                        works: sorted_pair(&wa.id, &wb.id),
                        dates: overlap,
                        streets: streets.clone(),
                        distance_m: round1(d),
                        detour_factor: None,
                        strong: false,
                        emergency,
                        reason: format!(
                            "{} and {} are on site {:.0} m apart ({}) from {} to {}{}",
                            wa.id,
                            wb.id,
                            d,
                            streets.join(", "),
                            overlap.start,
                            overlap.end,
                            if both_close { "; both close roads" } else { "" }
                        ),
                    });
                }
            } else if d <= opts.opportunity_m || !same_street.is_empty() {
                let (first, second) = if xa.end < xb.start {
                    (wa, wb)
                } else {
                    (wb, wa)
                };
                let (e1, s2) = (first.window().end, second.window().start);
                let gap = (s2 - e1).num_days() - 1;
                let open = |w: &Work| !matches!(w.status, Status::Completed);
                if gap <= opts.opportunity_days && open(first) && open(second) {
                    let dates = DateRange {
                        start: e1.succ_opt().unwrap_or(e1).min(s2),
                        end: s2.pred_opt().unwrap_or(s2).max(e1),
                    };
                    if in_window(&dates) {
                        let where_ = if same_street.is_empty() {
                            format!("{:.0} m apart", d)
                        } else {
                            format!("both on {}", same_street.join(", "))
                        };
                        out.push(Finding {
                            id: format!("opportunity:{}:{}", wa.id, wb.id),
                            kind: FindingKind::Opportunity,
                            severity: Severity::Low,
                            works: sorted_pair(&wa.id, &wb.id),
                            dates,
                            streets: streets.clone(),
                            distance_m: round1(d.min(1e9)),
                            detour_factor: None,
                            strong: false,
                            emergency: wa.emergency || wb.emergency,
                            reason: format!(
                                "{} ends {e1} and {} starts {s2}, {gap} days later, {where_}: \
                                 dig once (one trench, one closure)",
                                first.id, second.id
                            ),
                        });
                    }
                }
            }
        }
    }
    moratorium_findings(&b, works, effects, &feet, opts, only, &mut out);
    corridor_findings(net, &feet, opts, only, &mut out);
    out.sort_by(|x, y| {
        y.severity
            .cmp(&x.severity)
            .then(x.kind.cmp(&y.kind))
            .then(x.dates.start.cmp(&y.dates.start))
            .then(x.id.cmp(&y.id))
    });
    Ok(out)
}

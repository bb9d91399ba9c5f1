//! Secondary conflicts: the other works on site during the window whose site lies on a detour
//! route, on the closed stretch itself, or takes more than a threshold of diverted traffic.

use super::closures::{ResolvedClosure, describe_action, names_of};
use super::detours::StudyDetour;
use crate::assignment::zones::RoadFlows;
use crate::network::{EdgeId, RoadNetwork};
use crate::works::{DateRange, Phase, ResolvedEffect, Status, Work, WorkId};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Another work that the closure makes worse, or that makes the closure worse.
#[derive(Clone, Debug, Serialize)]
pub struct Conflict {
    /// The other work.
    pub work: WorkId,
    /// Its Chinese name.
    pub name_zh: String,
    /// Its English name.
    pub name_en: String,
    /// What its site does (`narrows (1 lane per direction taken)`).
    pub action: String,
    /// Streets of its site.
    pub streets: Vec<String>,
    /// Its construction window.
    pub site_window: DateRange,
    /// Days both are on site.
    pub overlap: DateRange,
    /// Detours running over its site.
    pub on_detours: Vec<String>,
    /// It works on the closed stretch itself.
    pub on_closure: bool,
    /// Largest extra flow on an edge of its site (headline period), veh/h.
    pub delta_vph: f64,
    /// The street of that edge.
    pub delta_street: String,
    /// The edges of its site.
    pub site_edges: Vec<EdgeId>,
    /// Highest v/c on its site, baseline.
    pub vc_before: f64,
    /// With the closure.
    pub vc_after: f64,
    /// In one sentence.
    pub summary: String,
}

/// What [`secondary_conflicts`] compares.
pub struct ConflictInputs<'a> {
    /// The network.
    pub net: &'a RoadNetwork,
    /// The works other than the studied ones.
    pub others: &'a [Work],
    /// Every work's effects.
    pub resolved: &'a HashMap<WorkId, Vec<ResolvedEffect>>,
    /// The study's closures.
    pub closures: &'a [ResolvedClosure],
    /// Their detours.
    pub detours: &'a [StudyDetour],
    /// The study's window.
    pub window: &'a DateRange,
    /// Headline-period flows, baseline.
    pub before: &'a RoadFlows,
    /// The same with the closure.
    pub after: &'a RoadFlows,
    /// Extra veh/h on a site that makes a conflict.
    pub threshold: f64,
    /// The headline period in words (for the sentences).
    pub period_label: &'a str,
}

/// The secondary conflicts, the largest extra flow first.
pub fn secondary_conflicts(inp: &ConflictInputs<'_>) -> Vec<Conflict> {
    let ConflictInputs {
        net,
        others,
        resolved,
        closures,
        detours,
        window,
        before,
        after,
        threshold,
        period_label,
    } = *inp;
    let closed_set: HashSet<EdgeId> = closures.iter().flat_map(|c| c.edges.clone()).collect();
    let canonical = |e: EdgeId| net.edge(e).twin.map_or(e, |t| t.min(e));
    let closed_canon: HashSet<EdgeId> = closed_set.iter().map(|&e| canonical(e)).collect();
    let mut conflicts = Vec::new();
    for w in others {
        if w.status == Status::Cancelled {
            continue;
        }
        let site_window = w.window();
        let Some(overlap) = site_window.intersection(window) else {
            continue;
        };
        let effs: Vec<&ResolvedEffect> = resolved
            .get(&w.id)
            .into_iter()
            .flatten()
            .filter(|e| e.phase == Phase::Construction && !e.edges.is_empty())
            .collect();
        if effs.is_empty() {
            continue;
        }
        let mut site: Vec<EdgeId> = effs.iter().flat_map(|e| e.edges.clone()).collect();
        site.sort_unstable();
        site.dedup();
        let site_canon: HashSet<EdgeId> = site.iter().map(|&e| canonical(e)).collect();
        let on_detours: Vec<String> = detours
            .iter()
            .filter(|d| d.path.iter().any(|&e| site_canon.contains(&canonical(e))))
            .map(|d| d.id.clone())
            .collect();
        let on_closure = site_canon.iter().any(|e| closed_canon.contains(e));
        let (mut dmax, mut dstreet) = (f64::NEG_INFINITY, String::new());
        let (mut vb, mut va) = (0.0f64, 0.0f64);
        for &e in &site {
            let i = e.index();
            let dv = after.volume_vph[i] - before.volume_vph[i];
            if dv > dmax {
                dmax = dv;
                dstreet = net.street_of(e).display_name().to_string();
            }
            if before.time_s[i].is_finite() {
                vb = vb.max(before.vc[i]);
            }
            if after.time_s[i].is_finite() {
                va = va.max(after.vc[i]);
            }
        }
        let takes = dmax > threshold;
        if !(takes || on_closure || !on_detours.is_empty()) {
            continue;
        }
        let mut actions: Vec<String> = effs.iter().map(|e| describe_action(&e.action)).collect();
        actions.dedup();
        let action = actions.join(", ");
        let streets = names_of(net, &site);
        let studied_label = closures
            .iter()
            .map(|c| c.label.clone())
            .collect::<Vec<_>>()
            .join(" + ");
        let mut parts = Vec::new();
        if takes {
            parts.push(format!(
                "takes {:+.0} veh/h diverted from {studied_label} on {dstreet} ({})",
                dmax, period_label
            ));
        }
        if !on_detours.is_empty() {
            parts.push(format!("lies on detour {}", on_detours.join(", ")));
        }
        if on_closure {
            parts.push(format!("works on the stretch {studied_label} closes"));
        }
        let summary = format!(
            "{} {} ({}) {} {} from {} to {} while it {}",
            w.id,
            w.name_zh,
            w.name_en,
            action,
            streets.join(", "),
            overlap.start,
            overlap.end,
            parts.join("; ")
        );
        conflicts.push(Conflict {
            work: w.id.clone(),
            name_zh: w.name_zh.clone(),
            name_en: w.name_en.clone(),
            action,
            streets,
            site_window,
            overlap,
            on_detours,
            on_closure,
            delta_vph: dmax.max(0.0),
            delta_street: dstreet,
            site_edges: site.clone(),
            vc_before: vb,
            vc_after: va,
            summary,
        });
    }
    conflicts.sort_by(|a, b| {
        b.delta_vph
            .total_cmp(&a.delta_vph)
            .then_with(|| a.work.cmp(&b.work))
    });
    conflicts
}

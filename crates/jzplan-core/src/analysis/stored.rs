//! The analyses of the stored works: each gathers what it needs from the [`WorksBook`] (the
//! works, their resolved effects, the states on dates) and calls the analysis itself
//! ([`clash`](super::clash), [`detour`](super::detour), [`impact`](super::impact)), which
//! knows nothing of the store. The `Engine` facade calls these.

use super::clash::{Clash, ClashOptions, find_clashes};
use super::detour::{Detour, detours, detours_in_state};
use super::impact::{
    ChokePointRef, DayRun, Demand, ImpactQuery, ImpactResult, Task, YearAnalysis, analyse_year,
    compare, complete_choke_points, period_changes, run_day, run_state, year_task_counts,
};
use crate::assignment::periods::PeriodId;
use crate::network::RoadNetwork;
use crate::scenario::NetworkState;
use crate::works::engine::WorksBook;
use crate::works::{Work, WorkFilter, WorkId, check_date};
use crate::{Error, Result};
use chrono::NaiveDate;

/// Clashes among the stored works on this network.
pub fn stored_clashes(
    net: &RoadNetwork,
    book: &WorksBook,
    opts: &ClashOptions,
) -> Result<Vec<Clash>> {
    let works = book.list_works(&WorkFilter::default())?;
    let effects = book.resolved_effects(net)?;
    find_clashes(net, &works, &effects, opts)
}

/// Detours around every closure of the stored works, each work **alone** on the base
/// network (optionally only works on site on `date`). For what drivers face on a date, with
/// every closure of that day in force, see
/// [`Engine::detours_on`](crate::engine::Engine::detours_on).
pub fn stored_detours(
    net: &RoadNetwork,
    book: &WorksBook,
    date: Option<NaiveDate>,
) -> Result<Vec<Detour>> {
    let works = book.list_works(&WorkFilter {
        active_on: date,
        ..Default::default()
    })?;
    let effects = book.resolved_effects(net)?;
    Ok(detours(net, &works, &effects))
}

/// Detours around every stretch closed on `date`, on the network as it stands that day
/// (every work's closures of the date, new links of the date open).
pub fn detours_on(net: &RoadNetwork, book: &WorksBook, date: NaiveDate) -> Result<Vec<Detour>> {
    check_date("date", date)?;
    let works = book.list_works(&WorkFilter::default())?;
    let effects = book.resolved_effects(net)?;
    let state = NetworkState::on_date(net, &works, &effects, date);
    Ok(detours_in_state(&state, &works, &effects))
}

/// The 15 choke points of impact reports: the stored ones, completed from the base
/// assignment's v/c when fewer are stored (see [`complete_choke_points`]).
pub fn impact_choke_points(
    net: &RoadNetwork,
    book: &WorksBook,
    d: &Demand,
) -> Result<Vec<ChokePointRef>> {
    let stored: Vec<ChokePointRef> = book
        .list_hotspots()?
        .into_iter()
        .map(|h| {
            Ok(ChokePointRef {
                node: book.hotspot_node(net, &h.id)?,
                id: h.id.as_str().to_string(),
                name_zh: h.name_zh,
                name_en: h.name_en,
            })
        })
        .collect::<Result<_>>()?;
    if stored.len() >= 15 {
        return Ok(stored);
    }
    let base = run_state(&NetworkState::base(net), d)?;
    complete_choke_points(net, stored, &base.flows.vc, 15)
}

/// One before/after comparison (both states assigned in parallel).
pub fn impact(
    net: &RoadNetwork,
    book: &WorksBook,
    q: &ImpactQuery,
    d: &Demand,
    choke_points: &[ChokePointRef],
) -> Result<ImpactResult> {
    let works = book.list_works(&crate::works::WorkFilter::default())?;
    let resolved = book.resolved_effects(net)?;
    let (label, before, after) = match q {
        ImpactQuery::Date(date) => (
            format!("base network vs {date}"),
            NetworkState::base(net),
            book.state_on(net, *date)?,
        ),
        ImpactQuery::Work(date, id) => {
            if !works.iter().any(|w| &w.id == id) {
                return Err(Error::not_found("work", id));
            }
            crate::works::check_date("date", *date)?;
            let rest: Vec<Work> = works.iter().filter(|w| &w.id != id).cloned().collect();
            (
                format!("{date} without {id} vs with it"),
                NetworkState::on_date(net, &rest, &resolved, *date),
                NetworkState::on_date(net, &works, &resolved, *date),
            )
        }
        ImpactQuery::Scenario(id) => {
            let sc = book.get_scenario(id)?;
            (
                format!("plan vs scenario {id} on {}", sc.date),
                book.state_on(net, sc.date)?,
                book.scenario_state(net, &sc)?,
            )
        }
    };
    let (b, a) = rayon::join(|| run_day(&before, d), || run_day(&after, d));
    let (before_day, after_day) = (b?, a?);
    let am = |r: &DayRun| {
        r.period(PeriodId::AmPeak)
            .cloned()
            .ok_or_else(|| Error::invalid("the demand has no morning peak period"))
    };
    let (before, after) = (am(&before_day)?, am(&after_day)?);
    let mut comparison = compare(&label, net, d, &before, &after, choke_points, 10);
    comparison.periods = period_changes(&before_day, &after_day);
    Ok(ImpactResult {
        comparison,
        before,
        after,
    })
}

/// Assignments [`Engine::impact_year`](crate::engine::Engine::impact_year) will run: (states, works on site, completed works).
pub fn impact_year_tasks(
    net: &RoadNetwork,
    book: &WorksBook,
    year: i32,
    only: Option<&[WorkId]>,
) -> Result<(usize, usize, usize)> {
    let works = book.list_works(&crate::works::WorkFilter::default())?;
    year_task_counts(&works, &book.resolved_effects(net)?, year, only)
}

/// The year analysis of the stored works (see [`analyse_year`]); `only` limits the works
/// evaluated one by one (all works still make up the states). Unknown ids are `NotFound`.
pub fn impact_year(
    net: &RoadNetwork,
    book: &WorksBook,
    year: i32,
    d: &Demand,
    choke_points: &[ChokePointRef],
    only: Option<&[WorkId]>,
    tick: &(dyn Fn(Task) + Sync),
) -> Result<(YearAnalysis, Vec<Work>)> {
    let works = book.list_works(&crate::works::WorkFilter::default())?;
    if let Some(missing) = only
        .into_iter()
        .flatten()
        .find(|id| !works.iter().any(|w| &w.id == *id))
    {
        return Err(Error::not_found("work", missing));
    }
    let resolved = book.resolved_effects(net)?;
    let clashes = stored_clashes(net, book, &Default::default())?;
    let ya = analyse_year(
        net,
        &works,
        &resolved,
        &clashes,
        choke_points,
        d,
        year,
        only,
        tick,
    )?;
    Ok((ya, works))
}

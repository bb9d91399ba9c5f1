//! `jzplan assign` (static traffic assignment on a TNTP network or the Jinzhou network) and
//! `jzplan impact` (before/after analysis of works with a report).

use super::GlobalOpts;
use super::opts::{Format, FormatOpts, RECORD, parse_date_arg, print_json, stdout_error};
use crate::assignment::zones::{self, ConnectorOptions};
use crate::assignment::{
    Algorithm, AssignNetwork, AssignOptions, AssignmentResult, LinkId, LinkKind, OdMatrix,
    assign_with_progress,
};
use crate::io::tntp;
use crate::outln;
use crate::{Error, Result};
use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `jzplan assign`.
#[derive(Args, Debug)]
pub struct AssignArgs {
    /// TNTP network file (`*_net.tntp`). Without it, the road network (`--network`, default
    /// the embedded Jinzhou network) is assigned with its zones and demand.
    #[arg(long = "tntp-net", value_name = "FILE")]
    pub tntp_net: Option<PathBuf>,
    /// Demand: a TNTP trips file or a CSV OD matrix (`origin,destination,trips`). Default: the
    /// `_trips.tntp` file beside a TNTP network; for a road network the gravity model on the
    /// zones (see docs/assignment.md).
    #[arg(long, value_name = "FILE")]
    pub trips: Option<PathBuf>,
    /// Zones of a road network (GeoJSON points). Default: the embedded Jinzhou zones.
    #[arg(long, value_name = "FILE")]
    pub zones: Option<PathBuf>,
    /// Road network only: assign the network as it stands on this date (works from `--db`);
    /// the demand stays that of the base network.
    #[arg(long)]
    pub date: Option<String>,
    /// Road network only: write the demand used (gravity or read) as
    /// `origin,destination,trips,source` CSV.
    #[arg(long = "write-demand", value_name = "FILE")]
    pub write_demand: Option<PathBuf>,
    /// Algorithm: aon, msa, fw, cfw, bfw, algb (Algorithm B, bush-based: for tight gaps).
    #[arg(long, short = 'a', default_value = "bfw")]
    pub algorithm: Algorithm,
    /// Target relative gap.
    #[arg(long, default_value_t = 1e-4)]
    pub gap: f64,
    /// Iteration limit.
    #[arg(long = "max-iter", default_value_t = 500)]
    pub max_iter: usize,
    /// Weight of tolls in the generalized cost (time units per toll unit). Default: the TNTP
    /// file's `<TOLL FACTOR>` (0 when absent); 0 on road networks.
    #[arg(long = "toll-factor", value_name = "F")]
    pub toll_factor: Option<f64>,
    /// Weight of length in the generalized cost (time units per length unit; road networks:
    /// seconds per metre). Default: the TNTP file's `<DISTANCE FACTOR>` (0 when absent); 0 on
    /// road networks.
    #[arg(long = "distance-factor", value_name = "F")]
    pub distance_factor: Option<f64>,
    /// Write link results (volume, v/c, congested time) as CSV.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write skims (cost, time, distance per OD pair) as CSV.
    #[arg(long, value_name = "FILE")]
    pub skims: Option<PathBuf>,
    /// Select-link analysis of one link (`FROM-TO` node numbers of a TNTP link, `edge:N` for
    /// road edge N, or `#N` for the N-th link, 0-based): the OD pairs that use it.
    #[arg(long = "select-link", value_name = "LINK")]
    pub select_link: Option<String>,
    /// Compare the link volumes with a TNTP flow file (best-known solution).
    #[arg(long = "best-known", value_name = "FILE")]
    pub best_known: Option<PathBuf>,
    /// Output format of the summary (text or json).
    #[command(flatten)]
    pub format: FormatOpts,
}

/// Arguments of `jzplan impact`.
#[derive(Args, Debug)]
pub struct ImpactArgs {
    /// Every work over a year: month-by-month states, each work's cost while built and
    /// benefit once done, ranking, report (needs --year and --out).
    #[arg(long = "all-works")]
    pub all_works: bool,
    /// Year of the analysis.
    #[arg(long)]
    pub year: Option<i32>,
    /// Before/after on a date: the base network (no works) vs the network on this date; with
    /// --work: the date without the work vs with it.
    #[arg(long)]
    pub date: Option<String>,
    /// One work (with --date).
    #[arg(long)]
    pub work: Option<String>,
    /// With --all-works: evaluate only these works one by one (comma-separated ids); all
    /// works still make up the monthly states.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// A stored scenario: the plan on its date vs the scenario.
    #[arg(long)]
    pub scenario: Option<String>,
    /// Output directory (report, tables as CSV/JSON, GeoPackages).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Zones (GeoJSON points). Default: the embedded Jinzhou zones.
    #[arg(long, value_name = "FILE")]
    pub zones: Option<PathBuf>,
    /// Target relative gap of every assignment.
    #[arg(long, default_value_t = 1e-4)]
    pub gap: f64,
    /// Algorithm of every assignment: bfw, algb (Algorithm B, for tight gaps), cfw, fw, msa.
    #[arg(long, short = 'a', default_value = "bfw")]
    pub algorithm: Algorithm,
    /// Output format of the comparison (text or json; single before/after).
    #[command(flatten)]
    pub format: FormatOpts,
}

/// Where the network and demand of `assign` and `calibrate` come from.
pub(crate) struct Problem<'a> {
    pub tntp_net: Option<&'a Path>,
    pub trips: Option<&'a Path>,
    pub zones: Option<&'a Path>,
    pub date: Option<&'a str>,
    pub write_demand: Option<&'a Path>,
    pub toll_factor: Option<f64>,
    pub distance_factor: Option<f64>,
}

/// Loads the network (with its generalized-cost weights) and the demand of a problem:
/// (network, matrix, title, where the demand came from).
pub(crate) fn load_problem(
    g: &GlobalOpts,
    p: &Problem,
) -> anyhow::Result<(AssignNetwork, OdMatrix, String, String)> {
    let (net, od, title, trips) = match p.tntp_net {
        Some(path) => {
            // A TNTP network has its own zones and demand and no dates: these options would be
            // ignored, so they are refused.
            let road_only = [
                ("--zones", p.zones.is_some()),
                ("--date", p.date.is_some()),
                ("--write-demand", p.write_demand.is_some()),
            ];
            if let Some((flag, _)) = road_only.iter().find(|(_, given)| *given) {
                return Err(Error::invalid(format!(
                    "{flag} applies to a road network, not to a TNTP network (--tntp-net)"
                ))
                .into());
            }
            let t = tntp::read_net(path)?;
            let net = AssignNetwork::from_tntp(&t)?;
            let trips = match p.trips {
                Some(t) => t.to_path_buf(),
                None => default_trips(path)?,
            };
            let od = read_demand(&trips, &net)?;
            (
                net,
                od,
                path.display().to_string(),
                trips.display().to_string(),
            )
        }
        None => {
            // On a date the network comes from the works engine (planned links added, works
            // applied); the demand is always computed on the base state, so that dates differ
            // only by their network.
            let engine;
            let owned;
            let (road, dated) = match p.date {
                Some(d) => {
                    engine = super::open::open_engine(g)?.0;
                    let date = parse_date_arg(d)?;
                    (&*engine.network, Some(engine.state_on(date)?))
                }
                None => {
                    owned = g.load_network()?;
                    (&owned, None)
                }
            };
            let zones = match p.zones {
                Some(z) => zones::read_zones(z)?,
                None => zones::jinzhou_zones()?,
            };
            let conn = ConnectorOptions::default();
            let base = crate::scenario::NetworkState::base(road);
            let base_net = zones::state_assign_network(&base, &zones, &conn)?;
            let net = match &dated {
                Some(state) => zones::state_assign_network(state, &zones, &conn)?,
                None => base_net.clone(),
            };
            let (od, demand, source) = match p.trips {
                Some(t) => (
                    OdMatrix::read_csv(t, net.zone_names())?,
                    t.display().to_string(),
                    format!("file:{}", t.display()),
                ),
                None => {
                    let gr = zones::gravity_demand(&base_net, &zones, &zones::JINZHOU_GRAVITY)?;
                    let tag = zones::JINZHOU_GRAVITY.source_tag();
                    (gr.od, tag.clone(), tag)
                }
            };
            if let Some(w) = p.write_demand {
                zones::write_demand_csv(w, &zones, &od, &source)?;
            }
            let title = match p.date {
                Some(d) => format!("{} on {d}", road.origin),
                None => road.origin.clone(),
            };
            (net, od, title, demand)
        }
    };
    let net = match (p.toll_factor, p.distance_factor) {
        (None, None) => net,
        (t, d) => {
            let (t0, d0) = (net.toll_factor(), net.distance_factor());
            net.with_cost_weights(t.unwrap_or(t0), d.unwrap_or(d0))?
        }
    };
    Ok((net, od, title, trips))
}

/// Runs `jzplan assign`.
pub fn run_assign(g: &GlobalOpts, a: AssignArgs) -> anyhow::Result<()> {
    let json = a.format.get("assign", RECORD)? == Format::Json;
    if let (Some(out), Some(skims)) = (&a.out, &a.skims) {
        let same = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        if same(out) == same(skims) {
            return Err(Error::invalid(format!(
                "--out and --skims name the same file ({}): one would overwrite the other",
                out.display()
            ))
            .into());
        }
    }
    let (net, od, title, trips) = load_problem(
        g,
        &Problem {
            tntp_net: a.tntp_net.as_deref(),
            trips: a.trips.as_deref(),
            zones: a.zones.as_deref(),
            date: a.date.as_deref(),
            write_demand: a.write_demand.as_deref(),
            toll_factor: a.toll_factor,
            distance_factor: a.distance_factor,
        },
    )?;
    let opts = AssignOptions {
        algorithm: a.algorithm,
        target_gap: a.gap,
        max_iterations: a.max_iter,
    };
    let bar = ProgressBar::new(a.max_iter as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix} [{bar:30}] iter {pos}/{len} gap {msg}")
            .context("progress template")?
            .progress_chars("=> "),
    );
    bar.set_prefix(a.algorithm.to_string());
    let started = std::time::Instant::now();
    let r = assign_with_progress(&net, &od, &opts, |it| {
        bar.set_position(it.iteration as u64);
        bar.set_message(format!("{:.3e}", it.relative_gap));
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    bar.finish_and_clear();

    if let Some(p) = &a.out {
        write_links(p, &net, &r)?;
    }
    if let Some(p) = &a.skims {
        write_skims(p, &net, &r)?;
    }
    let comparison = match &a.best_known {
        Some(p) => Some(compare_best_known(p, &net, &r)?),
        None => None,
    };
    let mut out = std::io::stdout().lock();
    if json {
        let v = serde_json::json!({
            "network": title, "demand": trips,
            "algorithm": r.algorithm, "iterations": r.iterations,
            "relative_gap": r.relative_gap, "target_gap": r.target_gap, "converged": r.converged,
            "total_travel_time": r.total_travel_time, "total_cost": r.total_cost,
            "assigned_demand": r.assigned_demand, "unreachable_pairs": r.unreachable_pairs,
            "unreachable_demand": r.unreachable_demand, "elapsed_s": elapsed,
            "best_known": comparison.as_ref().map(|c| serde_json::json!({
                "max_rel_diff_links_over_1000": c.max_rel, "tstt": c.tstt,
                "tstt_rel_diff": c.tstt_rel })),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?).map_err(stdout_error)?;
    } else {
        writeln!(
            out,
            "{}: {} links, {} zones, demand {:.1} ({:.1} assigned)",
            title,
            net.link_count(),
            net.zone_count(),
            od.total(),
            r.assigned_demand
        )
        .map_err(stdout_error)?;
        writeln!(
            out,
            "{}: {} iterations, relative gap {:.3e} (target {:.1e}), {:.3} s",
            r.algorithm, r.iterations, r.relative_gap, r.target_gap, elapsed
        )
        .map_err(stdout_error)?;
        writeln!(
            out,
            "total travel time {:.6e}, total generalized cost {:.6e}",
            r.total_travel_time, r.total_cost
        )
        .map_err(stdout_error)?;
        if let Some(c) = &comparison {
            writeln!(
                out,
                "vs best known: max |Δv|/v {:.4} % on links over 1,000; total cost Σv·c {:.6e} vs {:.6e} ({:+.4} %)",
                c.max_rel * 100.0,
                r.total_cost,
                c.tstt,
                c.tstt_rel * 100.0
            ).map_err(stdout_error)?;
        }
    }
    if r.unreachable_pairs > 0 {
        eprintln!(
            "warning: {} OD pairs with demand {:.1} have no path and were not assigned",
            r.unreachable_pairs, r.unreachable_demand
        );
    }
    if let Some(spec) = &a.select_link {
        let link = parse_link(spec, &net)?;
        let pairs = r.select_link(&net, &od, link)?;
        let total: f64 = pairs.iter().map(|p| p.demand).sum();
        writeln!(
            out,
            "select link {spec}: {} OD pairs, demand {total:.1} (least-cost paths at final costs)",
            pairs.len()
        )
        .map_err(stdout_error)?;
        writeln!(out, "origin,destination,demand").map_err(stdout_error)?;
        for p in pairs {
            let z = net.zone_names();
            writeln!(
                out,
                "{},{},{}",
                z[p.origin.index()],
                z[p.destination.index()],
                p.demand
            )
            .map_err(stdout_error)?;
        }
    }
    if r.algorithm == Algorithm::Aon {
        // All-or-nothing is one loading on free-flow costs, not an equilibrium method: its gap
        // is reported above, there is nothing to converge.
        return Ok(());
    }
    if !r.converged {
        eprintln!(
            "NOT CONVERGED: {} stopped at relative gap {:.3e} after {} iterations (target {:.1e}); \
             raise --max-iter or loosen --gap",
            r.algorithm, r.relative_gap, r.iterations, r.target_gap
        );
    }
    r.ensure_converged()?;
    Ok(())
}

/// Runs `jzplan impact`.
pub fn run_impact(g: &GlobalOpts, a: ImpactArgs) -> anyhow::Result<()> {
    use crate::analysis::impact::{ImpactQuery, Task, format_delta};
    let json = a.format.get("impact", RECORD)? == Format::Json;
    // What can be checked before the minutes of assignments is checked first.
    if a.all_works {
        if let Some(year) = a.year
            && !(2000..=2100).contains(&year)
        {
            return Err(Error::invalid(format!(
                "--year {year} is outside the years the model covers (2000-2100)"
            ))
            .into());
        }
        if let Some(out) = &a.out {
            std::fs::create_dir_all(out).map_err(|e| Error::io(out.clone(), e))?;
        }
    }
    let (engine, _) = super::open::open_engine(g)?;
    let zones = a.zones.as_deref().map(zones::read_zones).transpose()?;
    if a.algorithm == crate::assignment::Algorithm::Aon {
        return Err(Error::invalid(
            "impact compares equilibria: all-or-nothing (aon) reaches none; use bfw, algb, cfw, fw or msa",
        )
        .into());
    }
    let mut demand = engine.impact_demand(zones, a.gap)?;
    demand.opts.algorithm = a.algorithm;
    let choke_points = engine.impact_choke_points(&demand)?;

    if a.all_works {
        let year = a
            .year
            .ok_or_else(|| Error::invalid("--all-works needs --year"))?;
        let out = a
            .out
            .clone()
            .ok_or_else(|| Error::invalid("--all-works needs --out DIR"))?;
        let only: Vec<crate::works::WorkId> = a
            .only
            .iter()
            .map(|s| crate::works::WorkId::parse(s))
            .collect::<Result<_>>()?;
        let only = (!only.is_empty()).then_some(only.as_slice());
        let (n_state, n_site, n_done) = engine.impact_year_tasks(year, only)?;
        let multi = indicatif::MultiProgress::new();
        let style = ProgressStyle::with_template("{prefix:>28} [{bar:30}] {pos}/{len} {elapsed}")
            .context("progress template")?
            .progress_chars("=> ");
        let bar = |n: usize, name: &str| {
            let b = multi.add(ProgressBar::new(n as u64));
            b.set_style(style.clone());
            b.set_prefix(name.to_string());
            b
        };
        let (b_state, b_site, b_done) = (
            bar(n_state, "months, base, full build"),
            bar(n_site, "works on site (months)"),
            bar(n_done, "completed works"),
        );
        let started = std::time::Instant::now();
        let (ya, works) = engine.impact_year(year, &demand, &choke_points, only, &|t| match t {
            Task::State => b_state.inc(1),
            Task::Construction => b_site.inc(1),
            Task::Completion => b_done.inc(1),
        })?;
        for b in [&b_state, &b_site, &b_done] {
            b.finish();
        }
        let files = crate::io::report::write_year_report(&out, &engine.network, &ya, &works)?;
        let not_converged = ya.months.iter().filter(|m| !m.summary.converged).count();
        let states = n_state + n_site + n_done;
        outln!(
            "{states} network states × {} periods of the day = {} assignments in {:.1} s; worst \
             month {} (VHT {:.0} vs base {:.0}); {} works ranked",
            demand.periods.len(),
            states * demand.periods.len(),
            started.elapsed().as_secs_f64(),
            ya.worst_month,
            ya.base_vs_worst_month.after.vht,
            ya.base_vs_worst_month.before.vht,
            ya.works.len()
        );
        for w in ya.works.iter().take(5) {
            outln!(
                "  {}. {} {}: net {} veh-h in the first year",
                w.rank,
                w.id,
                w.name_en,
                format_delta(
                    w.net_first_year_vht,
                    w.construction_resolution_vht + w.saved_resolution_vht,
                    0
                )
            );
        }
        outln!("  {}", ya.gap.sentence());
        outln!(
            "{} files in {}; open {}",
            files.len(),
            out.display(),
            out.join("index.html").display()
        );
        if not_converged > 0 {
            eprintln!(
                "warning: {not_converged} month states did not reach the gap {:.0e}",
                a.gap
            );
        }
        return Ok(());
    }

    let query = match (&a.scenario, &a.date, &a.work) {
        (Some(id), _, _) => ImpactQuery::Scenario(id.clone()),
        (None, Some(d), None) => ImpactQuery::Date(parse_date_arg(d)?),
        (None, Some(d), Some(w)) => {
            ImpactQuery::Work(parse_date_arg(d)?, crate::works::WorkId::parse(w)?)
        }
        (None, None, _) => {
            return Err(
                Error::invalid("give --all-works, --date (with --work) or --scenario").into(),
            );
        }
    };
    let r = engine.impact(&query, &demand, &choke_points)?;
    let c = &r.comparison;
    // As `--all-works` does: the figures stand, but say that they are not at the gap asked.
    for (n, s) in [("before", &c.before), ("after", &c.after)] {
        if !s.converged {
            eprintln!(
                "warning: the {n} assignment stopped at gap {:.1e} after {} iterations, short of \
                 the gap {:.0e} asked: its figures are less precise than stated",
                s.relative_gap, s.iterations, a.gap
            );
        }
    }
    if let Some(dir) = &a.out {
        let files = crate::io::report::write_comparison(
            dir,
            &engine.network,
            c,
            &r.before.flows,
            &r.after.flows,
        )?;
        eprintln!("{} files in {}", files.len(), dir.display());
    }
    if json {
        print_json(c)?;
        return Ok(());
    }
    outln!("{}", c.label);
    for (n, s) in [("before", &c.before), ("after", &c.after)] {
        outln!(
            "  {n:6} VHT {:>9.1}  VKT {:>9.1}  mean speed {:>5.1} km/h  gap {:.1e} in {} iterations{}",
            s.vht,
            s.vkt,
            s.mean_speed_kmh,
            s.relative_gap,
            s.iterations,
            if s.unreachable_pairs > 0 {
                format!(
                    "  ({} OD pairs without a path, {:.0} trips)",
                    s.unreachable_pairs, s.unreachable_trips
                )
            } else {
                String::new()
            }
        );
    }
    outln!(
        "  morning peak (mean hour of 07:00-09:00): ΔVHT {} veh-h (resolution {:.2}), ΔVKT {:+.1} veh-km",
        format_delta(c.delta_vht, c.resolution_vht, 1),
        c.resolution_vht,
        c.delta_vkt
    );
    let mut weekday = (0.0, 0.0);
    for p in &c.periods {
        outln!(
            "  {:9} ΔVHT {} veh-h per hour × {} h per weekday",
            p.period.as_str(),
            format_delta(p.delta_vht_per_hour, p.resolution_vht_per_hour, 1),
            p.weekday_hours
        );
        weekday.0 += p.delta_vht_per_hour * p.weekday_hours;
        weekday.1 += p.resolution_vht_per_hour * p.weekday_hours;
    }
    if !c.periods.is_empty() {
        outln!(
            "  weekday   ΔVHT {} veh-h",
            format_delta(weekday.0, weekday.1, 0)
        );
    }
    outln!("  choke points (v/c before → after):");
    for p in &c.choke_points {
        let v = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.2}"));
        outln!(
            "    {:6} {:24} {:>5} → {:>5}",
            p.id,
            p.name_en,
            v(p.vc_before),
            v(p.vc_after)
        );
    }
    outln!("  links gaining most flow:");
    for l in &c.gaining {
        outln!(
            "    edge {:5} {:28} {:+8.0} veh/h",
            l.edge,
            l.street,
            l.delta_vph
        );
    }
    outln!("  links losing most flow:");
    for l in &c.losing {
        outln!(
            "    edge {:5} {:28} {:+8.0} veh/h",
            l.edge,
            l.street,
            l.delta_vph
        );
    }
    outln!("  OD pairs with changed times: {}", c.od_changes.len());
    Ok(())
}

fn default_trips(net: &Path) -> Result<PathBuf> {
    let name = net.file_name().and_then(|n| n.to_str()).unwrap_or("");
    match name.strip_suffix("_net.tntp") {
        Some(prefix) => Ok(net.with_file_name(format!("{prefix}_trips.tntp"))),
        None => Err(Error::invalid(format!(
            "cannot guess the trips file of '{}': pass --trips",
            net.display()
        ))),
    }
}

fn read_demand(path: &Path, net: &AssignNetwork) -> Result<OdMatrix> {
    let is_csv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        return OdMatrix::read_csv(path, net.zone_names());
    }
    let t = tntp::read_trips(path)?;
    if t.zones as usize != net.zone_count() {
        return Err(Error::file(
            path,
            "metadata",
            format!(
                "<NUMBER OF ZONES> {} does not match the network's {}",
                t.zones,
                net.zone_count()
            ),
        ));
    }
    OdMatrix::from_tntp(&t)
}

fn parse_link(spec: &str, net: &AssignNetwork) -> Result<LinkId> {
    crate::assignment::odme::parse_link(net, spec)
}

fn link_label(kind: LinkKind) -> (String, String) {
    match kind {
        LinkKind::Tntp { init, term } => (init.to_string(), term.to_string()),
        LinkKind::Road(e) => (format!("edge:{e}"), String::new()),
        LinkKind::Connector(z) => (format!("zone:{z}"), String::new()),
    }
}

fn write_links(path: &Path, net: &AssignNetwork, r: &AssignmentResult) -> Result<()> {
    let mut w = csv::Writer::from_path(path).map_err(|e| Error::io(path, e.into()))?;
    let io = |e: csv::Error| Error::io(path, e.into());
    w.write_record([
        "link",
        "from",
        "to",
        "volume",
        "capacity",
        "vc",
        "free_flow_time",
        "congested_time",
        "cost",
    ])
    .map_err(io)?;
    for i in 0..net.link_count() {
        let l = LinkId(i as u32);
        let (from, to) = link_label(net.link_kind(l));
        w.write_record([
            i.to_string(),
            from,
            to,
            format!("{:.6}", r.volume[i]),
            net.capacity(l).to_string(),
            format!("{:.6}", r.vc[i]),
            net.free_flow_time(l).to_string(),
            format!("{:.6}", r.time[i]),
            format!("{:.6}", r.cost[i]),
        ])
        .map_err(io)?;
    }
    w.flush().map_err(|e| Error::io(path, e))
}

fn write_skims(path: &Path, net: &AssignNetwork, r: &AssignmentResult) -> Result<()> {
    let s = r.skims(net);
    let mut w = csv::Writer::from_path(path).map_err(|e| Error::io(path, e.into()))?;
    let io = |e: csv::Error| Error::io(path, e.into());
    w.write_record(["origin", "destination", "cost", "time", "distance"])
        .map_err(io)?;
    let z = net.zone_names();
    for o in 0..s.zones {
        for d in 0..s.zones {
            let i = o * s.zones + d;
            if o == d || !s.cost[i].is_finite() {
                continue;
            }
            w.write_record([
                z[o].clone(),
                z[d].clone(),
                format!("{:.6}", s.cost[i]),
                format!("{:.6}", s.time[i]),
                format!("{:.6}", s.distance[i]),
            ])
            .map_err(io)?;
        }
    }
    w.flush().map_err(|e| Error::io(path, e))
}

struct Comparison {
    max_rel: f64,
    tstt: f64,
    tstt_rel: f64,
}

fn compare_best_known(
    path: &Path,
    net: &AssignNetwork,
    r: &AssignmentResult,
) -> Result<Comparison> {
    let best = tntp::read_flow(path)?;
    let mut max_rel: f64 = 0.0;
    let mut tstt = 0.0;
    // Every link once: a partial file would compare part of the total with all of it.
    let mut seen = vec![false; net.link_count()];
    for b in &best {
        let l = net.tntp_link(b.from, b.to).ok_or_else(|| {
            Error::file(
                path,
                format!("link {}-{}", b.from, b.to),
                "no such link in the network",
            )
        })?;
        if std::mem::replace(&mut seen[l.index()], true) {
            return Err(Error::file(
                path,
                format!("link {}-{}", b.from, b.to),
                "the link is listed twice",
            ));
        }
        tstt += b.volume * b.cost;
        if b.volume > 1_000.0 {
            max_rel = max_rel.max((r.volume[l.index()] - b.volume).abs() / b.volume);
        }
    }
    let covered = seen.iter().filter(|&&s| s).count();
    if covered < seen.len() {
        return Err(Error::file(
            path,
            "links",
            format!(
                "the best-known flows cover {covered} of the network's {} links: is the file cut short?",
                seen.len()
            ),
        ));
    }
    Ok(Comparison {
        max_rel,
        tstt,
        // The flow file's cost column is the link's generalized cost at that volume (Chicago
        // Sketch: 0.0345 on a zero-time connector of 0.86 miles = 0.04 min/mile), so the sum is
        // compared with the total generalized cost (the total travel time when both factors
        // are 0, as on SiouxFalls).
        tstt_rel: (r.total_cost - tstt) / tstt,
    })
}

//! `jzplan scenario`: what-if scenarios (list, show, create, delete, route: base vs scenario).

use super::*;

/// Scenario commands.
#[derive(Subcommand, Debug)]
pub enum ScenarioCmd {
    /// Stored what-if scenarios.
    List {
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
    /// The network on a date (or in a stored scenario): works in force, edges closed/opened.
    Show {
        /// A stored scenario id.
        id: Option<String>,
        /// A date instead of a scenario (default: today).
        #[command(flatten)]
        date: DateOpts,
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
    /// Store a what-if scenario: a period (`--period 2022-05-01..2022-10-31`, or one date)
    /// and overrides (`--set P1=suspended`, `--window P1=2023-04-01..2024-10-31`,
    /// `--closed-until P1=2023-06-30`: closed but not finished). Overrides that change nothing
    /// in the period are reported as warnings.
    Create {
        /// Scenario id.
        id: String,
        /// The date it is evaluated on (default: the period's first day, else today).
        #[command(flatten)]
        date: DateOpts,
        /// The period the scenario is about, START..END (both days included).
        #[arg(long = "period", value_name = "START..END")]
        period: Option<String>,
        /// Description.
        #[arg(long, default_value = "")]
        name: String,
        /// Status overrides WORK=STATUS.
        #[arg(long = "set")]
        set: Vec<String>,
        /// Window overrides WORK=START..END.
        #[arg(long = "window")]
        window: Vec<String>,
        /// Closed but not finished, WORK=DATE: the work's site stays until DATE (its start
        /// kept) and its new links open only after it.
        #[arg(long = "closed-until", value_name = "WORK=DATE")]
        closed_until: Vec<String>,
        /// Who.
        #[arg(long)]
        actor: Option<String>,
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
    /// Delete a stored scenario.
    Delete {
        /// Scenario id.
        id: String,
        /// The version it is deleted at (see `scenario list --json`).
        #[arg(long = "version")]
        expected_version: u64,
        /// Who.
        #[arg(long)]
        actor: Option<String>,
    },
    /// Base route vs route on a date or in a scenario: extra time, distance, streets.
    Route {
        /// Origin LON,LAT.
        #[arg(long)]
        from: String,
        /// Destination LON,LAT.
        #[arg(long)]
        to: String,
        /// The date (default: today).
        #[command(flatten)]
        date: DateOpts,
        /// A stored scenario instead of a date.
        #[arg(long, conflicts_with_all = ["date", "on"])]
        scenario: Option<String>,
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
}

/// Runs a scenario command.
pub fn run_scenario(g: &GlobalOpts, c: ScenarioCmd) -> anyhow::Result<()> {
    let (engine, _) = open_engine(g)?;
    match c {
        ScenarioCmd::List { out } => {
            let ss = engine.list_scenarios()?;
            if out.table("scenario list", &ss)? {
                return Ok(());
            }
            for s in ss {
                let p = s.period();
                let when = if p.start == p.end {
                    p.start.to_string()
                } else {
                    format!("{}..{}", p.start, p.end)
                };
                outln!(
                    "{:<16} {} {} override(s)  {}",
                    s.id,
                    when,
                    s.overrides.len(),
                    s.name
                );
            }
        }
        ScenarioCmd::Show { id, date, out } => {
            let state = match (id, date.given()?) {
                (Some(id), None) => engine.scenario_state(&engine.get_scenario(&id)?)?,
                (None, Some(d)) => engine.state_on(d)?,
                (None, None) => engine.state_on(date.or_today("the network")?)?,
                (Some(_), Some(_)) => {
                    return Err(
                        crate::Error::invalid("give a scenario id or --date (not both)").into(),
                    );
                }
            };
            let summary = crate::scenario::StateSummary::of(&state);
            if out.record("scenario show", &summary)? {
                return Ok(());
            }
            outln!(
                "network on {}",
                summary.date.map(|d| d.to_string()).unwrap_or_default()
            );
            outln!("  on site:   {}", summary.construction.join(", "));
            outln!("  completed: {}", summary.completed.join(", "));
            outln!(
                "  {} edge(s) changed: {} closed, {} new opened, {} narrowed or slowed",
                summary.changed_edges,
                summary.closed_edges,
                summary.opened_edges,
                summary.reduced_edges
            );
            if !summary.closed_streets.is_empty() {
                outln!("  closed:    {}", summary.closed_streets.join(", "));
            }
            if !summary.opened_streets.is_empty() {
                outln!("  opened:    {}", summary.opened_streets.join(", "));
            }
        }
        ScenarioCmd::Create {
            id,
            date,
            period,
            name,
            set,
            window,
            closed_until,
            actor,
            out,
        } => {
            let mut overrides: Vec<WorkOverride> = Vec::new();
            for s in &set {
                let (w, st) = s.split_once('=').ok_or_else(|| {
                    crate::Error::invalid(format!("--set '{s}' must be WORK=STATUS"))
                })?;
                overrides.push(WorkOverride {
                    work: WorkId::parse(w.trim())?,
                    status: Some(st.parse()?),
                    window: None,
                    closed_until: None,
                });
            }
            for s in &window {
                let (w, r) = s.split_once('=').ok_or_else(|| {
                    crate::Error::invalid(format!("--window '{s}' must be WORK=START..END"))
                })?;
                let (a, b) = r.split_once("..").ok_or_else(|| {
                    crate::Error::invalid(format!("--window '{s}' must be WORK=START..END"))
                })?;
                overrides.push(WorkOverride {
                    work: WorkId::parse(w.trim())?,
                    status: None,
                    window: Some(DateRange::new(parse_date(a)?, parse_date(b)?)?),
                    closed_until: None,
                });
            }
            for s in &closed_until {
                let (w, d) = s.split_once('=').ok_or_else(|| {
                    crate::Error::invalid(format!("--closed-until '{s}' must be WORK=DATE"))
                })?;
                let (work, day) = (WorkId::parse(w.trim())?, parse_date(d)?);
                match overrides.iter_mut().find(|o| o.work == work) {
                    Some(o) => o.closed_until = Some(day),
                    None => overrides.push(WorkOverride {
                        work,
                        status: None,
                        window: None,
                        closed_until: Some(day),
                    }),
                }
            }
            let window = match &period {
                Some(p) => {
                    let (a, b) = p.split_once("..").ok_or_else(|| {
                        crate::Error::invalid(format!("--period '{p}' must be START..END"))
                    })?;
                    Some(DateRange::new(parse_date(a)?, parse_date(b)?)?)
                }
                None => None,
            };
            let date = match (date.given()?, window) {
                (Some(d), _) => d,
                (None, Some(w)) => w.start,
                (None, None) => date.or_today("the scenario's date")?,
            };
            let sc = Scenario {
                id,
                name,
                date,
                window,
                overrides,
                version: 0,
            };
            let actor = actor
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "cli".into());
            let saved = engine.put_scenario(&sc, 0, &actor, "")?;
            if out.record("scenario create", &saved)? {
                return Ok(());
            }
            let p = saved.scenario.period();
            outln!(
                "scenario {} stored (version {}), {} … {}, evaluated on {}",
                saved.scenario.id,
                saved.scenario.version,
                p.start,
                p.end,
                saved.scenario.date
            );
            for w in &saved.warnings {
                outln!("warning: {w}");
            }
        }
        ScenarioCmd::Delete {
            id,
            expected_version,
            actor,
        } => {
            let actor = actor
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "cli".into());
            engine.delete_scenario(&id, expected_version, &actor, "")?;
            outln!("scenario {id} deleted");
        }
        ScenarioCmd::Route {
            from,
            to,
            date,
            scenario,
            out,
        } => {
            // clap refuses --scenario with --date.
            let state = match scenario {
                Some(id) => engine.scenario_state(&engine.get_scenario(&id)?)?,
                None => engine.state_on(date.or_today("the network")?)?,
            };
            let cmp = engine.compare_routes(
                &state,
                parse_lon_lat(&from)?,
                parse_lon_lat(&to)?,
                Metric::Time,
            )?;
            if out.record("scenario route", &cmp)? {
                return Ok(());
            }
            let streets = |r: &crate::routing::Route| {
                r.streets
                    .iter()
                    .map(|s| {
                        if s.name_zh.is_empty() {
                            s.name_en.clone()
                        } else {
                            s.name_zh.clone()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" → ")
            };
            outln!(
                "base:     {:>7.0} s {:>8.0} m  {}",
                cmp.base.duration_s,
                cmp.base.distance_m,
                streets(&cmp.base)
            );
            match &cmp.scenario {
                Some(r) => outln!(
                    "{}: {:>7.0} s {:>8.0} m  {}",
                    cmp.label,
                    r.duration_s,
                    r.distance_m,
                    streets(r)
                ),
                None => outln!("{}: no route ({})", cmp.label, cmp.note),
            }
            if let (Some(dt), Some(dm)) = (cmp.extra_s, cmp.extra_m) {
                outln!("extra:    {dt:>+7.0} s {dm:>+8.0} m");
            }
        }
    }
    Ok(())
}

//! `works`, `hotspots`, `scenario` and `clashes`: parse → Engine → format (text or JSON).

use super::GlobalOpts;
use super::opts::{ALL, DateOpts, Format, FormatOpts, WindowOpts, print_json};
use crate::analysis::clash::ClashOptions;
use crate::engine::Engine;
use crate::hotspot::{self, HotspotStatus};
use crate::network::Metric;
use crate::network::geom::parse_lon_lat;
use crate::scenario::{Scenario, WorkOverride};
use crate::store::SeedReport;
use crate::works::catalogue::Catalogue;
use crate::works::engine::TimelineRow;
use crate::works::{DateRange, Status, WorkFilter, WorkId, WorkKind, parse_date};
use crate::{out, outln};
use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use std::io::Write;

/// Who makes a change and why.
#[derive(Args, Debug, Clone)]
pub struct ChangeOpts {
    /// Who makes the change (default: $USER).
    #[arg(long)]
    pub actor: Option<String>,
    /// Why.
    #[arg(long, default_value = "")]
    pub comment: String,
    /// The version the change is made from (see `works show`); a stale version is refused.
    #[arg(long = "version", value_name = "VERSION")]
    pub expected_version: u64,
}

impl ChangeOpts {
    fn actor(&self) -> String {
        self.actor
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "cli".to_string())
    }
}

/// Works commands.
#[derive(Subcommand, Debug)]
pub enum WorksCmd {
    /// List works (filter by status, kind, date, bbox, parent).
    List {
        /// Only this status.
        #[arg(long)]
        status: Option<String>,
        /// Only this kind.
        #[arg(long)]
        kind: Option<String>,
        /// Only works on site on this date.
        #[command(flatten)]
        date: DateOpts,
        /// Only works within MIN_LON,MIN_LAT,MAX_LON,MAX_LAT.
        #[arg(long)]
        bbox: Option<String>,
        /// Only children of this work.
        #[arg(long)]
        parent: Option<String>,
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
    /// One work: record, children, attachment and history.
    Show {
        /// Work id.
        id: String,
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
    /// Move a work to a new status (allowed transitions only).
    SetStatus {
        /// Work id.
        id: String,
        /// New status.
        status: String,
        /// Effective date (default: today).
        #[command(flatten)]
        date: DateOpts,
        /// Who, why, from which version.
        #[command(flatten)]
        change: ChangeOpts,
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
    /// Change a work's planned dates.
    SetDates {
        /// Work id.
        id: String,
        /// First day (YYYY-MM-DD).
        #[arg(long)]
        start: String,
        /// Last day (YYYY-MM-DD).
        #[arg(long)]
        end: String,
        /// Who, why, from which version.
        #[command(flatten)]
        change: ChangeOpts,
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
    /// A work's history: who, when, old → new, why.
    History {
        /// Work or hotspot id.
        id: String,
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
    /// The works as a Gantt chart.
    Timeline {
        /// The dates charted (default: from the first start to the last end).
        #[command(flatten)]
        window: WindowOpts,
        /// Chart width in columns.
        #[arg(long, default_value_t = 60)]
        width: usize,
        /// Only this status.
        #[arg(long)]
        status: Option<String>,
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
    /// Attach the works and choke points to the network (`--network`) and report, one by
    /// one, what matched, how far it moved and what did not match.
    Attach {
        /// Only list what did not match.
        #[arg(long)]
        unmatched: bool,
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
    /// Seed the database from the catalogue and report what differs.
    Seed {
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
    /// For every closed stretch, the fastest way around it, its extra time and its route.
    Detours {
        /// On the network as it stands on this date: every closure of the day in force, new
        /// links open. Without it: every work alone on the base network.
        #[command(flatten)]
        date: DateOpts,
        /// Output; `--format geojson` prints a FeatureCollection (one LineString a detour, the
        /// `detours` layer's properties), for GIS:
        /// `jzplan works detours --date 2022-06-01 --format geojson > d.geojson`.
        #[command(flatten)]
        out: FormatOpts,
    },
    /// Works as records and their coordination findings.
    #[command(flatten)]
    Coord(super::coordination::CoordCmd),
    /// Test helper: writes scenarios in a loop, printing each acknowledged write.
    #[command(hide = true, name = "durability-writer")]
    DurabilityWriter {
        /// How many writes.
        #[arg(long, default_value_t = 100_000)]
        count: u64,
    },
}

/// Choke-point commands.
#[derive(Subcommand, Debug)]
pub enum HotspotsCmd {
    /// The 15 choke points.
    List {
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
    /// Rank candidate choke points on the network (gravity demand proxy, all-or-nothing).
    Identify {
        /// How many candidates.
        #[arg(long, default_value_t = 14)]
        n: usize,
        /// Zone grid cell size in metres.
        #[arg(long, default_value_t = 1000.0)]
        cell_m: f64,
        /// Minimum distance between two candidates in metres.
        #[arg(long, default_value_t = 400.0)]
        min_sep_m: f64,
        /// Rank streets (worst edge score) instead of junctions.
        #[arg(long)]
        streets: bool,
        /// Score edges by `vc` (volume/capacity from a user-equilibrium assignment of the
        /// Jinzhou gravity demand on the base network, BFW to gap 1e-4) or by `proxy` (the
        /// quick all-or-nothing demand proxy on a zone grid, `--cell-m`).
        #[arg(long, value_enum, default_value_t = IdentifyMethod::Vc)]
        method: IdentifyMethod,
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
    /// Set a choke point's status (congested, being_opened, opened).
    SetStatus {
        /// Hotspot id.
        id: String,
        /// New status.
        status: String,
        /// Who, why, from which version.
        #[command(flatten)]
        change: ChangeOpts,
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
}

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
    /// Store a what-if scenario: a date and overrides (`--set P1=suspended`,
    /// `--window P1=2023-04-01..2024-10-31`).
    Create {
        /// Scenario id.
        id: String,
        /// The date it is evaluated on (default: today).
        #[command(flatten)]
        date: DateOpts,
        /// Description.
        #[arg(long, default_value = "")]
        name: String,
        /// Status overrides WORK=STATUS.
        #[arg(long = "set")]
        set: Vec<String>,
        /// Window overrides WORK=START..END.
        #[arg(long = "window")]
        window: Vec<String>,
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

/// `clashes` arguments.
#[derive(Args, Debug)]
pub struct ClashesArgs {
    /// Only clashes overlapping these dates.
    #[command(flatten)]
    pub window: WindowOpts,
    /// Footprints closer than this (metres) touch.
    #[arg(long, default_value_t = 100.0)]
    pub near_m: f64,
    /// Output.
    #[command(flatten)]
    pub out: FormatOpts,
}

/// Opens the store named by `--db`, loads the network, adds the catalogue's planned links,
/// seeds the store (idempotent) and attaches everything.
pub fn open_engine(g: &GlobalOpts) -> anyhow::Result<(Engine, SeedReport)> {
    let store = crate::store::open(&g.db_spec())?;
    let catalogue = Catalogue::jinzhou()?;
    let net = g.load_network()?;
    let engine = Engine::with_works(net, store, &catalogue)?;
    let report = engine.seed(&catalogue)?;
    tracing::info!(
        db = %g.db.display(),
        added = report.added.len(),
        updated = report.updated.len(),
        "works database open and seeded"
    );
    if !report.updated.is_empty() {
        eprintln!(
            "note: updated from the catalogue: {}",
            report.updated.join(", ")
        );
    }
    if !report.kept_edits.is_empty() {
        eprintln!(
            "note: {} record(s) edited in the database differ from the catalogue and were kept \
             (see `jzplan works seed`)",
            report.kept_edits.len()
        );
    }
    Ok((engine, report))
}

fn parse_bbox(s: &str) -> crate::Result<[f64; 4]> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| crate::Error::invalid(format!("bbox '{s}' must be four numbers")))?;
    match v.as_slice() {
        [a, b, c, d] if a <= c && b <= d => Ok([*a, *b, *c, *d]),
        _ => Err(crate::Error::invalid(format!(
            "bbox '{s}' must be MIN_LON,MIN_LAT,MAX_LON,MAX_LAT"
        ))),
    }
}

/// Runs a works command.
pub fn run_works(g: &GlobalOpts, c: WorksCmd) -> anyhow::Result<()> {
    let c = match c {
        WorksCmd::DurabilityWriter { count } => return durability_writer(g, count),
        WorksCmd::Coord(c) => return super::coordination::run(g, c),
        c => c,
    };
    let (engine, seed) = open_engine(g)?;
    match c {
        WorksCmd::List {
            status,
            kind,
            date,
            bbox,
            parent,
            out,
        } => {
            let filter = WorkFilter {
                status: status.as_deref().map(str::parse::<Status>).transpose()?,
                kind: kind.as_deref().map(str::parse::<WorkKind>).transpose()?,
                active_on: date.given()?,
                bbox: bbox.as_deref().map(parse_bbox).transpose()?,
                parent: parent.as_deref().map(WorkId::parse).transpose()?,
            };
            let works = engine.list_works(&filter)?;
            if out.table("works list", &works)? {
                return Ok(());
            }
            outln!(
                "{:<7} {:<19} {:<24} {:<23} {:<11} name",
                "id",
                "status",
                "window",
                "kind",
                "source"
            );
            for w in works {
                outln!(
                    "{:<7} {:<19} {:<24} {:<23} {:<11} {} / {}",
                    w.id,
                    w.status.as_str(),
                    w.window().to_string(),
                    w.kind.as_str(),
                    w.source.split(':').next().unwrap_or(""),
                    w.name_zh,
                    w.name_en
                );
            }
        }
        WorksCmd::Show { id, out } => {
            let d = engine.get_work(&WorkId::parse(&id)?)?;
            if out.record("works show", &d)? {
                return Ok(());
            }
            let w = &d.work;
            outln!(
                "{} {} / {}  (version {})",
                w.id,
                w.name_zh,
                w.name_en,
                w.version
            );
            outln!("  kind      {}", w.kind.as_str());
            outln!("  status    {}   [{}]", w.status, w.status_source);
            outln!("  planned   {}   [{}]", w.planned, w.dates_source);
            if let Some(s) = w.actual_start {
                outln!("  started   {s}");
            }
            if let Some(e) = w.actual_end {
                outln!("  completed {e}");
            }
            outln!("  source    {}   {}", w.source, w.seed_quote);
            if let Some(p) = &w.parent {
                outln!("  parent    {p}");
            }
            if !d.children.is_empty() {
                let c: Vec<&str> = d.children.iter().map(|c| c.as_str()).collect();
                outln!("  children  {}", c.join(", "));
            }
            if let Some(h) = &w.hotspot {
                outln!("  opens     choke point {h}");
            }
            if !w.notes.is_empty() {
                outln!("  notes     {}", w.notes);
            }
            outln!("  on this network ({} edges):", d.edges.len());
            for a in &d.attachment {
                print_attach(a)?;
            }
            outln!("  history:");
            for h in &d.history {
                outln!(
                    "    v{} {} {}: {} {} → {} {}",
                    h.version,
                    h.at.format("%Y-%m-%d %H:%M:%S"),
                    h.actor,
                    h.field,
                    h.old,
                    h.new,
                    h.comment
                );
            }
        }
        WorksCmd::SetStatus {
            id,
            status,
            date,
            change,
            out,
        } => {
            let w = engine.set_status(
                &WorkId::parse(&id)?,
                status.parse()?,
                date.or_today("the effective date")?,
                change.expected_version,
                &change.actor(),
                &change.comment,
            )?;
            if out.record("works set-status", &w)? {
                return Ok(());
            }
            outln!("{} is now {} (version {})", w.id, w.status, w.version);
        }
        WorksCmd::SetDates {
            id,
            start,
            end,
            change,
            out,
        } => {
            let range = DateRange::new(parse_date(&start)?, parse_date(&end)?)?;
            let w = engine.set_dates(
                &WorkId::parse(&id)?,
                range,
                Some(&format!("edited by {}", change.actor())),
                change.expected_version,
                &change.actor(),
                &change.comment,
            )?;
            if out.record("works set-dates", &w)? {
                return Ok(());
            }
            outln!("{} planned {} (version {})", w.id, w.planned, w.version);
        }
        WorksCmd::History { id, out } => {
            let h = engine.history(&id)?;
            if h.is_empty() {
                // Distinguish "no history" from "no such record".
                WorkId::parse(&id)?;
                if engine.get_work(&WorkId(id.clone())).is_err()
                    && engine
                        .get_hotspot(&crate::hotspot::HotspotId(id.clone()))
                        .is_err()
                {
                    return Err(crate::Error::not_found("work", &id).into());
                }
            }
            if out.table("works history", &h)? {
                return Ok(());
            }
            for e in h {
                outln!(
                    "v{:<3} {} {:<10} {:<8} {} → {}  {}",
                    e.version,
                    e.at.format("%Y-%m-%d %H:%M:%S"),
                    e.actor,
                    e.field,
                    e.old,
                    e.new,
                    e.comment
                );
            }
        }
        WorksCmd::Timeline {
            window,
            width,
            status,
            out,
        } => {
            let filter = WorkFilter {
                status: status.as_deref().map(str::parse::<Status>).transpose()?,
                ..Default::default()
            };
            let rows = engine.timeline(&filter)?;
            if out.table("works timeline", &rows)? {
                return Ok(());
            }
            let (from, to) = window.get()?.unwrap_or((None, None));
            out!("{}", gantt(&rows, from, to, width.clamp(20, 300))?);
        }
        WorksCmd::Attach { unmatched, out } => {
            let r = engine.attach_report()?;
            if out.record("works attach", &r)? {
                return Ok(());
            }
            outln!(
                "network {}: {} anchors matched, {} not matched",
                engine.network.origin,
                r.matched(),
                r.unmatched()
            );
            for a in r.items.iter().filter(|a| !unmatched || !a.matched) {
                print_attach(a)?;
            }
        }
        WorksCmd::Seed { out } => {
            if out.record("works seed", &seed)? {
                return Ok(());
            }
            outln!(
                "added {}, updated {}, unchanged {}, kept edits {}",
                seed.added.len(),
                seed.updated.len(),
                seed.unchanged.len(),
                seed.kept_edits.len()
            );
            for (id, fields) in &seed.kept_edits {
                outln!(
                    "  {id}: edited in the database, differs from the catalogue in: {}",
                    fields.join(", ")
                );
            }
        }
        WorksCmd::Detours { date, out } => {
            let day = date.given()?;
            let ds = match day {
                Some(day) => engine.detours_on(day)?,
                None => engine.detours(None)?,
            };
            if out.get("works detours", ALL)? == Format::Geojson {
                let fs: Vec<_> = ds
                    .iter()
                    .map(crate::layers::works::detour_feature)
                    .collect();
                print_json(&crate::layers::feature_collection(&fs))?;
                return Ok(());
            }
            if out.table("works detours", &ds)? {
                return Ok(());
            }
            match day {
                Some(day) => outln!("on the network of {day} (every closure of the day):"),
                None => outln!("each work alone on the base network:"),
            }
            for d in ds {
                let m = |x: Option<f64>| x.map_or("?".to_string(), |x| format!("{x:.0}"));
                match (d.detour_s, d.extra_s) {
                    (Some(t), Some(x)) => outln!(
                        "{:<9} {}: {} s → {:.0} s (+{:.0} s), {} m → {} m via {}",
                        d.id,
                        d.streets.join(", "),
                        m(d.base_s),
                        t,
                        x,
                        m(d.base_m),
                        m(d.detour_m),
                        d.via.join(" → ")
                    ),
                    _ => outln!(
                        "{:<9} {}: no detour ({} s before): {}",
                        d.id,
                        d.streets.join(", "),
                        m(d.base_s),
                        d.reason.as_deref().unwrap_or("")
                    ),
                }
            }
        }
        WorksCmd::DurabilityWriter { count } => durability_writer(g, count)?,
        WorksCmd::Coord(c) => super::coordination::run(g, c)?,
    }
    Ok(())
}

fn print_attach(a: &crate::works::anchor::AttachItem) -> crate::Result<()> {
    if a.matched {
        outln!(
            "    ok    {:<10} {} → {} ({} edge(s), moved {:.0} m){}",
            a.record,
            a.what,
            a.street,
            a.edges,
            a.moved_m.unwrap_or(0.0),
            if a.note.is_empty() {
                String::new()
            } else {
                format!(" — {}", a.note)
            }
        );
    } else {
        outln!("    MISS  {:<10} {}: {}", a.record, a.what, a.note);
    }
    Ok(())
}

/// The Gantt chart: one row per work, `█` for the window (actual dates), `▒` where the dates
/// are estimates, `|` for today.
pub fn gantt(
    rows: &[TimelineRow],
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    width: usize,
) -> crate::Result<String> {
    use std::fmt::Write as _;
    let mut s = String::new();
    if rows.is_empty() {
        s.push_str("(no works)\n");
        return Ok(s);
    }
    let start = from.unwrap_or_else(|| {
        rows.iter()
            .map(|r| r.window.start)
            .min()
            .unwrap_or_default()
    });
    let end = to.unwrap_or_else(|| rows.iter().map(|r| r.window.end).max().unwrap_or_default());
    if end <= start {
        return Err(crate::Error::invalid(format!(
            "timeline end {end} is not after its start {start}"
        )));
    }
    let days = (end - start).num_days() as f64 + 1.0;
    let col = |d: NaiveDate| -> i64 {
        (((d - start).num_days() as f64) / days * width as f64).floor() as i64
    };
    // Axis: a tick and the year-month at each January and July.
    let mut axis = vec![' '; width];
    let mut labels = vec![' '; width + 8];
    let mut m = NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&start),
        if chrono::Datelike::month(&start) <= 1 {
            1
        } else {
            7
        },
        1,
    )
    .unwrap_or(start);
    while m <= end {
        let c = col(m);
        if (0..width as i64).contains(&c) {
            axis[c as usize] = '┬';
            for (k, ch) in m.format("%Y-%m").to_string().chars().enumerate() {
                if let Some(slot) = labels.get_mut(c as usize + k) {
                    *slot = ch;
                }
            }
        }
        m = if chrono::Datelike::month(&m) == 1 {
            m.with_month_safe(7)
        } else {
            NaiveDate::from_ymd_opt(chrono::Datelike::year(&m) + 1, 1, 1).unwrap_or(end)
        };
        if m == end {
            break;
        }
    }
    let today = chrono::Utc::now().date_naive();
    let label_w = 34;
    let _ = writeln!(
        s,
        "{:label_w$} {}",
        "",
        labels.iter().collect::<String>().trim_end()
    );
    let _ = writeln!(s, "{:label_w$} {}", "", axis.iter().collect::<String>());
    for r in rows {
        let a = col(r.window.start.max(start));
        let b = col(r.window.end.min(end));
        let mut line = vec![' '; width];
        if r.window.end >= start && r.window.start <= end {
            for c in a.max(0)..=b.min(width as i64 - 1) {
                line[c as usize] = if r.estimated { '▒' } else { '█' };
            }
        }
        let t = col(today);
        if (0..width as i64).contains(&t) && line[t as usize] == ' ' {
            line[t as usize] = '|';
        }
        let name: String = r.name_en.chars().take(18).collect();
        let label = format!("{:<6} {:<3} {}", r.id, status_abbrev(r.status), name);
        let _ = writeln!(s, "{:<label_w$} {}", label, line.iter().collect::<String>());
    }
    let _ = writeln!(
        s,
        "█ dates recorded  ▒ estimated dates  | today   ({start} … {end})"
    );
    Ok(s)
}

trait WithMonth {
    fn with_month_safe(self, m: u32) -> NaiveDate;
}
impl WithMonth for NaiveDate {
    fn with_month_safe(self, m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(chrono::Datelike::year(&self), m, 1).unwrap_or(self)
    }
}

fn status_abbrev(s: Status) -> &'static str {
    match s {
        Status::Proposed => "PRO",
        Status::PreliminaryWork => "PRE",
        Status::Design => "DES",
        Status::UnderConstruction => "CON",
        Status::Completed => "DON",
        Status::Suspended => "SUS",
        Status::Cancelled => "CAN",
    }
}

/// Writes scenarios in a loop, each in its own committed transaction, printing `ack <i>`
/// after each commit returns: the durability test kills this process and checks that every
/// acknowledged write is in the database.
fn durability_writer(g: &GlobalOpts, count: u64) -> anyhow::Result<()> {
    use crate::store::Change;
    let store = crate::store::open(&g.db_spec())?;
    let date = parse_date("2022-06-01")?;
    let mut out = std::io::stdout().lock();
    for i in 0..count {
        let s = Scenario {
            id: format!("d{i}"),
            name: format!("durability write {i}"),
            date,
            overrides: vec![],
            version: 0,
        };
        store.put_scenario(
            &s,
            0,
            &Change {
                actor: "durability-writer".into(),
                field: "created".into(),
                old: String::new(),
                new: String::new(),
                comment: String::new(),
            },
        )?;
        writeln!(out, "ack {i}").context("stdout closed")?;
        out.flush()?;
    }
    Ok(())
}

/// Runs a hotspots command.
pub fn run_hotspots(g: &GlobalOpts, c: HotspotsCmd) -> anyhow::Result<()> {
    let (engine, _) = open_engine(g)?;
    match c {
        HotspotsCmd::List { out } => {
            let hs = engine.list_hotspots()?;
            if out.table("hotspots list", &hs)? {
                return Ok(());
            }
            for h in hs {
                outln!(
                    "{:<4} {:<13} {:<16} {:<9.5},{:<9.5} {:<28} opened by {:<6} {}",
                    h.id,
                    h.status.as_str(),
                    h.kind.as_str(),
                    h.at[0],
                    h.at[1],
                    h.evidence,
                    h.opened_by.as_ref().map(|w| w.as_str()).unwrap_or("-"),
                    h.name_zh
                );
            }
        }
        HotspotsCmd::Identify {
            n,
            cell_m,
            min_sep_m,
            streets,
            method,
            out,
        } => {
            let (scores, method_name) = match method {
                IdentifyMethod::Proxy => (
                    hotspot::demand_proxy_scores(&engine.network, cell_m)?,
                    format!("model:{} (cell {cell_m} m)", hotspot::PROXY_METHOD),
                ),
                IdentifyMethod::Vc => {
                    let demand = engine.impact_demand(None, 1e-4)?;
                    let base = crate::scenario::NetworkState::base(&engine.network);
                    let run = crate::analysis::impact::run_state(&base, &demand)?;
                    (run.flows.vc, VC_METHOD.to_string())
                }
            };
            if streets {
                let ss = hotspot::street_scores(&engine.network, &scores)?;
                if out.table("hotspots identify --streets", &ss)? {
                    return Ok(());
                }
                for (i, s) in ss.iter().enumerate() {
                    outln!(
                        "{:>3}. {:.3}  {} / {}",
                        i + 1,
                        s.score,
                        s.name_zh,
                        s.name_en
                    );
                }
                return Ok(());
            }
            let cands = hotspot::identify(&engine.network, &scores, n, min_sep_m)?;
            if out.table("hotspots identify", &cands)? {
                return Ok(());
            }
            outln!("method {method_name}");
            for c in cands {
                outln!(
                    "{:>2}. {:.3}  {:.5},{:.5}  {:<16} {}",
                    c.rank,
                    c.score,
                    c.at[0],
                    c.at[1],
                    c.kind.as_str(),
                    c.streets.join(" × ")
                );
            }
        }
        HotspotsCmd::SetStatus {
            id,
            status,
            change,
            out,
        } => {
            let to: HotspotStatus = status.parse()?;
            let h = engine.set_hotspot_status(
                &crate::hotspot::HotspotId::parse(&id)?,
                to,
                change.expected_version,
                &change.actor(),
                &change.comment,
            )?;
            if out.record("hotspots set-status", &h)? {
                return Ok(());
            }
            outln!(
                "{} is now {} (version {})",
                h.id,
                h.status.as_str(),
                h.version
            );
        }
    }
    Ok(())
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
                outln!(
                    "{:<16} {} {} override(s)  {}",
                    s.id,
                    s.date,
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
            name,
            set,
            window,
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
                });
            }
            let sc = Scenario {
                id,
                name,
                date: date.or_today("the scenario's date")?,
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
            outln!("scenario {} stored (version {})", saved.id, saved.version);
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

/// Runs `clashes`.
pub fn run_clashes(g: &GlobalOpts, a: ClashesArgs) -> anyhow::Result<()> {
    let (engine, _) = open_engine(g)?;
    let window = a.window.range()?;
    let clashes = engine.clashes(&ClashOptions {
        window,
        near_m: a.near_m,
        ..Default::default()
    })?;
    if a.out.table("clashes", &clashes)? {
        return Ok(());
    }
    outln!(
        "{} clash(es), {} strong",
        clashes.len(),
        clashes.iter().filter(|c| c.strong).count()
    );
    for c in clashes {
        outln!(
            "{} {} × {}  {}  [{}]",
            if c.strong { "STRONG" } else { "clash " },
            c.a,
            c.b,
            c.overlap,
            c.streets.join(", ")
        );
        for r in &c.reasons {
            outln!("         {r}");
        }
    }
    Ok(())
}

/// How `hotspots identify` scores edges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum IdentifyMethod {
    /// Volume/capacity of a user-equilibrium assignment (the default now that assignment exists).
    Vc,
    /// The all-or-nothing demand proxy (faster, no congestion feedback).
    Proxy,
}

/// The provenance of v/c-identified choke points.
pub const VC_METHOD: &str =
    "model:assignment-vc (Jinzhou gravity demand, BFW user equilibrium to gap 1e-4, base network)";

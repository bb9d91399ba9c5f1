//! `works`, `hotspots`, `scenario` and `clashes`: parse → Engine → format (text or JSON).
//! One file per command: this one is `works` and what the others share; `hotspots.rs`,
//! `scenario.rs`, `clashes.rs`, and the timeline chart in `gantt.rs`.

mod clashes;
mod gantt;
mod hotspots;
mod scenario;

pub use clashes::{ClashesArgs, run_clashes};
pub use gantt::gantt;
pub use hotspots::{HotspotsCmd, IdentifyMethod, VC_METHOD, run_hotspots};
pub use scenario::{ScenarioCmd, run_scenario};

use super::GlobalOpts;
use super::open::open_engine;
use super::opts::{ALL, DateOpts, Format, FormatOpts, WindowOpts, print_json};
use crate::analysis::clash::ClashOptions;
use crate::hotspot::{self, HotspotStatus};
use crate::network::Metric;
use crate::network::geom::parse_lon_lat;
use crate::scenario::{Scenario, WorkOverride};
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
    Coord(crate::cli::coordination::CoordCmd),
    /// Test helper: writes scenarios in a loop, printing each acknowledged write.
    #[command(hide = true, name = "durability-writer")]
    DurabilityWriter {
        /// How many writes.
        #[arg(long, default_value_t = 100_000)]
        count: u64,
    },
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
        WorksCmd::Coord(c) => return crate::cli::coordination::run(g, c),
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
        WorksCmd::Coord(c) => crate::cli::coordination::run(g, c)?,
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
            window: None,
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

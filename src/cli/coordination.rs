//! `works create | edit | cancel | conflicts | events | moratoria`: works as records, their
//! coordination findings and the change feed. Parse → Engine → format (text or JSON).

use super::GlobalOpts;
use super::open::open_engine;
use super::opts::{DateOpts, FormatOpts, RECORD, WindowOpts};
use crate::outln;
use crate::store::events::EventFilter;
use crate::works::WorkId;
use crate::works::edit::SavedWork;
use crate::works::rules::{Finding, FindingFilter, MoratoriumPeriods, RuleOptions};
use anyhow::Context;
use clap::{Args, Subcommand};
use std::io::Read;
use std::path::PathBuf;

/// Who makes a change and why (no version: creation).
#[derive(Args, Debug, Clone)]
pub struct Who {
    /// Who makes the change (default: $USER).
    #[arg(long)]
    pub actor: Option<String>,
    /// Why (kept in the audit history).
    #[arg(long)]
    pub comment: Option<String>,
    /// Output format.
    #[command(flatten)]
    pub out: FormatOpts,
}

impl Who {
    fn actor(&self) -> String {
        self.actor
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "cli".to_string())
    }
}

/// Coordination commands (flattened into `jzplan works`).
#[derive(Subcommand, Debug)]
pub enum CoordCmd {
    /// Create a work from a JSON record (docs/works.md, "Works as records"); prints it with
    /// its findings. `--file -` reads standard input.
    Create {
        /// The record.
        #[arg(long)]
        file: PathBuf,
        /// Who and why.
        #[command(flatten)]
        who: Who,
    },
    /// Edit a work with a JSON body: status, planned_start/planned_end, or any field (merge
    /// patch; null removes an optional field).
    Edit {
        /// Work id.
        id: String,
        /// The edit.
        #[arg(long)]
        file: PathBuf,
        /// The version the edit is made from (see `works show`); a stale version is refused.
        #[arg(long = "version", value_name = "VERSION")]
        expected_version: u64,
        /// Who and why.
        #[command(flatten)]
        who: Who,
    },
    /// Cancel a work (status cancelled, effective on --date, default today).
    Cancel {
        /// Work id.
        id: String,
        /// Effective date.
        #[command(flatten)]
        date: DateOpts,
        /// The version the change is made from.
        #[arg(long = "version", value_name = "VERSION")]
        expected_version: u64,
        /// Who and why.
        #[command(flatten)]
        who: Who,
    },
    /// Coordination findings: site, corridor, opportunity, moratorium, most severe first.
    Conflicts(ConflictArgs),
    /// Import the works of a WZDx 4.x work-zone feed (docs/works.md, "Feeds"): new ids are
    /// stored, existing ones left alone; `--dry-run` only checks and reports.
    Import {
        /// The WZDx feed (GeoJSON); `-` reads standard input.
        #[arg(long, value_name = "FILE")]
        wzdx: PathBuf,
        /// Check and report, store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Who makes the change (default: $USER).
        #[arg(long)]
        actor: Option<String>,
        /// Output.
        #[command(flatten)]
        out: super::opts::FormatOpts,
    },
    /// The change feed: every create, edit, status change and cancellation, with the findings
    /// it made appear, change or disappear, after cursor --since (docs/api.md, "Change feed").
    Events {
        /// Events after this cursor.
        #[arg(long, default_value_t = 0)]
        since: u64,
        /// Most events read (1–1000).
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Only events concerning this work.
        #[arg(long)]
        work: Option<String>,
        /// Only these kinds, comma-separated (created, edited, status, cancelled, finding_new,
        /// finding_changed, finding_resolved).
        #[arg(long)]
        kind: Option<String>,
        /// Output format (text, or json: `{events, next}`).
        #[command(flatten)]
        out: FormatOpts,
    },
    /// The moratoria (dig-bans) after resurfacing, reconstruction and new roads.
    Moratoria {
        /// Output format.
        #[command(flatten)]
        out: FormatOpts,
    },
}

/// Filters and options of `works conflicts`.
#[derive(Args, Debug, Clone)]
pub struct ConflictArgs {
    /// Only findings with this work.
    #[arg(long)]
    pub work: Option<String>,
    /// Only findings on this street (Chinese or English name).
    #[arg(long)]
    pub street: Option<String>,
    /// Only this kind: site, corridor, opportunity, moratorium.
    #[arg(long)]
    pub kind: Option<String>,
    /// Only this severity or higher: low, medium, high, critical.
    #[arg(long)]
    pub min_severity: Option<String>,
    /// Only findings in this date range.
    #[command(flatten)]
    pub window: WindowOpts,
    /// Site buffer, metres.
    #[arg(long, default_value_t = 50.0)]
    pub buffer_m: f64,
    /// Opportunity distance, metres.
    #[arg(long, default_value_t = 100.0)]
    pub opportunity_m: f64,
    /// Opportunity: most days between the windows.
    #[arg(long, default_value_t = 180)]
    pub opportunity_days: i64,
    /// Corridor: both closures together make a probe trip at least this × its base time.
    #[arg(long, default_value_t = 1.5)]
    pub corridor_factor: f64,
    /// Corridor: strong (critical) from this factor on.
    #[arg(long, default_value_t = 2.0)]
    pub detour_factor: f64,
    /// Output format.
    #[command(flatten)]
    pub out: FormatOpts,
}

fn read_json(path: &PathBuf) -> anyhow::Result<serde_json::Value> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(path)
            .map_err(|e| crate::Error::io(path.clone(), e))
            .with_context(|| format!("reading {}", path.display()))?;
    }
    serde_json::from_str(&text).map_err(|e| {
        crate::Error::file(
            path.clone(),
            format!("line {} column {}", e.line(), e.column()),
            e.to_string(),
        )
        .into()
    })
}

/// Refuses a format a record has no form in before the command changes anything (the
/// deprecated `--json` is not checked here, so its note is printed once, when printing).
fn check_record(cmd: &str, out: &FormatOpts) -> crate::Result<()> {
    if out.format.is_some() || out.geojson {
        out.get(cmd, RECORD)?;
    }
    Ok(())
}

/// Prints a saved work: `cmd` names the command (for a refused format), `verb` what it did.
fn print_saved(cmd: &str, verb: &str, s: &SavedWork, out: &FormatOpts) -> anyhow::Result<()> {
    if out.record(cmd, s)? {
        return Ok(());
    }
    let w = &s.work;
    outln!(
        "{verb} {} {} / {}  (version {}, status {}, {})",
        w.id,
        w.name_zh,
        w.name_en,
        w.version,
        w.status,
        w.window()
    );
    print_findings(&s.check)
}

/// Prints findings as text, one per line with the reason below.
pub fn print_findings(found: &[Finding]) -> anyhow::Result<()> {
    let n = |k: crate::works::rules::FindingKind| found.iter().filter(|f| f.kind == k).count();
    use crate::works::rules::FindingKind as K;
    outln!(
        "{} finding(s): {} site, {} corridor, {} opportunity, {} moratorium",
        found.len(),
        n(K::Site),
        n(K::Corridor),
        n(K::Opportunity),
        n(K::Moratorium)
    );
    for f in found {
        outln!(
            "{:<8} {:<11} {} × {}  {}  [{}]",
            f.severity.as_str(),
            f.kind.as_str(),
            f.works[0],
            f.works[1],
            f.dates,
            f.streets.join(", ")
        );
        outln!("         {}", f.reason);
    }
    Ok(())
}

/// Runs a coordination command.
pub fn run(g: &GlobalOpts, c: CoordCmd) -> anyhow::Result<()> {
    let (engine, _) = open_engine(g)?;
    match c {
        CoordCmd::Create { file, who } => {
            check_record("works create", &who.out)?;
            let mut v = read_json(&file)?;
            if let (Some(c), Some(m)) = (&who.comment, v.as_object_mut()) {
                m.insert("comment".into(), c.clone().into());
            }
            let s = engine.submit_work(&v, &who.actor())?;
            print_saved("works create", "created", &s, &who.out)
        }
        CoordCmd::Edit {
            id,
            file,
            expected_version,
            who,
        } => {
            check_record("works edit", &who.out)?;
            let mut v = read_json(&file)?;
            if let (Some(c), Some(m)) = (&who.comment, v.as_object_mut()) {
                m.insert("comment".into(), c.clone().into());
            }
            let s = engine.edit_work(&WorkId::parse(&id)?, &v, expected_version, &who.actor())?;
            print_saved("works edit", "edited", &s, &who.out)
        }
        CoordCmd::Cancel {
            id,
            date,
            expected_version,
            who,
        } => {
            // A refused format is refused before anything changes.
            check_record("works cancel", &who.out)?;
            let mut v = serde_json::json!({"status": "cancelled"});
            if let Some(d) = date.given()? {
                v["effective"] = d.to_string().into();
            }
            if let Some(c) = &who.comment {
                v["comment"] = c.clone().into();
            }
            let s = engine.edit_work(&WorkId::parse(&id)?, &v, expected_version, &who.actor())?;
            print_saved("works cancel", "cancelled", &s, &who.out)
        }
        CoordCmd::Conflicts(a) => {
            let window = a.window.range()?;
            let opts = RuleOptions {
                buffer_m: a.buffer_m,
                opportunity_m: a.opportunity_m,
                opportunity_days: a.opportunity_days,
                corridor_factor: a.corridor_factor,
                detour_factor: a.detour_factor,
                window,
                ..RuleOptions::default()
            };
            let filter = FindingFilter {
                work: a.work.as_deref().map(WorkId::parse).transpose()?,
                street: a.street.clone(),
                kind: a.kind.as_deref().map(str::parse).transpose()?,
                min_severity: a.min_severity.as_deref().map(str::parse).transpose()?,
            };
            let found = engine.findings(&opts, &filter)?;
            if a.out.table("works conflicts", &found)? {
                return Ok(());
            }
            print_findings(&found)
        }
        CoordCmd::Import {
            wzdx,
            dry_run,
            actor,
            out,
        } => {
            let feed = read_json(&wzdx)?;
            let who = Who {
                actor,
                comment: None,
                out: Default::default(),
            };
            let r = engine
                .import_wzdx(&feed, &who.actor(), dry_run)
                .map_err(|e| match e {
                    crate::Error::InvalidInput(m) => {
                        crate::Error::file(wzdx.clone(), "WZDx feed".to_string(), m)
                    }
                    e => e,
                })?;
            if out.record("works import", &r)? {
                return Ok(());
            }
            outln!("WZDx feed {}", r.feed);
            for w in &r.works {
                outln!(
                    "{:<8} {}  {} event(s), {} effect(s), {} on the network",
                    w.outcome,
                    w.id,
                    w.events.len(),
                    w.effects,
                    w.matched_effects
                );
                for n in &w.notes {
                    outln!("         {n}");
                }
            }
            if !r.detours_left_out.is_empty() {
                outln!(
                    "{} detour event(s) left out (jzplan computes its detours)",
                    r.detours_left_out.len()
                );
            }
            Ok(())
        }
        CoordCmd::Events {
            since,
            limit,
            work,
            kind,
            out,
        } => {
            let filter = EventFilter {
                works: work
                    .as_deref()
                    .map(WorkId::parse)
                    .transpose()?
                    .into_iter()
                    .collect(),
                kinds: match kind.as_deref() {
                    Some(k) => k.split(',').map(str::parse).collect::<Result<_, _>>()?,
                    None => Vec::new(),
                },
            };
            let page = engine.events(since, limit, &filter)?;
            if out.record("works events", &page)? {
                return Ok(());
            }
            for e in &page.events {
                let what = match e.event.kind.as_str() {
                    k if k.starts_with("finding_") => format!(
                        "{} ({})",
                        e.event.data["id"].as_str().unwrap_or(""),
                        e.event.data["severity"].as_str().unwrap_or("")
                    ),
                    _ => format!(
                        "{}: {}",
                        e.event.data["field"].as_str().unwrap_or(""),
                        e.event.data["comment"].as_str().unwrap_or("")
                    ),
                };
                outln!(
                    "{:>6}  {}  {:<16} {:<10} v{:<3} {:<12} {what}",
                    e.cursor,
                    e.at.format("%Y-%m-%d %H:%M:%S"),
                    e.event.kind.as_str(),
                    e.event.work,
                    e.event.version,
                    e.event.actor
                );
            }
            outln!("next: {}", page.next);
            Ok(())
        }
        CoordCmd::Moratoria { out } => {
            let m = engine.moratoria(&MoratoriumPeriods::default())?;
            if out.table("works moratoria", &m)? {
                return Ok(());
            }
            outln!(
                "{:<7} {:<15} {:<10} {:<10} {:<9} streets",
                "work",
                "protection",
                "from",
                "until",
                "state"
            );
            for x in &m {
                outln!(
                    "{:<7} {:<15} {:<10} {:<10} {:<9} {}",
                    x.work,
                    x.protection.as_str(),
                    x.from,
                    x.until,
                    if x.completed { "in force" } else { "scheduled" },
                    x.streets.join(", ")
                );
            }
            if let Some(x) = m.first() {
                outln!("source: {}", x.source);
            }
            Ok(())
        }
    }
}

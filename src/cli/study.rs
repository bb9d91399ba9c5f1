//! `jzplan study`: a closure study (parse, call `Engine::study`, format).

use super::GlobalOpts;
use crate::analysis::study::{ClosureSpec, Direction, Lanes, StudyRequest};
use crate::network::EdgeId;
use crate::works::{DateRange, LonLat};
use crate::{Error, Result};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Output format of `jzplan study`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StudyFormat {
    /// Aligned text for a terminal.
    Text,
    /// The whole result as JSON.
    Json,
    /// One HTML page with a map (to stdout, or `index.html` in --out).
    Html,
    /// The map content as GeoJSON.
    Geojson,
    /// A GeoPackage (needs --out).
    Gpkg,
}

/// Arguments of `jzplan study`.
#[derive(Args, Debug)]
pub struct StudyArgs {
    /// Close a street (Chinese or English name); repeat for several. With --from/--to only
    /// the stretch between the two points is closed.
    #[arg(long = "close", value_name = "STREET")]
    pub close: Vec<String>,
    /// Close what an existing work's site closes (its construction effects); repeatable.
    #[arg(long = "work", value_name = "ID")]
    pub work: Vec<String>,
    /// Close edges by id (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "ID,…")]
    pub edges: Vec<u32>,
    /// Start of the stretch of the --close street, `lon,lat`.
    #[arg(long, value_name = "LON,LAT", allow_hyphen_values = true)]
    pub from: Option<String>,
    /// End of the stretch, `lon,lat`.
    #[arg(long, value_name = "LON,LAT", allow_hyphen_values = true)]
    pub to: Option<String>,
    /// Lanes taken per direction: `all` (the road is closed) or a number.
    #[arg(long, value_name = "all|N")]
    pub lanes: Option<String>,
    /// Both directions, or only --from → --to (forward).
    #[arg(long, value_enum, default_value = "both")]
    pub direction: DirectionArg,
    /// Speed limit on what stays open, km/h (alone: no lane is taken).
    #[arg(long = "speed", value_name = "KMH")]
    pub speed_kmh: Option<f32>,
    /// The window, `START..END` (both days included), e.g. 2022-05-01..2022-10-31.
    #[arg(long, value_name = "START..END")]
    pub window: String,
    /// Daily hours of the closure, e.g. 22-06 (default: all day).
    #[arg(long, value_name = "HH-HH")]
    pub hours: Option<String>,
    /// Extra veh/h on another work's site that makes it a secondary conflict.
    #[arg(long = "threshold", value_name = "VPH")]
    pub flow_threshold_vph: Option<f64>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    pub format: StudyFormat,
    /// Directory for every format at once: study.txt, study.json, index.html, study.geojson,
    /// study.gpkg.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `--direction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DirectionArg {
    /// Both directions.
    Both,
    /// Only from → to.
    Forward,
}

fn lon_lat(s: &str, what: &str) -> Result<LonLat> {
    let bad = || Error::invalid(format!("--{what} '{s}' must be LON,LAT"));
    let (a, b) = s.split_once(',').ok_or_else(bad)?;
    let lon: f64 = a.trim().parse().map_err(|_| bad())?;
    let lat: f64 = b.trim().parse().map_err(|_| bad())?;
    Ok([lon, lat])
}

/// Parses `START..END` with the dialect's rules (`opts::parse_window`: `today` allowed, real
/// dates only, the end not before the start); a study needs both ends.
pub fn parse_window(s: &str) -> Result<DateRange> {
    match super::opts::parse_window(s)? {
        (Some(start), Some(end)) => DateRange::new(start, end).map_err(|e| match e {
            Error::InvalidInput(m) => Error::InvalidInput(format!("window: {m}")),
            other => other,
        }),
        _ => Err(Error::invalid(format!(
            "window '{s}': a study needs both ends, e.g. 2022-05-01..2022-10-31"
        ))),
    }
}

/// The study request of the command line.
pub fn request(a: &StudyArgs) -> Result<StudyRequest> {
    let lanes = a.lanes.as_deref().map(str::parse::<Lanes>).transpose()?;
    let direction = match a.direction {
        DirectionArg::Both => Direction::Both,
        DirectionArg::Forward => Direction::Forward,
    };
    let from = a.from.as_deref().map(|s| lon_lat(s, "from")).transpose()?;
    let to = a.to.as_deref().map(|s| lon_lat(s, "to")).transpose()?;
    if (from.is_some() || to.is_some()) && a.close.len() != 1 {
        return Err(Error::invalid(
            "--from/--to give a stretch of one street: name exactly one --close",
        ));
    }
    let mut closures = Vec::new();
    for street in &a.close {
        closures.push(ClosureSpec {
            street: Some(street.clone()),
            from,
            to,
            lanes,
            direction,
            speed_kmh: a.speed_kmh,
            ..Default::default()
        });
    }
    if !a.edges.is_empty() {
        closures.push(ClosureSpec {
            edges: Some(a.edges.iter().map(|&e| EdgeId(e)).collect()),
            lanes,
            direction,
            speed_kmh: a.speed_kmh,
            ..Default::default()
        });
    }
    for w in &a.work {
        closures.push(ClosureSpec {
            work: Some(w.clone()),
            ..Default::default()
        });
    }
    if closures.is_empty() {
        return Err(Error::invalid(
            "say what is closed: --close STREET, --work ID or --edges IDS",
        ));
    }
    Ok(StudyRequest {
        closures,
        window: parse_window(&a.window)?,
        hours: a.hours.clone(),
        flow_threshold_vph: a.flow_threshold_vph,
    })
}

/// Runs `jzplan study`.
pub fn run(g: &GlobalOpts, a: StudyArgs) -> anyhow::Result<()> {
    let req = request(&a)?;
    // Input errors surface before the database is opened: a bad study stores nothing.
    crate::analysis::study::check_request(&req)?;
    if a.format == StudyFormat::Gpkg && a.out.is_none() {
        return Err(Error::invalid("--format gpkg writes a file: give --out DIR").into());
    }
    let (engine, _) = super::open::open_engine(g)?;
    let study = engine.study(&req)?;
    let net = &engine.network;
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let write = |name: &str, text: String| -> Result<()> {
            let p = dir.join(name);
            std::fs::write(&p, text).map_err(|e| Error::io(&p, e))
        };
        write("study.txt", crate::analysis::study_report::to_text(&study))?;
        write("study.json", serde_json::to_string_pretty(&study)?)?;
        write(
            "index.html",
            crate::analysis::study_report::to_html(net, &study),
        )?;
        write(
            "study.geojson",
            crate::analysis::study_report::to_geojson(net, &study).to_string(),
        )?;
        crate::io::report::write_study_gpkg(&dir.join("study.gpkg"), net, &study)?;
        eprintln!(
            "5 files in {} (study.txt, study.json, index.html, study.geojson, study.gpkg)",
            dir.display()
        );
    }
    use crate::analysis::study_report as report;
    match a.format {
        StudyFormat::Text => crate::out!("{}", report::to_text(&study)),
        StudyFormat::Json => super::opts::print_json(&study)?,
        StudyFormat::Html => crate::outln!("{}", report::to_html(net, &study)),
        StudyFormat::Geojson => crate::outln!("{}", report::to_geojson(net, &study)),
        StudyFormat::Gpkg => {}
    }
    Ok(())
}

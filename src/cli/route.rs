//! `route`, `matrix` and `isochrone`: parse, call the routing queries, format.

use super::GlobalOpts;
use super::opts::{DateOpts, Format, FormatOpts, print_csv, print_json};
use crate::engine::Engine;
use crate::network::geom::parse_lon_lat;
use crate::network::snap::DEFAULT_MAX_SNAP_M;
use crate::network::{Metric, RoadNetwork};
use crate::routing::{self, Algorithm, Avoid, QueryOptions, RouteQuery};
use crate::scenario::NetworkState;
use crate::{Error, Result};
use crate::{out, outln};
use clap::Args;
use geo_types::Point;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Avoidance and snapping options shared by the routing commands.
#[derive(Args, Debug, Clone)]
pub struct CommonRouteArgs {
    /// What to minimise: time or distance (default: time).
    #[arg(long)]
    pub metric: Option<Metric>,
    /// Directed edge ids to avoid, comma-separated (e.g. 12,13).
    #[arg(long, value_delimiter = ',', value_name = "ID,…")]
    pub avoid_edges: Vec<u32>,
    /// Streets to avoid, by Chinese name, English name or way id (repeat or comma-separate).
    #[arg(long, value_delimiter = ',', value_name = "NAME,…")]
    pub avoid_streets: Vec<String>,
    /// A GeoJSON file with (multi)polygons: edges touching them are avoided.
    #[arg(long, value_name = "FILE.geojson")]
    pub avoid_polygon: Option<PathBuf>,
    /// Snapping radius in metres: points farther from any open road are an error (NoSegment).
    #[arg(long, default_value_t = DEFAULT_MAX_SNAP_M)]
    pub max_snap_m: f64,
    /// Output format.
    #[command(flatten)]
    pub out: FormatOpts,
    /// Route on the network as it stands on this date: closures of the works on site, new
    /// links of the works completed. Opens the works database (`--db`). Without `--date` or
    /// `--scenario`: the base network (no works applied).
    #[command(flatten)]
    pub date: DateOpts,
    /// With --date: the time of day, HH:MM (local); works with daily hours (night works) are
    /// in force only within them. Without it the state of the date is the worst of the day.
    #[arg(long, value_name = "HH:MM", requires = "date")]
    pub time: Option<String>,
    /// Route on the network of a stored what-if scenario (see `jzplan scenario list`).
    #[arg(long, value_name = "ID", conflicts_with_all = ["date", "on"])]
    pub scenario: Option<String>,
}

/// The engine a routing command runs on — the network alone, or with the works database for
/// `--date`/`--scenario` — and the state of its network the command asked for. Either way its
/// routing cache holds a prepared file's hierarchies, so that `--algo ch` routes on them.
pub struct RouteEngine {
    /// The engine.
    pub engine: Engine,
    date: Option<chrono::NaiveDate>,
    minute: Option<u16>,
    scenario: Option<String>,
    label: String,
}

impl RouteEngine {
    /// The network state asked for (`None`: the base network).
    pub fn state(&self) -> Result<Option<NetworkState<'_>>> {
        match (self.date, self.minute) {
            (Some(d), Some(m)) => Ok(Some(self.engine.state_at(d, m)?)),
            _ => self.engine.state_for(self.date, self.scenario.as_deref()),
        }
    }

    fn net(&self) -> &RoadNetwork {
        &self.engine.network
    }
}

impl CommonRouteArgs {
    /// Opens the engine: on the network alone, or for `--date`/`--scenario` with the works
    /// database (see [`RouteEngine`]).
    pub fn engine(&self, g: &GlobalOpts) -> anyhow::Result<RouteEngine> {
        let date = self.date.given()?;
        let minute = self.time.as_deref().map(parse_time).transpose()?;
        let engine = if date.is_none() && self.scenario.is_none() {
            super::open::open_network_engine(g)?
        } else {
            super::open::open_engine(g)?.0
        };
        let label =
            crate::served::state_label(date, self.time.as_deref(), self.scenario.as_deref());
        Ok(RouteEngine {
            engine,
            date,
            minute,
            scenario: self.scenario.clone(),
            label,
        })
    }

    fn options(&self) -> Result<QueryOptions> {
        let polygon = match &self.avoid_polygon {
            Some(p) => Some(routing::avoid::read_polygon_file(p)?),
            None => None,
        };
        Ok(QueryOptions {
            metric: self.metric.unwrap_or(Metric::Time),
            avoid: Avoid {
                edges: self
                    .avoid_edges
                    .iter()
                    .map(|&e| crate::network::EdgeId(e))
                    .collect(),
                streets: self.avoid_streets.clone(),
                polygon,
            },
            max_snap_m: self.max_snap_m,
        })
    }
}

/// `jzplan route`: the shortest route between two points.
#[derive(Args, Debug)]
pub struct RouteArgs {
    /// Origin as LON,LAT (WGS84).
    #[arg(long, allow_hyphen_values = true, value_name = "LON,LAT")]
    pub from: String,
    /// Destination as LON,LAT (WGS84).
    #[arg(long, allow_hyphen_values = true, value_name = "LON,LAT")]
    pub to: String,
    /// Search algorithm: dijkstra, astar, bidir (bidirectional A*), bidir-dijkstra or ch
    /// (contraction hierarchies: a prepared `.jzp` file's for the base network, the
    /// customizable one customized for a date, scenario or avoidance; prepared first when
    /// there is none).
    #[arg(long, default_value = "bidir")]
    pub algo: Algorithm,
    /// Metric, avoidance, snapping and output options.
    #[command(flatten)]
    pub common: CommonRouteArgs,
}

/// `jzplan matrix`: travel times and distances between every pair of points.
#[derive(Args, Debug)]
pub struct MatrixArgs {
    /// Points as LON,LAT;LON,LAT;… (sources and targets).
    #[arg(
        long,
        allow_hyphen_values = true,
        value_name = "LON,LAT;…",
        conflicts_with = "file"
    )]
    pub points: Option<String>,
    /// A CSV file of points: one `lon,lat` per line (a header line is skipped).
    #[arg(long, value_name = "FILE.csv")]
    pub file: Option<PathBuf>,
    /// Metric, avoidance, snapping and output options.
    #[command(flatten)]
    pub common: CommonRouteArgs,
}

/// `jzplan isochrone`: everything reachable within a time or distance budget.
#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("budget").required(true).args(["seconds", "metres"]))]
pub struct IsochroneArgs {
    /// Origin as LON,LAT (WGS84).
    #[arg(long, allow_hyphen_values = true, value_name = "LON,LAT")]
    pub from: String,
    /// Time budget in seconds of travel (metric time).
    #[arg(long, allow_hyphen_values = true)]
    pub seconds: Option<f64>,
    /// Distance budget in metres of road (metric distance).
    #[arg(long, allow_hyphen_values = true, alias = "meters")]
    pub metres: Option<f64>,
    /// Avoidance, snapping and output options (`--metric`, if given, must agree with the
    /// budget: time with --seconds, distance with --metres).
    #[command(flatten)]
    pub common: CommonRouteArgs,
}

impl IsochroneArgs {
    /// The metric and budget, refusing a `--metric` that contradicts the budget's unit.
    pub fn budget(&self) -> Result<(Metric, f64)> {
        let (metric, budget, option) = match (self.seconds, self.metres) {
            (Some(s), None) => (Metric::Time, s, "--seconds"),
            (None, Some(m)) => (Metric::Distance, m, "--metres"),
            _ => return Err(Error::invalid("give --seconds or --metres (one of them)")),
        };
        match self.common.metric {
            Some(m) if m != metric => Err(Error::invalid(format!(
                "--metric {} contradicts {option} (a {} budget): drop --metric or use {}",
                metric_name(m),
                metric_name(metric),
                if metric == Metric::Time {
                    "--metres"
                } else {
                    "--seconds"
                }
            ))),
            _ => Ok((metric, budget)),
        }
    }
}

fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::Time => "time",
        Metric::Distance => "distance",
    }
}

/// Formats seconds as `1 h 02 min`, `3 min 20 s` or `42 s`.
pub fn human_duration(s: f64) -> String {
    let t = s.round() as u64;
    if t >= 3600 {
        format!("{} h {:02} min", t / 3600, (t % 3600) / 60)
    } else if t >= 60 {
        format!("{} min {:02} s", t / 60, t % 60)
    } else {
        format!("{s:.1} s")
    }
}

/// Formats metres as `850 m` or `12.34 km`.
pub fn human_length(m: f64) -> String {
    if m >= 1000.0 {
        format!("{:.2} km", m / 1000.0)
    } else {
        format!("{m:.0} m")
    }
}

/// The text form of a route.
pub fn route_text(r: &routing::Route) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "distance: {}", human_length(r.distance_m));
    let _ = writeln!(
        s,
        "duration: {} ({:.1} s)",
        human_duration(r.duration_s),
        r.duration_s
    );
    let _ = writeln!(s, "metric: {:?}, algorithm: {}", r.metric, r.algorithm);
    let _ = writeln!(s, "via:");
    for (i, st) in r.streets.iter().enumerate() {
        let name = match (st.name_zh.is_empty(), st.name_en.is_empty()) {
            (false, false) => format!("{} ({})", st.name_zh, st.name_en),
            (false, true) => st.name_zh.clone(),
            (true, false) => st.name_en.clone(),
            (true, true) => format!("[unnamed {}]", st.way_id),
        };
        let _ = writeln!(
            s,
            "  {:>2}. {name}  {}  {}",
            i + 1,
            human_length(st.length_m),
            human_duration(st.duration_s)
        );
    }
    s
}

impl RouteArgs {
    /// The query these arguments ask for (checked before any network is opened).
    pub fn query(&self) -> anyhow::Result<RouteQuery> {
        Ok(RouteQuery {
            from: parse_lon_lat(&self.from)?,
            to: parse_lon_lat(&self.to)?,
            algorithm: self.algo,
            options: self.common.options()?,
        })
    }
}

/// The route `jzplan route` answers for `q` on the engine `re` (see [`CommonRouteArgs::engine`]).
pub fn route_answer(re: &RouteEngine, q: &RouteQuery) -> anyhow::Result<routing::Route> {
    let state = re.state()?;
    Ok(re.engine.route_on(state.as_ref(), q)?)
}

/// Runs `jzplan route`.
pub fn run_route(g: &GlobalOpts, a: RouteArgs) -> anyhow::Result<()> {
    let q = a.query()?;
    let re = a.common.engine(g)?;
    let r = route_answer(&re, &q)?;
    let all = [Format::Text, Format::Json, Format::Geojson];
    match a.common.out.get("route", &all)? {
        Format::Text => out!("{}state: {}\n", route_text(&r), re.label),
        Format::Json => print_json(&with_state(&r, &re.label)?)?,
        _ => {
            let mut f = r.to_geojson();
            if let Some(p) = f.properties.as_mut() {
                p.insert("state".into(), re.label.clone().into());
            }
            outln!("{f}")
        }
    }
    Ok(())
}

/// An answer as JSON with the network state it was found on (`state`).
fn with_state(answer: &impl serde::Serialize, label: &str) -> anyhow::Result<serde_json::Value> {
    let mut v = serde_json::to_value(answer)?;
    v["state"] = label.into();
    Ok(v)
}

/// Parses `LON,LAT;LON,LAT;…`.
pub fn parse_points(s: &str) -> Result<Vec<Point<f64>>> {
    s.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(parse_lon_lat)
        .collect()
}

/// Reads a CSV of `lon,lat` lines (a first line that does not parse as numbers is a header).
pub fn read_points_csv(path: &std::path::Path) -> Result<Vec<Point<f64>>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut cols = line.split(',').map(str::trim);
        let (Some(x), Some(y)) = (cols.next(), cols.next()) else {
            return Err(Error::file(
                path,
                format!("line {}", i + 1),
                "expected lon,lat",
            ));
        };
        if i == 0 && x.parse::<f64>().is_err() {
            continue;
        }
        let p = parse_lon_lat(&format!("{x},{y}"))
            .map_err(|e| Error::file(path, format!("line {}", i + 1), e.to_string()))?;
        out.push(p);
    }
    Ok(out)
}

/// Runs `jzplan matrix`.
pub fn run_matrix(g: &GlobalOpts, a: MatrixArgs) -> anyhow::Result<()> {
    let pts = match (&a.points, &a.file) {
        (Some(s), None) => parse_points(s)?,
        (None, Some(f)) => read_points_csv(f)?,
        _ => return Err(Error::invalid("give the points with --points or --file").into()),
    };
    let options = a.common.options()?;
    let re = a.common.engine(g)?;
    let state = re.state()?;
    let m = re.engine.matrix_on(state.as_ref(), &pts, &pts, &options)?;
    let all = [Format::Text, Format::Json, Format::Csv];
    match a.common.out.get("matrix", &all)? {
        Format::Text => {
            let cell = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map_or("-".to_string(), f);
            outln!("durations (s), row = from, column = to:");
            for row in &m.durations_s {
                let cells: Vec<String> = row
                    .iter()
                    .map(|v| cell(*v, &|x| format!("{x:.1}")))
                    .collect();
                outln!("  {}", cells.join("\t"));
            }
            outln!("distances (km):");
            for row in &m.distances_m {
                let cells: Vec<String> = row
                    .iter()
                    .map(|v| cell(*v, &|x| format!("{:.3}", x / 1000.0)))
                    .collect();
                outln!("  {}", cells.join("\t"));
            }
            outln!("state: {}", re.label);
        }
        Format::Json => print_json(&with_state(&m, &re.label)?)?,
        _ => print_csv(&matrix_rows(&pts, &m))?,
    }
    Ok(())
}

/// Runs `jzplan isochrone`.
pub fn run_isochrone(g: &GlobalOpts, a: IsochroneArgs) -> anyhow::Result<()> {
    let from = parse_lon_lat(&a.from)?;
    let (metric, budget) = a.budget()?;
    let all = [Format::Text, Format::Json, Format::Geojson];
    let format = a.common.out.get("isochrone", &all)?;
    let options = QueryOptions {
        metric,
        ..a.common.options()?
    };
    let re = a.common.engine(g)?;
    let state = re.state()?;
    let iso = re
        .engine
        .isochrone_on(state.as_ref(), from, budget, &options)?;
    let net = re.net();
    match format {
        Format::Text => {
            let km: f64 = iso
                .reached
                .iter()
                .map(|e| (e.to_frac - e.from_frac) * net.edge(e.edge).length_m)
                .sum::<f64>()
                / 1000.0;
            match metric {
                Metric::Time => outln!("budget: {}", human_duration(iso.budget)),
                Metric::Distance => outln!("budget: {} of road", human_length(iso.budget)),
            }
            outln!(
                "reached: {} nodes, {} edge pieces, {km:.2} km of directed road",
                iso.reached_nodes,
                iso.reached.len()
            );
            match &iso.polygon {
                Some(p) => {
                    use geo::GeodesicArea;
                    outln!(
                        "area: {:.3} km² (concave hull)",
                        p.geodesic_area_unsigned() / 1e6
                    );
                }
                None => outln!("area: none (the reached roads enclose no area)"),
            }
            outln!("state: {}", re.label);
        }
        Format::Json => print_json(&with_state(&iso, &re.label)?)?,
        _ => {
            let mut fc = iso.to_geojson();
            fc.foreign_members
                .get_or_insert_with(Default::default)
                .insert("state".into(), re.label.clone().into());
            outln!("{fc}")
        }
    }
    Ok(())
}

/// One CSV row of a matrix cell.
#[derive(serde::Serialize)]
struct MatrixRow {
    from: usize,
    to: usize,
    from_lon: f64,
    from_lat: f64,
    to_lon: f64,
    to_lat: f64,
    duration_s: Option<f64>,
    distance_m: Option<f64>,
}

/// The matrix as one row per (from, to) pair.
fn matrix_rows(pts: &[Point<f64>], m: &routing::Matrix) -> Vec<MatrixRow> {
    let mut rows = Vec::with_capacity(pts.len() * pts.len());
    for (i, row) in m.durations_s.iter().enumerate() {
        for (j, d) in row.iter().enumerate() {
            rows.push(MatrixRow {
                from: i,
                to: j,
                from_lon: pts[i].x(),
                from_lat: pts[i].y(),
                to_lon: pts[j].x(),
                to_lat: pts[j].y(),
                duration_s: *d,
                distance_m: m
                    .distances_m
                    .get(i)
                    .and_then(|r| r.get(j))
                    .copied()
                    .flatten(),
            });
        }
    }
    rows
}

/// Parses a time of day `HH:MM` into minutes after midnight.
fn parse_time(s: &str) -> Result<u16> {
    let bad = || crate::Error::invalid(format!("time '{s}' is not HH:MM (00:00 … 23:59)"));
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

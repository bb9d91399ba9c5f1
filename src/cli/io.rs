//! `jzplan import osm|gdal` and `jzplan export`: parse, call `io`, print a summary.

use super::GlobalOpts;
use crate::engine::Engine;
use crate::io::gdal::VectorFormat;
use crate::io::gdal::{self, FieldKind, FieldMapping, GdalReadOptions, GeometryKind, OutLayer};
use crate::io::osm::{self, OsmOptions};
use crate::layers::{Catalog, Layer, PropKind};
use crate::network::{RoadClass, RoadNetwork};
use crate::outln;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

/// Import a road network into a jzplan network file (GeoPackage, GeoJSON or FlatGeobuf) that
/// every other command reads with `--network FILE`.
#[derive(Subcommand, Debug)]
pub enum ImportCmd {
    /// Import the car network of an OpenStreetMap .osm.pbf extract: highway=* ways, oneway
    /// (incl. -1 and roundabouts), maxspeed, lanes, name, name:zh, name:en, bridge, tunnel;
    /// ways split at shared nodes; speeds and capacities defaulted per class.
    Osm(ImportOsmArgs),
    /// Import any OGR line layer (GeoPackage, Shapefile, GeoJSON, FlatGeobuf, …; any CRS) with
    /// an attribute mapping.
    Gdal(ImportGdalArgs),
}

/// Arguments of `jzplan import osm`.
#[derive(Args, Debug)]
pub struct ImportOsmArgs {
    /// The OpenStreetMap PBF file (e.g. a Geofabrik extract of Liaoning).
    pub file: PathBuf,
    /// Keep only roads inside minlon,minlat,maxlon,maxlat (WGS84), e.g.
    /// 120.9,40.9,121.4,41.3 for Jinzhou's urban area.
    #[arg(
        long,
        value_name = "MINLON,MINLAT,MAXLON,MAXLAT",
        allow_hyphen_values = true
    )]
    pub bbox: Option<String>,
    /// Output file; format from the extension (.gpkg: roads + nodes, .geojson/.fgb: roads).
    #[arg(long)]
    pub out: PathBuf,
    /// Output format, overriding the extension: gpkg, geojson or fgb.
    #[arg(long)]
    pub format: Option<String>,
}

/// Arguments of `jzplan import gdal`.
#[derive(Args, Debug)]
pub struct ImportGdalArgs {
    /// Any vector file GDAL reads (.gpkg, .shp, .geojson, .fgb, …).
    pub file: PathBuf,
    /// Layer to read (default: `roads`, else the first line layer).
    #[arg(long)]
    pub layer: Option<String>,
    /// Attribute mapping KEY=FIELD,…; keys: id, name, name_zh, name_en, lanes, speed, oneway,
    /// class, bridge, tunnel, capacity, source, planned. Unmapped keys use a field of the usual
    /// name (name, lanes, maxspeed, oneway, highway/fclass/class, bridge, tunnel, source,
    /// planned) if any.
    /// Example: --map name=NAME,lanes=LANES,speed=MAXSPD,oneway=ONEWAY,class=HWY
    #[arg(long, value_name = "KEY=FIELD,…")]
    pub map: Option<String>,
    /// Class of roads whose class field is missing or empty.
    #[arg(long, default_value = "residential")]
    pub default_class: String,
    /// The lanes field counts one direction (default: both directions together, like OSM).
    #[arg(long)]
    pub lanes_per_direction: bool,
    /// Also split lines at interior vertices that other lines share (for layers whose
    /// junctions are not at line ends).
    #[arg(long)]
    pub split_at_shared_vertices: bool,
    /// Line ends closer than this many degrees become one node.
    #[arg(long, default_value_t = 1e-7)]
    pub snap_tolerance_deg: f64,
    /// Output file; format from the extension (.gpkg: roads + nodes, .geojson/.fgb: roads).
    #[arg(long)]
    pub out: PathBuf,
    /// Output format, overriding the extension: gpkg, geojson or fgb.
    #[arg(long)]
    pub format: Option<String>,
}

/// Arguments of `jzplan export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Output format: gpkg, geojson or fgb (default: from the extension of --out); or a feed
    /// of the works for navigation apps: wzdx (WZDx 4.2 work-zone feed), cifs (Waze CIFS
    /// JSON) or cifs-xml (Waze CIFS XML). Feeds take --date or --window (default: from today
    /// on) and may be written to standard output with `--out -`.
    #[arg(long)]
    pub format: Option<String>,
    /// Output file (replaced if it exists).
    #[arg(long)]
    pub out: PathBuf,
    /// Layers to write: roads (directed edges with all attributes; re-readable with
    /// --network), nodes, or any map layer the server publishes (its collection id:
    /// works-lines, works-areas, works-points, hotspots, closures, detours, flows, rivers, …;
    /// `works` mixes the three geometry types, which GIS tools show one at a time). Default:
    /// roads and nodes for GeoPackage, roads for the one-layer formats GeoJSON and FlatGeobuf.
    #[arg(long, value_delimiter = ',')]
    pub layer: Vec<String>,
    /// The day of the dated layers (closures, detours, flows; default: today), or of a feed.
    #[command(flatten)]
    pub date: super::opts::DateOpts,
    /// The works of a feed: those whose window meets START..END.
    #[command(flatten)]
    pub window: super::opts::WindowOpts,
}

/// Writes a feed of the works (`--format wzdx|cifs|cifs-xml`).
fn run_feed_export(g: &GlobalOpts, a: &ExportArgs, format: &str) -> anyhow::Result<()> {
    use crate::feeds::{FeedSpan, Publisher, cifs};
    let day = a.date.given()?;
    let window = a.window.range()?;
    let span = match (day, window) {
        (Some(_), Some(_)) => {
            return Err(crate::Error::invalid("give --date or --window, not both").into());
        }
        (Some(d), None) => FeedSpan::Day(d),
        (None, Some(w)) => FeedSpan::Window(w),
        (None, None) => {
            let today = super::opts::today();
            eprintln!("note: the works from today, {today}, on (give --date or --window)");
            FeedSpan::from(today)
        }
    };
    let (engine, _) = super::open::open_engine(g)?;
    let publisher = Publisher::jzplan(chrono::Utc::now());
    let (text, what) = match format {
        "wzdx" => {
            let feed = engine.wzdx_feed(span, &publisher)?;
            let n = feed["features"].as_array().map_or(0, Vec::len);
            (
                serde_json::to_string_pretty(&feed)?,
                format!("{n} road events (WZDx 4.2)"),
            )
        }
        _ => {
            let incidents = engine.cifs_incidents(span, &publisher)?;
            let text = if format == "cifs" {
                serde_json::to_string_pretty(&cifs::json(&incidents))?
            } else {
                cifs::xml(&incidents)
            };
            (text, format!("{} incidents (Waze CIFS)", incidents.len()))
        }
    };
    if a.out.as_os_str() == "-" {
        outln!("{text}");
        return Ok(());
    }
    std::fs::write(&a.out, text.as_bytes()).map_err(|e| crate::Error::io(a.out.clone(), e))?;
    outln!("exported {what} → {}", a.out.display());
    Ok(())
}

/// The format to write `out` in: `--format`, or else what its extension says. A `--format`
/// that contradicts the extension is refused (a FlatGeobuf file named `.gpkg` would mislead
/// whoever opens it next).
fn out_format(out: &Path, format: Option<&str>) -> crate::Result<VectorFormat> {
    let Some(f) = format else {
        return VectorFormat::from_path(out);
    };
    let f: VectorFormat = f.parse()?;
    match VectorFormat::from_path(out) {
        Ok(named) if named != f => Err(crate::Error::invalid(format!(
            "--format {} but '{}' is named as a .{} file: name it .{} or leave --format out",
            f.extension(),
            out.display(),
            named.extension(),
            f.extension()
        ))),
        _ => Ok(f),
    }
}

fn summary(net: &RoadNetwork) -> String {
    format!(
        "{} nodes, {} directed edges, {} streets",
        net.node_count(),
        net.edge_count(),
        net.streets().len()
    )
}

/// Runs `jzplan import …`.
pub fn run_import(_g: &GlobalOpts, c: ImportCmd) -> anyhow::Result<()> {
    let (net, out, format) = match c {
        ImportCmd::Osm(a) => {
            let format = out_format(&a.out, a.format.as_deref())?;
            let bbox = a.bbox.as_deref().map(osm::parse_bbox).transpose()?;
            let net = osm::read_osm_pbf(&a.file, &OsmOptions { bbox })?;
            (net, a.out, format)
        }
        ImportCmd::Gdal(a) => {
            let format = out_format(&a.out, a.format.as_deref())?;
            let default_class = RoadClass::parse(&a.default_class).ok_or_else(|| {
                crate::Error::invalid(format!(
                    "--default-class '{}' is not a road class",
                    a.default_class
                ))
            })?;
            let opts = GdalReadOptions {
                layer: a.layer,
                mapping: a
                    .map
                    .as_deref()
                    .map(FieldMapping::parse)
                    .transpose()?
                    .unwrap_or_default(),
                default_class,
                lanes_per_direction: a.lanes_per_direction,
                split_at_shared_vertices: a.split_at_shared_vertices,
                snap_tolerance_deg: a.snap_tolerance_deg,
            };
            (gdal::read_network(&a.file, &opts)?, a.out, format)
        }
    };
    gdal::write_network(&net, &out, format)?;
    outln!(
        "imported {} → {} ({}): {}",
        net.origin,
        out.display(),
        format.driver_name(),
        summary(&net)
    );
    Ok(())
}

/// A map layer (on `date` if it is dated) as a layer to write; its properties become typed
/// fields.
fn map_layer(layer: &dyn Layer, date: Option<chrono::NaiveDate>) -> crate::Result<OutLayer> {
    let info = layer.info();
    let geometry = match info.geometry_type {
        "Point" => GeometryKind::Point,
        "LineString" => GeometryKind::LineString,
        "MultiLineString" => GeometryKind::MultiLineString,
        "Polygon" => GeometryKind::Polygon,
        "MultiPolygon" => GeometryKind::MultiPolygon,
        _ => GeometryKind::Any,
    };
    let fields: Vec<(&str, FieldKind)> = info
        .properties
        .iter()
        .map(|p| {
            let kind = match p.kind {
                PropKind::String => FieldKind::Text,
                PropKind::Date => FieldKind::Date,
                PropKind::Integer => FieldKind::Integer,
                PropKind::Number => FieldKind::Real,
                PropKind::Boolean => FieldKind::Bool,
            };
            (p.name, kind)
        })
        .collect();
    let mut out = OutLayer::new(info.id, geometry, &fields);
    for f in layer.features(date)?.iter() {
        out.push_json(f.geometry.clone(), &f.properties)?;
    }
    Ok(out)
}

/// Runs `jzplan export`.
pub fn run_export(g: &GlobalOpts, a: ExportArgs) -> anyhow::Result<()> {
    if let Some(f) = a.format.as_deref()
        && matches!(f, "wzdx" | "cifs" | "cifs-xml")
    {
        if !a.layer.is_empty() {
            return Err(crate::Error::invalid(format!("--format {f} takes no --layer")).into());
        }
        return run_feed_export(g, &a, f);
    }
    if a.window.get()?.is_some() {
        return Err(crate::Error::invalid(
            "--window is for the feeds (--format wzdx, cifs, cifs-xml); layers take --date",
        )
        .into());
    }
    let format = out_format(&a.out, a.format.as_deref())?;
    let names: Vec<&str> = if a.layer.is_empty() {
        if format.multi_layer() {
            gdal::NETWORK_LAYERS.to_vec()
        } else {
            vec![gdal::ROADS_LAYER]
        }
    } else {
        a.layer.iter().map(String::as_str).collect()
    };
    // Map layers other than the network's own come from the catalog the server publishes
    // (which needs the works database).
    let (engine, catalog) = if names.iter().all(|n| gdal::NETWORK_LAYERS.contains(n)) {
        (Engine::new(g.load_network()?), Catalog::new())
    } else {
        let (engine, _) = super::open::open_engine(g)?;
        let catalog = super::published_catalog(g, &engine)?;
        (engine, catalog)
    };
    let net = &engine.network;
    let mut day = None;
    let mut layers = Vec::with_capacity(names.len());
    for name in names {
        if gdal::NETWORK_LAYERS.contains(&name) {
            layers.push(gdal::network_layer(net, name)?);
            continue;
        }
        let layer = catalog.get(name).map_err(|_| {
            let mut known: Vec<&str> = gdal::NETWORK_LAYERS.to_vec();
            known.extend(catalog.layers().iter().map(|l| l.info().id));
            known.sort_unstable();
            known.dedup();
            crate::Error::invalid(format!(
                "unknown layer '{name}'; layers: {}",
                known.join(", ")
            ))
        })?;
        let date = if layer.info().dated {
            if day.is_none() {
                day = Some(a.date.or_today("dated layers show the network")?);
            }
            day
        } else {
            None
        };
        layers.push(map_layer(layer.as_ref(), date)?);
    }
    if day.is_none() && a.date.given()?.is_some() {
        return Err(crate::Error::invalid(
            "--date is for the dated layers (closures, detours, flows) and the feeds; the \
             layers asked for do not depend on the date (roads and nodes are the base network)",
        )
        .into());
    }
    gdal::write_layers(&a.out, format, &layers)?;
    outln!(
        "exported {} → {} ({}): {}",
        net.origin,
        a.out.display(),
        format.driver_name(),
        layers
            .iter()
            .map(|l| format!("{} {}", l.features.len(), l.name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

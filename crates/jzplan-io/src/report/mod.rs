//! The impact report of a year: `index.html` (tables and SVG charts drawn with plotters),
//! every table as CSV and JSON, and the flows and their differences as GeoPackages (through
//! GDAL) for QGIS.
//!
//! One file per part: this one writes the report (`write_year_report`, `write_comparison`,
//! `write_study_gpkg`); `tables.rs` builds its tables, `charts.rs` draws its SVG charts,
//! `layers.rs` makes its GeoPackage layers.

mod charts;
mod layers;
mod tables;

use charts::{chokepoints_svg, onsite_svg, ranking_svg, timeline_svg};
use layers::{diff_layer, flow_layer, json_geometry};
use tables::{Table, comparison_tables};

use crate::gdal::{GeometryKind, OutLayer, VectorFormat, write_layers};
use jzplan_core::analysis::impact::{BELOW_RESOLUTION, Comparison, YearAnalysis, format_delta};
use jzplan_core::assignment::zones::RoadFlows;
use jzplan_core::network::RoadNetwork;
use jzplan_core::works::Work;
use jzplan_core::{Error, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn plot_err(e: impl std::fmt::Display) -> Error {
    Error::invalid(format!("chart: {e}"))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn f(x: Option<f64>, digits: usize) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.digits$}"),
        _ => String::new(),
    }
}

/// Writes the year report into `dir` (created if missing); returns the files written.
pub fn write_year_report(
    dir: &Path,
    net: &RoadNetwork,
    ya: &YearAnalysis,
    works: &[Work],
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = Vec::new();
    let months = Table {
        name: "months",
        title: format!(
            "Month by month {} (state on the 15th; VHT of the morning peak's mean hour and of the whole month)",
            ya.year
        ),
        header: vec![
            "month",
            "weekdays",
            "weekend_days",
            "on_site",
            "completed",
            "clashing_pairs",
            "am_peak_vht",
            "am_peak_mean_speed_kmh",
            "month_vht",
            "month_vkt",
            "works_on_site",
            "clashes",
        ],
        rows: ya
            .months
            .iter()
            .map(|m| {
                vec![
                    m.month.to_string(),
                    m.days.weekdays.to_string(),
                    m.days.weekend_days.to_string(),
                    m.on_site.len().to_string(),
                    m.completed.len().to_string(),
                    m.clashes.len().to_string(),
                    format!("{:.1}", m.summary.vht),
                    format!("{:.2}", m.summary.mean_speed_kmh),
                    format!("{:.0}", m.vht_month),
                    format!("{:.0}", m.vkt_month),
                    m.on_site
                        .iter()
                        .map(|w| w.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    m.clashes
                        .iter()
                        .map(|(a, b)| format!("{a}×{b}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                ]
            })
            .collect(),
    };
    let ranking = Table {
        name: "ranking",
        title: format!(
            "Works on site or opening in {} ranked by net first-year vehicle-hours (method above)",
            ya.year
        ),
        header: vec![
            "rank",
            "id",
            "name_zh",
            "name_en",
            "construction_vht",
            "construction_resolution_vht",
            "months_on_site",
            "saved_vht_per_am_hour",
            "saved_vht_per_year",
            "saved_resolution_vht",
            "net_first_year_vht",
        ],
        rows: ya
            .works
            .iter()
            .map(|w| {
                vec![
                    w.rank.to_string(),
                    w.id.to_string(),
                    w.name_zh.clone(),
                    w.name_en.clone(),
                    format_delta(w.construction_vht, w.construction_resolution_vht, 0),
                    format!("{:.0}", w.construction_resolution_vht),
                    w.construction_by_month.len().to_string(),
                    format!("{:.2}", w.saved_vht_per_peak_hour),
                    format_delta(w.saved_vht_per_year, w.saved_resolution_vht, 0),
                    format!("{:.0}", w.saved_resolution_vht),
                    format_delta(
                        w.net_first_year_vht,
                        w.construction_resolution_vht + w.saved_resolution_vht,
                        0,
                    ),
                ]
            })
            .collect(),
    };
    let monthly = Table {
        name: "construction_by_month",
        title: "VHT lost to each work's site, by month (morning peak's mean hour and whole month)"
            .into(),
        header: vec![
            "id",
            "month",
            "am_peak_hour_vht",
            "month_vht",
            "month_resolution_vht",
        ],
        rows: ya
            .works
            .iter()
            .flat_map(|w| {
                w.construction_by_month.iter().map(|c| {
                    vec![
                        w.id.to_string(),
                        c.month.to_string(),
                        format_delta(c.am_peak_hour_vht, c.am_peak_resolution_vht, 2),
                        format_delta(c.month_vht, c.resolution_vht, 0),
                        format!("{:.0}", c.resolution_vht),
                    ]
                })
            })
            .collect(),
    };
    let mut tables = vec![months, ranking, monthly];
    tables.extend(comparison_tables(
        &ya.base_vs_full,
        &[
            "full_summary",
            "full_choke_points",
            "full_links",
            "full_od_changes",
            "full_periods",
        ],
    ));
    tables.extend(comparison_tables(
        &ya.base_vs_worst_month,
        &[
            "worst_summary",
            "worst_choke_points",
            "worst_links",
            "worst_od_changes",
            "worst_periods",
        ],
    ));
    for t in &tables {
        t.write(dir, &mut written)?;
    }
    let all = dir.join("analysis.json");
    std::fs::write(
        &all,
        serde_json::to_string_pretty(ya).map_err(|e| Error::invalid(e.to_string()))?,
    )
    .map_err(|e| Error::io(&all, e))?;
    written.push(all);

    let charts = [
        ("timeline.svg", timeline_svg(ya, works)?),
        ("onsite.svg", onsite_svg(ya)?),
        ("ranking.svg", ranking_svg(ya)?),
        ("chokepoints.svg", chokepoints_svg(ya)?),
    ];
    for (name, svg) in &charts {
        let p = dir.join(name);
        std::fs::write(&p, svg).map_err(|e| Error::io(&p, e))?;
        written.push(p);
    }

    let flows: Vec<OutLayer> = ya
        .layers
        .iter()
        .map(|(name, fl)| flow_layer(net, name, fl))
        .collect::<Result<_>>()?;
    let flows_path = dir.join("flows.gpkg");
    let _ = std::fs::remove_file(&flows_path);
    write_layers(&flows_path, VectorFormat::GeoPackage, &flows)?;
    written.push(flows_path);
    let mut diffs = Vec::new();
    if let Some((_, base)) = ya.layers.first() {
        for (name, fl) in ya.layers.iter().skip(1) {
            diffs.push(diff_layer(net, &format!("{name}_minus_base"), base, fl)?);
        }
    }
    let diff_path = dir.join("differences.gpkg");
    let _ = std::fs::remove_file(&diff_path);
    write_layers(&diff_path, VectorFormat::GeoPackage, &diffs)?;
    written.push(diff_path);

    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>jzplan impact {y}</title>\
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse;margin-bottom:1em}}\
td,th{{border:1px solid #ccc;padding:2px 6px;font-size:13px}}th{{background:#eee}}</style></head><body>\
<h1>Impact of the works, {y}</h1><p><b>Method.</b> {m}</p><p><b>Convergence.</b> {g}. \
Differences below the resolution are printed as “{noise}”.</p>\
<p>Full build: {fb}. Worst month: {wm}. Map layers: <a href=\"flows.gpkg\">flows.gpkg</a>, \
<a href=\"differences.gpkg\">differences.gpkg</a>; everything: <a href=\"analysis.json\">analysis.json</a>.</p>",
        y = ya.year,
        m = esc(&ya.method),
        g = esc(&ya.gap.sentence()),
        noise = esc(BELOW_RESOLUTION),
        fb = ya.full_build_date,
        wm = ya.worst_month,
    );
    for (name, svg) in &charts {
        let _ = write!(
            html,
            "<figure>{svg}<figcaption><a href=\"{name}\">{name}</a></figcaption></figure>"
        );
    }
    for t in &tables {
        html.push_str(&t.html());
    }
    html.push_str("</body></html>\n");
    let index = dir.join("index.html");
    std::fs::write(&index, html).map_err(|e| Error::io(&index, e))?;
    written.push(index);
    Ok(written)
}

/// Writes one before/after comparison into `dir`: its tables as CSV and JSON, and the flows
/// (`flows.gpkg`: before, after) and their difference (`differences.gpkg`).
pub fn write_comparison(
    dir: &Path,
    net: &RoadNetwork,
    c: &Comparison,
    before: &RoadFlows,
    after: &RoadFlows,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = Vec::new();
    for t in comparison_tables(
        c,
        &["summary", "choke_points", "links", "od_changes", "periods"],
    ) {
        t.write(dir, &mut written)?;
    }
    let flows_path = dir.join("flows.gpkg");
    let _ = std::fs::remove_file(&flows_path);
    write_layers(
        &flows_path,
        VectorFormat::GeoPackage,
        &[
            flow_layer(net, "before", before)?,
            flow_layer(net, "after", after)?,
        ],
    )?;
    written.push(flows_path);
    let diff_path = dir.join("differences.gpkg");
    let _ = std::fs::remove_file(&diff_path);
    write_layers(
        &diff_path,
        VectorFormat::GeoPackage,
        &[diff_layer(net, "after_minus_before", before, after)?],
    )?;
    written.push(diff_path);
    Ok(written)
}

/// Writes a closure study as a GeoPackage for QGIS: layers `closures`, `detours`,
/// `flow_difference`, `choke_points` and `conflicts` (the features of
/// [`jzplan_core::analysis::study_report::to_geojson`]).
pub fn write_study_gpkg(
    path: &Path,
    net: &RoadNetwork,
    s: &jzplan_core::analysis::study::Study,
) -> Result<PathBuf> {
    use crate::gdal::FieldKind as K;
    let fc = jzplan_core::analysis::study_report::to_geojson(net, s);
    type Spec<'a> = (&'a str, &'a str, GeometryKind, Vec<(&'a str, K)>);
    let specs: [Spec<'_>; 5] = [
        (
            "closure",
            "closures",
            GeometryKind::LineString,
            vec![
                ("closure", K::Text),
                ("what", K::Text),
                ("edge", K::Integer),
                ("street", K::Text),
            ],
        ),
        (
            "detour",
            "detours",
            GeometryKind::LineString,
            vec![
                ("id", K::Text),
                ("extra_s", K::Real),
                ("extra_m", K::Real),
                ("via", K::Text),
            ],
        ),
        (
            "flow_difference",
            "flow_difference",
            GeometryKind::LineString,
            vec![
                ("edge", K::Integer),
                ("street", K::Text),
                ("before_vph", K::Real),
                ("after_vph", K::Real),
                ("delta_vph", K::Real),
                ("vc_before", K::Real),
                ("vc_after", K::Real),
            ],
        ),
        (
            "choke_point",
            "choke_points",
            GeometryKind::Point,
            vec![
                ("id", K::Text),
                ("rank", K::Integer),
                ("name_zh", K::Text),
                ("name_en", K::Text),
                ("vc_before", K::Real),
                ("vc_after", K::Real),
                ("delta_vc", K::Real),
                ("delta_delay_s", K::Real),
                ("crosses", K::Text),
            ],
        ),
        (
            "conflict",
            "conflicts",
            GeometryKind::MultiLineString,
            vec![
                ("work", K::Text),
                ("name_zh", K::Text),
                ("name_en", K::Text),
                ("delta_vph", K::Real),
                ("summary", K::Text),
            ],
        ),
    ];
    let mut layers = Vec::new();
    let features = fc["features"].as_array().cloned().unwrap_or_default();
    for (tag, name, kind, fields) in specs {
        let mut l = OutLayer::new(name, kind, &fields);
        for f in features.iter().filter(|f| f["properties"]["layer"] == tag) {
            let g = json_geometry(&f["geometry"])
                .ok_or_else(|| Error::invalid("study feature without a point or line geometry"))?;
            let props = f["properties"].as_object().cloned().unwrap_or_default();
            l.push_json(g, &props)?;
        }
        layers.push(l);
    }
    let _ = std::fs::remove_file(path);
    write_layers(path, VectorFormat::GeoPackage, &layers)?;
    Ok(path.to_path_buf())
}

//! The impact report of a year: `index.html` (tables and SVG charts drawn with plotters),
//! every table as CSV and JSON, and the flows and their differences as GeoPackages (through
//! GDAL) for QGIS.

use crate::gdal::{FieldKind, GeometryKind, OutLayer, Value, VectorFormat, write_layers};
use chrono::Datelike;
use jzplan_core::analysis::impact::{BELOW_RESOLUTION, Comparison, YearAnalysis, format_delta};
use jzplan_core::assignment::zones::RoadFlows;
use jzplan_core::network::{EdgeId, RoadNetwork};
use jzplan_core::works::Work;
use jzplan_core::{Error, Result};
use plotters::prelude::*;
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

/// A table: a name (file stem), a header and rows of text.
struct Table {
    name: &'static str,
    title: String,
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn write(&self, dir: &Path, written: &mut Vec<PathBuf>) -> Result<()> {
        let csv_path = dir.join(format!("{}.csv", self.name));
        let io = |e: csv::Error| Error::io(&csv_path, e.into());
        let mut w = csv::Writer::from_path(&csv_path).map_err(io)?;
        w.write_record(&self.header).map_err(io)?;
        for r in &self.rows {
            w.write_record(r).map_err(io)?;
        }
        w.flush().map_err(|e| Error::io(&csv_path, e))?;
        written.push(csv_path);
        let json_path = dir.join(format!("{}.json", self.name));
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = self
            .rows
            .iter()
            .map(|r| {
                self.header
                    .iter()
                    .zip(r)
                    .map(|(h, v)| {
                        let val = v
                            .parse::<f64>()
                            .ok()
                            .filter(|x| x.is_finite())
                            .and_then(serde_json::Number::from_f64)
                            .map(serde_json::Value::Number)
                            .unwrap_or_else(|| serde_json::Value::String(v.clone()));
                        (h.to_string(), val)
                    })
                    .collect()
            })
            .collect();
        let text =
            serde_json::to_string_pretty(&rows).map_err(|e| Error::invalid(e.to_string()))?;
        std::fs::write(&json_path, text).map_err(|e| Error::io(&json_path, e))?;
        written.push(json_path);
        Ok(())
    }

    fn html(&self) -> String {
        let mut h = format!(
            "<h2>{}</h2><p><a href=\"{n}.csv\">CSV</a> · <a href=\"{n}.json\">JSON</a></p><table><tr>",
            esc(&self.title),
            n = self.name
        );
        for c in &self.header {
            let _ = write!(h, "<th>{}</th>", esc(c));
        }
        h.push_str("</tr>");
        for r in &self.rows {
            h.push_str("<tr>");
            for c in r {
                let _ = write!(h, "<td>{}</td>", esc(c));
            }
            h.push_str("</tr>");
        }
        h.push_str("</table>");
        h
    }
}

fn comparison_tables(c: &Comparison, key: &'static [&'static str; 5]) -> Vec<Table> {
    let summary = Table {
        name: key[0],
        title: format!(
            "Summary, morning peak, mean hour of 07:00-09:00 (ΔVHT {} veh-h; resolution {:.2}): {}",
            format_delta(c.delta_vht, c.resolution_vht, 1),
            c.resolution_vht,
            c.label
        ),
        header: vec![
            "state",
            "vht",
            "vkt",
            "mean_speed_kmh",
            "trips",
            "unreachable_pairs",
            "iterations",
            "relative_gap",
            "converged",
        ],
        rows: [("before", &c.before), ("after", &c.after)]
            .iter()
            .map(|(n, s)| {
                vec![
                    n.to_string(),
                    format!("{:.1}", s.vht),
                    format!("{:.1}", s.vkt),
                    format!("{:.2}", s.mean_speed_kmh),
                    format!("{:.1}", s.trips),
                    s.unreachable_pairs.to_string(),
                    s.iterations.to_string(),
                    format!("{:.2e}", s.relative_gap),
                    s.converged.to_string(),
                ]
            })
            .collect(),
    };
    let cp = Table {
        name: key[1],
        title: format!("Choke points v/c: {}", c.label),
        header: vec!["id", "name_zh", "name_en", "vc_before", "vc_after", "delta"],
        rows: c
            .choke_points
            .iter()
            .map(|p| {
                vec![
                    p.id.clone(),
                    p.name_zh.clone(),
                    p.name_en.clone(),
                    f(p.vc_before, 3),
                    f(p.vc_after, 3),
                    f(p.vc_before.zip(p.vc_after).map(|(b, a)| a - b), 3),
                ]
            })
            .collect(),
    };
    let links = Table {
        name: key[2],
        title: format!("Links gaining and losing most flow: {}", c.label),
        header: vec!["edge", "street", "before_vph", "after_vph", "delta_vph"],
        rows: c
            .gaining
            .iter()
            .chain(&c.losing)
            .map(|l| {
                vec![
                    l.edge.to_string(),
                    l.street.clone(),
                    format!("{:.1}", l.before_vph),
                    format!("{:.1}", l.after_vph),
                    format!("{:+.1}", l.delta_vph),
                ]
            })
            .collect(),
    };
    let od = Table {
        name: key[3],
        title: format!("OD travel times changed by 30 s or more: {}", c.label),
        header: vec![
            "origin",
            "destination",
            "trips",
            "before_s",
            "after_s",
            "delta_s",
        ],
        rows: c
            .od_changes
            .iter()
            .map(|o| {
                vec![
                    o.origin.clone(),
                    o.destination.clone(),
                    format!("{:.1}", o.trips),
                    f(o.before_s, 0),
                    f(o.after_s, 0),
                    f(o.delta_s, 0),
                ]
            })
            .collect(),
    };
    let periods = Table {
        name: key[4],
        title: format!(
            "VHT per period (one representative hour each; a weekday has the hours shown): {}",
            c.label
        ),
        header: vec![
            "period",
            "weekday_hours",
            "vht_before",
            "vht_after",
            "delta_vht_per_hour",
            "delta_vht_per_weekday",
        ],
        rows: c
            .periods
            .iter()
            .map(|p| {
                vec![
                    p.period.to_string(),
                    format!("{}", p.weekday_hours),
                    format!("{:.1}", p.vht_before),
                    format!("{:.1}", p.vht_after),
                    format_delta(p.delta_vht_per_hour, p.resolution_vht_per_hour, 1),
                    format_delta(
                        p.delta_vht_per_hour * p.weekday_hours,
                        p.resolution_vht_per_hour * p.weekday_hours,
                        1,
                    ),
                ]
            })
            .collect(),
    };
    vec![summary, cp, links, od, periods]
}

fn timeline_svg(ya: &YearAnalysis, works: &[Work]) -> Result<String> {
    let y0 = chrono::NaiveDate::from_ymd_opt(ya.year, 1, 1).ok_or_else(|| plot_err("year"))?;
    let y1 = chrono::NaiveDate::from_ymd_opt(ya.year, 12, 31).ok_or_else(|| plot_err("year"))?;
    let rows: Vec<&Work> = works
        .iter()
        .filter(|w| {
            let r = w.window();
            r.start <= y1 && r.end >= y0
        })
        .collect();
    let n = rows.len().max(1);
    let mut buf = String::new();
    {
        let root =
            SVGBackend::with_string(&mut buf, (960, 120 + 22 * n as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("Construction timeline {}", ya.year),
                ("sans-serif", 20),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(260)
            .build_cartesian_2d(0f64..366f64, -0.5f64..(n as f64 - 0.5))
            .map_err(plot_err)?;
        let year = ya.year;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_labels(13)
            .x_label_formatter(&|d| {
                chrono::NaiveDate::from_yo_opt(year, (*d as u32).clamp(1, 365))
                    .map(|x| format!("{}-{:02}", x.year() % 100, x.month()))
                    .unwrap_or_default()
            })
            // One more label than rows makes the axis step 1, so every row is named.
            .y_labels(n + 1)
            .y_label_formatter(&|y| {
                rows.get(y.round() as usize)
                    .map(|w| {
                        format!(
                            "{} {}",
                            w.id,
                            w.name_en.chars().take(28).collect::<String>()
                        )
                    })
                    .unwrap_or_default()
            })
            .draw()
            .map_err(plot_err)?;
        let clash_ids: std::collections::HashSet<&str> = ya
            .months
            .iter()
            .flat_map(|m| m.clashes.iter().flat_map(|(a, b)| [a.as_str(), b.as_str()]))
            .collect();
        chart
            .draw_series(rows.iter().enumerate().map(|(i, w)| {
                let r = w.window();
                let s = r.start.max(y0).ordinal0() as f64;
                let e = r.end.min(y1).ordinal() as f64;
                let color = if clash_ids.contains(w.id.as_str()) {
                    RED.mix(0.7)
                } else {
                    BLUE.mix(0.6)
                };
                Rectangle::new([(s, i as f64 - 0.35), (e, i as f64 + 0.35)], color.filled())
            }))
            .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    Ok(buf)
}

fn onsite_svg(ya: &YearAnalysis) -> Result<String> {
    let max = ya
        .months
        .iter()
        .map(|m| m.on_site.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (960, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "Works on site per month {} (red: with clashing pairs)",
                    ya.year
                ),
                ("sans-serif", 18),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(0.5f64..12.5f64, 0f64..(max as f64 + 1.0))
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_labels(12)
            .x_label_formatter(&|m| format!("{:.0}", m))
            .y_desc("works on site")
            .draw()
            .map_err(plot_err)?;
        chart
            .draw_series(ya.months.iter().map(|m| {
                let x = m.month as f64;
                let color = if m.clashes.is_empty() {
                    BLUE.mix(0.6)
                } else {
                    RED.mix(0.7)
                };
                Rectangle::new(
                    [(x - 0.35, 0.0), (x + 0.35, m.on_site.len() as f64)],
                    color.filled(),
                )
            }))
            .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    Ok(buf)
}

fn ranking_svg(ya: &YearAnalysis) -> Result<String> {
    let n = ya.works.len().max(1);
    let lo = ya
        .works
        .iter()
        .map(|w| w.net_first_year_vht)
        .fold(0.0f64, f64::min);
    let hi = ya
        .works
        .iter()
        .map(|w| w.net_first_year_vht)
        .fold(0.0f64, f64::max);
    let pad = ((hi - lo) * 0.05).max(1.0);
    let mut buf = String::new();
    {
        let root =
            SVGBackend::with_string(&mut buf, (960, 100 + 24 * n as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "Ranking {}: works on site or opening in {} — first-year VHT saved − VHT lost while built",
                    ya.year, ya.year
                ),
                ("sans-serif", 16),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(260)
            .build_cartesian_2d((lo - pad)..(hi + pad), -0.5f64..(n as f64 - 0.5))
            .map_err(plot_err)?;
        let works = &ya.works;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n + 1)
            .y_label_formatter(&|y| {
                works
                    .get(n - 1 - (y.round().max(0.0) as usize).min(n - 1))
                    .map(|w| {
                        format!(
                            "{}. {} {}",
                            w.rank,
                            w.id,
                            w.name_en.chars().take(24).collect::<String>()
                        )
                    })
                    .unwrap_or_default()
            })
            .x_desc(
                "vehicle-hours (veh-h), all periods of the day × calendar days; bars within the \
                 model's resolution are noise",
            )
            .draw()
            .map_err(plot_err)?;
        chart
            .draw_series(works.iter().enumerate().map(|(i, w)| {
                let y = (n - 1 - i) as f64;
                let v = w.net_first_year_vht;
                let color = if v >= 0.0 {
                    GREEN.mix(0.7)
                } else {
                    RED.mix(0.7)
                };
                Rectangle::new(
                    [(0.0f64.min(v), y + 0.15), (0.0f64.max(v), y + 0.85)],
                    color.filled(),
                )
            }))
            .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    Ok(buf)
}

fn chokepoints_svg(ya: &YearAnalysis) -> Result<String> {
    let full = &ya.base_vs_full.choke_points;
    let worst = &ya.base_vs_worst_month.choke_points;
    let n = full.len().max(1);
    let max = full
        .iter()
        .chain(worst)
        .flat_map(|c| [c.vc_before, c.vc_after])
        .flatten()
        .fold(1.0f64, f64::max);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (960, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "Choke points v/c: base (grey), month {} (red), full build (green)",
                    ya.worst_month
                ),
                ("sans-serif", 18),
            )
            .margin(10)
            .x_label_area_size(60)
            .y_label_area_size(40)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..max * 1.1)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n + 1)
            .x_label_formatter(&|x| {
                full.get(x.round().max(0.0) as usize)
                    .map(|c| c.id.clone())
                    .unwrap_or_default()
            })
            .y_desc("v/c")
            .draw()
            .map_err(plot_err)?;
        let series: [(Vec<Option<f64>>, RGBAColor, f64); 3] = [
            (
                full.iter().map(|c| c.vc_before).collect(),
                BLACK.mix(0.35),
                -0.4,
            ),
            (
                worst.iter().map(|c| c.vc_after).collect(),
                RED.mix(0.7),
                -0.13,
            ),
            (
                full.iter().map(|c| c.vc_after).collect(),
                GREEN.mix(0.7),
                0.14,
            ),
        ];
        for (vals, color, off) in series {
            chart
                .draw_series(vals.iter().enumerate().filter_map(|(i, v)| {
                    v.map(|v| {
                        Rectangle::new(
                            [(i as f64 + off, 0.0), (i as f64 + off + 0.25, v)],
                            color.filled(),
                        )
                    })
                }))
                .map_err(plot_err)?;
        }
        root.present().map_err(plot_err)?;
    }
    Ok(buf)
}

fn flow_layer(net: &RoadNetwork, name: &str, fl: &RoadFlows) -> Result<OutLayer> {
    let mut l = OutLayer::new(
        name,
        GeometryKind::LineString,
        &[
            ("edge_id", FieldKind::Integer),
            ("street", FieldKind::Text),
            ("class", FieldKind::Text),
            ("open", FieldKind::Bool),
            ("volume_vph", FieldKind::Real),
            ("vc", FieldKind::Real),
            ("time_s", FieldKind::Real),
        ],
    );
    for (i, e) in net.edges().iter().enumerate() {
        let open = fl.time_s[i].is_finite();
        l.push(
            e.geometry.clone(),
            vec![
                Value::Int(i as i64),
                Value::Text(
                    net.street_of(EdgeId::from_index(i))
                        .display_name()
                        .to_string(),
                ),
                Value::Text(e.class.as_str().to_string()),
                Value::Bool(open),
                Value::Real(fl.volume_vph[i]),
                Value::Real(fl.vc[i]),
                if open {
                    Value::Real(fl.time_s[i])
                } else {
                    Value::Null
                },
            ],
        )?;
    }
    Ok(l)
}

fn diff_layer(net: &RoadNetwork, name: &str, b: &RoadFlows, a: &RoadFlows) -> Result<OutLayer> {
    let mut l = OutLayer::new(
        name,
        GeometryKind::LineString,
        &[
            ("edge_id", FieldKind::Integer),
            ("street", FieldKind::Text),
            ("before_vph", FieldKind::Real),
            ("after_vph", FieldKind::Real),
            ("delta_vph", FieldKind::Real),
            ("vc_before", FieldKind::Real),
            ("vc_after", FieldKind::Real),
        ],
    );
    for (i, e) in net.edges().iter().enumerate() {
        l.push(
            e.geometry.clone(),
            vec![
                Value::Int(i as i64),
                Value::Text(
                    net.street_of(EdgeId::from_index(i))
                        .display_name()
                        .to_string(),
                ),
                Value::Real(b.volume_vph[i]),
                Value::Real(a.volume_vph[i]),
                Value::Real(a.volume_vph[i] - b.volume_vph[i]),
                Value::Real(b.vc[i]),
                Value::Real(a.vc[i]),
            ],
        )?;
    }
    Ok(l)
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

/// A Point, LineString or MultiLineString from GeoJSON `{"type", "coordinates"}`.
fn json_geometry(g: &serde_json::Value) -> Option<geo_types::Geometry<f64>> {
    let pt = |v: &serde_json::Value| -> Option<geo_types::Coord<f64>> {
        Some(geo_types::Coord {
            x: v.get(0)?.as_f64()?,
            y: v.get(1)?.as_f64()?,
        })
    };
    let line = |v: &serde_json::Value| -> Option<geo_types::LineString<f64>> {
        v.as_array()?
            .iter()
            .map(pt)
            .collect::<Option<Vec<_>>>()
            .map(geo_types::LineString)
    };
    let c = &g["coordinates"];
    match g["type"].as_str()? {
        "Point" => pt(c).map(|p| geo_types::Point(p).into()),
        "LineString" => line(c).map(Into::into),
        "MultiLineString" => c
            .as_array()?
            .iter()
            .map(line)
            .collect::<Option<Vec<_>>>()
            .map(|ls| geo_types::MultiLineString(ls).into()),
        _ => None,
    }
}

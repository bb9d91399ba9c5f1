//! The report's SVG charts, drawn with plotters.

use super::plot_err;
use chrono::Datelike;
use jzplan_core::Result;
use jzplan_core::analysis::impact::YearAnalysis;
use jzplan_core::works::Work;
use plotters::prelude::*;

pub(super) fn timeline_svg(ya: &YearAnalysis, works: &[Work]) -> Result<String> {
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

pub(super) fn onsite_svg(ya: &YearAnalysis) -> Result<String> {
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

pub(super) fn ranking_svg(ya: &YearAnalysis) -> Result<String> {
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

pub(super) fn chokepoints_svg(ya: &YearAnalysis) -> Result<String> {
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

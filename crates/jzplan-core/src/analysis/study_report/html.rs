//! The study as one self-contained HTML page.

use super::format::*;
use super::svg::{bars_svg, map_svg};
use crate::analysis::detour::Outcome;
use crate::analysis::study::Study;
use crate::network::RoadNetwork;
use std::fmt::Write as _;

fn table(head: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut h = String::from("<table><tr>");
    for c in head {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr>");
    for r in rows {
        h.push_str("<tr>");
        for c in r {
            let _ = write!(h, "<td>{}</td>", esc(&c));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    h
}

/// The study as one self-contained HTML page (map and charts inline SVG).
pub fn to_html(net: &RoadNetwork, s: &Study) -> String {
    let hl = s
        .periods
        .iter()
        .find(|p| p.period.id == s.headline_period)
        .map_or(s.headline_period.as_str(), |p| p.period.label.as_str());
    let mut h = format!(
        "<!doctype html><html lang=\"zh-Hans\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:{FONT_STACK};margin:1.5em;max-width:1200px;color:#222}}\
         table{{border-collapse:collapse;margin:.5em 0 1.5em}}td,th{{border:1px solid #ccc;\
         padding:3px 6px;text-align:left;font-size:13px}}th{{background:#f0f0ec}}\
         .note{{color:#555;font-size:13px}}h1{{font-size:22px}}h2{{font-size:18px;margin-top:1.4em}}\
         </style></head><body><h1>Closure study: {t}</h1>\
         <p><b>Baseline:</b> {b} (works on site that day: {on}; completed: {done}).</p>",
        t = esc(&s.title),
        b = esc(&s.baseline.name),
        on = esc(&s
            .baseline
            .works_on_site
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
            .join(", ")),
        done = esc(&s
            .baseline
            .works_completed
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
            .join(", ")),
    );
    let w = &s.window_totals;
    let _ = write!(
        h,
        "<p><b>Headline:</b> {:+.0} veh-h and {:+.0} veh-km over the window ({} weekdays, {} weekend days; period factors {}); \
         {} detour(s), {} cut off; {} secondary conflict(s); {} choke point(s) cross v/c 0.9 or 1.0.</p>",
        w.delta_vht,
        w.delta_vkt,
        w.weekdays,
        w.weekend_days,
        esc(&w.factors.join(", ")),
        s.detours.len(),
        s.detours
            .iter()
            .filter(|d| d.outcome == Outcome::CutOff)
            .count(),
        s.conflicts.len(),
        s.choke_points
            .iter()
            .filter(|c| !c.crosses.is_empty())
            .count()
    );
    let _ = write!(
        h,
        "<h2>Map of the study area ({})</h2>{}",
        esc(hl),
        map_svg(net, s, 960.0, 640.0)
    );
    h.push_str("<h2>Closures</h2>");
    h.push_str(&table(
        &["closure", "what", "streets", "km (directed)"],
        s.closures
            .iter()
            .map(|c| {
                vec![
                    c.label.clone(),
                    c.what.clone(),
                    c.streets.join(", "),
                    format!("{:.2}", c.length_m / 1000.0),
                ]
            })
            .collect(),
    ));
    h.push_str("<h2>Detours (free-flow; cut-off first)</h2>");
    h.push_str(&table(
        &[
            "stretch",
            "closed",
            "outcome",
            "before",
            "around",
            "extra",
            "extra km",
            "via / why",
        ],
        s.detours
            .iter()
            .map(|d| {
                vec![
                    d.id.clone(),
                    d.streets.join(", "),
                    outcome_word(d.outcome).into(),
                    dur(d.base_s),
                    dur(d.detour_s),
                    signed_dur(d.extra_s),
                    km(d.extra_m),
                    if d.via.is_empty() {
                        d.reason.clone().unwrap_or_default()
                    } else {
                        d.via.join(" → ")
                    },
                ]
            })
            .collect(),
    ));
    let _ = write!(h, "<h2>Where the traffic goes ({})</h2>", esc(hl));
    let mut top: Vec<_> = s
        .streets
        .iter()
        .filter(|c| c.delta_vph > 0.0)
        .take(10)
        .collect();
    top.extend(s.streets.iter().rev().filter(|c| c.delta_vph < 0.0).take(5));
    h.push_str(&bars_svg(
        "Δ veh/h by street and direction (length-weighted mean)",
        &top.iter()
            .map(|c| {
                (
                    format!("{} {}", street_label(&c.name_zh, &c.name_en), c.direction),
                    c.delta_vph,
                )
            })
            .collect::<Vec<_>>(),
        "veh/h",
    ));
    h.push_str(&table(
        &[
            "street",
            "direction",
            "before veh/h",
            "after veh/h",
            "Δ veh/h",
            "peak Δ on one edge",
            "v/c before",
            "v/c after",
            "Δ v/c",
            "rank by Δ v/c",
        ],
        s.streets
            .iter()
            .filter(|c| c.delta_vph.abs() >= 10.0 || c.delta_vph_peak.abs() >= 10.0)
            .map(|c| {
                vec![
                    street_label(&c.name_zh, &c.name_en),
                    c.direction.clone(),
                    format!("{:.0}", c.before_vph),
                    format!("{:.0}", c.after_vph),
                    format!("{:+.0}", c.delta_vph),
                    format!("{:+.0}", c.delta_vph_peak),
                    format!("{:.2}", c.vc_before),
                    format!("{:.2}", c.vc_after),
                    format!("{:+.2}", c.delta_vc),
                    c.rank_vc.to_string(),
                ]
            })
            .collect(),
    ));
    let _ = write!(h, "<h2>Choke points ({}), worst first</h2>", esc(hl));
    h.push_str(&table(
        &[
            "#",
            "id",
            "name",
            "v/c before",
            "v/c after",
            "Δ v/c",
            "delay before s/veh",
            "delay after",
            "Δ delay",
            "crosses",
        ],
        s.choke_points
            .iter()
            .map(|c| {
                vec![
                    c.rank.to_string(),
                    c.id.clone(),
                    street_label(&c.name_zh, &c.name_en),
                    opt2(c.vc_before),
                    opt2(c.vc_after),
                    c.delta_vc.map_or("—".into(), |v| format!("{v:+.2}")),
                    c.delay_before_s.map_or("—".into(), |v| format!("{v:.1}")),
                    c.delay_after_s.map_or("—".into(), |v| format!("{v:.1}")),
                    c.delta_delay_s.map_or("—".into(), |v| format!("{v:+.1}")),
                    c.crosses
                        .iter()
                        .map(|x| format!("{x:.1}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            })
            .collect(),
    ));
    let _ = write!(
        h,
        "<h2>Trips whose time grows most ({})</h2><p class=\"note\">{} OD pairs lose every path.</p>",
        esc(hl),
        s.od_pairs_cut
    );
    h.push_str(&table(
        &["from", "to", "trips/h", "before", "after", "Δ"],
        s.od_pairs
            .iter()
            .map(|p| {
                vec![
                    format!("{} {}", p.origin, p.origin_name),
                    format!("{} {}", p.destination, p.destination_name),
                    format!("{:.0}", p.trips),
                    dur(p.before_s),
                    dur(p.after_s),
                    signed_dur(p.delta_s),
                ]
            })
            .collect(),
    ));
    h.push_str("<h2>Vehicle-hours and vehicle-kilometres</h2>");
    h.push_str(&bars_svg(
        "Δ VHT of one weekday by period (per-hour Δ × hours in force)",
        &s.periods
            .iter()
            .map(|p| (p.period.label.clone(), p.delta_vht_per_day))
            .collect::<Vec<_>>(),
        "veh-h",
    ));
    h.push_str(&table(
        &[
            "period",
            "demand factor",
            "source",
            "hours in force (weekday / weekend day)",
            "VHT base /h",
            "VHT with /h",
            "Δ VHT /h",
            "Δ VKT /h",
            "relative gap (base, with)",
            "iterations (base, with)",
        ],
        s.periods
            .iter()
            .map(|p| {
                vec![
                    p.period.label.clone(),
                    format!("{:.2}", p.period.demand_factor),
                    p.period.source.to_string(),
                    format!("{} / {}", p.hours_in_force, p.weekend_hours_in_force),
                    format!("{:.1}", p.baseline.vht),
                    format!("{:.1}", p.with_closure.vht),
                    sgn(p.delta_vht, 1),
                    sgn(p.delta_vkt, 1),
                    format!(
                        "{:.1e}, {:.1e}",
                        p.baseline.relative_gap, p.with_closure.relative_gap
                    ),
                    format!("{}, {}", p.baseline.iterations, p.with_closure.iterations),
                ]
            })
            .collect(),
    ));
    let _ = write!(
        h,
        "<p>Over the window: <b>{:+.0} veh-h</b>, {:+.0} veh-km. {}</p>",
        w.delta_vht,
        w.delta_vkt,
        esc(&w.method)
    );
    let _ = write!(
        h,
        "<h2>Secondary conflicts (threshold +{:.0} veh/h)</h2>",
        s.flow_threshold_vph
    );
    if s.conflicts.is_empty() {
        h.push_str("<p>None.</p>");
    } else {
        h.push_str(&table(
            &[
                "work",
                "does",
                "streets",
                "overlap",
                "extra veh/h on its site",
                "on detour",
                "on the closed stretch",
                "v/c on site before → after",
                "in words",
            ],
            s.conflicts
                .iter()
                .map(|c| {
                    vec![
                        format!("{} {}", c.work, c.name_zh),
                        c.action.clone(),
                        c.streets.join(", "),
                        c.overlap.to_string(),
                        format!("{:+.0} ({})", c.delta_vph, c.delta_street),
                        c.on_detours.join(", "),
                        if c.on_closure {
                            "yes".into()
                        } else {
                            String::new()
                        },
                        format!("{:.2} → {:.2}", c.vc_before, c.vc_after),
                        c.summary.clone(),
                    ]
                })
                .collect(),
        ));
    }
    let m = &s.mitigation;
    h.push_str("<h2>Mitigation hints</h2>");
    h.push_str(&bars_svg(
        "Extra VHT over the window by start date (other works fixed)",
        &m.starts
            .iter()
            .map(|c| (format!("start {}", c.window.start), c.delta_vht))
            .collect::<Vec<_>>(),
        "veh-h",
    ));
    if let (Some(b), Some(asked)) = (m.starts.get(m.best), m.starts.first()) {
        let _ = write!(
            h,
            "<p>Best start among the next 12 months: <b>{}</b> ({:+.0} veh-h; {:.0} veh-h less than as asked, \
             {:+.0} veh-h by the same month-by-month method, which takes each month's network).</p>",
            b.window, b.delta_vht, m.best_saving_vht, asked.delta_vht
        );
    }
    let _ = write!(
        h,
        "<p>Night works (22:00–06:00 only): {:+.0} veh-h over the window, saving {:.0} veh-h{}.</p>\
         <p class=\"note\">{}</p>",
        m.night_delta_vht,
        m.night_saving_vht,
        m.night_saving_share
            .map_or(String::new(), |x| format!(" ({:.0} %)", 100.0 * x)),
        esc(&m.method)
    );
    let _ = write!(
        h,
        "<h2>Method</h2><p class=\"note\">{}</p><p class=\"note\">Source: {}. Study id {}.</p></body></html>",
        esc(&s.method),
        esc(&s.source),
        esc(&s.id)
    );
    h
}

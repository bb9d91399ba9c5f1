//! The report's tables: HTML, CSV and JSON from one [`Table`].

use super::{esc, f};
use jzplan_core::analysis::impact::{Comparison, format_delta};
use jzplan_core::{Error, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A table: a name (file stem), a header and rows of text.
pub(super) struct Table {
    pub(super) name: &'static str,
    pub(super) title: String,
    pub(super) header: Vec<&'static str>,
    pub(super) rows: Vec<Vec<String>>,
}

impl Table {
    pub(super) fn write(&self, dir: &Path, written: &mut Vec<PathBuf>) -> Result<()> {
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

    pub(super) fn html(&self) -> String {
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

pub(super) fn comparison_tables(c: &Comparison, key: &'static [&'static str; 5]) -> Vec<Table> {
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

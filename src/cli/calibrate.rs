//! `jzplan calibrate`: adjust an OD matrix to traffic counts (ODME, Spiess's gradient method;
//! see `assignment::odme` and docs/assignment.md).

use super::GlobalOpts;
use super::assign::{Problem, load_problem};
use super::opts::{Format, FormatOpts, RECORD, stdout_error};
use crate::assignment::odme::{self, OdmeOptions, OdmeResult};
use crate::assignment::{AssignNetwork, LinkId, OdMatrix};
use crate::io::tntp;
use crate::{Error, Result};
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `jzplan calibrate`.
#[derive(Args, Debug)]
pub struct CalibrateArgs {
    /// Counts CSV: `links` (a link `FROM-TO`, `edge:N` or `#N`, or several joined by `+` for
    /// a screenline), `count`, optional `sd` (standard deviation; default 10 % of the count,
    /// at least 1) and `name`.
    #[arg(long, value_name = "FILE")]
    pub counts: PathBuf,
    /// TNTP network file (`*_net.tntp`). Without it, the road network (`--network`, default
    /// the embedded Jinzhou network) with its zones.
    #[arg(long = "tntp-net", value_name = "FILE")]
    pub tntp_net: Option<PathBuf>,
    /// Prior matrix: a TNTP trips file or a CSV OD matrix. Default: the `_trips.tntp` beside
    /// a TNTP network; the gravity model on a road network.
    #[arg(long, value_name = "FILE")]
    pub trips: Option<PathBuf>,
    /// Zones of a road network (GeoJSON points). Default: the embedded Jinzhou zones.
    #[arg(long, value_name = "FILE")]
    pub zones: Option<PathBuf>,
    /// Write the estimated matrix as `origin,destination,trips,source` CSV.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write the fit per count (count, sd, before, after, GEH before and after) as CSV.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Gradient iterations (one equilibrium assignment each).
    #[arg(long, default_value_t = 20)]
    pub iterations: usize,
    /// Relative gap of every assignment (Algorithm B).
    #[arg(long, default_value_t = 1e-6)]
    pub gap: f64,
    /// Weight of tolls in the generalized cost (see `jzplan assign --help`).
    #[arg(long = "toll-factor", value_name = "F")]
    pub toll_factor: Option<f64>,
    /// Weight of length in the generalized cost (see `jzplan assign --help`).
    #[arg(long = "distance-factor", value_name = "F")]
    pub distance_factor: Option<f64>,
    /// A TNTP flow file of the true volumes (a test of the method): also report the error on
    /// the links that were not counted, before and after.
    #[arg(long = "best-known", value_name = "FILE")]
    pub best_known: Option<PathBuf>,
    /// Output format of the summary (text or json).
    #[command(flatten)]
    pub format: FormatOpts,
}

/// Runs `jzplan calibrate`.
pub fn run_calibrate(g: &GlobalOpts, a: CalibrateArgs) -> anyhow::Result<()> {
    let json = a.format.get("calibrate", RECORD)? == Format::Json;
    let (net, prior, title, prior_src) = load_problem(
        g,
        &Problem {
            tntp_net: a.tntp_net.as_deref(),
            trips: a.trips.as_deref(),
            zones: a.zones.as_deref(),
            date: None,
            write_demand: None,
            toll_factor: a.toll_factor,
            distance_factor: a.distance_factor,
        },
    )?;
    let counts = odme::read_counts(&a.counts, &net)?;
    let opts = OdmeOptions {
        iterations: a.iterations,
        target_gap: a.gap,
        ..OdmeOptions::default()
    };
    let r = odme::estimate(&net, &prior, &counts, &opts)?;
    if let Some(p) = &a.out {
        write_matrix(p, &net, &r.od, &r.source)?;
    }
    if let Some(p) = &a.report {
        write_report(p, &r)?;
    }
    let uncounted = match &a.best_known {
        Some(p) => Some(uncounted_error(p, &net, &counts, &r)?),
        None => None,
    };
    let (share_b, share_a) = r.geh_share();
    let first = r.history.first().map_or(0.0, |h| h.objective);
    let last = r
        .history
        .iter()
        .rev()
        .find(|h| !h.rejected)
        .map_or(0.0, |h| h.objective);
    let mut out = std::io::stdout().lock();
    if json {
        let v = serde_json::json!({
            "network": title, "prior": prior_src, "counts": a.counts.display().to_string(),
            "source": r.source, "objective_before": first, "objective_after": last,
            "geh_under_5_before": share_b, "geh_under_5_after": share_a,
            "accepted": r.accepted(), "total_before": prior.total(), "total_after": r.od.total(),
            "history": r.history, "fits": r.fits,
            "uncounted_rmse": uncounted.map(|(b, a, n)| serde_json::json!({
                "links": n, "before": b, "after": a })),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?).map_err(stdout_error)?;
    } else {
        writeln!(
            out,
            "{title}: {} counts, prior {prior_src} (total {:.1})",
            counts.len(),
            prior.total()
        )
        .map_err(stdout_error)?;
        writeln!(
            out,
            "{:<16} {:>10} {:>8} {:>10} {:>10} {:>6} {:>6}",
            "count", "counted", "sd", "before", "after", "GEH b", "GEH a"
        )
        .map_err(stdout_error)?;
        for f in &r.fits {
            writeln!(
                out,
                "{:<16} {:>10.1} {:>8.1} {:>10.1} {:>10.1} {:>6.2} {:>6.2}",
                f.name, f.count, f.sd, f.before, f.after, f.geh_before, f.geh_after
            )
            .map_err(stdout_error)?;
        }
        writeln!(
            out,
            "GEH < 5 on {:.1} % of counts before, {:.1} % after (acceptance: >= 85 %: {})",
            share_b * 100.0,
            share_a * 100.0,
            if r.accepted() { "met" } else { "NOT met" }
        )
        .map_err(stdout_error)?;
        writeln!(
            out,
            "objective ½Σ((V−count)/sd)² {first:.4e} → {last:.4e} in {} iterations; total \
             demand {:.1} → {:.1}; source {}",
            r.history.len() - 1,
            prior.total(),
            r.od.total(),
            r.source
        )
        .map_err(stdout_error)?;
        if let Some((b, af, n)) = uncounted {
            writeln!(
                out,
                "uncounted links ({n}): RMSE vs best known {b:.2} before, {af:.2} after"
            )
            .map_err(stdout_error)?;
        }
    }
    Ok(())
}

fn write_matrix(path: &Path, net: &AssignNetwork, od: &OdMatrix, source: &str) -> Result<()> {
    let mut w = csv::Writer::from_path(path).map_err(|e| Error::io(path, e.into()))?;
    let io = |e: csv::Error| Error::io(path, e.into());
    w.write_record(["origin", "destination", "trips", "source"])
        .map_err(io)?;
    let z = net.zone_names();
    for o in 0..od.zones() {
        for d in 0..od.zones() {
            let v = od.get(o, d);
            if v > 0.0 {
                w.write_record([z[o].as_str(), z[d].as_str(), &format!("{v:.3}"), source])
                    .map_err(io)?;
            }
        }
    }
    w.flush().map_err(|e| Error::io(path, e))
}

fn write_report(path: &Path, r: &OdmeResult) -> Result<()> {
    let mut w = csv::Writer::from_path(path).map_err(|e| Error::io(path, e.into()))?;
    let io = |e: csv::Error| Error::io(path, e.into());
    w.write_record([
        "name",
        "count",
        "sd",
        "before",
        "after",
        "geh_before",
        "geh_after",
    ])
    .map_err(io)?;
    for f in &r.fits {
        w.write_record([
            f.name.clone(),
            format!("{}", f.count),
            format!("{}", f.sd),
            format!("{:.3}", f.before),
            format!("{:.3}", f.after),
            format!("{:.3}", f.geh_before),
            format!("{:.3}", f.geh_after),
        ])
        .map_err(io)?;
    }
    w.flush().map_err(|e| Error::io(path, e))
}

/// RMSE of the volumes against a TNTP flow file on the links no count covers: (before,
/// after, links).
fn uncounted_error(
    path: &Path,
    net: &AssignNetwork,
    counts: &[odme::Count],
    r: &OdmeResult,
) -> Result<(f64, f64, usize)> {
    let best = tntp::read_flow(path)?;
    let counted: std::collections::HashSet<LinkId> = counts
        .iter()
        .flat_map(|c| c.links.iter().copied())
        .collect();
    let (mut sb, mut sa, mut n) = (0.0, 0.0, 0usize);
    for b in &best {
        let l = net.tntp_link(b.from, b.to).ok_or_else(|| {
            Error::file(
                path,
                format!("link {}-{}", b.from, b.to),
                "no such link in the network",
            )
        })?;
        if counted.contains(&l) {
            continue;
        }
        sb += (r.before.volume[l.index()] - b.volume).powi(2);
        sa += (r.after.volume[l.index()] - b.volume).powi(2);
        n += 1;
    }
    let nn = n.max(1) as f64;
    Ok(((sb / nn).sqrt(), (sa / nn).sqrt(), n))
}

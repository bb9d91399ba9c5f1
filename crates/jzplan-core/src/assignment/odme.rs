//! Origin-destination matrix estimation from traffic counts (ODME).
//!
//! Method: the gradient method of Spiess (1990), "A gradient approach for the O-D matrix
//! adjustment problem" (Centre de recherche sur les transports, Montréal, publication 693).
//! With counts `ĉ_c` (a link, or a screenline: the sum over several links) and their
//! standard deviations `σ_c`, it minimises
//!
//! `Z(g) = ½ Σ_c (V_c(g) − ĉ_c)² / σ_c²`
//!
//! where `V_c(g)` are the counted volumes of the user equilibrium of the matrix `g`. Each
//! iteration assigns `g` (Algorithm B, so the route proportions of the equilibrium are known:
//! `bush`), computes the gradient `∂Z/∂g_od = Σ_c (V_c − ĉ_c)/σ_c² · Σ_{a∈c} p_od^a`
//! (`p_od^a` the share of the pair's flow on link `a`) and moves multiplicatively,
//! `g_od ← g_od (1 − λ ∂Z/∂g_od)`. The step `λ` minimises `Z` along the direction with the
//! route proportions held fixed (closed form), capped so that no cell turns negative. The
//! multiplicative form is what regularises towards the prior: a cell that is zero stays zero,
//! and cells move in proportion to their size and to how much the counts they cross are off,
//! so the estimated matrix keeps the prior's structure. A step that raises `Z` at the new
//! equilibrium is undone and retried at half the length.
//!
//! Fit is reported per count as GEH, `√(2 (M − C)² / (M + C))` (M modelled, C counted, both
//! hourly volumes): GEH < 5 on at least 85 % of the counts is the usual acceptance.

use super::bush;
use super::network::AssignNetwork;
use super::solver::finish;
use super::{Algorithm, AssignOptions, AssignmentResult, LinkId, OdMatrix};
use crate::{Error, Result};
use serde::Serialize;
use std::path::Path;

/// One traffic count: a link, or a screenline (the sum of the volumes of several links).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Count {
    /// Name (from the file's `name` column, else `row N`).
    pub name: String,
    /// The counted links.
    pub links: Vec<LinkId>,
    /// Counted volume (demand units per period, like the matrix).
    pub count: f64,
    /// Standard deviation of the count (> 0).
    pub sd: f64,
}

/// The link a spec names: `FROM-TO` (node numbers of a TNTP link), `edge:N` (road edge N) or
/// `#N` (the N-th link of the network, 0-based).
pub fn parse_link(net: &AssignNetwork, spec: &str) -> Result<LinkId> {
    if let Some(n) = spec.strip_prefix('#') {
        let i: u32 = n.parse().map_err(|_| {
            Error::invalid(format!("link '{spec}': '#' must be followed by a number"))
        })?;
        if i as usize >= net.link_count() {
            return Err(Error::not_found("link", spec));
        }
        return Ok(LinkId(i));
    }
    if let Some(n) = spec.strip_prefix("edge:") {
        let e: u32 = n.parse().map_err(|_| {
            Error::invalid(format!(
                "link '{spec}': 'edge:' must be followed by a number"
            ))
        })?;
        return net
            .road_link(crate::network::EdgeId(e))
            .ok_or_else(|| Error::not_found("link", spec));
    }
    let (a, b) = spec
        .split_once('-')
        .ok_or_else(|| Error::invalid(format!("link '{spec}' is not FROM-TO, edge:N or #N")))?;
    let parse = |s: &str| {
        s.trim()
            .parse::<u32>()
            .map_err(|_| Error::invalid(format!("link '{spec}': '{s}' is not a node number")))
    };
    net.tntp_link(parse(a)?, parse(b)?)
        .ok_or_else(|| Error::not_found("link", spec))
}

/// Default standard deviation of a count when the file gives none: 10 % of the count, at
/// least 1.
pub fn default_sd(count: f64) -> f64 {
    (0.1 * count).max(1.0)
}

/// Reads counts from CSV: a `links` column (one link spec, or several separated by `+`, `;`
/// or blanks for a screenline; see [`parse_link`]), a `count` column, and optionally `sd`
/// (standard deviation; default [`default_sd`]) and `name`.
pub fn read_counts(path: &Path, net: &AssignNetwork) -> Result<Vec<Count>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    parse_counts(path, file, net)
}

/// Parses counts CSV (see [`read_counts`]); `path` is used in messages.
pub fn parse_counts(
    path: &Path,
    reader: impl std::io::Read,
    net: &AssignNetwork,
) -> Result<Vec<Count>> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| Error::file(path, "line 1", format!("header: {e}")))?
        .clone();
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.contains(&h.to_ascii_lowercase().as_str()))
    };
    let lc = col(&["links", "link"])
        .ok_or_else(|| Error::file(path, "line 1", "no links column (links or link)"))?;
    let cc = col(&["count", "volume", "flow"])
        .ok_or_else(|| Error::file(path, "line 1", "no count column (count, volume or flow)"))?;
    let sc = col(&["sd", "std", "stdev", "std_dev"]);
    let nc = col(&["name", "id"]);
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let at = format!("line {line}");
        let rec = rec.map_err(|e| Error::file(path, &at, e.to_string()))?;
        let get = |c: usize| rec.get(c).unwrap_or("");
        let num = |c: usize, name: &str| -> Result<f64> {
            let raw = get(c);
            let v: f64 = raw.parse().map_err(|_| {
                Error::file(
                    path,
                    &at,
                    format!("field '{name}': '{raw}' is not a number"),
                )
            })?;
            if !v.is_finite() || v < 0.0 {
                return Err(Error::file(
                    path,
                    &at,
                    format!("field '{name}': {v} must be finite and not negative"),
                ));
            }
            Ok(v)
        };
        let count = num(cc, "count")?;
        let sd = match sc {
            Some(c) if !get(c).is_empty() => {
                let sd = num(c, "sd")?;
                if sd <= 0.0 {
                    return Err(Error::file(path, &at, "field 'sd': must be positive"));
                }
                sd
            }
            _ => default_sd(count),
        };
        let mut links = Vec::new();
        for spec in get(lc)
            .split(|c: char| c == '+' || c == ';' || c.is_whitespace())
            .filter(|s| !s.is_empty())
        {
            let l = parse_link(net, spec)
                .map_err(|e| Error::file(path, &at, format!("field 'links': {e}")))?;
            if links.contains(&l) {
                return Err(Error::file(
                    path,
                    &at,
                    format!("field 'links': link '{spec}' is listed twice"),
                ));
            }
            links.push(l);
        }
        if links.is_empty() {
            return Err(Error::file(path, &at, "field 'links' is empty"));
        }
        let name = match nc {
            Some(c) if !get(c).is_empty() => get(c).to_string(),
            _ => format!("row {line}"),
        };
        out.push(Count {
            name,
            links,
            count,
            sd,
        });
    }
    if out.is_empty() {
        return Err(Error::file(path, "counts", "no counts"));
    }
    Ok(out)
}

/// GEH statistic of a modelled volume `m` against a count `c` (0 when both are 0).
pub fn geh(m: f64, c: f64) -> f64 {
    if m + c <= 0.0 {
        0.0
    } else {
        (2.0 * (m - c) * (m - c) / (m + c)).sqrt()
    }
}

/// Options of [`estimate`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct OdmeOptions {
    /// Gradient iterations (each one equilibrium assignment).
    pub iterations: usize,
    /// Relative gap of every assignment (Algorithm B).
    pub target_gap: f64,
    /// Iteration limit of every assignment.
    pub max_assign_iterations: usize,
}

impl Default for OdmeOptions {
    fn default() -> Self {
        OdmeOptions {
            iterations: 20,
            target_gap: 1e-6,
            max_assign_iterations: 500,
        }
    }
}

/// One count before and after the estimation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CountFit {
    /// The count's name.
    pub name: String,
    /// Counted volume.
    pub count: f64,
    /// Its standard deviation.
    pub sd: f64,
    /// Modelled volume with the prior matrix.
    pub before: f64,
    /// Modelled volume with the estimated matrix.
    pub after: f64,
    /// GEH before.
    pub geh_before: f64,
    /// GEH after.
    pub geh_after: f64,
}

/// One gradient iteration.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct OdmeIteration {
    /// 0 = the prior.
    pub iteration: usize,
    /// `Z = ½ Σ ((V − ĉ)/σ)²` at this matrix's equilibrium.
    pub objective: f64,
    /// Total demand of the matrix.
    pub total_demand: f64,
    /// Relative gap of its assignment.
    pub relative_gap: f64,
    /// Step length taken from here (`λ`; 0 when the run stops).
    pub step: f64,
    /// True when this matrix raised `Z` and was undone.
    pub rejected: bool,
}

/// What [`estimate`] returns.
#[derive(Clone, Debug)]
pub struct OdmeResult {
    /// The estimated matrix.
    pub od: OdMatrix,
    /// Per count, before and after.
    pub fits: Vec<CountFit>,
    /// Assignment of the prior.
    pub before: AssignmentResult,
    /// Assignment of the estimated matrix.
    pub after: AssignmentResult,
    /// Every iteration.
    pub history: Vec<OdmeIteration>,
    /// Provenance tag of the estimated matrix (`model:odme-…`).
    pub source: String,
}

impl OdmeResult {
    /// Share of counts with GEH < 5 (before, after).
    pub fn geh_share(&self) -> (f64, f64) {
        let n = self.fits.len().max(1) as f64;
        let b = self.fits.iter().filter(|f| f.geh_before < 5.0).count() as f64;
        let a = self.fits.iter().filter(|f| f.geh_after < 5.0).count() as f64;
        (b / n, a / n)
    }
    /// True when GEH < 5 on at least 85 % of the counts after estimation.
    pub fn accepted(&self) -> bool {
        self.geh_share().1 >= 0.85
    }
}

/// Adjusts the `prior` matrix so that the equilibrium volumes meet the `counts` (see the
/// module documentation for the method).
pub fn estimate(
    net: &AssignNetwork,
    prior: &OdMatrix,
    counts: &[Count],
    opts: &OdmeOptions,
) -> Result<OdmeResult> {
    if prior.zones() != net.zone_count() {
        return Err(Error::invalid(format!(
            "OD matrix has {} zones but the network has {}",
            prior.zones(),
            net.zone_count()
        )));
    }
    if counts.is_empty() {
        return Err(Error::invalid("matrix estimation needs at least one count"));
    }
    if opts.iterations == 0 || opts.max_assign_iterations == 0 {
        return Err(Error::invalid(
            "matrix estimation needs at least one step and one assignment iteration",
        ));
    }
    if !(opts.target_gap.is_finite() && opts.target_gap > 0.0) {
        return Err(Error::invalid(format!(
            "target gap {} must be finite and positive",
            opts.target_gap
        )));
    }
    for c in counts {
        if c.links.is_empty() || !(c.sd > 0.0 && c.sd.is_finite()) {
            return Err(Error::invalid(format!(
                "count '{}' needs links and a positive standard deviation",
                c.name
            )));
        }
        if let Some(l) = c.links.iter().find(|l| l.index() >= net.link_count()) {
            return Err(Error::not_found("link", l));
        }
    }
    let aopts = AssignOptions {
        algorithm: Algorithm::AlgB,
        target_gap: opts.target_gap,
        max_iterations: opts.max_assign_iterations,
    };
    // Counted links as internal indices, once.
    let internal: Vec<Vec<usize>> = counts
        .iter()
        .map(|c| {
            c.links
                .iter()
                .map(|l| net.to_internal[l.index()] as usize)
                .collect()
        })
        .collect();
    let volumes = |x: &[f64]| -> Vec<f64> {
        internal
            .iter()
            .map(|ks| ks.iter().map(|&k| x[k]).sum())
            .collect()
    };
    let objective = |v: &[f64]| -> f64 {
        counts
            .iter()
            .zip(v)
            .map(|(c, v)| 0.5 * ((v - c.count) / c.sd).powi(2))
            .sum()
    };
    let solve = |g: &OdMatrix| -> Result<(bush::BushOutcome, Vec<f64>)> {
        let out = bush::solve(net, g, &aopts, &mut |_| {});
        if !out.converged {
            return Err(Error::NotConverged(format!(
                "matrix estimation: an assignment reached relative gap {:.3e} after {} \
                 iterations (target {:.1e})",
                out.gap, out.iterations, opts.target_gap
            )));
        }
        let v = volumes(&out.x);
        Ok((out, v))
    };
    let nz = net.zone_count();
    let (mut out, mut v) = solve(prior)?;
    let v_before = v.clone();
    let before = result(net, prior, &aopts, &out);
    let mut best_z = objective(&v);
    let mut history = vec![OdmeIteration {
        iteration: 0,
        objective: best_z,
        total_demand: prior.total(),
        relative_gap: out.gap,
        step: 0.0,
        rejected: false,
    }];
    // The accepted matrix, its outcome and the direction taken from it.
    let mut scale = 1.0;
    let mut accepted_g = prior.clone();
    for it in 1..=opts.iterations {
        // Gradient at the accepted matrix (whose outcome is `out`).
        let mut e = vec![0.0; net.link_count()];
        for ((c, ks), vc) in counts.iter().zip(&internal).zip(&v) {
            let w = (vc - c.count) / (c.sd * c.sd);
            for &k in ks {
                e[k] += w;
            }
        }
        let grad = out.bushes.path_sums(net, &e);
        let h: Vec<f64> = accepted_g
            .data()
            .iter()
            .zip(&grad)
            .map(|(g, r)| g * r)
            .collect();
        let mut dv = vec![0.0; net.link_count()];
        out.bushes.load(net, &h, &mut dv);
        let dvc = volumes(&dv);
        let (mut num, mut den) = (0.0, 0.0);
        for ((c, vc), d) in counts.iter().zip(&v).zip(&dvc) {
            let w = 1.0 / (c.sd * c.sd);
            num += w * (vc - c.count) * d;
            den += w * d * d;
        }
        if den <= 0.0 || num <= 0.0 {
            break;
        }
        let max_r = accepted_g
            .data()
            .iter()
            .zip(&grad)
            .filter(|(g, _)| **g > 0.0)
            .map(|(_, r)| *r)
            .fold(0.0, f64::max);
        let mut step = num / den * scale;
        if max_r > 0.0 {
            step = step.min(1.0 / max_r);
        }
        if let Some(last) = history.last_mut() {
            last.step = step;
        }
        let data: Vec<f64> = accepted_g
            .data()
            .iter()
            .zip(&grad)
            .map(|(g, r)| (g * (1.0 - step * r)).max(0.0))
            .collect();
        let g = OdMatrix::from_dense(nz, data)?;
        let (o2, v2) = solve(&g)?;
        let z = objective(&v2);
        let rejected = z > best_z;
        history.push(OdmeIteration {
            iteration: it,
            objective: z,
            total_demand: g.total(),
            relative_gap: o2.gap,
            step: 0.0,
            rejected,
        });
        if rejected {
            scale *= 0.5;
            continue;
        }
        let improvement = (best_z - z) / best_z.max(f64::MIN_POSITIVE);
        best_z = z;
        accepted_g = g;
        out = o2;
        v = v2;
        scale = 1.0;
        if improvement < 1e-6 {
            break;
        }
    }
    let after = result(net, &accepted_g, &aopts, &out);
    let fits = counts
        .iter()
        .zip(v_before.iter().zip(&v))
        .map(|(c, (&b, &a))| CountFit {
            name: c.name.clone(),
            count: c.count,
            sd: c.sd,
            before: b,
            after: a,
            geh_before: geh(b, c.count),
            geh_after: geh(a, c.count),
        })
        .collect();
    let accepted_iterations = history
        .iter()
        .filter(|h| h.iteration > 0 && !h.rejected)
        .count();
    Ok(OdmeResult {
        od: accepted_g,
        fits,
        before,
        after,
        source: format!(
            "model:odme-spiess1990-gradient-{}-counts-{}-steps",
            counts.len(),
            accepted_iterations
        ),
        history,
    })
}

fn result(
    net: &AssignNetwork,
    g: &OdMatrix,
    opts: &AssignOptions,
    o: &bush::BushOutcome,
) -> AssignmentResult {
    finish(
        net,
        g,
        opts,
        o.x.clone(),
        (o.iterations, o.gap, o.converged),
        o.stats,
        o.history.clone(),
    )
}

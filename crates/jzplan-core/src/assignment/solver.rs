//! The equilibrium iterations: AoN, MSA, Frank-Wolfe, conjugate and biconjugate FW (and the
//! entry point of the bush-based Algorithm B, `bush`).
//!
//! Every iteration measures the relative gap at the current flows `x` (costs `c(x)`, an
//! all-or-nothing loading `y` on them, gap = (c·x − c·y)/c·x), stops if the target is met,
//! and otherwise moves `x ← x + λ (s − x)` towards a target point `s`:
//! * MSA: `s = y`, `λ = 1/k`.
//! * FW: `s = y`, `λ` minimises the Beckmann objective on [0, 1] (safeguarded Newton on its
//!   derivative `g(λ) = Σ c_a(x + λd) d_a`, which is monotone: bisection whenever a Newton
//!   step leaves the bracket).
//! * CFW (Mitradjieva & Lindberg 2013): `s = a s₋₁ + (1 − a) y` with `a` chosen so that
//!   `s − x` is conjugate to `s₋₁ − x` under `H = diag(c'(x))`:
//!   `a = (s₋₁−x)ᵀH(y−x) / (s₋₁−x)ᵀH(y−s₋₁)`, clamped to [0, 0.99999].
//! * BFW: `s = β₀ y + β₁ s₋₁ + β₂ s₋₂` with `β₀ = 1/(1+μ+ν)`, `β₁ = νβ₀`, `β₂ = μβ₀`,
//!   `μ = −x̄ᵀH(y−x) / x̄ᵀH(s₋₂−s₋₁)` where `x̄ = τs₋₁ + (1−τ)s₋₂ − x` (τ the previous step),
//!   `ν = −(s₋₁−x)ᵀH(y−x) / (s₋₁−x)ᵀH(s₋₁−x) + μτ/(1−τ)`, both clamped at ≥ 0 (the same
//!   coefficients as AequilibraE's `linear_approximation.py`).
//!
//! A conjugate direction that is not a descent direction (`g(0) ≥ 0`) falls back to the FW
//! direction, and the conjugation restarts after a full step (λ = 1), as in AequilibraE.

use super::network::AssignNetwork;
use super::paths::{AonScratch, AonStats};
use super::{Algorithm, AssignOptions, AssignmentResult, IterationInfo, OdMatrix, bpr};
use crate::{Error, Result};

/// Runs an assignment (see [`assign_with_progress`]).
pub fn assign(
    net: &AssignNetwork,
    od: &OdMatrix,
    opts: &AssignOptions,
) -> Result<AssignmentResult> {
    assign_with_progress(net, od, opts, |_| {})
}

/// Runs an assignment, calling `progress` after every iteration (the CLI draws its progress
/// bar from it; the library itself prints nothing).
pub fn assign_with_progress(
    net: &AssignNetwork,
    od: &OdMatrix,
    opts: &AssignOptions,
    mut progress: impl FnMut(&IterationInfo),
) -> Result<AssignmentResult> {
    if od.zones() != net.zone_count() {
        return Err(Error::invalid(format!(
            "OD matrix has {} zones but the network has {}",
            od.zones(),
            net.zone_count()
        )));
    }
    if !(opts.target_gap.is_finite() && opts.target_gap >= 0.0) {
        return Err(Error::invalid(format!(
            "target gap {} must be finite and >= 0",
            opts.target_gap
        )));
    }
    if opts.max_iterations == 0 {
        return Err(Error::invalid("max iterations must be at least 1"));
    }
    if opts.algorithm == Algorithm::AlgB {
        let o = super::bush::solve(net, od, opts, &mut progress);
        return Ok(finish(
            net,
            od,
            opts,
            o.x,
            (o.iterations, o.gap, o.converged),
            o.stats,
            o.history,
        ));
    }
    let m = net.link_count();
    let mut cost = vec![0.0; m];
    let mut der = vec![0.0; m];
    let mut y = vec![0.0; m];
    let mut s = vec![0.0; m];
    let mut s1 = vec![0.0; m];
    let mut s2 = vec![0.0; m];
    let mut history = Vec::new();

    let mut aon = AonScratch::new(net, od);
    update_costs(net, &[], &mut cost);
    aon.load(net, &cost, od, &mut y);
    let mut x = y.clone();
    let mut stats;
    let mut iteration = 1;
    // How many previous directions are usable for conjugation (0 = next step is plain FW).
    let mut conj = 0usize;
    let mut tau = 0.0;
    let (gap, converged) = loop {
        update_costs(net, &x, &mut cost);
        stats = aon.load(net, &cost, od, &mut y);
        let tstt = dot(&cost, &x);
        let sptt = dot(&cost, &y);
        let gap = if tstt > 0.0 {
            ((tstt - sptt) / tstt).max(0.0)
        } else {
            0.0
        };
        let mut info = IterationInfo {
            iteration,
            relative_gap: gap,
            step: 0.0,
            objective: bpr::objective(net, &x),
        };
        let done = gap <= opts.target_gap;
        if done || iteration >= opts.max_iterations || opts.algorithm == Algorithm::Aon {
            progress(&info);
            history.push(info);
            break (gap, done);
        }
        iteration += 1;
        let step = match opts.algorithm {
            Algorithm::Aon | Algorithm::AlgB => unreachable!("returned above"),
            Algorithm::Msa => {
                s.copy_from_slice(&y);
                1.0 / iteration as f64
            }
            Algorithm::Fw => {
                s.copy_from_slice(&y);
                line_search(net, &x, &s)
            }
            Algorithm::Cfw | Algorithm::Bfw => {
                if tau >= 1.0 {
                    conj = 0;
                }
                let level = if opts.algorithm == Algorithm::Cfw {
                    conj.min(1)
                } else {
                    conj
                };
                if level > 0 {
                    for (k, d) in der.iter_mut().enumerate() {
                        *d = bpr::derivative(net, k, x[k]);
                    }
                }
                match level {
                    0 => s.copy_from_slice(&y),
                    1 => conjugate(&x, &y, &s1, &der, &mut s),
                    _ => biconjugate(&x, &y, &s1, &s2, &der, tau, &mut s),
                }
                if level > 0 && derivative_at(net, &x, &s, 0.0) >= 0.0 {
                    s.copy_from_slice(&y);
                    conj = 0;
                }
                line_search(net, &x, &s)
            }
        };
        for k in 0..m {
            x[k] += step * (s[k] - x[k]);
        }
        std::mem::swap(&mut s2, &mut s1);
        s1.copy_from_slice(&s);
        conj = (conj + 1).min(2);
        tau = step;
        info.step = step;
        progress(&info);
        history.push(info);
    };

    Ok(finish(
        net,
        od,
        opts,
        x,
        (iteration, gap, converged),
        stats,
        history,
    ))
}

/// The result of a run that ended at internal-order volumes `x` after `(iterations, gap,
/// converged)`, with the statistics of its last all-or-nothing loading.
pub(crate) fn finish(
    net: &AssignNetwork,
    od: &OdMatrix,
    opts: &AssignOptions,
    x: Vec<f64>,
    (iteration, gap, converged): (usize, f64, bool),
    stats: AonStats,
    history: Vec<IterationInfo>,
) -> AssignmentResult {
    let m = net.link_count();
    let mut cost = vec![0.0; m];
    update_costs(net, &x, &mut cost);
    let time: Vec<f64> = (0..m).map(|k| bpr::time(net, k, x[k])).collect();
    let vc: Vec<f64> = (0..m)
        .map(|k| {
            let c = net.capacity[k];
            if c > 0.0 && c.is_finite() {
                x[k] / c
            } else {
                0.0
            }
        })
        .collect();
    let total_demand: f64 = (0..od.zones())
        .map(|o| {
            od.row(o)
                .iter()
                .enumerate()
                .filter(|&(d, _)| d != o)
                .map(|(_, v)| v)
                .sum::<f64>()
        })
        .sum();
    AssignmentResult {
        algorithm: opts.algorithm,
        iterations: iteration,
        relative_gap: gap,
        target_gap: opts.target_gap,
        converged,
        total_travel_time: dot(&time, &x),
        total_cost: dot(&cost, &x),
        total_distance: dot(&net.length, &x),
        volume: net.to_input_order(&x),
        time: net.to_input_order(&time),
        cost: net.to_input_order(&cost),
        vc: net.to_input_order(&vc),
        unreachable_pairs: stats.unreachable_pairs,
        unreachable_demand: stats.unreachable_demand,
        assigned_demand: total_demand - stats.unreachable_demand,
        history,
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Generalized cost at volumes `x` (free-flow when `x` is empty).
fn update_costs(net: &AssignNetwork, x: &[f64], cost: &mut [f64]) {
    for (k, c) in cost.iter_mut().enumerate() {
        let v = x.get(k).copied().unwrap_or(0.0);
        *c = bpr::time(net, k, v) + net.fixed[k];
    }
}

/// g(λ) = Σ c(x + λ(s − x)) (s − x): the derivative of the objective along the direction.
fn derivative_at(net: &AssignNetwork, x: &[f64], s: &[f64], lambda: f64) -> f64 {
    let mut g = 0.0;
    for k in 0..x.len() {
        let d = s[k] - x[k];
        if d != 0.0 {
            g += (bpr::time(net, k, x[k] + lambda * d) + net.fixed[k]) * d;
        }
    }
    g
}

/// Exact minimiser of the objective on the segment x → s (λ ∈ [0, 1]).
fn line_search(net: &AssignNetwork, x: &[f64], s: &[f64]) -> f64 {
    let eval = |lambda: f64| -> (f64, f64) {
        let (mut g, mut dg) = (0.0, 0.0);
        for k in 0..x.len() {
            let d = s[k] - x[k];
            if d != 0.0 {
                let v = x[k] + lambda * d;
                g += (bpr::time(net, k, v) + net.fixed[k]) * d;
                dg += bpr::derivative(net, k, v) * d * d;
            }
        }
        (g, dg)
    };
    let (g0, _) = eval(0.0);
    if g0 >= 0.0 {
        return 0.0;
    }
    let (g1, _) = eval(1.0);
    if g1 <= 0.0 {
        return 1.0;
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut lambda = (-g0 / (g1 - g0)).clamp(1e-12, 1.0 - 1e-12);
    for _ in 0..200 {
        let (g, dg) = eval(lambda);
        if g > 0.0 {
            hi = lambda;
        } else {
            lo = lambda;
        }
        if g.abs() <= 1e-13 * g0.abs() || hi - lo <= 1e-15 {
            break;
        }
        let newton = if dg > 0.0 { lambda - g / dg } else { f64::NAN };
        let next = if newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - lambda).abs() <= 1e-16 {
            break;
        }
        lambda = next;
    }
    lambda
}

/// Conjugate direction target: s = a s₋₁ + (1 − a) y.
fn conjugate(x: &[f64], y: &[f64], s1: &[f64], h: &[f64], s: &mut [f64]) {
    let (mut num, mut den) = (0.0, 0.0);
    for k in 0..x.len() {
        let p = s1[k] - x[k];
        num += h[k] * p * (y[k] - x[k]);
        den += h[k] * p * (y[k] - s1[k]);
    }
    let a = if den != 0.0 {
        (num / den).clamp(0.0, 0.99999)
    } else {
        0.0
    };
    for k in 0..x.len() {
        s[k] = a * s1[k] + (1.0 - a) * y[k];
    }
}

/// Biconjugate direction target: s = β₀ y + β₁ s₋₁ + β₂ s₋₂.
fn biconjugate(x: &[f64], y: &[f64], s1: &[f64], s2: &[f64], h: &[f64], tau: f64, s: &mut [f64]) {
    let (mut mu_n, mut mu_d, mut nu_n, mut nu_d) = (0.0, 0.0, 0.0, 0.0);
    for k in 0..x.len() {
        let xb = tau * s1[k] + (1.0 - tau) * s2[k] - x[k];
        let yx = y[k] - x[k];
        let z = s1[k] - x[k];
        let w = s2[k] - s1[k];
        mu_n += h[k] * xb * yx;
        mu_d += h[k] * xb * w;
        nu_n += h[k] * z * yx;
        nu_d += h[k] * z * z;
    }
    let mu = if mu_d != 0.0 {
        (-mu_n / mu_d).max(0.0)
    } else {
        0.0
    };
    let nu = if nu_d != 0.0 && tau < 1.0 {
        (-nu_n / nu_d + mu * tau / (1.0 - tau)).max(0.0)
    } else {
        0.0
    };
    let b0 = 1.0 / (1.0 + mu + nu);
    let (b1, b2) = (nu * b0, mu * b0);
    for k in 0..x.len() {
        s[k] = b0 * y[k] + b1 * s1[k] + b2 * s2[k];
    }
}

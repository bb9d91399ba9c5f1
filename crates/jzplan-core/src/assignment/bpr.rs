//! The BPR link performance function `t(v) = t0 (1 + α (v/c)^β)`, its derivative and its
//! integral (the link's term of the Beckmann objective).
//!
//! Links without a congestion term (`α = 0` or `t0 = 0`, e.g. zone connectors with zero
//! free-flow time) have constant cost and zero derivative; they never divide by capacity, so
//! a zero or infinite capacity on them is exact, not a special case that drops the link.

use super::network::AssignNetwork;

/// `r^b`, with small integer powers (BPR's 4) done by multiplication.
#[inline]
fn pow(r: f64, b: f64) -> f64 {
    if b == 4.0 {
        let r2 = r * r;
        r2 * r2
    } else if b == 1.0 {
        r
    } else if b == 0.0 {
        1.0
    } else {
        r.powf(b)
    }
}

/// Congested time of internal link `k` at volume `v`.
#[inline]
pub(crate) fn time(net: &AssignNetwork, k: usize, v: f64) -> f64 {
    let (t0, a) = (net.t0[k], net.alpha[k]);
    if a == 0.0 || t0 == 0.0 {
        return t0;
    }
    t0 * (1.0 + a * pow(v.max(0.0) / net.capacity[k], net.beta[k]))
}

/// Derivative of the congested time of internal link `k` at volume `v`.
#[inline]
pub(crate) fn derivative(net: &AssignNetwork, k: usize, v: f64) -> f64 {
    let (t0, a, b, c) = (net.t0[k], net.alpha[k], net.beta[k], net.capacity[k]);
    if a == 0.0 || t0 == 0.0 || b == 0.0 {
        return 0.0;
    }
    let r = v.max(0.0) / c;
    if r == 0.0 && b < 1.0 {
        // The derivative is unbounded at 0 for β < 1; 0 keeps the conjugate weights finite
        // (they are heuristics, the line search does not use this value).
        return 0.0;
    }
    t0 * a * b * pow(r, b - 1.0) / c
}

/// ∫₀^v t(x) dx of internal link `k`.
#[inline]
pub(crate) fn integral(net: &AssignNetwork, k: usize, v: f64) -> f64 {
    let (t0, a, b, c) = (net.t0[k], net.alpha[k], net.beta[k], net.capacity[k]);
    let v = v.max(0.0);
    if a == 0.0 || t0 == 0.0 {
        return t0 * v;
    }
    t0 * (v + a * c / (b + 1.0) * pow(v / c, b + 1.0))
}

/// Beckmann objective Σ ∫ c (every link's integral plus its fixed cost times its flow).
pub(crate) fn objective(net: &AssignNetwork, x: &[f64]) -> f64 {
    (0..x.len())
        .map(|k| integral(net, k, x[k]) + net.fixed[k] * x[k])
        .sum()
}

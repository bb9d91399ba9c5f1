//! Generated test networks for benches, tests and side-by-side runs with other tools (written
//! as TNTP files by [`format_net`](crate::io::tntp::format_net)). Nothing here is data about a
//! real place.
//!
//! [`grid`]: a `side × side` grid of two-way roads, each road with a free-flow time drawn in
//! [1, 3) (also its length) and a capacity in [800, 2400), BPR α = 0.15, β = 4; `zones`
//! centroids, each placed on a random grid node and tied to it (and to `connectors − 1` more
//! random nodes) by zero-time, uncongested connectors in both directions; demand
//! `60 · exp(−d / 20)` between every pair of distinct zones, `d` the Manhattan distance in grid
//! steps between their first nodes. Every number comes from SplitMix64 with the given seed,
//! so a spec names one network on every machine and every version.

use super::{AssignNetwork, LinkKind, LinkSpec, OdMatrix};
use crate::{Error, Result};

/// What [`grid`] generates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GridSpec {
    /// Grid nodes per side (≥ 2).
    pub side: usize,
    /// Zones (≥ 1).
    pub zones: usize,
    /// Connector pairs per zone (≥ 1), to distinct random grid nodes after the first.
    pub connectors: usize,
    /// Whether paths may pass through zones (their zero-time connectors then make zero-cost
    /// short cuts between the nodes of a zone); TNTP `<FIRST THRU NODE>` 1 instead of
    /// `zones + 1`.
    pub through_zones: bool,
    /// Seed of SplitMix64.
    pub seed: u64,
}

impl GridSpec {
    /// A grid of `side × side` nodes with `zones` zones, one connector pair each, centroids
    /// not passed through, seed 42.
    pub fn new(side: usize, zones: usize) -> GridSpec {
        GridSpec {
            side,
            zones,
            connectors: 1,
            through_zones: false,
            seed: 42,
        }
    }

    /// Links of the network: `4 · side · (side − 1)` roads plus `2 · zones · connectors`.
    pub fn link_count(&self) -> usize {
        4 * self.side * self.side.saturating_sub(1) + 2 * self.zones * self.connectors
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): small, fixed and documented, so that what it draws
/// is the same on every machine and with every version of every crate (the seed is the
/// state).
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    /// Uniform in 0..n.
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// The grid network of `spec` and its demand (see the module documentation).
pub fn grid(spec: &GridSpec) -> Result<(AssignNetwork, OdMatrix)> {
    let GridSpec {
        side,
        zones,
        connectors,
        ..
    } = *spec;
    if side < 2 || zones == 0 || connectors == 0 || connectors > side * side {
        return Err(Error::invalid(format!(
            "grid needs side >= 2, zones >= 1 and 1..=side² connectors per zone \
             (got side {side}, {zones} zones, {connectors} connectors)"
        )));
    }
    let mut rng = SplitMix(spec.seed);
    let node = |r: usize, c: usize| (zones + r * side + c) as u32;
    let mut links = Vec::with_capacity(spec.link_count());
    let road = |a: u32, b: u32, rng: &mut SplitMix, links: &mut Vec<LinkSpec>| {
        let t0 = rng.uniform(1.0, 3.0);
        let cap = rng.uniform(800.0, 2400.0);
        for (f, t) in [(a, b), (b, a)] {
            links.push(LinkSpec::tntp_bpr(f, t, t0, cap));
        }
    };
    for r in 0..side {
        for c in 0..side {
            if c + 1 < side {
                road(node(r, c), node(r, c + 1), &mut rng, &mut links);
            }
            if r + 1 < side {
                road(node(r, c), node(r + 1, c), &mut rng, &mut links);
            }
        }
    }
    let mut at = Vec::with_capacity(zones);
    for z in 0..zones {
        let mut tied: Vec<usize> = Vec::with_capacity(connectors);
        while tied.len() < connectors {
            let n = rng.below(side * side);
            if !tied.contains(&n) {
                tied.push(n);
            }
        }
        at.push((tied[0] / side, tied[0] % side));
        for n in tied {
            let g = node(n / side, n % side);
            for (f, t) in [(z as u32, g), (g, z as u32)] {
                links.push(LinkSpec {
                    from: f,
                    to: t,
                    free_flow_time: 0.0,
                    // No congestion term (α = 0); a finite capacity keeps every tool's BPR at 0.
                    capacity: 1e6,
                    alpha: 0.0,
                    beta: 4.0,
                    length: 0.0,
                    toll: 0.0,
                    kind: LinkKind::Tntp {
                        init: f + 1,
                        term: t + 1,
                    },
                });
            }
        }
    }
    let names = (1..=zones).map(|z| z.to_string()).collect();
    let first_thru = if spec.through_zones { 0 } else { zones };
    let net = AssignNetwork::new(zones + side * side, names, first_thru, 0.0, 0.0, links)?;
    let mut od = OdMatrix::new(zones);
    for o in 0..zones {
        for d in 0..zones {
            if o != d {
                let dist = at[o].0.abs_diff(at[d].0) + at[o].1.abs_diff(at[d].1);
                od.set(o, d, 60.0 * (-(dist as f64) / 20.0).exp())?;
            }
        }
    }
    Ok((net, od))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_demand_follow_the_spec() {
        let spec = GridSpec {
            connectors: 2,
            ..GridSpec::new(4, 3)
        };
        let (net, od) = grid(&spec).unwrap();
        assert_eq!(net.link_count(), spec.link_count());
        assert_eq!(net.link_count(), 4 * 4 * 3 + 2 * 3 * 2);
        assert_eq!(net.node_count(), 3 + 16);
        assert_eq!(net.first_thru, 3);
        for o in 0..3 {
            assert_eq!(od.get(o, o), 0.0);
            for d in 0..3 {
                let v = od.get(o, d);
                assert!(o == d || (v > 0.0 && v <= 60.0), "{o}→{d}: {v}");
            }
        }
        // Same seed, same network; another seed, other times.
        let (again, _) = grid(&spec).unwrap();
        assert_eq!(again.t0, net.t0);
        let (other, _) = grid(&GridSpec { seed: 7, ..spec }).unwrap();
        assert_ne!(other.t0, net.t0);
    }

    #[test]
    fn bad_specs_are_errors() {
        for spec in [
            GridSpec::new(1, 3),
            GridSpec::new(4, 0),
            GridSpec {
                connectors: 17,
                ..GridSpec::new(4, 3)
            },
        ] {
            assert!(
                matches!(grid(&spec), Err(Error::InvalidInput(_))),
                "{spec:?}"
            );
        }
    }
}

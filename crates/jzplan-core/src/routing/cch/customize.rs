//! Customization: the weights of every arc of a [`Cch`] for one weights vector.

use super::{Cch, NONE};
use crate::network::RoadNetwork;
use crate::{Error, Result};
use rayon::prelude::*;
use std::sync::Arc;

/// The weights of one arc in both directions and what gives each: a network edge (`< m`), the
/// middle node `x` of a lower triangle (`m + x`), or [`NONE`] (no path: infinite weight).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ArcW {
    /// Cost from the lower node up to the higher one.
    pub up: f64,
    /// Cost from the higher node down to the lower one.
    pub down: f64,
    pub up_via: u32,
    pub down_via: u32,
}

/// Levels with fewer arcs than this are customized on the calling thread.
const PARALLEL_ARCS: usize = 4_096;

/// A [`Cch`] customized for one weights vector: answers exact queries for exactly those
/// weights (route costs are re-summed edge by edge by the router). `Sync`; cheap to keep per
/// date or scenario (24 bytes per arc).
pub struct Customized {
    pub(crate) cch: Arc<Cch>,
    pub(crate) w: Vec<ArcW>,
    fingerprint: u64,
}

impl std::fmt::Debug for Customized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Customized")
            .field("cch", &self.cch)
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

impl Cch {
    /// Customizes the hierarchy for `weights` (one per network edge, `>= 0`, infinity =
    /// closed); `InvalidInput` for a wrong length, a negative or NaN weight. O(arcs +
    /// triangles), in parallel.
    pub fn customize(self: &Arc<Self>, weights: &[f64]) -> Result<Customized> {
        if weights.len() != self.m {
            return Err(Error::invalid(format!(
                "{} weights given for a hierarchy of {} edges",
                weights.len(),
                self.m
            )));
        }
        if let Some(i) = weights.iter().position(|w| w.is_nan() || *w < 0.0) {
            return Err(Error::invalid(format!(
                "weight of edge {i} is {} (must be >= 0, or infinity for a closed edge)",
                weights[i]
            )));
        }
        let cch: &Cch = self;
        // Step 1: each arc direction takes its cheapest network edge (the lowest id on a tie).
        let first = |d: usize| -> (f64, u32) {
            let mut best = (f64::INFINITY, NONE);
            for &e in &cch.dir_edges[cch.dir_off[d] as usize..cch.dir_off[d + 1] as usize] {
                let w = weights[e as usize];
                if w < best.0 {
                    best = (w, e);
                }
            }
            best
        };
        let init = |a: usize| {
            let (up, up_via) = first(2 * a);
            let (down, down_via) = first(2 * a + 1);
            ArcW {
                up,
                down,
                up_via,
                down_via,
            }
        };
        let arcs = cch.head.len();
        let mut w: Vec<ArcW> = if arcs >= PARALLEL_ARCS {
            (0..arcs).into_par_iter().map(init).collect()
        } else {
            (0..arcs).map(init).collect()
        };
        // Step 2: lower triangles, level by level.
        let m = cch.m as u32;
        let n = cch.rank.len();
        for l in 0..cch.level_count() {
            let (lo, hi) = (cch.level_arc[l] as usize, cch.level_arc[l + 1] as usize);
            let (done, rest) = w.split_at_mut(lo);
            let mine = &mut rest[..hi - lo];
            let nodes = &cch.by_level[cch.level_off[l] as usize..cch.level_off[l + 1] as usize];
            // Each node's arcs as its own slice, in node order (nodes are laid out in order).
            let mut slices = Vec::with_capacity(nodes.len());
            let mut tail: &mut [ArcW] = mine;
            for &u in nodes {
                let (a, b) = tail.split_at_mut(cch.count[u as usize] as usize);
                slices.push((u, a));
                tail = b;
            }
            let done: &[ArcW] = done;
            if hi - lo >= PARALLEL_ARCS && nodes.len() > 1 {
                slices.into_par_iter().for_each(|(u, arcs)| {
                    with_pos(n, |pos| relax_node(cch, done, m, u, arcs, pos))
                });
            } else {
                with_pos(n, |pos| {
                    for (u, arcs) in slices {
                        relax_node(cch, done, m, u, arcs, pos);
                    }
                });
            }
        }
        Ok(Customized {
            cch: self.clone(),
            w,
            fingerprint: super::super::ch::weights_fingerprint(weights),
        })
    }
}

thread_local! {
    static POS: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's rank-to-arc map of at least `n` entries, all [`NONE`].
fn with_pos(n: usize, f: impl FnOnce(&mut [u32])) {
    POS.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < n {
            p.resize(n, NONE);
        }
        f(&mut p[..n]);
    });
}

/// Relaxes the arcs of rank `u` (`arcs`, heads ascending) through all lower triangles
/// `x – u – v`: `u → x → v` for the up weight, `v → x → u` for the down weight. `pos` maps a
/// rank to its index in `arcs` (all [`NONE`] before and after).
fn relax_node(cch: &Cch, done: &[ArcW], m: u32, u: u32, arcs: &mut [ArcW], pos: &mut [u32]) {
    let range = cch.arcs(u);
    for (i, a) in range.clone().enumerate() {
        pos[cch.head[a] as usize] = i as u32;
    }
    for &(x, xu) in
        &cch.down[cch.down_off[u as usize] as usize..cch.down_off[u as usize + 1] as usize]
    {
        let wxu = done[xu as usize];
        if wxu.up == f64::INFINITY && wxu.down == f64::INFINITY {
            continue;
        }
        let end = cch.begin[x as usize] + cch.count[x as usize];
        for xv in xu + 1..end {
            let v = cch.head[xv as usize];
            let j = pos[v as usize] as usize;
            let wxv = done[xv as usize];
            let t = &mut arcs[j];
            let up = wxu.down + wxv.up;
            if up < t.up {
                t.up = up;
                t.up_via = m + x;
            }
            let down = wxv.down + wxu.up;
            if down < t.down {
                t.down = down;
                t.down_via = m + x;
            }
        }
    }
    for a in range {
        pos[cch.head[a] as usize] = NONE;
    }
}

impl Customized {
    /// The hierarchy it customizes.
    pub fn cch(&self) -> &Arc<Cch> {
        &self.cch
    }

    /// The fingerprint of the weights it was customized for
    /// ([`weights_fingerprint`](super::super::ch::weights_fingerprint)).
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Whether it can serve `net` (same node and edge counts; O(1), the weights are not
    /// compared: the caller keys customizations by the state they were made for).
    pub fn fits(&self, net: &RoadNetwork) -> bool {
        self.cch.rank.len() == net.node_count() && self.cch.m == net.edge_count()
    }

    /// Heap bytes of the weights (the shared [`Cch`] not included).
    pub fn memory_bytes(&self) -> usize {
        self.w.len() * std::mem::size_of::<ArcW>()
    }

    /// Appends the network edges of arc `a` in direction `down` (travel order) to `out`.
    pub(crate) fn unpack(
        &self,
        a: u32,
        down: bool,
        stack: &mut Vec<(u32, bool)>,
        out: &mut Vec<u32>,
    ) {
        let c = &*self.cch;
        let m = c.m as u32;
        stack.clear();
        stack.push((a, down));
        while let Some((a, down)) = stack.pop() {
            let w = self.w[a as usize];
            let via = if down { w.down_via } else { w.up_via };
            if via < m {
                out.push(via);
                continue;
            }
            debug_assert!(via != NONE, "an arc without a path is never on a route");
            let x = via - m;
            let (u, v) = (c.tail[a as usize], c.head[a as usize]);
            let xu = c.arc(x, u).expect("triangle arc x – u");
            let xv = c.arc(x, v).expect("triangle arc x – v");
            // Up: u → x (down xu), x → v (up xv). Down: v → x (down xv), x → u (up xu).
            // Pushed in reverse travel order.
            if down {
                stack.push((xu, false));
                stack.push((xv, true));
            } else {
                stack.push((xv, false));
                stack.push((xu, true));
            }
        }
    }
}

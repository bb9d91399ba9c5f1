//! Customizable contraction hierarchies (CCH, Dibbelt, Strasser and Wagner; the design of
//! RoutingKit): the hierarchy's *shape* depends on the network only, its *weights* on each
//! weights vector.
//!
//! - [`Cch::new`] orders the nodes once per network by nested dissection (inertial flow with
//!   two cut rules, keeping the order with fewer lower triangles, [`order`]) and contracts
//!   them without looking at any weight: contracting `v` joins all its
//!   higher neighbours, which (by the elimination tree: each node's higher neighbours are added
//!   to its lowest one's) gives the chordal *upward graph*. Every arc links a lower node to a
//!   higher one and has two directions (up and down).
//! - [`Cch::customize`] gives the arcs the weights of a weights vector (a date, a scenario,
//!   avoided edges; `f64::INFINITY` = closed, zero weights kept as they are): each arc starts
//!   from the cheapest network edge it stands for, then every lower triangle `x < u < v`
//!   relaxes arc `u – v` through `x`. Nodes are processed by chains of the elimination tree
//!   (the separators, module `chains`, cut once per network in `Cch::from_order`): chains
//!   with disjoint subtrees in parallel (rayon), the nodes of a chain in blocks that read each
//!   lower node's arcs once for the whole block; a chain alone at its height (the top
//!   separators) splits the rows of each block between the threads. The perfect step
//!   ([`perfect`]) then drops every arc direction longer than the distance between its ends:
//!   every customization runs it on the top of the elimination tree (the nodes with the
//!   largest subtrees, a third of the pairs of higher neighbours, which every query walks:
//!   `perfect::Top`), and [`Cch::customize_with`] on all of it if asked. Last, the directions
//!   a query needs are copied by rank into two compact adjacencies, leaving out those a
//!   triangle through one of the tail's lowest higher neighbours makes redundant (module
//!   `arcs`): on a grid they are most of a separator's clique.
//! - Queries ([`query`]) are by default an elimination-tree search: each side walks the
//!   ancestors of its start nodes in ascending rank, relaxing the kept upward arcs of every node
//!   cheaper than the best meeting so far, with no priority queue
//!   ([`CchSearch::EliminationTree`]); where every edge has a speed (its straight line over
//!   its weight), a node whose cost plus the straight line to the other side's end points at
//!   the top speed reaches the best meeting cost relaxes nothing, and a customization whose
//!   sample queries gain by it first searches under a guessed bound (module `bound`). A
//!   bidirectional Dijkstra with stall-on-demand, as on a CH, is kept as
//!   [`CchSearch::Dijkstra`]. Paths unpack into network edges by finding again,
//!   for each arc, the edge or lower triangle whose weight it has (no middle node is stored),
//!   and the router re-sums them edge by edge in travel order, as it does for
//!   [`Hierarchy`](super::Hierarchy).

mod arcs;
mod bound;
mod chains;
pub mod customize;
pub mod order;
pub mod perfect;
pub mod query;
pub mod update;

pub use customize::{CchSearch, Customized};
pub use query::CchSearchStats;
pub use update::UpdateStats;

use crate::network::RoadNetwork;
use crate::{Error, Result};

/// No arc / no node.
pub(crate) const NONE: u32 = u32::MAX;

/// A hierarchy whose nodes have at least this many ancestors on average is *deep*: its queries
/// walk enough to gain from pruning ([`Cch::is_deep`]).
pub(crate) const DEEP_ANCESTORS: f64 = 100.0;

/// The indices `0..keys.len()` grouped by key (a counting sort): `(off, items)`, the indices
/// of key `k` at `items[off[k]..off[k + 1]]` in ascending order; `off` has one entry more than
/// the largest key + 1 (one entry when there are no keys).
pub(crate) fn group_by_key(keys: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let groups = keys.iter().map(|&k| k as usize + 1).max().unwrap_or(0);
    let mut off = vec![0u32; groups + 1];
    for &k in keys {
        off[k as usize + 1] += 1;
    }
    for i in 0..groups {
        off[i + 1] += off[i];
    }
    let mut cur = off.clone();
    let mut items = vec![0u32; keys.len()];
    for (i, &k) in keys.iter().enumerate() {
        let c = &mut cur[k as usize];
        items[*c as usize] = i as u32;
        *c += 1;
    }
    (off, items)
}

/// The metric-independent part of a CCH: node order, upward graph, elimination tree, levels
/// and the map from network edges to arcs. Built once per network; `Sync`.
pub struct Cch {
    /// Network edges.
    pub(crate) m: usize,
    /// `rank[v]` of network node `v`; `order[r]` is the node of rank `r`.
    pub(crate) rank: Vec<u32>,
    pub(crate) order: Vec<u32>,
    /// The elimination-tree parent of each rank (its lowest higher neighbour), or [`NONE`] for
    /// a root: what a query side climbs, one read a step.
    pub(crate) parent: Vec<u32>,
    /// For each rank, the highest rank reached from it through parents that are each the next
    /// rank (a separator's nodes, numbered in a row): a query side climbs a stretch of
    /// consecutive ranks without reading each parent.
    pub(crate) stretch: Vec<u32>,
    /// Arcs of rank `r`: `begin[r]..begin[r] + count[r]`, heads (ranks) ascending. Nodes are laid
    /// out by elimination-tree level, so the arcs of all lower levels form a prefix.
    pub(crate) begin: Vec<u32>,
    pub(crate) count: Vec<u32>,
    pub(crate) head: Vec<u32>,
    pub(crate) tail: Vec<u32>,
    /// Down-neighbours of rank `r`: `(x, arc x – r)`, `down_off[r]..down_off[r + 1]`.
    pub(crate) down_off: Vec<u32>,
    pub(crate) down: Vec<(u32, u32)>,
    /// Lower triangles of the arcs of each rank (the customization's work for it).
    pub(crate) tri: Vec<u64>,
    /// Ranks by level (`level_off[l]..level_off[l + 1]` in `by_level`), and where the arcs of
    /// each level start.
    pub(crate) level_off: Vec<u32>,
    pub(crate) by_level: Vec<u32>,
    pub(crate) level_arc: Vec<u32>,
    /// For each network edge, `2 * arc + (1 if it runs from the higher node down)`, or
    /// [`NONE`] for a self-loop.
    pub(crate) edge_arc: Vec<u32>,
    /// Network edges by arc direction (`2 * arc + down`), for the parallel first step.
    pub(crate) dir_off: Vec<u32>,
    pub(crate) dir_edges: Vec<u32>,
    /// The chains of the elimination tree, grouped by height: what the customization's
    /// lower-triangle step runs by ([`chains`]).
    pub(crate) chains: chains::Chains,
    /// The nodes by rank on a sphere, metres, for the searches' bounds ([`bound`]); empty
    /// (no bounds) for a hierarchy built without the network.
    pub(crate) pts: Vec<[f64; 3]>,
    /// The straight-line length of each network edge on that sphere (empty with `pts`).
    pub(crate) chord: Vec<f64>,
    /// [`Cch::ancestor_stats`], computed once.
    ancestors: (usize, f64),
    /// The top of the elimination tree, which every customization makes perfect
    /// ([`perfect::Top`]).
    pub(crate) top: perfect::Top,
}

impl std::fmt::Debug for Cch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cch")
            .field("nodes", &self.rank.len())
            .field("edges", &self.m)
            .field("arcs", &self.head.len())
            .field("levels", &self.level_count())
            .finish()
    }
}

impl Cch {
    /// Orders and contracts `net` (metric-independent: no weight is read).
    pub fn new(net: &RoadNetwork) -> Result<Cch> {
        crate::routing::work::full_pass(net);
        let pos: Vec<[f64; 2]> = net
            .nodes()
            .iter()
            .map(|v| {
                let k = v.lat.to_radians().cos();
                [v.lon * k, v.lat]
            })
            .collect();
        let edges: Vec<(u32, u32)> = net.edges().iter().map(|e| (e.from.0, e.to.0)).collect();
        // Each candidate cut rule gives an order; the one with the fewest lower triangles (the
        // customization's work) is kept, ties to the fewest arcs, then the first.
        let n = net.node_count();
        let mut best: Option<Cch> = None;
        for cuts in order::CANDIDATES {
            let c = Cch::from_order(
                n,
                &edges,
                order::nested_dissection(pos.clone(), &edges, cuts),
            )?;
            let better = best.as_ref().is_none_or(|b| {
                (c.triangle_count(), c.arc_count()) < (b.triangle_count(), b.arc_count())
            });
            if better {
                best = Some(c);
            }
        }
        let mut cch = best.ok_or_else(|| Error::invalid("no CCH order candidate"))?;
        (cch.pts, cch.chord) = bound::points(net, &cch.rank);
        Ok(cch)
    }

    /// Contracts `net` in a given node order (`order[r]` is the node of rank `r`, e.g.
    /// [`Cch::order`] kept in a prepared file), without the nested dissection.
    pub fn with_order(net: &RoadNetwork, order: Vec<u32>) -> Result<Cch> {
        let n = net.node_count();
        let mut seen = vec![false; n];
        let permutation = order.len() == n
            && order
                .iter()
                .all(|&v| (v as usize) < n && !std::mem::replace(&mut seen[v as usize], true));
        if !permutation {
            return Err(Error::invalid(
                "a CCH node order must be a permutation of the network's nodes",
            ));
        }
        crate::routing::work::full_pass(net);
        let edges: Vec<(u32, u32)> = net.edges().iter().map(|e| (e.from.0, e.to.0)).collect();
        let mut cch = Cch::from_order(n, &edges, order)?;
        (cch.pts, cch.chord) = bound::points(net, &cch.rank);
        Ok(cch)
    }

    /// Contracts a graph of `n` nodes and directed `edges` in the given order (`order[r]` is
    /// the node of rank `r`, a permutation).
    pub(crate) fn from_order(n: usize, edges: &[(u32, u32)], order: Vec<u32>) -> Result<Cch> {
        let m = edges.len();
        if (n as u64) + (m as u64) >= u64::from(NONE) / 2 {
            return Err(Error::TooBig(format!(
                "a CCH of {n} nodes and {m} edges is beyond 32-bit ids"
            )));
        }
        let mut rank = vec![NONE; n];
        for (r, &v) in order.iter().enumerate() {
            rank[v as usize] = r as u32;
        }
        debug_assert!(rank.iter().all(|&r| r != NONE));
        // Higher neighbours of each rank, then the fill: each rank's higher neighbours but the
        // lowest join the lowest one's (its elimination-tree parent).
        let mut up: Vec<Vec<u32>> = vec![Vec::new(); n];
        for &(a, b) in edges {
            if a != b {
                let (ra, rb) = (rank[a as usize], rank[b as usize]);
                up[ra.min(rb) as usize].push(ra.max(rb));
            }
        }
        let mut parent = vec![NONE; n];
        for r in 0..n {
            let mut l = std::mem::take(&mut up[r]);
            l.sort_unstable();
            l.dedup();
            if let Some((&p, rest)) = l.split_first() {
                parent[r] = p;
                up[p as usize].extend_from_slice(rest);
            }
            up[r] = l;
        }
        let mut stretch: Vec<u32> = (0..n as u32).collect();
        for r in (0..n.saturating_sub(1)).rev() {
            if parent[r] == r as u32 + 1 {
                stretch[r] = stretch[r + 1];
            }
        }
        // Levels of the elimination tree (leaves 0); a node's down-neighbours are below it.
        let mut level = vec![0u32; n];
        for r in 0..n {
            if parent[r] != NONE {
                let p = parent[r] as usize;
                level[p] = level[p].max(level[r] + 1);
            }
        }
        let (level_off, by_level) = group_by_key(&level);
        let levels = level_off.len() - 1;
        // Arcs laid out by level.
        let arcs: usize = up.iter().map(Vec::len).sum();
        if arcs >= (NONE / 4) as usize {
            return Err(Error::TooBig(format!(
                "the CCH of {n} nodes needs {arcs} arcs (beyond 32-bit ids)"
            )));
        }
        let mut begin = vec![0u32; n];
        let mut count = vec![0u32; n];
        let mut head = Vec::with_capacity(arcs);
        let mut tail = Vec::with_capacity(arcs);
        let mut level_arc = Vec::with_capacity(levels + 1);
        for l in 0..levels {
            level_arc.push(head.len() as u32);
            for &r in &by_level[level_off[l] as usize..level_off[l + 1] as usize] {
                begin[r as usize] = head.len() as u32;
                count[r as usize] = up[r as usize].len() as u32;
                head.extend_from_slice(&up[r as usize]);
                tail.extend(std::iter::repeat_n(r, up[r as usize].len()));
            }
        }
        level_arc.push(head.len() as u32);
        drop(up);
        // Down-neighbours, lowest first.
        let mut down_off = vec![0u32; n + 1];
        for &h in &head {
            down_off[h as usize + 1] += 1;
        }
        for i in 0..n {
            down_off[i + 1] += down_off[i];
        }
        let mut cur = down_off.clone();
        let mut down = vec![(0u32, 0u32); arcs];
        for x in 0..n as u32 {
            for a in begin[x as usize]..begin[x as usize] + count[x as usize] {
                let h = head[a as usize] as usize;
                down[cur[h] as usize] = (x, a);
                cur[h] += 1;
            }
        }
        let tri: Vec<u64> = (0..n)
            .map(|u| {
                down[down_off[u] as usize..down_off[u + 1] as usize]
                    .iter()
                    .map(|&(x, xu)| u64::from(begin[x as usize] + count[x as usize] - xu - 1))
                    .sum()
            })
            .collect();
        let mut cch = Cch {
            m,
            rank,
            order,
            parent,
            stretch,
            begin,
            count,
            head,
            tail,
            down_off,
            down,
            tri,
            level_off,
            by_level,
            level_arc,
            edge_arc: Vec::with_capacity(m),
            dir_off: Vec::new(),
            dir_edges: Vec::new(),
            chains: chains::Chains::default(),
            pts: Vec::new(),
            chord: Vec::new(),
            ancestors: (0, 0.0),
            top: perfect::Top::default(),
        };
        let mut dir_off = vec![0u32; 2 * arcs + 1];
        for &(a, b) in edges {
            let d = if a == b {
                NONE
            } else {
                let (ra, rb) = (cch.rank[a as usize], cch.rank[b as usize]);
                let arc = cch
                    .arc(ra.min(rb), ra.max(rb))
                    .expect("every edge's nodes are joined by an arc");
                2 * arc + u32::from(ra > rb)
            };
            if d != NONE {
                dir_off[d as usize + 1] += 1;
            }
            cch.edge_arc.push(d);
        }
        for i in 0..2 * arcs {
            dir_off[i + 1] += dir_off[i];
        }
        let mut cur = dir_off.clone();
        let mut dir_edges = vec![0u32; dir_off[2 * arcs] as usize];
        for (e, &d) in cch.edge_arc.iter().enumerate() {
            if d != NONE {
                dir_edges[cur[d as usize] as usize] = e as u32;
                cur[d as usize] += 1;
            }
        }
        cch.dir_off = dir_off;
        cch.dir_edges = dir_edges;
        cch.chains = chains::Chains::build(&cch);
        cch.ancestors = cch.count_ancestors();
        cch.top = perfect::Top::build(&cch, perfect::TOP_SHARE);
        Ok(cch)
    }

    /// The arc between ranks `lo < hi`, if any.
    #[inline]
    pub(crate) fn arc(&self, lo: u32, hi: u32) -> Option<u32> {
        let b = self.begin[lo as usize];
        let heads = &self.head[b as usize..(b + self.count[lo as usize]) as usize];
        heads.binary_search(&hi).ok().map(|i| b + i as u32)
    }

    /// The arc `x – v`, searched among the arcs of `x` after its arc `from` (`v` is above that
    /// arc's head).
    #[inline]
    pub(crate) fn arc_above(&self, x: u32, from: u32, v: u32) -> Option<u32> {
        let end = self.begin[x as usize] + self.count[x as usize];
        let heads = &self.head[from as usize + 1..end as usize];
        heads.binary_search(&v).ok().map(|i| from + 1 + i as u32)
    }

    /// The parent of rank `r` in the elimination tree (its lowest higher neighbour), or
    /// [`NONE`] for a root.
    #[inline]
    pub(crate) fn parent(&self, r: u32) -> u32 {
        self.parent[r as usize]
    }

    /// Down-neighbours of rank `r`: `(x, arc x – r)`, lowest first.
    #[inline]
    pub(crate) fn downs(&self, r: u32) -> &[(u32, u32)] {
        &self.down[self.down_off[r as usize] as usize..self.down_off[r as usize + 1] as usize]
    }

    /// Arc range of rank `r`.
    #[inline]
    pub(crate) fn arcs(&self, r: u32) -> std::ops::Range<usize> {
        let b = self.begin[r as usize] as usize;
        b..b + self.count[r as usize] as usize
    }

    /// Whether the nodes have at least 100 ancestors on average: a query walks enough of them
    /// to gain from the geometric bounds' pruning and from the perfect step (the 1M-edge grid
    /// has 1,188; Jinzhou 27 and the Helsinki extract 15).
    pub fn is_deep(&self) -> bool {
        self.ancestors.1 >= DEEP_ANCESTORS
    }

    /// The same hierarchy with a top of another share of its pairs (1: all of it).
    #[cfg(test)]
    pub(crate) fn with_top_share(mut self, share: f64) -> Cch {
        self.top = perfect::Top::build(&self, share);
        self
    }

    /// The nodes and arcs of the top of the elimination tree, which every customization makes
    /// perfect (the top step; the rest of the perfect step is [`Cch::customize_with`]'s).
    pub fn top_size(&self) -> (usize, usize) {
        self.top.size()
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.rank.len()
    }

    /// Number of network edges it was built for.
    pub fn edge_count(&self) -> usize {
        self.m
    }

    /// Number of arcs of the upward graph (each with an up and a down weight once customized).
    pub fn arc_count(&self) -> usize {
        self.head.len()
    }

    /// Levels of the elimination tree (its height + 1).
    pub fn level_count(&self) -> usize {
        self.level_off.len().saturating_sub(1)
    }

    /// Lower triangles of the upward graph: the customization visits each once.
    pub fn triangle_count(&self) -> u64 {
        self.tri.iter().sum()
    }

    /// The longest chain of ancestors in the elimination tree (what one search side walks at
    /// most).
    pub fn max_chain(&self) -> usize {
        self.level_count()
    }

    /// The number of ancestors of each node in the elimination tree (what an elimination-tree
    /// search walks from it): the largest and the mean.
    pub fn ancestor_stats(&self) -> (usize, f64) {
        self.ancestors
    }

    /// [`Cch::ancestor_stats`], counted.
    fn count_ancestors(&self) -> (usize, f64) {
        let n = self.rank.len();
        let mut depth = vec![0u32; n];
        for r in (0..n).rev() {
            if self.count[r] > 0 {
                depth[r] = depth[self.head[self.begin[r] as usize] as usize] + 1;
            }
        }
        let max = depth.iter().copied().max().unwrap_or(0) as usize;
        let mean = depth.iter().map(|&d| f64::from(d)).sum::<f64>() / n.max(1) as f64;
        (max, mean)
    }

    /// Heap bytes of the metric-independent part.
    pub fn memory_bytes(&self) -> usize {
        8 * self.tri.len()
            + 4 * (self.rank.len() * 7
                + self.head.len() * 2
                + self.down.len() * 2
                + self.down_off.len()
                + self.level_off.len()
                + self.level_arc.len()
                + self.edge_arc.len()
                + self.dir_off.len()
                + self.dir_edges.len())
            + self.chains.memory_bytes()
            + self.top.memory_bytes()
            + 24 * self.pts.len()
            + 8 * self.chord.len()
    }

    /// The nodes in contraction order (`order()[r]` is the node of rank `r`).
    pub fn order(&self) -> &[u32] {
        &self.order
    }

    /// Contraction rank of a network node (0 = lowest).
    pub fn rank(&self, v: crate::network::NodeId) -> u32 {
        self.rank[v.index()]
    }
}

#[cfg(test)]
mod tests;

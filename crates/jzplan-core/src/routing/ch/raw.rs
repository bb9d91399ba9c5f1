//! A hierarchy as plain arrays, for a prepared network file (`io::jzp`): taken apart for
//! writing, put together and checked on reading, so that a damaged or foreign file is an
//! error, never a panic or an endless unpacking.

use super::{ChArc, Hierarchy, weights_fingerprint};

/// The arrays of a [`Hierarchy`]. Nodes are numbered by rank inside (`rank[v]` is the slot of
/// network node `v`); an arc is `(head slot, weight, id)`, its id a network edge below
/// `edges` or shortcut `id - edges`.
#[derive(Clone, Debug, PartialEq)]
pub struct RawHierarchy {
    /// Network edges.
    pub edges: usize,
    /// Slot of each network node (a permutation).
    pub rank: Vec<u32>,
    /// Upward arcs grouped by slot: `up_off[s]..up_off[s + 1]`.
    pub up_off: Vec<u32>,
    /// Upward arcs.
    pub up: Vec<(u32, f64, u32)>,
    /// Downward arcs grouped by slot.
    pub down_off: Vec<u32>,
    /// Downward arcs.
    pub down: Vec<(u32, f64, u32)>,
    /// The two halves of each shortcut, in travel order.
    pub shortcuts: Vec<[u32; 2]>,
    /// The weights the hierarchy was built for, one per network edge.
    pub weights: Vec<f64>,
}

impl Hierarchy {
    /// The hierarchy's arrays (a copy).
    pub fn to_raw(&self) -> RawHierarchy {
        let n = self.rank.len();
        let (mut up_off, mut up) = (vec![0u32], Vec::new());
        let (mut down_off, mut down) = (vec![0u32], Vec::new());
        for v in 0..n as u32 {
            let t = |a: &ChArc| (a.head, a.w, a.id);
            up.extend(self.arcs(v, false).iter().map(t));
            up_off.push(up.len() as u32);
            down.extend(self.arcs(v, true).iter().map(t));
            down_off.push(down.len() as u32);
        }
        RawHierarchy {
            edges: self.m,
            rank: self.rank.clone(),
            up_off,
            up,
            down_off,
            down,
            shortcuts: self.shortcuts.clone(),
            weights: self.weights.clone(),
        }
    }

    /// A hierarchy from its arrays, checked: `rank` a permutation, offsets ascending and
    /// ending at their arc counts, every head a slot above the arc's own, every id an edge or
    /// an earlier shortcut (a shortcut's halves are older than it, so unpacking ends), one
    /// weight per edge. What is wrong is said in the error.
    pub fn from_raw(raw: RawHierarchy) -> std::result::Result<Hierarchy, String> {
        let n = raw.rank.len();
        let m = raw.edges;
        if raw.weights.len() != m {
            return Err(format!("{} weights for {m} edges", raw.weights.len()));
        }
        let mut seen = vec![false; n];
        for &r in &raw.rank {
            if r as usize >= n || std::mem::replace(&mut seen[r as usize], true) {
                return Err("the ranks are not a permutation of the nodes".into());
            }
        }
        let ids = m as u64 + raw.shortcuts.len() as u64;
        let check = |what: &str, off: &[u32], arcs: &[(u32, f64, u32)]| {
            if off.len() != n + 1
                || off[0] != 0
                || off[n] as usize != arcs.len()
                || off.windows(2).any(|p| p[0] > p[1])
            {
                return Err(format!("the {what} offsets do not index the {what} arcs"));
            }
            if let Some(a) = arcs
                .iter()
                .find(|a| a.0 as usize >= n || u64::from(a.2) >= ids)
            {
                return Err(format!("a {what} arc {a:?} names no node or arc"));
            }
            // Every arc goes up to a higher slot: the query sweeps the slots in rank order
            // (an arc down or to its own slot would be missed, or followed forever).
            for (s, w) in off.windows(2).enumerate() {
                if let Some(a) = arcs[w[0] as usize..w[1] as usize]
                    .iter()
                    .find(|a| a.0 as usize <= s)
                {
                    return Err(format!(
                        "a {what} arc {a:?} of slot {s} does not go up the hierarchy"
                    ));
                }
            }
            Ok(())
        };
        check("upward", &raw.up_off, &raw.up)?;
        check("downward", &raw.down_off, &raw.down)?;
        for (i, s) in raw.shortcuts.iter().enumerate() {
            let own = m as u64 + i as u64;
            if s.iter().any(|&h| u64::from(h) >= own) {
                return Err(format!(
                    "shortcut {i} is made of arcs that are not older than it"
                ));
            }
        }
        let arcs = |v: Vec<(u32, f64, u32)>| -> Vec<ChArc> {
            v.into_iter()
                .map(|(head, w, id)| ChArc { head, w, id })
                .collect()
        };
        let (nodes, arcs) =
            super::interleave(&raw.down_off, &arcs(raw.down), &raw.up_off, &arcs(raw.up));
        Ok(Hierarchy {
            m,
            fingerprint: weights_fingerprint(&raw.weights),
            rank: raw.rank,
            nodes,
            arcs,
            expansions: super::Expansions::new(m, &raw.shortcuts),
            shortcuts: raw.shortcuts,
            weights: raw.weights,
            labels: None,
        }
        .with_labels())
    }
}

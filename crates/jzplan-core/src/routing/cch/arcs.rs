//! The arc weights of a customization ([`ArcW`]) and what a query relaxes from a node
//! ([`QueryArcs`]): the shape's arcs with their weights as they are ([`ShapeArcs`], after a
//! basic customization: nothing is built for the queries), or a compact adjacency without the
//! directions the perfect step drops ([`Adjacency`]).

use super::Cch;
use rayon::prelude::*;

/// The weights of one arc: `[up, down]`, the cost from the lower node up to the higher one and
/// back down (`f64::INFINITY`: no path through lower nodes). Which edge or lower triangle gives
/// a weight is not stored: unpacking finds it again (see
/// [`Customized::unpack`](super::Customized)).
pub(crate) type ArcW = [f64; 2];

/// The arcs one side of a query relaxes from the node of rank `r`: heads ascending, each with
/// its weight in that side's direction (a search keeps the tail as the head's predecessor; the
/// arc is found again from its two ends when the route is unpacked). The searches are generic
/// over it, so the same loops run on both representations.
pub(crate) trait QueryArcs {
    fn arcs_of(&self, r: u32) -> impl Iterator<Item = QArc> + '_;
}

/// The finite up (`d == 0`) or down (`d == 1`) arc directions of a customization read straight
/// from the shape (heads) and the arc weights: without the perfect step nothing is left out, so
/// nothing needs to be built per customization.
pub(crate) struct ShapeArcs<'a> {
    pub(crate) cch: &'a Cch,
    pub(crate) w: &'a [ArcW],
    pub(crate) d: usize,
}

impl QueryArcs for ShapeArcs<'_> {
    #[inline]
    fn arcs_of(&self, r: u32) -> impl Iterator<Item = QArc> + '_ {
        let range = self.cch.arcs(r);
        let d = self.d;
        self.cch.head[range.clone()]
            .iter()
            .zip(&self.w[range])
            .filter_map(move |(&head, w)| {
                let w = w[d];
                w.is_finite().then_some(QArc { head, w })
            })
    }
}

impl QueryArcs for Adjacency {
    #[inline]
    fn arcs_of(&self, r: u32) -> impl Iterator<Item = QArc> + '_ {
        self.of(r)
    }
}

/// The arcs one side of the search relaxes, by tail rank: every upward arc whose weight in that
/// side's direction is finite (closed roads and, after the perfect step, arc directions no
/// shortest path uses are left out), with its weight, heads ascending; heads and weights in
/// two arrays (12 bytes an arc direction).
#[derive(Debug, Default)]
pub(crate) struct Adjacency {
    off: Vec<u32>,
    heads: Vec<u32>,
    ws: Vec<f64>,
}

/// One arc direction a query relaxes: its head and its weight.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QArc {
    pub(crate) head: u32,
    pub(crate) w: f64,
}

/// Nodes per parallel task when building an [`Adjacency`].
const BUILD_CHUNK: usize = 4_096;

impl Adjacency {
    /// The up (`down == false`) or down arcs of a customization, without the directions
    /// `dropped` marks (`dropped[a][d]`, by the perfect step; empty: none).
    pub(crate) fn build(cch: &Cch, w: &[ArcW], dropped: &[[bool; 2]], down: bool) -> Adjacency {
        let n = cch.rank.len();
        let d = usize::from(down);
        // Per chunk of nodes: heads, weights and the count of each node.
        let chunks: Vec<(Vec<u32>, Vec<f64>, Vec<u32>)> = (0..n.div_ceil(BUILD_CHUNK))
            .into_par_iter()
            .map(|c| {
                let (mut hs, mut ws, mut counts) = (Vec::new(), Vec::new(), Vec::new());
                for r in c * BUILD_CHUNK..((c + 1) * BUILD_CHUNK).min(n) {
                    let before = hs.len();
                    for a in cch.arcs(r as u32) {
                        let x = w[a][d];
                        if x.is_finite() && !dropped.get(a).is_some_and(|k| k[d]) {
                            hs.push(cch.head[a]);
                            ws.push(x);
                        }
                    }
                    counts.push((hs.len() - before) as u32);
                }
                (hs, ws, counts)
            })
            .collect();
        let total = chunks.iter().map(|c| c.0.len()).sum();
        let mut off = Vec::with_capacity(n + 1);
        off.push(0u32);
        let (mut heads, mut ws) = (Vec::with_capacity(total), Vec::with_capacity(total));
        for (hs, w, counts) in chunks {
            for k in counts {
                off.push(off[off.len() - 1] + k);
            }
            heads.extend_from_slice(&hs);
            ws.extend_from_slice(&w);
        }
        Adjacency { off, heads, ws }
    }

    /// The arcs of the node of rank `r`.
    #[inline]
    pub(crate) fn of(&self, r: u32) -> impl Iterator<Item = QArc> + '_ {
        let range = self.off[r as usize] as usize..self.off[r as usize + 1] as usize;
        self.heads[range.clone()]
            .iter()
            .zip(&self.ws[range])
            .map(|(&head, &w)| QArc { head, w })
    }

    /// Arcs kept.
    pub(crate) fn len(&self) -> usize {
        self.heads.len()
    }

    /// Heap bytes.
    pub(crate) fn memory_bytes(&self) -> usize {
        4 * (self.off.len() + self.heads.len()) + 8 * self.ws.len()
    }
}

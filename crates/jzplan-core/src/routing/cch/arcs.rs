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
/// its arc id and its weight in that side's direction. The searches are generic over it, so
/// the same loops run on both representations.
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
        let first = range.start as u32;
        let d = self.d;
        self.cch.head[range.clone()]
            .iter()
            .zip(&self.w[range])
            .zip(first..)
            .filter_map(move |((&head, w), arc)| {
                let w = w[d];
                w.is_finite().then_some(QArc { head, arc, w })
            })
    }
}

impl QueryArcs for Adjacency {
    #[inline]
    fn arcs_of(&self, r: u32) -> impl Iterator<Item = QArc> + '_ {
        self.of(r).iter().copied()
    }
}

/// The arcs one side of the search relaxes, by tail rank: every upward arc whose weight in that
/// side's direction is finite (closed roads and, after the perfect step, arc directions no
/// shortest path uses are left out), with its weight and arc id, heads ascending.
#[derive(Debug, Default)]
pub(crate) struct Adjacency {
    off: Vec<u32>,
    arcs: Vec<QArc>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct QArc {
    pub(crate) head: u32,
    pub(crate) arc: u32,
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
        let arcs_of = |r: usize| {
            cch.arcs(r as u32).filter_map(move |a| {
                let x = w[a][d];
                (x.is_finite() && !dropped.get(a).is_some_and(|k| k[d])).then_some(QArc {
                    head: cch.head[a],
                    arc: a as u32,
                    w: x,
                })
            })
        };
        let chunks: Vec<Vec<QArc>> = (0..n.div_ceil(BUILD_CHUNK))
            .into_par_iter()
            .map(|c| {
                (c * BUILD_CHUNK..((c + 1) * BUILD_CHUNK).min(n))
                    .flat_map(arcs_of)
                    .collect()
            })
            .collect();
        let mut off = Vec::with_capacity(n + 1);
        off.push(0u32);
        let mut arcs = Vec::with_capacity(chunks.iter().map(Vec::len).sum());
        for (c, chunk) in chunks.into_iter().enumerate() {
            let mut i = 0;
            for r in c * BUILD_CHUNK..((c + 1) * BUILD_CHUNK).min(n) {
                while i < chunk.len() && cch.tail[chunk[i].arc as usize] as usize == r {
                    i += 1;
                }
                off.push((arcs.len() + i) as u32);
            }
            arcs.extend_from_slice(&chunk);
        }
        Adjacency { off, arcs }
    }

    /// The arcs of the node of rank `r`.
    #[inline]
    pub(crate) fn of(&self, r: u32) -> &[QArc] {
        &self.arcs[self.off[r as usize] as usize..self.off[r as usize + 1] as usize]
    }

    /// Arcs kept.
    pub(crate) fn len(&self) -> usize {
        self.arcs.len()
    }

    /// Heap bytes.
    pub(crate) fn memory_bytes(&self) -> usize {
        4 * self.off.len() + std::mem::size_of::<QArc>() * self.arcs.len()
    }
}

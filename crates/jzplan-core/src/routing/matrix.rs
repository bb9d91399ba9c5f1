//! Many-to-many matrices: one one-to-many Dijkstra per source, sources in parallel (rayon).

use super::search::{self, Access, Potential};
use super::{Placement, RoutePiece, Router};
use crate::network::Metric;
use crate::network::snap::Snap;
use crate::{Error, Result};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// Largest matrix computed in one call (sources × targets).
pub const MAX_MATRIX_CELLS: usize = 1_000_000;

/// Travel times and distances between every source and every target; `None` = unreachable.
/// Row `i` is source `i`, column `j` target `j`. The path of each cell minimises the router's
/// weights; both its duration and its length are reported.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Matrix {
    /// The metric that was minimised.
    pub metric: Metric,
    /// Seconds.
    pub durations_s: Vec<Vec<Option<f64>>>,
    /// Metres.
    pub distances_m: Vec<Vec<Option<f64>>>,
}

#[derive(Clone, Copy)]
enum Via {
    None,
    Direct(RoutePiece),
    /// Reached through target access `a` at node `x`.
    Node(u32, usize),
}

/// One row of durations and one of distances.
type Row = (Vec<Option<f64>>, Vec<Option<f64>>);

struct Target {
    places: Vec<Placement>,
    acc: Vec<Access>,
}

impl Router<'_> {
    /// Checks a matrix request: at most [`MAX_MATRIX_CELLS`] cells (`TooBig`), every snap of
    /// this router's network.
    pub(crate) fn check_matrix(&self, sources: &[Snap], targets: &[Snap]) -> Result<()> {
        let cells = sources.len().saturating_mul(targets.len());
        if cells > MAX_MATRIX_CELLS {
            return Err(Error::TooBig(format!(
                "{} × {} = {cells} cells (at most {MAX_MATRIX_CELLS})",
                sources.len(),
                targets.len()
            )));
        }
        for s in sources.iter().chain(targets) {
            self.check_snap(s)?;
        }
        Ok(())
    }

    /// Seconds and metres of a route's pieces, summed in travel order (a matrix cell).
    pub(crate) fn time_and_length(&self, pieces: &[RoutePiece]) -> (f64, f64) {
        let (mut d, mut t) = (0.0, 0.0);
        for p in pieces {
            let f = p.to_frac - p.from_frac;
            d += f * self.net.edge(p.edge).length_m;
            t += f * self.time_s(p.edge);
        }
        (t, d)
    }

    /// The matrix between `sources` and `targets` (all snapped with [`Router::snap`]).
    /// `TooBig` beyond [`MAX_MATRIX_CELLS`] cells.
    pub fn matrix(&self, sources: &[Snap], targets: &[Snap]) -> Result<Matrix> {
        self.check_matrix(sources, targets)?;
        let tg: Vec<Target> = targets
            .iter()
            .map(|t| {
                let places = self.placements(t);
                let acc = self.targets(&places);
                Target { places, acc }
            })
            .collect();
        let mut at_node: HashMap<u32, Vec<(usize, usize)>> = HashMap::new();
        for (j, t) in tg.iter().enumerate() {
            for (a, x) in t.acc.iter().enumerate() {
                at_node.entry(x.node).or_default().push((j, a));
            }
        }
        let rows: Vec<Row> = sources
            .par_iter()
            .map(|s| self.matrix_row(s, &tg, &at_node))
            .collect();
        let (durations_s, distances_m) = rows.into_iter().unzip();
        Ok(Matrix {
            metric: self.metric,
            durations_s,
            distances_m,
        })
    }

    fn matrix_row(
        &self,
        src: &Snap,
        tg: &[Target],
        at_node: &HashMap<u32, Vec<(usize, usize)>>,
    ) -> Row {
        let o = self.placements(src);
        let seeds = self.seeds(&o);
        let mut best = vec![f64::INFINITY; tg.len()];
        let mut via = vec![Via::None; tg.len()];
        for (j, t) in tg.iter().enumerate() {
            if let Some((c, p)) = self.direct(&o, &t.places) {
                best[j] = c;
                via[j] = Via::Direct(p);
            }
        }
        let g = self.graph();
        let net = self.net;
        search::with_space(|sp| {
            sp.start(g.n);
            search::seed(sp, g, net, &seeds, &Potential::Zero);
            let mut unresolved = best.iter().filter(|b| b.is_infinite()).count();
            // An upper bound of max(best): stale values only make the search run longer.
            let mut bound = f64::INFINITY;
            if unresolved == 0 {
                bound = best.iter().copied().fold(0.0, f64::max);
            }
            search::one_to_many(sp, g, |v, dv| {
                if let Some(list) = at_node.get(&v) {
                    for &(j, a) in list {
                        let c = dv + tg[j].acc[a].cost;
                        if c < best[j] {
                            if best[j].is_infinite() {
                                unresolved -= 1;
                            }
                            best[j] = c;
                            via[j] = Via::Node(v, a);
                        }
                    }
                    if unresolved == 0 {
                        bound = best.iter().copied().fold(0.0, f64::max);
                    }
                }
                bound
            });
            let mut dur = vec![None; tg.len()];
            let mut dist = vec![None; tg.len()];
            for j in 0..tg.len() {
                let pieces: Vec<RoutePiece> = match via[j] {
                    Via::None => continue,
                    Via::Direct(p) => vec![p],
                    Via::Node(x, a) => {
                        let (edges, si) = search::path_to(sp, net, x);
                        super::route_pieces(&o[si], edges, &tg[j].places[a])
                    }
                };
                let (t, d) = self.time_and_length(&pieces);
                dur[j] = Some(t);
                dist[j] = Some(d);
            }
            (dur, dist)
        })
    }
}

//! Coordinate-level queries (snap + route/matrix/isochrone in one call), shared by the CLI and
//! the API through the [`Engine`](crate::engine::Engine). A scenario passes its own weights (`Some(&w)`); `None`
//! means the base network's weights for the query's metric.

use super::{Algorithm, Avoid, Isochrone, Matrix, Route, RouteOptions, Router};
use crate::network::snap::{DEFAULT_MAX_SNAP_M, Snap};
use crate::network::{Metric, RoadNetwork};
use crate::{Error, Result};
use geo_types::Point;
use std::borrow::Cow;

/// Most points accepted in one matrix query.
pub const MAX_MATRIX_POINTS: usize = 1_000;

/// What every query shares: metric, avoidance and snapping radius.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryOptions {
    /// What to minimise.
    pub metric: Metric,
    /// Edges, streets or an area to avoid.
    pub avoid: Avoid,
    /// Snapping radius in metres (beyond it a point is `NoSegment`).
    pub max_snap_m: f64,
}

impl Default for QueryOptions {
    fn default() -> Self {
        QueryOptions {
            metric: Metric::Time,
            avoid: Avoid::default(),
            max_snap_m: DEFAULT_MAX_SNAP_M,
        }
    }
}

/// A route between two coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteQuery {
    /// Origin, lon/lat.
    pub from: Point<f64>,
    /// Destination, lon/lat.
    pub to: Point<f64>,
    /// The search algorithm.
    pub algorithm: Algorithm,
    /// Metric, avoidance, snapping radius.
    pub options: QueryOptions,
}

impl RouteQuery {
    /// A fastest-route query with default options.
    pub fn new(from: Point<f64>, to: Point<f64>) -> Self {
        RouteQuery {
            from,
            to,
            algorithm: Algorithm::default(),
            options: QueryOptions::default(),
        }
    }
}

/// The weights of a query: given or the base ones, with avoidance applied.
fn query_weights<'w>(
    net: &RoadNetwork,
    weights: Option<&'w [f64]>,
    o: &QueryOptions,
) -> Result<Cow<'w, [f64]>> {
    let base: Cow<'w, [f64]> = match weights {
        Some(w) => Cow::Borrowed(w),
        None => Cow::Owned(net.weights(o.metric)),
    };
    if o.avoid.is_empty() {
        Ok(base)
    } else {
        Ok(Cow::Owned(o.avoid.apply(net, &base)?))
    }
}

/// Snaps and routes. `weights` (one per edge, in the unit of `q.options.metric`) defaults to
/// the base network's.
pub fn route_query(net: &RoadNetwork, weights: Option<&[f64]>, q: &RouteQuery) -> Result<Route> {
    let w = query_weights(net, weights, &q.options)?;
    let r = Router::new(net, &w, q.options.metric)?;
    let a = r.snap(q.from, q.options.max_snap_m)?;
    let b = r.snap(q.to, q.options.max_snap_m)?;
    r.route(
        &a,
        &b,
        &RouteOptions {
            algorithm: q.algorithm,
        },
    )
}

/// Refuses a matrix without sources or targets (`InvalidInput`) or with more than
/// [`MAX_MATRIX_POINTS`] of either (`TooBig`).
pub fn check_matrix_points(sources: &[Point<f64>], targets: &[Point<f64>]) -> Result<()> {
    if sources.is_empty() || targets.is_empty() {
        return Err(Error::invalid(
            "a matrix needs at least one source and one target",
        ));
    }
    if sources.len() > MAX_MATRIX_POINTS || targets.len() > MAX_MATRIX_POINTS {
        return Err(Error::TooBig(format!(
            "{} sources and {} targets (at most {MAX_MATRIX_POINTS} each)",
            sources.len(),
            targets.len()
        )));
    }
    Ok(())
}

/// Snaps every point and computes the matrix between `sources` and `targets`.
pub fn matrix_query(
    net: &RoadNetwork,
    weights: Option<&[f64]>,
    sources: &[Point<f64>],
    targets: &[Point<f64>],
    o: &QueryOptions,
) -> Result<Matrix> {
    check_matrix_points(sources, targets)?;
    let w = query_weights(net, weights, o)?;
    let r = Router::new(net, &w, o.metric)?;
    let snap_all = |pts: &[Point<f64>]| -> Result<Vec<Snap>> {
        pts.iter().map(|p| r.snap(*p, o.max_snap_m)).collect()
    };
    r.matrix(&snap_all(sources)?, &snap_all(targets)?)
}

/// Snaps `from` and computes what is reachable within `budget` in the query's metric: seconds
/// of travel for [`Metric::Time`], metres of road for [`Metric::Distance`]. `weights`, if
/// given, are weights of that metric (a dated state's).
pub fn isochrone_query(
    net: &RoadNetwork,
    weights: Option<&[f64]>,
    from: Point<f64>,
    budget: f64,
    o: &QueryOptions,
) -> Result<Isochrone> {
    let w = query_weights(net, weights, o)?;
    let r = Router::new(net, &w, o.metric)?;
    let a = r.snap(from, o.max_snap_m)?;
    r.isochrone(&a, budget)
}

/// The nearest point of `net` within `max_m` metres on an edge that is not a planned link.
pub fn nearest_open(net: &RoadNetwork, p: Point<f64>, max_m: f64) -> Result<Snap> {
    crate::network::snap::check_radius(max_m)?;
    net.snap_index()
        .snap_filtered(net, p, max_m, |e| !net.edge(e).planned)
}

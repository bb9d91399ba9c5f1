//! Coordinate-level queries (snap + route, matrix or isochrone) on the engine's routing cache
//! ([`crate::served`]): what the CLI and the engine's own routes on a date or in a scenario
//! run on, so that they use what the engine holds — the base hierarchy (a prepared file's,
//! never prepared again), and for a date, a scenario or an avoidance the customizable
//! hierarchy customized once for those weights and kept by the state's changes — like a server
//! does.
//!
//! A query that names its algorithm gets it (a contraction-hierarchy route prepares what it
//! needs, as it always did). The engine's own routes ([`fastest_route`]) and matrices take a
//! hierarchy when it is ready or quick to make
//! ([`PendingPlan::is_quick`](crate::served::PendingPlan::is_quick)), and the plain searches
//! otherwise: every algorithm gives the same cost.

use crate::Result;
use crate::network::snap::{DEFAULT_MAX_SNAP_M, Snap};
use crate::network::{Metric, RoadNetwork};
use crate::routing::query::{QueryOptions, RouteQuery, check_matrix_points};
use crate::routing::{Algorithm, Avoid, Isochrone, Matrix, Route, RouteOptions};
use crate::scenario::NetworkState;
use crate::served::{Plan, QueryPlan, QueryUse, RoutingCache, plan};
use geo_types::Point;
use std::sync::Arc;

/// A route with the algorithm `q` names, on `state` (`None`: the base network).
pub fn route(
    cache: &Arc<RoutingCache>,
    net: &Arc<RoadNetwork>,
    state: Option<&NetworkState<'_>>,
    q: &RouteQuery,
) -> Result<Route> {
    let o = &q.options;
    let p = plan(
        cache,
        net,
        state,
        o.metric,
        &o.avoid,
        QueryUse::Route(q.algorithm),
    )?;
    route_on(&p.prepare()?, q.from, q.to, o.max_snap_m, q.algorithm)
}

/// The route `from → to` in `state` as the engine answers it (snapping within the default
/// radius onto edges open in the state): contraction hierarchies when the hierarchy it needs
/// is ready or quick to make — the base network's for the base weights, the customizable one
/// customized for the state's — otherwise bidirectional A* on the same weights.
pub fn fastest_route(
    cache: &Arc<RoutingCache>,
    net: &Arc<RoadNetwork>,
    state: Option<&NetworkState<'_>>,
    from: Point<f64>,
    to: Point<f64>,
    metric: Metric,
) -> Result<Route> {
    let p = plan(
        cache,
        net,
        state,
        metric,
        &Avoid::default(),
        QueryUse::Route(Algorithm::Ch),
    )?;
    let (p, algorithm) = match p {
        Plan::Ready(p) => (p, Algorithm::Ch),
        Plan::Pending(p) if p.is_quick() => (p.prepare()?, Algorithm::Ch),
        Plan::Pending(p) => (p.plain(), Algorithm::BidirAStar),
    };
    route_on(&p, from, to, DEFAULT_MAX_SNAP_M, algorithm)
}

fn route_on(
    p: &QueryPlan,
    from: Point<f64>,
    to: Point<f64>,
    max_snap_m: f64,
    algorithm: Algorithm,
) -> Result<Route> {
    let r = p.router()?;
    let a = r.snap(from, max_snap_m)?;
    let b = r.snap(to, max_snap_m)?;
    r.route(&a, &b, &RouteOptions { algorithm })
}

/// The matrix between `sources` and `targets` on `state`: on a contraction hierarchy (the base
/// network's, or the state's own) when it is ready or quick to make, otherwise one plain
/// search per source.
pub fn matrix(
    cache: &Arc<RoutingCache>,
    net: &Arc<RoadNetwork>,
    state: Option<&NetworkState<'_>>,
    sources: &[Point<f64>],
    targets: &[Point<f64>],
    o: &QueryOptions,
) -> Result<Matrix> {
    check_matrix_points(sources, targets)?;
    let p = plan(cache, net, state, o.metric, &o.avoid, QueryUse::Matrix)?;
    let (p, ch) = match p {
        Plan::Ready(p) => (p, true),
        Plan::Pending(p) if p.is_quick() => (p.prepare()?, true),
        Plan::Pending(p) => (p.plain(), false),
    };
    let r = p.router()?;
    let snap_all = |pts: &[Point<f64>]| -> Result<Vec<Snap>> {
        pts.iter().map(|x| r.snap(*x, o.max_snap_m)).collect()
    };
    let (a, b) = (snap_all(sources)?, snap_all(targets)?);
    if ch {
        r.matrix_ch(&a, &b)
    } else {
        r.matrix(&a, &b)
    }
}

/// What is reachable from `from` within `budget` (seconds or metres, by `o.metric`) on
/// `state`, on the weights the cache keeps for it.
pub fn isochrone(
    cache: &Arc<RoutingCache>,
    net: &Arc<RoadNetwork>,
    state: Option<&NetworkState<'_>>,
    from: Point<f64>,
    budget: f64,
    o: &QueryOptions,
) -> Result<Isochrone> {
    let p = plan(cache, net, state, o.metric, &o.avoid, QueryUse::Plain)?.prepare()?;
    let r = p.router()?;
    let a = r.snap(from, o.max_snap_m)?;
    r.isochrone(&a, budget)
}

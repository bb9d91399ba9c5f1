//! Snapping a lon/lat to the nearest point ON an edge (OSRM's phantom node): an R-tree over
//! every segment of every edge geometry, in a local metric projection.
//!
//! Both directions of a two-way road share one geometry, so only the lower id of a twin pair is
//! indexed and the snap reports the twin with the offset measured along each direction.

use super::geom::LocalProjection;
use super::{EdgeId, RoadNetwork};
use crate::{Error, Result};
use geo_types::{Point, Rect};
use rstar::primitives::{GeomWithData, Line};
use rstar::{AABB, PointDistance, RTree};

/// Default snapping radius in metres (beyond it a point is "off the network").
///
/// One rule for every interface (the CLI's `--max-snap-m`, `/api/v1/…`'s `max_snap_m`, the
/// OSRM services' `radiuses`): without a radius a point must lie within 1 km of an open road;
/// a caller may ask for any radius up to [`MAX_SNAP_M`]. Why 1 km and not OSRM's "unlimited":
/// on a city network a point farther than that from every road is a typo (swapped lon/lat, a
/// wrong digit) or lies outside the area served, and snapping it anyway answers a route whose
/// distance and duration leave out the kilometres between the point and the road — a wrong
/// answer that looks right. An error names the point and the radius instead.
pub const DEFAULT_MAX_SNAP_M: f64 = 1_000.0;

/// Largest snapping radius any interface accepts, metres (OSRM's `radiuses=unlimited`).
pub const MAX_SNAP_M: f64 = 50_000.0;

/// Checks a snapping radius against the shared rule: a finite number of metres in
/// (0, [`MAX_SNAP_M`]].
pub fn check_radius(max_m: f64) -> Result<f64> {
    if max_m.is_finite() && max_m > 0.0 && max_m <= MAX_SNAP_M {
        Ok(max_m)
    } else {
        Err(Error::invalid(format!(
            "snapping radius {max_m} m must be a number in (0, {MAX_SNAP_M}]"
        )))
    }
}

/// The radius of a request: [`DEFAULT_MAX_SNAP_M`] when none is given, else the given one
/// checked by [`check_radius`].
pub fn radius_or_default(max_m: Option<f64>) -> Result<f64> {
    max_m.map_or(Ok(DEFAULT_MAX_SNAP_M), check_radius)
}

/// One indexed segment: the edge it belongs to, its index within the edge geometry, and the
/// projected distance from the edge start to the segment start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SegRef {
    /// The edge (the lower id of a twin pair).
    pub edge: EdgeId,
    /// Projected metres from the start of the edge geometry to the start of this segment.
    pub start_m: f64,
}

type Seg = GeomWithData<Line<[f64; 2]>, SegRef>;

/// R-tree of edge segments in local metres, plus each edge's projected length.
pub struct SnapIndex {
    proj: LocalProjection,
    tree: RTree<Seg>,
    proj_len: Vec<f64>,
}

/// A point snapped onto the network.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Snap {
    /// The edge the point lies on.
    pub edge: EdgeId,
    /// The opposite direction of the same road, if it is two-way.
    pub twin: Option<EdgeId>,
    /// Fraction of `edge` (0 = at `edge.from`, 1 = at `edge.to`); the twin's fraction is
    /// `1 - frac`.
    pub frac: f64,
    /// The snapped point on the edge, lon/lat.
    pub point: Point<f64>,
    /// Distance from the query point to the snapped point, metres.
    pub dist_m: f64,
}

impl SnapIndex {
    /// Builds the index (bulk-loaded R-tree).
    pub fn build(net: &RoadNetwork) -> SnapIndex {
        let bb = net.bbox();
        let (lon0, lat0) = bb
            .map(|r| (r.center().x, r.center().y))
            .unwrap_or((0.0, 0.0));
        let proj = LocalProjection::new(lon0, lat0);
        // Exact capacity: the index is the largest structure built at load time, and a
        // doubling Vec would briefly hold up to twice its size.
        let indexed = |i: usize, e: &super::Edge| e.twin.is_none_or(|t| t.index() > i);
        let n_segs: usize = net
            .edges()
            .iter()
            .enumerate()
            .filter(|(i, e)| indexed(*i, e))
            .map(|(_, e)| e.geometry.0.len().saturating_sub(1))
            .sum();
        let mut segs = Vec::with_capacity(n_segs);
        let mut proj_len = vec![0.0; net.edge_count()];
        for (i, e) in net.edges().iter().enumerate() {
            let id = EdgeId::from_index(i);
            let mut start_m = 0.0;
            let index_it = indexed(i, e);
            let mut prev: Option<[f64; 2]> = None;
            for c in &e.geometry.0 {
                let p = proj.forward(*c);
                if let Some(a) = prev {
                    let len = ((p[0] - a[0]).powi(2) + (p[1] - a[1]).powi(2)).sqrt();
                    if index_it {
                        segs.push(Seg::new(Line::new(a, p), SegRef { edge: id, start_m }));
                    }
                    start_m += len;
                }
                prev = Some(p);
            }
            proj_len[i] = start_m;
        }
        SnapIndex {
            proj,
            tree: RTree::bulk_load(segs),
            proj_len,
        }
    }

    /// The edges with a segment whose bounding box meets the lon/lat box `r` (both directions
    /// of a two-way road), by id, each once. The projection is affine on each axis, so the
    /// box is exact: an edge with a point in `r` is always among them.
    pub fn edges_meeting(&self, net: &RoadNetwork, r: Rect<f64>) -> Vec<EdgeId> {
        let env = AABB::from_corners(self.proj.forward(r.min()), self.proj.forward(r.max()));
        let mut out = Vec::new();
        for seg in self.tree.locate_in_envelope_intersecting(&env) {
            let e = seg.data.edge;
            out.push(e);
            out.extend(net.edge(e).twin);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Nearest point on any edge within `max_m` metres, or `NoSegment`.
    pub fn snap(&self, net: &RoadNetwork, p: Point<f64>, max_m: f64) -> Result<Snap> {
        self.snap_filtered(net, p, max_m, |_| true)
    }

    /// Nearest point on an edge accepted by `keep` (e.g. skip closed or planned edges).
    pub fn snap_filtered(
        &self,
        net: &RoadNetwork,
        p: Point<f64>,
        max_m: f64,
        keep: impl Fn(EdgeId) -> bool,
    ) -> Result<Snap> {
        let no_segment = || Error::NoSegment {
            lon: p.x(),
            lat: p.y(),
            max_m,
        };
        if !super::geom::valid_lon_lat(p.x(), p.y()) {
            return Err(Error::invalid(format!(
                "coordinate {},{} is not a valid WGS84 lon/lat",
                p.x(),
                p.y()
            )));
        }
        let q = self.proj.forward(p.0);
        let max2 = max_m * max_m;
        for seg in self.tree.nearest_neighbor_iter_with_distance_2(&q) {
            let (seg, d2) = seg;
            if d2 > max2 {
                break;
            }
            let r = seg.data;
            let e = net.edge(r.edge);
            let twin_ok = e.twin.is_some_and(&keep);
            let (edge, twin) = if keep(r.edge) {
                (r.edge, e.twin)
            } else if twin_ok {
                (e.twin.unwrap(), Some(r.edge))
            } else {
                continue;
            };
            let line = seg.geom();
            let (a, b) = (line.from, line.to);
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let l2 = dx * dx + dy * dy;
            let t = if l2 > 0.0 {
                (((q[0] - a[0]) * dx + (q[1] - a[1]) * dy) / l2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let on = [a[0] + t * dx, a[1] + t * dy];
            let along = r.start_m + t * l2.sqrt();
            let total = self.proj_len[r.edge.index()];
            let mut frac = if total > 0.0 {
                (along / total).clamp(0.0, 1.0)
            } else {
                0.0
            };
            if edge != r.edge {
                frac = 1.0 - frac;
            }
            let c = self.proj.inverse(on);
            return Ok(Snap {
                edge,
                twin: twin.filter(|&t| keep(t)),
                frac,
                point: Point::new(c.x, c.y),
                dist_m: seg.geom().distance_2(&q).sqrt(),
            });
        }
        Err(no_segment())
    }
}

impl RoadNetwork {
    /// Snaps a point to the nearest edge within `max_m` metres (see [`SnapIndex::snap`]).
    pub fn snap(&self, p: Point<f64>, max_m: f64) -> Result<Snap> {
        self.snap_index().snap(self, p, max_m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{EdgeSpec, NetworkBuilder, RoadClass};

    #[test]
    fn snaps_onto_the_middle_of_an_edge_not_to_a_node() {
        let mut b = NetworkBuilder::new("t");
        let a = b.add_node(121.10, 41.10).unwrap();
        let c = b.add_node(121.12, 41.10).unwrap();
        let s = b.add_street("s", "路", "Road");
        b.add_road(EdgeSpec::new(a, c, s, RoadClass::Primary, "x"), false)
            .unwrap();
        let net = b.build().unwrap();
        // A point 0.001° (≈111 m) north of the middle of the road.
        let snap = net.snap(Point::new(121.11, 41.101), 500.0).unwrap();
        assert_eq!(snap.edge, EdgeId(0));
        assert_eq!(snap.twin, Some(EdgeId(1)));
        assert!((snap.frac - 0.5).abs() < 1e-3, "{}", snap.frac);
        assert!((snap.dist_m - 111.0).abs() < 2.0, "{}", snap.dist_m);
        assert!((snap.point.x() - 121.11).abs() < 1e-6);
        let far = net.snap(Point::new(121.11, 41.2), 500.0);
        assert!(matches!(far, Err(Error::NoSegment { .. })));
    }
}

//! Footprints of works for the coordination rules: the network segments of their
//! construction effects (or their own geometry) in a local metric projection, and what the
//! rules share (distance, pairs, dates).

use crate::network::geom::LocalProjection;
use crate::network::{EdgeId, RoadNetwork};
use crate::works::{Action, Phase, ResolvedEffect, Work, WorkGeometry, WorkId};
use chrono::{Datelike, Months, NaiveDate};
use geo::{Distance, Euclidean};
use geo_types::{Coord, Geometry, LineString, Polygon};
use std::collections::BTreeSet;

/// A work's footprint in local metres.
pub(super) struct Foot<'a> {
    pub(super) work: &'a Work,
    pub(super) geoms: Vec<Geometry<f64>>,
    pub(super) bbox: [f64; 4],
    pub(super) streets: BTreeSet<String>,
    pub(super) closed: Vec<EdgeId>,
    /// Canonical network segments (empty when the footprint is the work's own geometry).
    pub(super) segs: BTreeSet<EdgeId>,
}

pub(super) fn bbox_of(gs: &[Geometry<f64>]) -> [f64; 4] {
    use geo::BoundingRect;
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for g in gs {
        if let Some(r) = g.bounding_rect() {
            b = [
                b[0].min(r.min().x),
                b[1].min(r.min().y),
                b[2].max(r.max().x),
                b[3].max(r.max().y),
            ];
        }
    }
    b
}

pub(super) fn near_bbox(a: &[f64; 4], b: &[f64; 4], d: f64) -> bool {
    a[0] - d <= b[2] && b[0] - d <= a[2] && a[1] - d <= b[3] && b[1] - d <= a[3]
}

pub(super) fn distance(a: &Foot, b: &Foot) -> f64 {
    let mut best = f64::INFINITY;
    for x in &a.geoms {
        for y in &b.geoms {
            best = best.min(Euclidean.distance(x, y));
            if best == 0.0 {
                return 0.0;
            }
        }
    }
    best
}

pub(super) struct Builder<'n> {
    pub(super) net: &'n RoadNetwork,
    pub(super) proj: LocalProjection,
}

impl Builder<'_> {
    pub(super) fn line(&self, cs: impl Iterator<Item = [f64; 2]>) -> LineString<f64> {
        LineString::from(
            cs.map(|c| {
                let p = self.proj.forward(Coord { x: c[0], y: c[1] });
                Coord { x: p[0], y: p[1] }
            })
            .collect::<Vec<_>>(),
        )
    }
    pub(super) fn edge_line(&self, e: EdgeId) -> LineString<f64> {
        self.line(self.net.edge(e).geometry.coords().map(|c| [c.x, c.y]))
    }
    pub(super) fn geometry(&self, g: &WorkGeometry) -> Vec<Geometry<f64>> {
        match g {
            WorkGeometry::Point(p) => {
                let q = self.proj.forward(Coord { x: p[0], y: p[1] });
                vec![Geometry::Point(geo_types::Point::new(q[0], q[1]))]
            }
            WorkGeometry::LineString(l) => vec![Geometry::LineString(self.line(l.iter().copied()))],
            WorkGeometry::MultiLineString(ls) => ls
                .iter()
                .map(|l| Geometry::LineString(self.line(l.iter().copied())))
                .collect(),
            WorkGeometry::Polygon(rings) => {
                let mut rs = rings.iter().map(|r| self.line(r.iter().copied()));
                let Some(outer) = rs.next() else {
                    return vec![];
                };
                vec![Geometry::Polygon(Polygon::new(outer, rs.collect()))]
            }
        }
    }
    /// Streets of the roads within 30 m of a geometry's points.
    pub(super) fn streets_near(&self, g: &WorkGeometry) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for c in g.coords() {
            if let Ok(s) = self.net.snap_index().snap_filtered(
                self.net,
                geo_types::Point::new(c[0], c[1]),
                30.0,
                |e| !self.net.edge(e).planned,
            ) {
                out.insert(self.net.street_of(s.edge).display_name().to_string());
            }
        }
        out
    }

    /// The site footprint (construction effects, or the geometry when there are none).
    pub(super) fn site(&self, w: &Work, effects: &[ResolvedEffect]) -> Option<FootParts> {
        let mut edges = BTreeSet::new();
        let mut closed = Vec::new();
        for eff in effects.iter().filter(|e| e.phase == Phase::Construction) {
            if eff.action == Action::OpenLink {
                continue;
            }
            for &e in &eff.edges {
                if e.index() >= self.net.edge_count() || self.net.edge(e).planned {
                    continue;
                }
                let ed = self.net.edge(e);
                edges.insert(ed.twin.map_or(e, |t| t.min(e)));
                if matches!(eff.action, Action::Close | Action::Remove) {
                    closed.push(e);
                }
            }
        }
        self.parts(w, edges, closed)
    }

    /// The protected footprint: every effect's edges (planned links included: a new road
    /// protects itself), or the geometry.
    pub(super) fn protected(&self, w: &Work, effects: &[ResolvedEffect]) -> Option<FootParts> {
        let mut edges = BTreeSet::new();
        for eff in effects {
            for &e in &eff.edges {
                if e.index() < self.net.edge_count() {
                    let ed = self.net.edge(e);
                    edges.insert(ed.twin.map_or(e, |t| t.min(e)));
                }
            }
        }
        self.parts(w, edges, Vec::new())
    }

    pub(super) fn parts(
        &self,
        w: &Work,
        edges: BTreeSet<EdgeId>,
        closed: Vec<EdgeId>,
    ) -> Option<FootParts> {
        let segs = edges.clone();
        let (geoms, streets, lines) = if edges.is_empty() {
            let g = w.geometry.as_ref()?;
            let lines = match g {
                WorkGeometry::Point(_) => vec![],
                WorkGeometry::LineString(l) => vec![l.clone()],
                WorkGeometry::MultiLineString(ls) | WorkGeometry::Polygon(ls) => ls.clone(),
            };
            (self.geometry(g), self.streets_near(g), lines)
        } else {
            let geoms = edges
                .iter()
                .map(|&e| Geometry::LineString(self.edge_line(e)))
                .collect();
            let streets = edges
                .iter()
                .map(|&e| self.net.street_of(e).display_name().to_string())
                .collect();
            let lines = edges
                .iter()
                .map(|&e| {
                    self.net
                        .edge(e)
                        .geometry
                        .coords()
                        .map(|c| [c.x, c.y])
                        .collect()
                })
                .collect();
            (geoms, streets, lines)
        };
        if geoms.is_empty() {
            return None;
        }
        Some(FootParts {
            segs,
            bbox: bbox_of(&geoms),
            geoms,
            streets,
            closed,
            lines,
        })
    }
}

pub(super) struct FootParts {
    pub(super) segs: BTreeSet<EdgeId>,
    pub(super) geoms: Vec<Geometry<f64>>,
    pub(super) bbox: [f64; 4],
    pub(super) streets: BTreeSet<String>,
    pub(super) closed: Vec<EdgeId>,
    pub(super) lines: Vec<Vec<[f64; 2]>>,
}

pub(super) fn projection(net: &RoadNetwork) -> LocalProjection {
    match net.bbox() {
        Some(b) => LocalProjection::new(b.center().x, b.center().y),
        None => LocalProjection::new(0.0, 0.0),
    }
}

pub(super) fn related(a: &Work, b: &Work) -> bool {
    a.id == b.id || a.parent.as_ref() == Some(&b.id) || b.parent.as_ref() == Some(&a.id)
}

pub(super) fn sorted_pair(a: &WorkId, b: &WorkId) -> [WorkId; 2] {
    if a <= b {
        [a.clone(), b.clone()]
    } else {
        [b.clone(), a.clone()]
    }
}

pub(super) fn add_years(d: NaiveDate, years: u32) -> NaiveDate {
    d.checked_add_months(Months::new(12 * years))
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(d.year() + years as i32, 12, 31).unwrap_or(d))
}

pub(super) fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

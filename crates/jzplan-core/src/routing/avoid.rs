//! Per-query avoidance: edges, streets or an area closed for one query by setting their
//! weights to infinity in a copy of the weights (the network itself is never touched).

use crate::network::{EdgeId, RoadNetwork};
use crate::{Error, Result};
use geo::{BoundingRect, Intersects};
use geo_types::{Geometry, MultiPolygon};
use std::path::Path;

/// What a query must not use.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Avoid {
    /// Directed edges to avoid (the opposite direction stays open unless listed too).
    pub edges: Vec<EdgeId>,
    /// Streets to avoid, by `name_zh`, `name_en` or `way_id` (exact match); every edge of a
    /// matching street, both directions.
    pub streets: Vec<String>,
    /// An area: every edge whose geometry intersects it (touching counts).
    pub polygon: Option<MultiPolygon<f64>>,
}

impl Avoid {
    /// Nothing to avoid.
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty() && self.streets.is_empty() && self.polygon.is_none()
    }

    /// The edges this avoids, sorted and without duplicates. Unknown edge ids or street names
    /// are `NotFound` (a typo must not silently route through the street).
    pub fn edge_set(&self, net: &RoadNetwork) -> Result<Vec<EdgeId>> {
        let mut out = Vec::new();
        for &e in &self.edges {
            net.try_edge(e)?;
            out.push(e);
        }
        for name in &self.streets {
            let name = name.trim();
            let found = net.edges_named(name);
            if found.is_empty() {
                return Err(Error::not_found("street", name));
            }
            out.extend(found);
        }
        if let Some(poly) = &self.polygon
            && let Some(bb) = poly.bounding_rect()
        {
            for (i, e) in net.edges().iter().enumerate() {
                let Some(eb) = e.geometry.bounding_rect() else {
                    continue;
                };
                if eb.intersects(&bb) && e.geometry.intersects(poly) {
                    out.push(EdgeId::from_index(i));
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Sets the avoided edges to infinity in `weights`.
    pub fn apply_in_place(&self, net: &RoadNetwork, weights: &mut [f64]) -> Result<()> {
        super::validate_weights(net, weights)?;
        for e in self.edge_set(net)? {
            weights[e.index()] = f64::INFINITY;
        }
        Ok(())
    }

    /// A copy of `weights` with the avoided edges set to infinity.
    pub fn apply(&self, net: &RoadNetwork, weights: &[f64]) -> Result<Vec<f64>> {
        let mut w = weights.to_vec();
        self.apply_in_place(net, &mut w)?;
        Ok(w)
    }
}

/// Reads the polygons of a GeoJSON text (a Geometry, Feature or FeatureCollection) into one
/// multipolygon. `what` names the source in errors.
pub fn polygons_from_geojson(text: &str, what: &Path) -> Result<MultiPolygon<f64>> {
    let gj: geojson::GeoJson = text
        .parse()
        .map_err(|e| Error::file(what, "file", format!("not GeoJSON: {e}")))?;
    let geoms: Vec<(String, geojson::Geometry)> = match gj {
        geojson::GeoJson::Geometry(g) => vec![("geometry".into(), g)],
        geojson::GeoJson::Feature(f) => f
            .geometry
            .map(|g| vec![("feature 0".into(), g)])
            .unwrap_or_default(),
        geojson::GeoJson::FeatureCollection(fc) => fc
            .features
            .into_iter()
            .enumerate()
            .filter_map(|(i, f)| f.geometry.map(|g| (format!("feature {i}"), g)))
            .collect(),
    };
    let mut polys = Vec::new();
    for (loc, g) in geoms {
        let geom: Geometry<f64> = g
            .try_into()
            .map_err(|e| Error::file(what, &loc, format!("bad geometry: {e}")))?;
        match geom {
            Geometry::Polygon(p) => polys.push(p),
            Geometry::MultiPolygon(mp) => polys.extend(mp.0),
            other => {
                return Err(Error::file(
                    what,
                    loc,
                    format!(
                        "geometry is a {}, not a Polygon or MultiPolygon",
                        geometry_kind(&other)
                    ),
                ));
            }
        }
    }
    if polys.is_empty() {
        return Err(Error::file(what, "file", "no polygon in the file"));
    }
    for p in &polys {
        for c in p
            .exterior()
            .0
            .iter()
            .chain(p.interiors().iter().flat_map(|r| r.0.iter()))
        {
            if !crate::network::geom::valid_lon_lat(c.x, c.y) {
                return Err(Error::file(
                    what,
                    "geometry",
                    format!("coordinate {},{} is not a WGS84 lon/lat", c.x, c.y),
                ));
            }
        }
    }
    Ok(MultiPolygon(polys))
}

/// Reads an avoid-area GeoJSON file (see [`polygons_from_geojson`]).
pub fn read_polygon_file(path: &Path) -> Result<MultiPolygon<f64>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    polygons_from_geojson(&text, path)
}

fn geometry_kind(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

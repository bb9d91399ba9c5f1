//! A generated lon/lat grid of two-way streets (for tests, benches and load tests): `rows`
//! east–west streets crossed by `cols` north–south streets, every `arterial_every`-th street a
//! primary arterial, the others residential. Not Jinzhou data: every edge carries
//! `model:generated-grid`.

use super::{EdgeSpec, NetworkBuilder, RoadClass, RoadNetwork, geom};
use crate::{Error, Result};
use geo_types::LineString;

/// Largest grid side accepted (2,000 × 2,000 nodes ≈ 16 M directed edges).
pub const MAX_GRID_SIDE: usize = 2_000;

/// Shape of a generated grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GridOptions {
    /// East–west streets (node rows), ≥ 1.
    pub rows: usize,
    /// North–south streets (node columns), ≥ 1; `rows × cols ≥ 2`.
    pub cols: usize,
    /// Distance between neighbouring streets, metres.
    pub spacing_m: f64,
    /// Longitude of the south-west corner.
    pub lon0: f64,
    /// Latitude of the south-west corner.
    pub lat0: f64,
    /// Every n-th street is a primary arterial (0 = none).
    pub arterial_every: usize,
}

impl GridOptions {
    /// A `rows × cols` grid with 200 m blocks whose south-west corner is in Jinzhou's Taihe
    /// district (121.09°E, 41.08°N), arterials every 5th street.
    pub fn jinzhou(rows: usize, cols: usize) -> Self {
        GridOptions {
            rows,
            cols,
            spacing_m: 200.0,
            lon0: 121.09,
            lat0: 41.08,
            arterial_every: 5,
        }
    }

    /// Directed edges the grid will have.
    pub fn edge_count(&self) -> usize {
        2 * (self.rows * self.cols.saturating_sub(1) + self.cols * self.rows.saturating_sub(1))
    }
}

/// Generates the grid. Node `(r, c)` has id `r * cols + c`; edge lengths are geodesic.
pub fn grid(opts: &GridOptions) -> Result<RoadNetwork> {
    let GridOptions {
        rows,
        cols,
        spacing_m,
        lon0,
        lat0,
        arterial_every,
    } = *opts;
    if rows == 0 || cols == 0 || rows * cols < 2 || rows > MAX_GRID_SIDE || cols > MAX_GRID_SIDE {
        return Err(Error::invalid(format!(
            "grid {rows} × {cols}: rows and cols must be 1..={MAX_GRID_SIDE} with at least 2 nodes"
        )));
    }
    if !(spacing_m.is_finite() && (1.0..=100_000.0).contains(&spacing_m)) {
        return Err(Error::invalid(format!(
            "grid spacing {spacing_m} m must be between 1 and 100000"
        )));
    }
    let proj = geom::LocalProjection::new(lon0, lat0);
    let step = proj.inverse([spacing_m, spacing_m]);
    let (dlon, dlat) = (step.x - lon0, step.y - lat0);
    let (lon1, lat1) = (
        lon0 + dlon * (cols - 1) as f64,
        lat0 + dlat * (rows - 1) as f64,
    );
    if !geom::valid_lon_lat(lon1, lat1) {
        return Err(Error::invalid(format!(
            "grid would extend beyond valid coordinates ({lon1}, {lat1})"
        )));
    }
    let mut b = NetworkBuilder::new(format!("generated:grid:{rows}x{cols}"));
    b.reserve(rows * cols, opts.edge_count());
    for r in 0..rows {
        for c in 0..cols {
            b.add_node(lon0 + dlon * c as f64, lat0 + dlat * r as f64)?;
        }
    }
    let arterial = |i: usize| arterial_every > 0 && i.is_multiple_of(arterial_every);
    let class = |i: usize| {
        if arterial(i) {
            RoadClass::Primary
        } else {
            RoadClass::Residential
        }
    };
    let node = |r: usize, c: usize| super::NodeId::from_index(r * cols + c);
    let pt = |r: usize, c: usize| (lon0 + dlon * c as f64, lat0 + dlat * r as f64);
    // All segments of one row have the same geodesic length, as do all vertical segments
    // between two rows: compute each once instead of once per edge.
    for r in 0..rows {
        let s = b.add_street(
            &format!("grid:row:{r}"),
            &format!("网格东西{r}路"),
            &format!("Grid Row {r}"),
        );
        if cols < 2 {
            continue;
        }
        let len = geom::geodesic_length_m(&LineString::from(vec![pt(r, 0), pt(r, 1)]));
        for c in 0..cols - 1 {
            let mut spec = EdgeSpec::new(
                node(r, c),
                node(r, c + 1),
                s,
                class(r),
                "model:generated-grid",
            );
            spec.length_m = Some(len);
            b.add_road(spec, false)?;
        }
    }
    let vertical: Vec<f64> = (0..rows.saturating_sub(1))
        .map(|r| geom::geodesic_length_m(&LineString::from(vec![pt(r, 0), pt(r + 1, 0)])))
        .collect();
    for c in 0..cols {
        let s = b.add_street(
            &format!("grid:col:{c}"),
            &format!("网格南北{c}路"),
            &format!("Grid Column {c}"),
        );
        for (r, &len) in vertical.iter().enumerate() {
            let mut spec = EdgeSpec::new(
                node(r, c),
                node(r + 1, c),
                s,
                class(c),
                "model:generated-grid",
            );
            spec.length_m = Some(len);
            b.add_road(spec, false)?;
        }
    }
    b.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_has_the_expected_shape() {
        let net = grid(&GridOptions::jinzhou(3, 4)).unwrap();
        assert_eq!(net.node_count(), 12);
        assert_eq!(net.edge_count(), GridOptions::jinzhou(3, 4).edge_count());
        assert_eq!(net.edge_count(), 2 * (3 * 3 + 4 * 2));
        assert_eq!(net.streets().len(), 7);
        for e in net.edges() {
            assert!((e.length_m - 200.0).abs() < 0.5, "{}", e.length_m);
            assert!(e.twin.is_some());
        }
        assert!(grid(&GridOptions::jinzhou(0, 5)).is_err());
        assert!(grid(&GridOptions::jinzhou(1, 1)).is_err());
    }
}

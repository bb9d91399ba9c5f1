//! Small geometry helpers: geodesic lengths and a local metric projection for snapping.

use geo::{Distance, Geodesic, Haversine, Length};
use geo_types::{Coord, LineString, Point};

/// Geodesic length of a lon/lat line string in metres (WGS84 ellipsoid, Karney).
pub fn geodesic_length_m(line: &LineString<f64>) -> f64 {
    Geodesic.length(line)
}

/// Haversine distance in metres between two lon/lat points (fast; for heuristics and checks).
pub fn haversine_m(a: Point<f64>, b: Point<f64>) -> f64 {
    Haversine.distance(a, b)
}

/// An equirectangular projection around a reference latitude: lon/lat degrees to metres.
/// Accurate to well under 0.1 % over a city; used for snapping and spatial indexing, never for
/// stored lengths (those are geodesic).
#[derive(Clone, Copy, Debug)]
pub struct LocalProjection {
    lon0: f64,
    lat0: f64,
    m_per_deg_lon: f64,
    m_per_deg_lat: f64,
}

impl LocalProjection {
    /// A projection centred on `(lon0, lat0)`.
    pub fn new(lon0: f64, lat0: f64) -> Self {
        let phi = lat0.to_radians();
        // Meridional and parallel degree lengths on the WGS84 ellipsoid (series expansion).
        let m_per_deg_lat = 111_132.92 - 559.82 * (2.0 * phi).cos() + 1.175 * (4.0 * phi).cos();
        let m_per_deg_lon = 111_412.84 * phi.cos() - 93.5 * (3.0 * phi).cos();
        Self {
            lon0,
            lat0,
            m_per_deg_lon,
            m_per_deg_lat,
        }
    }

    /// lon/lat → local metres.
    #[inline]
    pub fn forward(&self, c: Coord<f64>) -> [f64; 2] {
        [
            (c.x - self.lon0) * self.m_per_deg_lon,
            (c.y - self.lat0) * self.m_per_deg_lat,
        ]
    }

    /// local metres → lon/lat.
    #[inline]
    pub fn inverse(&self, p: [f64; 2]) -> Coord<f64> {
        Coord {
            x: p[0] / self.m_per_deg_lon + self.lon0,
            y: p[1] / self.m_per_deg_lat + self.lat0,
        }
    }
}

/// Checks that a lon/lat pair is a finite WGS84 coordinate.
pub fn valid_lon_lat(lon: f64, lat: f64) -> bool {
    lon.is_finite()
        && lat.is_finite()
        && (-180.0..=180.0).contains(&lon)
        && (-90.0..=90.0).contains(&lat)
}

/// Parses `"LON,LAT"` into a point, with a clear error.
pub fn parse_lon_lat(s: &str) -> crate::Result<Point<f64>> {
    let mut it = s.split(',').map(str::trim);
    let (Some(a), Some(b), None) = (it.next(), it.next(), it.next()) else {
        return Err(crate::Error::invalid(format!(
            "coordinate '{s}' must be LON,LAT (two numbers separated by a comma)"
        )));
    };
    let lon: f64 = a
        .parse()
        .map_err(|_| crate::Error::invalid(format!("longitude '{a}' in '{s}' is not a number")))?;
    let lat: f64 = b
        .parse()
        .map_err(|_| crate::Error::invalid(format!("latitude '{b}' in '{s}' is not a number")))?;
    if !valid_lon_lat(lon, lat) {
        return Err(crate::Error::invalid(format!(
            "coordinate '{s}' is out of range (lon -180..180, lat -90..90)"
        )));
    }
    Ok(Point::new(lon, lat))
}

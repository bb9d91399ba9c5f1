//! Reading one OGR feature: a field as text or as a number, the feature's place for error
//! messages, and its lines in WGS84. Shared by the generic reader and the export reader.

use gdal::spatial_ref::CoordTransform;
use gdal::vector::{Feature, FieldValue, OGRwkbGeometryType};
use geo_types::Coord;
use jzplan_core::{Error, Result};
use std::path::Path;

/// A field's value as text, whatever its OGR type; `None` for null/unset and empty strings.
pub(super) fn field_text(
    path: &Path,
    f: &Feature<'_>,
    idx: usize,
    field: &str,
    loc: &str,
) -> Result<Option<String>> {
    let v = f
        .field(idx)
        .map_err(|e| Error::file(path, loc, format!("field '{field}' cannot be read: {e}")))?;
    Ok(match v {
        None => None,
        Some(FieldValue::StringValue(s)) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        Some(FieldValue::IntegerValue(i)) => Some(i.to_string()),
        Some(FieldValue::Integer64Value(i)) => Some(i.to_string()),
        Some(FieldValue::RealValue(x)) => Some(x.to_string()),
        Some(FieldValue::DateValue(d)) => Some(d.to_string()),
        Some(FieldValue::DateTimeValue(d)) => Some(d.to_rfc3339()),
        Some(other) => {
            return Err(Error::file(
                path,
                loc,
                format!("field '{field}' holds a list ({other:?}), not a single value"),
            ));
        }
    })
}

/// A numeric field's value (integer, real, or numeric text); `None` for null and empty text.
pub(super) fn field_num(
    path: &Path,
    f: &Feature<'_>,
    idx: usize,
    field: &str,
    loc: &str,
) -> Result<Option<f64>> {
    let v = f
        .field(idx)
        .map_err(|e| Error::file(path, loc, format!("field '{field}' cannot be read: {e}")))?;
    match v {
        None => Ok(None),
        Some(FieldValue::RealValue(x)) => Ok(Some(x)),
        Some(FieldValue::IntegerValue(i)) => Ok(Some(i as f64)),
        Some(FieldValue::Integer64Value(i)) => Ok(Some(i as f64)),
        Some(FieldValue::StringValue(s)) if s.trim().is_empty() => Ok(None),
        Some(FieldValue::StringValue(s)) => match s.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(Error::file(
                path,
                loc,
                format!("field '{field}' = '{s}' is not a number"),
            )),
        },
        Some(other) => Err(Error::file(
            path,
            loc,
            format!("field '{field}' holds {other:?}, not a number"),
        )),
    }
}

pub(super) fn feature_loc(f: &Feature<'_>, ordinal: usize) -> String {
    match f.fid() {
        Some(fid) => format!("feature {fid}"),
        None => format!("feature #{ordinal}"),
    }
}

/// Reads the lines of one feature (LineString, or each part of a MultiLineString), in WGS84.
pub(super) fn feature_lines(
    path: &Path,
    f: &Feature<'_>,
    loc: &str,
    ct: Option<&CoordTransform>,
) -> Result<Vec<Vec<Coord<f64>>>> {
    let g = f
        .geometry()
        .ok_or_else(|| Error::file(path, loc, "feature has no geometry"))?;
    let t = gdal::vector::geometry_type_flatten(g.geometry_type());
    let mut parts: Vec<Vec<(f64, f64, f64)>> = Vec::new();
    if t == OGRwkbGeometryType::wkbLineString {
        let mut pts = Vec::new();
        g.get_points(&mut pts);
        parts.push(pts);
    } else if t == OGRwkbGeometryType::wkbMultiLineString {
        for i in 0..g.geometry_count() {
            let mut pts = Vec::new();
            g.get_geometry(i).get_points(&mut pts);
            parts.push(pts);
        }
    } else {
        return Err(Error::file(
            path,
            loc,
            format!(
                "geometry is {}; jzplan reads LineString and MultiLineString features",
                geometry_type_name(g.geometry_type())
            ),
        ));
    }
    let mut out = Vec::with_capacity(parts.len());
    for pts in parts {
        if pts.len() < 2 {
            return Err(Error::file(
                path,
                loc,
                format!("line has {} point(s); a road needs at least 2", pts.len()),
            ));
        }
        let mut xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
        let mut ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
        if let Some(ct) = ct {
            ct.transform_coords(&mut xs, &mut ys, &mut [])
                .map_err(|e| Error::file(path, loc, format!("cannot transform to WGS84: {e}")))?;
        }
        let mut line = Vec::with_capacity(xs.len());
        for (x, y) in xs.into_iter().zip(ys) {
            if !jzplan_core::network::geom::valid_lon_lat(x, y) {
                return Err(Error::file(
                    path,
                    loc,
                    format!("coordinate {x},{y} is not a valid WGS84 lon/lat after transformation"),
                ));
            }
            line.push(Coord { x, y });
        }
        out.push(line);
    }
    Ok(out)
}

pub(super) fn is_line_type(t: OGRwkbGeometryType::Type) -> bool {
    let t = gdal::vector::geometry_type_flatten(t);
    t == OGRwkbGeometryType::wkbLineString || t == OGRwkbGeometryType::wkbMultiLineString
}

pub(super) fn geometry_type_name(t: OGRwkbGeometryType::Type) -> String {
    gdal::vector::geometry_type_to_name(t)
}

//! Parsing of road attributes as they appear in OSM tags and in GIS attribute tables
//! (`oneway=-1`, `maxspeed=50 mph`, `bridge=T`), and the one place where a road segment with
//! per-direction attributes becomes edges of a [`NetworkBuilder`].

use geo_types::LineString;
use jzplan_core::Result;
use jzplan_core::network::{EdgeId, EdgeSpec, NetworkBuilder, NodeId, RoadClass, StreetId};

/// Which directions of a segment (drawn from its first to its last vertex) may be driven.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Oneway {
    /// Both directions.
    No,
    /// Only along the drawing direction.
    Forward,
    /// Only against the drawing direction (OSM `oneway=-1`).
    Backward,
}

/// Parses a oneway value: `yes`/`true`/`1`/`T`/`Y` → forward, `-1`/`reverse` → backward,
/// `no`/`false`/`0`/`F`/`N`/`B` (both) → two-way. `None` for empty or unknown values (the
/// caller applies its default, e.g. roundabouts and motorways are one-way).
pub fn parse_oneway(v: &str) -> Option<Oneway> {
    match v.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" | "t" | "y" | "forward" => Some(Oneway::Forward),
        "-1" | "reverse" | "backward" => Some(Oneway::Backward),
        "no" | "false" | "0" | "f" | "n" | "b" | "both" => Some(Oneway::No),
        _ => None,
    }
}

/// Parses a yes/no flag (`bridge`, `tunnel`): `no`/`false`/`0`/`F`/`N` → false; any other
/// non-empty value (`yes`, `T`, `1`, OSM's `viaduct`, `culvert`, `building_passage`) → true.
pub fn parse_flag(v: &str) -> bool {
    let v = v.trim().to_ascii_lowercase();
    !matches!(v.as_str(), "" | "no" | "false" | "0" | "f" | "n")
}

/// Parses a speed in km/h: `50`, `50 km/h`, `50kmh`, `30 mph` (converted), the first of
/// `60;80`. Returns `None` for symbolic values (`CN:urban`, `none`, `walk`, `signals`), for 0
/// (Geofabrik's "unknown") and for speeds outside (0, 200] km/h, so the class default applies.
pub fn parse_speed_kmh(v: &str) -> Option<f32> {
    let first = v.split(';').next()?.trim().to_ascii_lowercase();
    let (num, factor) = if let Some(n) = first.strip_suffix("mph") {
        (n.trim(), 1.609_344_f32)
    } else if let Some(n) = first
        .strip_suffix("km/h")
        .or_else(|| first.strip_suffix("kmh"))
        .or_else(|| first.strip_suffix("kph"))
    {
        (n.trim(), 1.0)
    } else {
        (first.as_str(), 1.0)
    };
    let kmh = num.parse::<f32>().ok()? * factor;
    (kmh.is_finite() && kmh > 0.0 && kmh <= 200.0).then_some(kmh)
}

/// Parses a lane count (`2`, `2.0`, the first of `2;3`); `None` for 0, negatives and text.
pub fn parse_lanes(v: &str) -> Option<u8> {
    let first = v.split(';').next()?.trim();
    let n = first.parse::<f64>().ok()?;
    (1.0..256.0).contains(&n).then_some(n.round() as u8)
}

/// Attributes of one direction of a segment; `None` means "class default".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DirAttrs {
    /// Free-flow speed.
    pub speed_kmh: Option<f32>,
    /// Lanes in this direction.
    pub lanes: Option<u8>,
    /// Capacity in this direction.
    pub capacity_vph: Option<f32>,
}

/// A road segment between two nodes, as a reader sees it, before it becomes one or two edges.
#[derive(Clone, Debug)]
pub struct Segment {
    /// First node (start of the drawn geometry).
    pub from: NodeId,
    /// Last node.
    pub to: NodeId,
    /// The street (way) it belongs to.
    pub street: StreetId,
    /// Road class.
    pub class: RoadClass,
    /// Which directions exist.
    pub oneway: Oneway,
    /// Attributes along the drawn direction.
    pub forward: DirAttrs,
    /// Attributes against the drawn direction.
    pub backward: DirAttrs,
    /// On a bridge.
    pub bridge: bool,
    /// In a tunnel.
    pub tunnel: bool,
    /// Planned, not built (closed until a work opens it).
    pub planned: bool,
    /// Geometry from `from` to `to`.
    pub geometry: LineString<f64>,
    /// Provenance.
    pub source: String,
}

/// Adds a segment as one edge (one-way, reversed for [`Oneway::Backward`]) or as two twin
/// edges with their own per-direction attributes. Returns the edges added.
pub fn add_segment(b: &mut NetworkBuilder, seg: Segment) -> Result<(EdgeId, Option<EdgeId>)> {
    let spec = |from, to, d: &DirAttrs, geometry: LineString<f64>| EdgeSpec {
        from,
        to,
        street: seg.street,
        class: seg.class,
        length_m: None,
        speed_kmh: d.speed_kmh,
        lanes: d.lanes,
        capacity_vph: d.capacity_vph,
        bridge: seg.bridge,
        tunnel: seg.tunnel,
        planned: seg.planned,
        geometry: Some(geometry),
        source: seg.source.clone(),
    };
    let reversed = || {
        let mut g = seg.geometry.clone();
        g.0.reverse();
        g
    };
    match seg.oneway {
        Oneway::Forward => {
            let a = b.add_edge(spec(seg.from, seg.to, &seg.forward, seg.geometry.clone()))?;
            Ok((a, None))
        }
        Oneway::Backward => {
            let a = b.add_edge(spec(seg.to, seg.from, &seg.backward, reversed()))?;
            Ok((a, None))
        }
        Oneway::No => {
            // One length for both directions, whatever the order of the summation.
            let len = Some(jzplan_core::network::geom::geodesic_length_m(&seg.geometry));
            let mut fwd = spec(seg.from, seg.to, &seg.forward, seg.geometry.clone());
            fwd.length_m = len;
            let a = b.add_edge(fwd)?;
            let mut back = spec(seg.to, seg.from, &seg.backward, reversed());
            back.length_m = len;
            let c = b.add_edge(back)?;
            b.set_twins(a, c)?;
            Ok((a, Some(c)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oneway_values() {
        assert_eq!(parse_oneway("yes"), Some(Oneway::Forward));
        assert_eq!(parse_oneway("T"), Some(Oneway::Forward));
        assert_eq!(parse_oneway("1"), Some(Oneway::Forward));
        assert_eq!(parse_oneway("-1"), Some(Oneway::Backward));
        assert_eq!(parse_oneway("False"), Some(Oneway::No));
        assert_eq!(parse_oneway("F"), Some(Oneway::No));
        assert_eq!(parse_oneway("reversible"), None);
        assert_eq!(parse_oneway(""), None);
    }

    #[test]
    fn speeds() {
        assert_eq!(parse_speed_kmh("50"), Some(50.0));
        assert_eq!(parse_speed_kmh("60 km/h"), Some(60.0));
        assert_eq!(parse_speed_kmh("40;60"), Some(40.0));
        let mph = parse_speed_kmh("30 mph").unwrap();
        assert!((mph - 48.28).abs() < 0.01, "{mph}");
        assert_eq!(parse_speed_kmh("CN:urban"), None);
        assert_eq!(parse_speed_kmh("none"), None);
        assert_eq!(parse_speed_kmh("0"), None);
        assert_eq!(parse_speed_kmh("999"), None);
    }

    #[test]
    fn flags_and_lanes() {
        assert!(parse_flag("yes"));
        assert!(parse_flag("T"));
        assert!(parse_flag("viaduct"));
        assert!(!parse_flag("no"));
        assert!(!parse_flag("F"));
        assert!(!parse_flag(""));
        assert_eq!(parse_lanes("4"), Some(4));
        assert_eq!(parse_lanes("2;3"), Some(2));
        assert_eq!(parse_lanes("0"), None);
        assert_eq!(parse_lanes("many"), None);
    }
}

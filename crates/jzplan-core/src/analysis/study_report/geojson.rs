//! The study's map content as GeoJSON features.

use crate::analysis::study::Study;
use crate::network::{EdgeId, RoadNetwork};

/// The study's map content as GeoJSON features (closures, detours, flow differences,
/// choke points, conflicts), each with a `layer` property.
pub fn to_geojson(net: &RoadNetwork, s: &Study) -> serde_json::Value {
    use serde_json::json;
    let line = |g: Vec<[f64; 2]>| json!({"type": "LineString", "coordinates": g});
    let mut f = Vec::new();
    for c in &s.closures {
        for &e in &c.edges {
            let g: Vec<[f64; 2]> = net.edge(e).geometry.0.iter().map(|c| [c.x, c.y]).collect();
            f.push(
                json!({"type": "Feature", "geometry": line(g), "properties": {
                "layer": "closure", "closure": c.label, "what": c.what, "edge": e,
                "street": net.street_of(e).display_name()}}),
            );
        }
    }
    for d in &s.detours {
        if d.geometry.len() >= 2 {
            f.push(
                json!({"type": "Feature", "geometry": line(d.geometry.clone()), "properties": {
                "layer": "detour", "id": d.id, "extra_s": d.extra_s, "extra_m": d.extra_m,
                "via": d.via.join(" → ")}}),
            );
        }
    }
    for e in &s.edge_changes {
        f.push(
            json!({"type": "Feature", "geometry": line(e.geometry.clone()), "properties": {
            "layer": "flow_difference", "edge": e.edge, "street": e.street,
            "before_vph": e.before_vph.round(), "after_vph": e.after_vph.round(),
            "delta_vph": e.delta_vph.round(), "vc_before": (e.vc_before * 100.0).round() / 100.0,
            "vc_after": (e.vc_after * 100.0).round() / 100.0}}),
        );
    }
    for c in &s.choke_points {
        if let Some(p) = c.at {
            f.push(
                json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": p},
                "properties": {"layer": "choke_point", "id": c.id, "rank": c.rank,
                "name_zh": c.name_zh, "name_en": c.name_en, "vc_before": c.vc_before,
                "vc_after": c.vc_after, "delta_vc": c.delta_vc, "delta_delay_s": c.delta_delay_s,
                "crosses": c.crosses}}),
            );
        }
    }
    for c in &s.conflicts {
        let lines: Vec<Vec<[f64; 2]>> = c
            .site_edges
            .iter()
            .map(|&e: &EdgeId| net.edge(e).geometry.0.iter().map(|c| [c.x, c.y]).collect())
            .collect();
        if !lines.is_empty() {
            f.push(json!({"type": "Feature",
                "geometry": {"type": "MultiLineString", "coordinates": lines},
                "properties": {"layer": "conflict", "work": c.work, "name_zh": c.name_zh,
                "name_en": c.name_en, "delta_vph": c.delta_vph.round(), "summary": c.summary}}));
        }
    }
    json!({"type": "FeatureCollection", "features": f})
}

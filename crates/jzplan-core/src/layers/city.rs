//! Layers of the embedded Jinzhou dataset: rivers, districts, points of interest, coastline.

use super::{Feature, LayerInfo, PropKind, PropertyDef, StaticLayer, prop};
use crate::Result;
use crate::dataset;
use serde_json::{Map, Value};

/// The properties every feature of these layers has: names and source. The id is the
/// feature's own (`id` of the GeoJSON feature), not repeated as a property: a property `id`
/// that comes first in `properties` (as it would here, in alphabetical order) makes GDAL's OAPIF
/// driver list two `id` fields.
fn names(zh: &str, en: &str, source: &str) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("name_zh".into(), Value::from(zh));
    p.insert("name_en".into(), Value::from(en));
    p.insert("source".into(), Value::from(source));
    p
}

fn name_props(extra: Option<PropertyDef>) -> Vec<PropertyDef> {
    let mut v = vec![
        prop("name_zh", PropKind::String, "Chinese name"),
        prop("name_en", PropKind::String, "English name"),
        prop(
            "source",
            PropKind::String,
            "provenance (seed:…, estimate:…, osm:…, amap:…)",
        ),
    ];
    v.extend(extra);
    v
}

/// Rivers as lines.
pub fn rivers() -> Result<StaticLayer> {
    let fs = dataset::rivers()?
        .iter()
        .map(|r| {
            Feature::new(
                r.id.clone(),
                r.line.clone().into(),
                names(&r.name_zh, &r.name_en, &r.source),
            )
        })
        .collect();
    Ok(StaticLayer::new(
        LayerInfo {
            id: "rivers",
            title: "Rivers",
            description: "Rivers of the Jinzhou dataset (approximate courses; see source).",
            geometry_type: "LineString",
            properties: name_props(None),
            dated: false,
            min_zoom: 0,
        },
        fs,
    ))
}

/// Districts as polygons.
pub fn districts() -> Result<StaticLayer> {
    let fs = dataset::districts()?
        .iter()
        .map(|d| {
            let mut p = names(&d.name_zh, &d.name_en, &d.source);
            p.insert("kind".into(), Value::from(d.kind.as_str()));
            Feature::new(d.id.clone(), d.polygon.clone().into(), p)
        })
        .collect();
    Ok(StaticLayer::new(
        LayerInfo {
            id: "districts",
            title: "Districts",
            description: "District outlines of Jinzhou (AMap boundaries converted to WGS84, \
                          ±100–300 m; non-commercial licence, see data/jinzhou/README.md).",
            geometry_type: "Polygon",
            properties: name_props(Some(prop(
                "kind",
                PropKind::String,
                "district, county-level city, city outline, …",
            ))),
            dated: false,
            min_zoom: 0,
        },
        fs,
    ))
}

/// Points of interest (stations, port, landmarks).
pub fn pois() -> Result<StaticLayer> {
    let fs = dataset::pois()?
        .iter()
        .map(|x| {
            let mut p = names(&x.name_zh, &x.name_en, &x.source);
            p.insert("kind".into(), Value::from(x.kind.as_str()));
            Feature::new(x.id.clone(), x.point.into(), p)
        })
        .collect();
    Ok(StaticLayer::new(
        LayerInfo {
            id: "pois",
            title: "Points of interest",
            description: "Stations, the port and landmarks of the Jinzhou dataset.",
            geometry_type: "Point",
            properties: name_props(Some(prop(
                "kind",
                PropKind::String,
                "station, port, landmark, …",
            ))),
            dated: false,
            min_zoom: 0,
        },
        fs,
    ))
}

/// The OpenStreetMap coastline (ODbL).
pub fn coastline() -> Result<StaticLayer> {
    let fs = dataset::coastline()?
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut p = Map::new();
            p.insert("source".into(), Value::from(c.source.as_str()));
            Feature::new(i.to_string(), c.line.clone().into(), p)
        })
        .collect();
    Ok(StaticLayer::new(
        LayerInfo {
            id: "coastline",
            title: "Coastline",
            description: "Coastline of Jinzhou Bay, © OpenStreetMap contributors (ODbL).",
            geometry_type: "LineString",
            properties: vec![prop("source", PropKind::String, "provenance")],
            dated: false,
            min_zoom: 0,
        },
        fs,
    ))
}

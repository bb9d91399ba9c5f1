//! What a layer holds, said before any feature is read: its fields and its geometry type, so a
//! GIS client opens even an empty layer (a dated layer on a day with nothing on site) with the
//! right columns and geometry type instead of guessing them from the first page of features.
//!
//! Three forms of the same description, for the clients that read each:
//! - [`feature_schema`]: OGC API – Features Part 5 (schemas), a JSON Schema of the feature's
//!   properties with the geometry marked `x-ogc-role: primary-geometry` and a `geometry-…`
//!   format (read by QGIS's OAPIF provider since 3.44);
//! - [`queryables`]: Part 3 queryables, the properties an items request can filter on (every
//!   property here: `?status=completed`) and the geometry (`bbox`);
//! - [`gml_application_schema`]: the same as a GML application schema (XSD), which GDAL's OAPIF
//!   driver reads from a collection's `describedBy` link (GDAL 3.6, Debian 12) to set the
//!   fields and the geometry type of a layer; with QGIS's `ogr` provider it opens typed too.

use super::{LayerInfo, PropKind};
use serde_json::{Map, Value, json};

/// The Part 5 `format` and the GML property type of a layer's geometry type.
fn geometry_formats(geometry_type: &str) -> (&'static str, &'static str) {
    match geometry_type {
        "Point" => ("geometry-point", "gml:PointPropertyType"),
        "MultiPoint" => ("geometry-multipoint", "gml:MultiPointPropertyType"),
        "LineString" => ("geometry-linestring", "gml:LineStringPropertyType"),
        "MultiLineString" => (
            "geometry-multilinestring",
            "gml:MultiLineStringPropertyType",
        ),
        "Polygon" => ("geometry-polygon", "gml:PolygonPropertyType"),
        "MultiPolygon" => ("geometry-multipolygon", "gml:MultiPolygonPropertyType"),
        _ => ("geometry-any", "gml:GeometryPropertyType"),
    }
}

fn xsd_type(k: PropKind) -> &'static str {
    match k {
        PropKind::String => "xs:string",
        PropKind::Integer => "xs:long",
        PropKind::Number => "xs:double",
        PropKind::Boolean => "xs:boolean",
        PropKind::Date => "xs:date",
    }
}

/// The geometry and the properties as JSON Schema members; `seq` adds Part 5's
/// `x-ogc-propertySeq` (the column order).
fn members(info: &LayerInfo, seq: bool) -> Map<String, Value> {
    let mut props = Map::new();
    let (format, _) = geometry_formats(info.geometry_type);
    let mut g = json!({
        "title": "geometry",
        "description": format!("{} in WGS84 lon/lat (CRS84)", info.geometry_type),
        "format": format,
        "x-ogc-role": "primary-geometry",
    });
    if seq {
        g["x-ogc-propertySeq"] = json!(1);
    }
    props.insert("geometry".into(), g);
    for (i, p) in info.properties.iter().enumerate() {
        let mut v = json!({
            "title": p.name,
            "description": p.description,
            "type": p.kind.json_type(),
        });
        if let Some(f) = p.kind.json_format() {
            v["format"] = json!(f);
        }
        if seq {
            v["x-ogc-propertySeq"] = json!(i + 2);
        }
        props.insert(p.name.to_string(), v);
    }
    props
}

/// OGC API – Features Part 5: the schema of the features of `info`, published at `url`
/// (`…/collections/{id}/schema`, media type `application/schema+json`).
pub fn feature_schema(info: &LayerInfo, url: &str) -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": info.title,
        "description": info.description,
        "properties": members(info, true),
        "additionalProperties": false,
    })
}

/// OGC API – Features Part 3: the queryables of `info`, published at `url`
/// (`…/collections/{id}/queryables`).
pub fn queryables(info: &LayerInfo, url: &str) -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": info.title,
        "description": "Properties an items request filters on by equality (?name=value), \
                        and the geometry (bbox).",
        "properties": members(info, false),
        "additionalProperties": false,
    })
}

/// The features of `info` as a GML 3.2 application schema: one feature type named after the
/// layer, its geometry property typed, then one element per property.
pub fn gml_application_schema(info: &LayerInfo) -> String {
    let (_, gml) = geometry_formats(info.geometry_type);
    let name = xml_name(info.id);
    let mut s = String::new();
    s.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" \
         xmlns:gml=\"http://www.opengis.net/gml/3.2\" xmlns:jz=\"urn:jzplan\" \
         targetNamespace=\"urn:jzplan\" elementFormDefault=\"qualified\" version=\"1.0\">\n\
         <xs:import namespace=\"http://www.opengis.net/gml/3.2\" \
         schemaLocation=\"http://schemas.opengis.net/gml/3.2.1/gml.xsd\"/>\n",
    );
    s.push_str(&format!(
        "<xs:element name=\"{name}\" type=\"jz:{name}Type\" substitutionGroup=\"gml:AbstractFeature\"/>\n\
         <xs:complexType name=\"{name}Type\"><xs:complexContent>\
         <xs:extension base=\"gml:AbstractFeatureType\"><xs:sequence>\n\
         <xs:element name=\"geometry\" type=\"{gml}\" minOccurs=\"0\"/>\n"
    ));
    for p in &info.properties {
        s.push_str(&format!(
            "<xs:element name=\"{}\" type=\"{}\" minOccurs=\"0\"/>\n",
            xml_name(p.name),
            xsd_type(p.kind)
        ));
    }
    s.push_str(
        "</xs:sequence></xs:extension></xs:complexContent></xs:complexType>\n</xs:schema>\n",
    );
    s
}

/// `s` with every character an XML name cannot hold replaced by `_` (ids and property names
/// are ASCII words already; this keeps a future one from breaking the document).
fn xml_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::prop;

    fn info() -> LayerInfo {
        LayerInfo {
            id: "detours",
            title: "Detours",
            description: "test",
            geometry_type: "LineString",
            properties: vec![
                prop("work", PropKind::String, "work id"),
                prop("extra_s", PropKind::Number, "seconds"),
                prop("n", PropKind::Integer, "count"),
                prop("ok", PropKind::Boolean, "flag"),
                prop("date", PropKind::Date, "day"),
            ],
            dated: true,
            min_zoom: 0,
        }
    }

    #[test]
    fn part5_schema_types_every_property_and_marks_the_geometry() {
        let s = feature_schema(&info(), "http://x/collections/detours/schema");
        assert_eq!(s["$id"], "http://x/collections/detours/schema");
        let p = &s["properties"];
        assert_eq!(p["geometry"]["x-ogc-role"], "primary-geometry");
        assert_eq!(p["geometry"]["format"], "geometry-linestring");
        assert!(p["geometry"].get("type").is_none());
        assert_eq!(p["work"]["type"], "string");
        assert_eq!(p["extra_s"]["type"], "number");
        assert_eq!(p["n"]["type"], "integer");
        assert_eq!(p["ok"]["type"], "boolean");
        assert_eq!(
            (&p["date"]["type"], &p["date"]["format"]),
            (&json!("string"), &json!("date"))
        );
        // Column order: geometry, then the properties as declared.
        let seq: Vec<i64> = ["geometry", "work", "extra_s", "n", "ok", "date"]
            .iter()
            .map(|k| p[*k]["x-ogc-propertySeq"].as_i64().unwrap())
            .collect();
        assert_eq!(seq, [1, 2, 3, 4, 5, 6]);
        let q = queryables(&info(), "http://x/collections/detours/queryables");
        assert_eq!(q["properties"].as_object().unwrap().len(), 6);
        assert!(q["properties"]["work"].get("x-ogc-propertySeq").is_none());
    }

    #[test]
    fn gml_schema_names_the_geometry_and_property_types() {
        let x = gml_application_schema(&info());
        assert!(x.contains("<xs:element name=\"detours\" type=\"jz:detoursType\""));
        assert!(x.contains("name=\"geometry\" type=\"gml:LineStringPropertyType\""));
        assert!(x.contains("name=\"extra_s\" type=\"xs:double\""));
        assert!(x.contains("name=\"ok\" type=\"xs:boolean\""));
        assert!(x.contains("name=\"date\" type=\"xs:date\""));
        assert_eq!(geometry_formats("Geometry").1, "gml:GeometryPropertyType");
        assert_eq!(xml_name("1 a<b"), "_1_a_b");
    }
}

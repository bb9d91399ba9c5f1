//! Import and export: GDAL round trips (GeoJSON, GeoPackage, FlatGeobuf), a Shapefile with a
//! custom attribute mapping and a projected CRS, OSM PBF import on a file written here, bad
//! input, and the CLI.

use jzplan::Error;
use jzplan::io::gdal::{
    self as jgdal, FieldKind, FieldMapping, GdalReadOptions, GeometryKind, OutLayer, Value,
    VectorFormat,
};
use jzplan::io::osm::{self, OsmOptions};
use jzplan::network::{EdgeId, EdgeSpec, NetworkBuilder, NodeId, RoadClass, RoadNetwork};
use std::path::Path;
use std::process::Command;

// --- a tiny network, checkable by eye -------------------------------------------------------
//
//   n3 (121.11, 41.11)
//    ^
//    | 解放路 one-way n1→n3, secondary, 1 lane
//    |
//   n0 ====== 中山路 (two-way, bridge) ====== n1 ---- Port Rd (planned, service) ---- n2
//  (121.10, 41.10)                          (121.11, 41.10)                   (121.12, 41.10)

fn tiny() -> RoadNetwork {
    let mut b = NetworkBuilder::new("test:tiny");
    let n0 = b.add_node(121.10, 41.10).unwrap();
    let n1 = b.add_node(121.11, 41.10).unwrap();
    let n2 = b.add_node(121.12, 41.10).unwrap();
    let n3 = b.add_node(121.11, 41.11).unwrap();
    let zs = b.add_street("jz:zhongshan-lu", "中山路", "Zhongshan Road");
    let jf = b.add_street("jz:jiefang-lu", "解放路", "");
    let port = b.add_street("jz:port-rd", "", "Port Road");
    let mut s = EdgeSpec::new(n0, n1, zs, RoadClass::Primary, "seed:P1");
    s.bridge = true;
    s.lanes = Some(3);
    s.speed_kmh = Some(55.5);
    s.geometry = Some(vec![(121.10, 41.10), (121.105, 41.1003), (121.11, 41.10)].into());
    b.add_road(s, false).unwrap();
    let mut s = EdgeSpec::new(n1, n3, jf, RoadClass::Secondary, "estimate:test");
    s.lanes = Some(1);
    s.capacity_vph = Some(777.0);
    b.add_road(s, true).unwrap();
    let mut s = EdgeSpec::new(n1, n2, port, RoadClass::Service, "model:test");
    s.planned = true;
    s.tunnel = true;
    b.add_road(s, false).unwrap();
    b.build().unwrap()
}

/// Same nodes, edges (ids, ends, twins), streets and attributes, within float tolerance.
fn assert_same(a: &RoadNetwork, b: &RoadNetwork) {
    assert_eq!(a.node_count(), b.node_count(), "node count");
    assert_eq!(a.edge_count(), b.edge_count(), "edge count");
    for (i, (x, y)) in a.nodes().iter().zip(b.nodes()).enumerate() {
        assert!(
            (x.lon - y.lon).abs() < 1e-9 && (x.lat - y.lat).abs() < 1e-9,
            "node {i}: {x:?} vs {y:?}"
        );
    }
    for (i, (x, y)) in a.edges().iter().zip(b.edges()).enumerate() {
        let m = format!("edge {i}: {x:?}\nvs {y:?}");
        assert_eq!((x.from, x.to, x.twin), (y.from, y.to, y.twin), "{m}");
        assert_eq!(x.class, y.class, "{m}");
        assert!((x.length_m - y.length_m).abs() < 1e-6, "{m}");
        assert!((x.speed_kmh - y.speed_kmh).abs() < 1e-4, "{m}");
        assert_eq!(x.lanes, y.lanes, "{m}");
        assert!((x.capacity_vph - y.capacity_vph).abs() < 1e-3, "{m}");
        assert_eq!(
            (x.bridge, x.tunnel, x.planned),
            (y.bridge, y.tunnel, y.planned),
            "{m}"
        );
        assert_eq!(x.source, y.source, "{m}");
        assert_eq!(x.geometry.0.len(), y.geometry.0.len(), "{m}");
        for (p, q) in x.geometry.0.iter().zip(&y.geometry.0) {
            assert!((p.x - q.x).abs() < 1e-9 && (p.y - q.y).abs() < 1e-9, "{m}");
        }
        let (sx, sy) = (
            a.street_of(EdgeId::from_index(i)),
            b.street_of(EdgeId::from_index(i)),
        );
        assert_eq!(sx, sy, "{m}");
    }
}

#[test]
fn geojson_to_geopackage_round_trip_keeps_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let net = tiny();
    let gj = dir.path().join("tiny.geojson");
    jgdal::write_network(&net, &gj, VectorFormat::GeoJson).unwrap();
    assert!(!jzplan::io::is_jzplan_network_geojson(&gj).unwrap());
    let from_geojson = jzplan::io::read_network_file(&gj).unwrap();
    assert_same(&net, &from_geojson);

    let gpkg = dir.path().join("tiny.gpkg");
    jgdal::write_network(&from_geojson, &gpkg, VectorFormat::GeoPackage).unwrap();
    let back = jzplan::io::read_network_file(&gpkg).unwrap();
    assert_same(&net, &back);
    assert_eq!(back.edges_named("中山路").len(), 2);

    // ogrinfo (GDAL's own tool) opens the GeoPackage and counts the features.
    let out = Command::new("ogrinfo")
        .args(["-so", "-al"])
        .arg(&gpkg)
        .output()
        .expect("ogrinfo runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let counts: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("Feature Count: "))
        .collect();
    assert!(text.contains("Layer name: roads") && text.contains("Layer name: nodes"));
    assert_eq!(counts, ["5", "4"], "{text}");
}

#[test]
fn flatgeobuf_round_trip_keeps_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let net = tiny();
    let fgb = dir.path().join("tiny.fgb");
    jgdal::write_network(&net, &fgb, VectorFormat::FlatGeobuf).unwrap();
    let back = jzplan::io::read_network_file(&fgb).unwrap();
    assert_same(&net, &back);
}

#[test]
fn generic_writer_checks_values_and_one_layer_formats() {
    let mut l = OutLayer::new(
        "flows",
        GeometryKind::LineString,
        &[
            ("edge_id", FieldKind::Integer),
            ("flow_vph", FieldKind::Real),
        ],
    );
    let line: geo_types::LineString<f64> = vec![(121.1, 41.1), (121.2, 41.1)].into();
    l.push(line.clone(), vec![Value::Int(0), Value::Real(12.5)])
        .unwrap();
    assert!(matches!(
        l.push(line.clone(), vec![Value::Int(1)]),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        l.push(line, vec![Value::Text("x".into()), Value::Null]),
        Err(Error::InvalidInput(_))
    ));
    let dir = tempfile::tempdir().unwrap();
    let two = [l.clone(), l.clone()];
    let err = jgdal::write_layers(&dir.path().join("x.geojson"), VectorFormat::GeoJson, &two);
    assert!(matches!(err, Err(Error::InvalidInput(_))), "{err:?}");
    let p = dir.path().join("flows.gpkg");
    jgdal::write_layers(&p, VectorFormat::GeoPackage, &[l]).unwrap();
    assert_eq!(jgdal::layer_names(&p).unwrap(), ["flows"]);

    // Values by name from JSON properties (as map layers hold them).
    let mut l = OutLayer::new(
        "works",
        GeometryKind::Point,
        &[
            ("id", FieldKind::Text),
            ("lanes", FieldKind::Integer),
            ("open", FieldKind::Bool),
        ],
    );
    let props = serde_json::json!({"id": "P1", "lanes": 4, "extra": 1});
    let pt = geo_types::Point::new(121.1, 41.1);
    l.push_json(pt, props.as_object().unwrap()).unwrap();
    assert_eq!(
        l.features[0].values,
        [Value::Text("P1".into()), Value::Int(4), Value::Null]
    );
    let wrong = serde_json::json!({"lanes": "four"});
    assert!(matches!(
        l.push_json(pt, wrong.as_object().unwrap()),
        Err(Error::InvalidInput(_))
    ));
}

// --- generic line layers ----------------------------------------------------------------------

/// A user's GeoJSON line layer in their own schema, digitised in WGS84.
const USER_ROADS: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"NAME":"中山路","LANES":4,"MAXSPD":"60","ONEWAY":"no","HWY":"primary","BRIDGE":"T"},
 "geometry":{"type":"LineString","coordinates":[[121.10,41.10],[121.105,41.10],[121.11,41.10]]}},
{"type":"Feature","properties":{"NAME":"Harbour Road","LANES":2,"MAXSPD":"25 mph","ONEWAY":"-1","HWY":"secondary","BRIDGE":"F"},
 "geometry":{"type":"LineString","coordinates":[[121.11,41.10],[121.11,41.11]]}},
{"type":"Feature","properties":{"NAME":"path","LANES":null,"MAXSPD":null,"ONEWAY":null,"HWY":"footway","BRIDGE":null},
 "geometry":{"type":"LineString","coordinates":[[121.10,41.10],[121.11,41.11]]}},
{"type":"Feature","properties":{"NAME":null,"LANES":1,"MAXSPD":"CN:urban","ONEWAY":"T","HWY":"trunk","BRIDGE":null},
 "geometry":{"type":"MultiLineString","coordinates":[[[121.11,41.11],[121.12,41.11]],[[121.12,41.11],[121.12,41.12]]]}}
]}"#;

const USER_MAP: &str = "name=NAME,lanes=LANES,speed=MAXSPD,oneway=ONEWAY,class=HWY,bridge=BRIDGE";

fn check_user_roads(net: &RoadNetwork, file: &str) {
    // 5 nodes: (121.10,41.10) (121.11,41.10) (121.11,41.11) (121.12,41.11) (121.12,41.12).
    assert_eq!(net.node_count(), 5);
    // 中山路 two-way (2), Harbour Road one-way reversed (1), footway skipped, trunk 2 parts (2).
    assert_eq!(net.edge_count(), 5);
    let zs = net.edges_named("中山路");
    assert_eq!(zs.len(), 2);
    for &e in &zs {
        let e = net.edge(e);
        assert_eq!(
            (e.class, e.lanes, e.speed_kmh, e.bridge),
            (RoadClass::Primary, 2, 60.0, true)
        );
        assert!(e.twin.is_some());
        assert_eq!(&*e.source, format!("file:{file}"));
    }
    let hr = net.edges_named("Harbour Road");
    assert_eq!(hr.len(), 1);
    let e = net.edge(hr[0]);
    // oneway=-1: drawn north, driven south.
    let (a, b) = (net.node(e.from), net.node(e.to));
    assert!(
        (a.lat - 41.11).abs() < 1e-7 && (b.lat - 41.10).abs() < 1e-7,
        "{a:?} {b:?}"
    );
    assert!((e.speed_kmh - 40.2336).abs() < 1e-3, "{}", e.speed_kmh);
    assert_eq!((e.lanes, e.twin, e.bridge), (2, None, false));
    let trunk: Vec<_> = net
        .edges()
        .iter()
        .filter(|e| e.class == RoadClass::Trunk)
        .collect();
    assert_eq!(trunk.len(), 2);
    for e in trunk {
        assert_eq!((e.twin, e.lanes), (None, 1));
        assert_eq!(e.speed_kmh, RoadClass::Trunk.default_speed_kmh());
    }
    // Length from the geometry: 0.01° of longitude at 41.1°N ≈ 840 m.
    let l = net.edge(zs[0]).length_m;
    assert!((l - 840.0).abs() < 5.0, "{l}");
}

#[test]
fn geojson_line_layer_with_a_custom_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("user.geojson");
    std::fs::write(&p, USER_ROADS).unwrap();
    let opts = GdalReadOptions {
        mapping: FieldMapping::parse(USER_MAP).unwrap(),
        ..Default::default()
    };
    let net = jgdal::read_network(&p, &opts).unwrap();
    check_user_roads(&net, "user.geojson");

    // Without a mapping, through the generic entry point: the usual field names are found
    // case-insensitively (`NAME`, `ONEWAY`, `LANES`), the rest defaults.
    assert!(!jzplan::io::is_jzplan_network_geojson(&p).unwrap());
    let net = jzplan::io::read_network_file(&p).unwrap();
    assert_eq!(net.edges_named("中山路").len(), 2);
    assert_eq!(net.edges_named("Harbour Road").len(), 1);
    // No class field named class/highway/fclass: every road, the footway too, is residential.
    assert!(
        net.edges()
            .iter()
            .all(|e| e.class == RoadClass::Residential)
    );
}

#[test]
fn shapefile_in_utm_with_a_custom_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let gj = dir.path().join("user.geojson");
    std::fs::write(&gj, USER_ROADS).unwrap();
    let shp = dir.path().join("roads.shp");
    // Reproject to UTM zone 51N (Jinzhou), so the reader must transform back to WGS84.
    let st = Command::new("ogr2ogr")
        .args([
            "-f",
            "ESRI Shapefile",
            "-t_srs",
            "EPSG:32651",
            "-lco",
            "ENCODING=UTF-8",
        ])
        .args(["-nlt", "MULTILINESTRING"])
        .arg(&shp)
        .arg(&gj)
        .status()
        .expect("ogr2ogr runs");
    assert!(st.success());
    let opts = GdalReadOptions {
        mapping: FieldMapping::parse(USER_MAP).unwrap(),
        ..Default::default()
    };
    let net = jgdal::read_network(&shp, &opts).unwrap();
    check_user_roads(&net, "roads.shp");
    let n0 = net
        .nodes()
        .iter()
        .find(|n| (n.lon - 121.10).abs() < 1e-6)
        .unwrap();
    assert!((n0.lat - 41.10).abs() < 1e-7, "{n0:?}");
}

#[test]
fn a_planned_field_makes_planned_links() {
    // As jzplan's served `roads` layer writes them: `planned` true on a road not yet built.
    let text = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"A","planned":false},"geometry":{"type":"LineString","coordinates":[[121.10,41.10],[121.11,41.10]]}},
{"type":"Feature","properties":{"name":"B","planned":true},"geometry":{"type":"LineString","coordinates":[[121.11,41.10],[121.12,41.10]]}}]}"#;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("planned.geojson");
    std::fs::write(&p, text).unwrap();
    let net = jgdal::read_network(&p, &GdalReadOptions::default()).unwrap();
    let planned: Vec<bool> = net.edges().iter().map(|e| e.planned).collect();
    assert_eq!(planned, [false, false, true, true]);
    // Through GeoPackage too (GDAL's boolean is an integer there).
    let gpkg = dir.path().join("planned.gpkg");
    let out = std::process::Command::new("ogr2ogr")
        .args(["-f", "GPKG"])
        .arg(&gpkg)
        .arg(&p)
        .output();
    if let Ok(out) = out {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let net = jgdal::read_network(&gpkg, &GdalReadOptions::default()).unwrap();
        assert_eq!(net.edges().iter().filter(|e| e.planned).count(), 2);
    }
}

#[test]
fn splitting_at_shared_interior_vertices_is_optional() {
    // Two lines crossing at a shared interior vertex (121.11, 41.10).
    let text = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"A"},"geometry":{"type":"LineString","coordinates":[[121.10,41.10],[121.11,41.10],[121.12,41.10]]}},
{"type":"Feature","properties":{"name":"B"},"geometry":{"type":"LineString","coordinates":[[121.11,41.09],[121.11,41.10],[121.11,41.11]]}}]}"#;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cross.geojson");
    std::fs::write(&p, text).unwrap();
    let plain = jgdal::read_network(&p, &GdalReadOptions::default()).unwrap();
    assert_eq!((plain.node_count(), plain.edge_count()), (4, 4));
    let split = jgdal::read_network(
        &p,
        &GdalReadOptions {
            split_at_shared_vertices: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!((split.node_count(), split.edge_count()), (5, 8));
    let centre = split
        .nodes()
        .iter()
        .position(|n| (n.lon - 121.11).abs() < 1e-9 && (n.lat - 41.10).abs() < 1e-9)
        .unwrap();
    assert_eq!(split.out_edges(NodeId::from_index(centre)).len(), 4);
    // Default mapping: `name` (Latin) → name_en, default class, file source.
    let e = split.edge(EdgeId(0));
    assert_eq!(split.street_of(EdgeId(0)).name_en, "A");
    assert_eq!(
        (e.class, &*e.source),
        (RoadClass::Residential, "file:cross.geojson")
    );
}

#[test]
fn line_ends_within_the_tolerance_share_a_node() {
    let text = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"source":"estimate:hand-drawn"},"geometry":{"type":"LineString","coordinates":[[121.10,41.10],[121.11,41.10]]}},
{"type":"Feature","properties":{"source":"estimate:hand-drawn"},"geometry":{"type":"LineString","coordinates":[[121.11000000003,41.09999999996],[121.12,41.10]]}}]}"#;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("snap.geojson");
    std::fs::write(&p, text).unwrap();
    let net = jgdal::read_network(&p, &GdalReadOptions::default()).unwrap();
    assert_eq!(net.node_count(), 3);
    // The layer's own `source` field wins over `file:…`.
    assert!(
        net.edges()
            .iter()
            .all(|e| &*e.source == "estimate:hand-drawn")
    );
}

// --- bad input --------------------------------------------------------------------------------

#[test]
fn unknown_mapped_field_lists_the_layer_fields() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("user.geojson");
    std::fs::write(&p, USER_ROADS).unwrap();
    let opts = GdalReadOptions {
        mapping: FieldMapping::parse("lanes=NUM_LANES").unwrap(),
        ..Default::default()
    };
    match jgdal::read_network(&p, &opts) {
        Err(Error::InvalidInput(m)) => {
            assert!(
                m.contains("NUM_LANES") && m.contains("MAXSPD") && m.contains("HWY"),
                "{m}"
            )
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    assert!(matches!(
        FieldMapping::parse("width=W"),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        FieldMapping::parse("lanes"),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn bad_files_name_file_feature_and_field() {
    let dir = tempfile::tempdir().unwrap();
    // Non-existent.
    let missing = dir.path().join("nope.gpkg");
    assert!(matches!(
        jzplan::io::read_network_file(&missing),
        Err(Error::Io { .. })
    ));
    // Not a vector file at all.
    let junk = dir.path().join("junk.gpkg");
    std::fs::write(&junk, b"this is not a geopackage").unwrap();
    match jzplan::io::read_network_file(&junk) {
        Err(Error::InvalidFile { path, .. }) => assert_eq!(path, junk),
        other => panic!("expected InvalidFile, got {other:?}"),
    }
    // An empty roads layer.
    let empty = dir.path().join("empty.gpkg");
    let layer = OutLayer::new(
        "roads",
        GeometryKind::LineString,
        &[("name", FieldKind::Text)],
    );
    jgdal::write_layers(&empty, VectorFormat::GeoPackage, &[layer]).unwrap();
    match jzplan::io::read_network_file(&empty) {
        Err(Error::InvalidFile {
            location, message, ..
        }) => {
            assert!(
                location.contains("roads") && message.contains("no features"),
                "{message}"
            )
        }
        other => panic!("expected InvalidFile, got {other:?}"),
    }
    // Points instead of lines.
    let pts = dir.path().join("nodes.fgb");
    jgdal::write_layers(
        &pts,
        VectorFormat::FlatGeobuf,
        &[jgdal::nodes_layer(&tiny())],
    )
    .unwrap();
    match jzplan::io::read_network_file(&pts) {
        Err(Error::InvalidFile { message, .. }) => assert!(message.contains("Point"), "{message}"),
        other => panic!("expected InvalidFile, got {other:?}"),
    }
    // A bad value names the feature and the field.
    let bad = dir.path().join("bad.geojson");
    std::fs::write(
        &bad,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"lanes":"2"},"geometry":{"type":"LineString","coordinates":[[121.1,41.1],[121.2,41.1]]}},
{"type":"Feature","properties":{"lanes":"lots"},"geometry":{"type":"LineString","coordinates":[[121.2,41.1],[121.3,41.1]]}}]}"#,
    )
    .unwrap();
    match jgdal::read_network(&bad, &GdalReadOptions::default()) {
        Err(Error::InvalidFile {
            location, message, ..
        }) => {
            assert_eq!(location, "feature 1");
            assert!(
                message.contains("'lanes'") && message.contains("lots"),
                "{message}"
            );
        }
        other => panic!("expected InvalidFile, got {other:?}"),
    }
    // A one-point line.
    let short = dir.path().join("short.geojson");
    std::fs::write(
        &short,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[121.1,41.1]]}}]}"#,
    )
    .unwrap();
    assert!(matches!(
        jgdal::read_network(&short, &GdalReadOptions::default()),
        Err(Error::InvalidFile { .. })
    ));
}

// --- OSM PBF ----------------------------------------------------------------------------------

/// A minimal OSM PBF writer, shared with `benches/io.rs`.
#[path = "pbf.rs"]
pub(crate) mod pbf;

/// The OSM test map (node ids as in the comments of the test below).
fn osm_map() -> Vec<u8> {
    let nodes = [
        (1, 121.100, 41.100),
        (2, 121.101, 41.100),
        (3, 121.102, 41.100),
        (4, 121.101, 41.101),
        (5, 121.101, 41.099),
        (6, 121.103, 41.100),
        (7, 121.104, 41.100),
        (8, 121.1045, 41.1005),
        (9, 121.105, 41.100),
        (10, 121.106, 41.100),
        (11, 121.100, 41.105),
        (12, 121.101, 41.105),
        (13, 121.102, 41.105),
    ];
    let ways = vec![
        (
            10,
            vec![1, 2, 3, 6],
            vec![
                ("highway", "primary"),
                ("name", "中山路"),
                ("name:zh", "中山路"),
                ("name:en", "Zhongshan Road"),
                ("maxspeed", "60"),
                ("lanes", "4"),
            ],
        ),
        (
            11,
            vec![4, 2, 5],
            vec![
                ("highway", "secondary"),
                ("oneway", "yes"),
                ("maxspeed", "30 mph"),
                ("name", "解放路"),
            ],
        ),
        (
            12,
            vec![6, 7],
            vec![
                ("highway", "tertiary"),
                ("oneway", "-1"),
                ("maxspeed", "CN:urban"),
            ],
        ),
        (13, vec![3, 4], vec![("highway", "footway")]),
        (
            14,
            vec![7, 8, 9, 7],
            vec![("highway", "residential"), ("junction", "roundabout")],
        ),
        (
            15,
            vec![9, 10, 99],
            vec![("highway", "residential"), ("tunnel", "yes")],
        ),
        (16, vec![11, 12], vec![("highway", "motorway")]),
        (
            17,
            vec![12, 13],
            vec![
                ("highway", "motorway"),
                ("oneway", "no"),
                ("bridge", "yes"),
                ("lanes:forward", "3"),
                ("lanes:backward", "2"),
            ],
        ),
    ];
    pbf::write(&nodes, &ways)
}

fn edges_of(net: &RoadNetwork, way: &str) -> Vec<EdgeId> {
    let src = format!("osm:w{way}");
    (0..net.edge_count())
        .map(EdgeId::from_index)
        .filter(|&e| *net.edge(e).source == src)
        .collect()
}

/// The lon/lat of an edge's ends, rounded to 1e-6° (PBF stores 1e-7° steps).
fn ends(net: &RoadNetwork, e: EdgeId) -> ((f64, f64), (f64, f64)) {
    let r = |x: f64| (x * 1e6).round() / 1e6;
    let (a, b) = (net.node(net.edge(e).from), net.node(net.edge(e).to));
    ((r(a.lon), r(a.lat)), (r(b.lon), r(b.lat)))
}

#[test]
fn osm_import_follows_the_tags() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("map.osm.pbf");
    std::fs::write(&p, osm_map()).unwrap();
    let net = jzplan::io::read_network_file(&p).unwrap();
    // Nodes: the ends and shared nodes 1 2 4 5 6 7 9 10 11 12 13 (3 and 8 are mere shape
    // points; 99 is missing from the file and cuts way 15 after node 10).
    assert_eq!(net.node_count(), 11);
    assert_eq!(net.edge_count(), 14);

    // Way 10: split at node 2 (shared with way 11), two-way, 4 lanes → 2 per direction.
    let w10 = edges_of(&net, "10");
    assert_eq!(w10.len(), 4);
    for &e in &w10 {
        let e = net.edge(e);
        assert_eq!(
            (e.lanes, e.speed_kmh, e.class),
            (2, 60.0, RoadClass::Primary)
        );
        assert!(e.twin.is_some());
    }
    let s = net.street_of(w10[0]);
    assert_eq!(
        (s.name_zh.as_str(), s.name_en.as_str()),
        ("中山路", "Zhongshan Road")
    );
    assert_eq!(s.way_id, "osm:w10");
    // The piece 2→3→6 keeps node 3 as a shape point.
    assert!(w10.iter().any(|&e| net.edge(e).geometry.0.len() == 3));

    // Way 11: one-way 4→2→5, split at 2; 30 mph.
    let w11 = edges_of(&net, "11");
    assert_eq!(w11.len(), 2);
    assert_eq!(ends(&net, w11[0]), ((121.101, 41.101), (121.101, 41.100)));
    assert_eq!(ends(&net, w11[1]), ((121.101, 41.100), (121.101, 41.099)));
    assert!((net.edge(w11[0]).speed_kmh - 48.28).abs() < 0.01);
    assert_eq!(net.street_of(w11[0]).name_zh, "解放路");

    // Way 12: oneway=-1 drawn 6→7, driven 7→6; CN:urban → tertiary default speed.
    let w12 = edges_of(&net, "12");
    assert_eq!(w12.len(), 1);
    assert_eq!(ends(&net, w12[0]), ((121.104, 41.100), (121.103, 41.100)));
    assert_eq!(
        net.edge(w12[0]).speed_kmh,
        RoadClass::Tertiary.default_speed_kmh()
    );

    // Way 13 (footway) is not imported.
    assert!(edges_of(&net, "13").is_empty());

    // Way 14: roundabout → one-way 7→8→9 and 9→7 (split at 9, shared with way 15).
    let w14 = edges_of(&net, "14");
    assert_eq!(w14.len(), 2);
    assert_eq!(ends(&net, w14[0]), ((121.104, 41.100), (121.105, 41.100)));
    assert_eq!(ends(&net, w14[1]), ((121.105, 41.100), (121.104, 41.100)));
    assert!(w14.iter().all(|&e| net.edge(e).twin.is_none()));

    // Way 15: two-way tunnel 9–10, cut at the missing node 99.
    let w15 = edges_of(&net, "15");
    assert_eq!(w15.len(), 2);
    assert!(
        w15.iter()
            .all(|&e| net.edge(e).tunnel && !net.edge(e).bridge)
    );

    // Way 16: motorway → implied one-way. Way 17: motorway with oneway=no, per-direction
    // lanes, bridge.
    let w16 = edges_of(&net, "16");
    assert_eq!(w16.len(), 1);
    assert_eq!(net.edge(w16[0]).class, RoadClass::Expressway);
    let w17 = edges_of(&net, "17");
    assert_eq!(w17.len(), 2);
    assert_eq!(
        (net.edge(w17[0]).lanes, net.edge(w17[1]).lanes),
        (3, 2),
        "lanes:forward / lanes:backward"
    );
    assert!(net.edge(w17[0]).bridge);
    assert_eq!(net.edge(w17[0]).twin, Some(w17[1]));
    // Default capacity: lanes × class capacity per lane.
    assert_eq!(
        net.edge(w17[0]).capacity_vph,
        3.0 * RoadClass::Expressway.capacity_per_lane_vph()
    );
}

#[test]
fn osm_bbox_keeps_only_the_parts_inside() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("map.osm.pbf");
    std::fs::write(&p, osm_map()).unwrap();
    let bbox = osm::parse_bbox("121.0995,41.0985,121.1055,41.1015").unwrap();
    let net = osm::read_osm_pbf(&p, &OsmOptions { bbox: Some(bbox) }).unwrap();
    // Gone: node 10 (and with it way 15), the motorways 11–13. The roundabout is no longer
    // split at 9, so it is one loop edge 7→8→9→7.
    assert!(edges_of(&net, "15").is_empty() && edges_of(&net, "16").is_empty());
    let w14 = edges_of(&net, "14");
    assert_eq!(w14.len(), 1);
    assert_eq!(net.edge(w14[0]).from, net.edge(w14[0]).to);
    assert_eq!((net.node_count(), net.edge_count()), (6, 8));
    for n in net.nodes() {
        assert!(bbox.min().x <= n.lon && n.lon <= bbox.max().x);
        assert!(bbox.min().y <= n.lat && n.lat <= bbox.max().y);
    }
    assert!(matches!(
        osm::parse_bbox("1,2,3"),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        osm::parse_bbox("121.2,41,121.1,42"),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn osm_bad_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = osm_map();
    let truncated = dir.path().join("cut.osm.pbf");
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).unwrap();
    match jzplan::io::read_network_file(&truncated) {
        Err(Error::InvalidFile { path, .. }) => assert_eq!(path, truncated),
        other => panic!("expected InvalidFile, got {other:?}"),
    }
    let garbage = dir.path().join("garbage.pbf");
    std::fs::write(&garbage, [0xffu8; 64]).unwrap();
    assert!(matches!(
        jzplan::io::read_network_file(&garbage),
        Err(Error::InvalidFile { .. })
    ));
    assert!(matches!(
        jzplan::io::read_network_file(&dir.path().join("none.osm.pbf")),
        Err(Error::Io { .. })
    ));
    // A valid file without car roads: an empty network.
    let foot = dir.path().join("foot.osm.pbf");
    std::fs::write(
        &foot,
        pbf::write(
            &[(1, 121.1, 41.1), (2, 121.2, 41.1)],
            &[(5, vec![1, 2], vec![("highway", "footway")])],
        ),
    )
    .unwrap();
    assert!(matches!(
        jzplan::io::read_network_file(&foot),
        Err(Error::EmptyNetwork(_))
    ));
}

// --- CLI --------------------------------------------------------------------------------------

fn jzplan(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(crate::common::jzplan_bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("JZPLAN_NETWORK")
        .output()
        .expect("jzplan runs")
}

#[test]
fn cli_import_osm_then_export_formats() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("map.osm.pbf"), osm_map()).unwrap();
    let out = jzplan(
        &["import", "osm", "map.osm.pbf", "--out", "map.gpkg"],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("11 nodes, 14 directed edges"), "{text}");

    for (file, fmt) in [
        ("x.geojson", "geojson"),
        ("x.fgb", "fgb"),
        ("y.gpkg", "gpkg"),
    ] {
        let out = jzplan(
            &[
                "--network",
                "map.gpkg",
                "export",
                "--format",
                fmt,
                "--out",
                file,
            ],
            dir.path(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let a = jzplan::io::read_network_file(&dir.path().join("map.gpkg")).unwrap();
    let b = jzplan::io::read_network_file(&dir.path().join("y.gpkg")).unwrap();
    assert_same(&a, &b);
    let c = jzplan::io::read_network_file(&dir.path().join("x.fgb")).unwrap();
    assert_same(&a, &c);
    // Only the nodes layer, as GeoJSON.
    let out = jzplan(
        &[
            "--network",
            "map.gpkg",
            "export",
            "--layer",
            "nodes",
            "--out",
            "n.geojson",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        jgdal::layer_names(&dir.path().join("n.geojson")).unwrap(),
        ["nodes"]
    );
    let out = jzplan(
        &[
            "--network",
            "map.gpkg",
            "export",
            "--layer",
            "lakes",
            "--out",
            "l.gpkg",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(Error::invalid("").exit_code()));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("lakes") && err.contains("nodes, roads"),
        "{err}"
    );
}

#[test]
fn cli_import_gdal_and_its_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("user.geojson"), USER_ROADS).unwrap();
    let ok = jzplan(
        &[
            "import",
            "gdal",
            "user.geojson",
            "--map",
            USER_MAP,
            "--out",
            "u.gpkg",
        ],
        dir.path(),
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let net = jzplan::io::read_network_file(&dir.path().join("u.gpkg")).unwrap();
    check_user_roads(&net, "user.geojson");

    let bad = jzplan(
        &[
            "import",
            "gdal",
            "user.geojson",
            "--map",
            "lanes=NOPE",
            "--out",
            "u.gpkg",
        ],
        dir.path(),
    );
    assert_eq!(bad.status.code(), Some(Error::invalid("").exit_code()));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("InvalidInput") && err.contains("NOPE") && err.contains("MAXSPD"),
        "{err}"
    );

    let missing = jzplan(
        &["import", "osm", "none.pbf", "--out", "x.gpkg"],
        dir.path(),
    );
    let io_code = Error::io("x", std::io::Error::other("x")).exit_code();
    assert_eq!(missing.status.code(), Some(io_code), "IoError exit code");

    let help = jzplan(&["import", "gdal", "--help"], dir.path());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--map"));
}

#[test]
fn jinzhou_network_round_trips_through_geopackage_and_flatgeobuf() {
    let net = jzplan::io::geojson::jinzhou_network().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (file, fmt) in [
        ("jz.gpkg", VectorFormat::GeoPackage),
        ("jz.fgb", VectorFormat::FlatGeobuf),
    ] {
        let p = dir.path().join(file);
        jgdal::write_network(&net, &p, fmt).unwrap();
        let back = jzplan::io::read_network_file(&p).unwrap();
        assert_same(&net, &back);
    }
    // Every exported road keeps its provenance.
    let roads = jgdal::roads_layer(&net);
    let src = roads
        .fields
        .iter()
        .position(|(n, _)| n == "source")
        .unwrap();
    assert!(roads.features.iter().all(|f| matches!(&f.values[src],
        Value::Text(s) if !s.is_empty())));
}

//! The Jinzhou dataset: what the checked-in files promise (see data/jinzhou/README.md).

use geo::Intersects;
use geo_types::{LineString, Point};
use jzplan::Error;
use jzplan::dataset::{self, valid_source};
use jzplan::io::geojson::{jinzhou_network, read_network};
use jzplan::network::{NodeId, RoadNetwork};
use petgraph::algo::has_path_connecting;
use petgraph::graph::NodeIndex;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/jinzhou")
}

fn net() -> RoadNetwork {
    jinzhou_network().expect("embedded network parses")
}

/// Latitude of a river line at `lon` (the Xiaoling is drawn with increasing longitude).
fn river_lat_at(line: &LineString<f64>, lon: f64) -> Option<f64> {
    line.lines().find_map(|l| {
        let (a, b) = (l.start, l.end);
        let (lo, hi) = (a.x.min(b.x), a.x.max(b.x));
        (lon >= lo && lon <= hi && hi > lo).then(|| a.y + (lon - a.x) / (b.x - a.x) * (b.y - a.y))
    })
}

fn nearest_node(net: &RoadNetwork, p: Point<f64>) -> NodeId {
    (0..net.node_count())
        .map(NodeId::from_index)
        .min_by(|&a, &b| {
            let d = |n: NodeId| {
                let c = net.node(n);
                (c.lon - p.x()).powi(2) + (c.lat - p.y()).powi(2)
            };
            d(a).total_cmp(&d(b))
        })
        .unwrap()
}

#[test]
fn rebuilding_from_the_source_gives_the_checked_in_files_byte_for_byte() {
    let built = dataset::build_dataset(&data_dir().join("source")).unwrap();
    for (name, text) in &built.files {
        let on_disk = std::fs::read_to_string(data_dir().join(name)).unwrap();
        assert!(
            on_disk == *text,
            "data/jinzhou/{name} differs from a fresh build: run `jzplan data build`"
        );
    }
    // And the embedded network is that file.
    let a = jzplan::io::geojson::network_to_geojson(&net());
    assert_eq!(a, built.files[0].1);
}

/// The catalogue's model-derived files (the 14 model choke points, P4's 14 model streets) are
/// what the model gives on the embedded network today: regenerated in memory, byte for byte.
#[test]
fn the_catalogue_model_files_are_what_the_embedded_network_gives() {
    use jzplan::works::catalogue::{Catalogue, HOTSPOTS_JSON, WORKS_P4_JSON};
    let seeds = Catalogue::jinzhou_seed_hotspots().unwrap();
    assert_eq!(seeds.len(), 1, "H01 is the plan's only named choke point");
    let files = jzplan::analysis::calibration::model_files(&net(), &seeds).unwrap();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["hotspots.json", "works.p4.json"]);
    for ((name, text), embedded) in files.iter().zip([HOTSPOTS_JSON, WORKS_P4_JSON]) {
        let on_disk = std::fs::read_to_string(data_dir().join(name)).unwrap();
        assert!(
            on_disk == *text && embedded == text,
            "data/jinzhou/{name} differs from the model on the embedded network: run `jzplan data build`"
        );
    }
    // The loaded catalogue has the plan's counts: 15 choke points, 15 children of P4 and of P6,
    // every model child citing its model rank.
    let c = Catalogue::jinzhou().unwrap();
    assert_eq!(c.hotspots.len(), 15);
    for parent in ["P4", "P6"] {
        let kids: Vec<_> = c
            .works
            .iter()
            .filter(|w| w.parent.as_ref().is_some_and(|p| p.as_str() == parent))
            .collect();
        assert_eq!(kids.len(), 15, "{parent}");
        assert!(kids[1..].iter().all(|w| w.source.starts_with("model:")));
        assert!(kids[0].source.starts_with("seed:"));
    }
}

#[test]
fn the_hand_maintained_catalogue_may_not_hold_model_choke_points() {
    let works = std::fs::read_to_string(data_dir().join("works.json")).unwrap();
    let network = std::fs::read_to_string(data_dir().join("network.geojson")).unwrap();
    let bad = works.replacen(
        "\"evidence\": \"seed:P6\"",
        "\"evidence\": \"model:guess\"",
        1,
    );
    assert_ne!(bad, works);
    let file = write_tmp(&bad);
    let err = dataset::build_catalogue(&network, file.path()).unwrap_err();
    assert!(matches!(err, Error::InvalidFile { .. }), "{err}");
    assert!(err.to_string().contains("hotspot H01"), "{err}");
}

#[test]
fn the_network_is_strongly_connected() {
    let net = net();
    let scc = petgraph::algo::kosaraju_scc(net.graph());
    assert_eq!(
        scc.len(),
        1,
        "components: {:?}",
        scc.iter().map(Vec::len).collect::<Vec<_>>()
    );
}

#[test]
fn size_names_and_plan_streets() {
    let net = net();
    assert!(
        net.edge_count() >= 1500,
        "{} directed edges",
        net.edge_count()
    );
    let names: BTreeSet<&str> = net
        .streets()
        .iter()
        .filter(|s| !s.name_zh.is_empty() && !s.name_en.is_empty())
        .map(|s| s.name_zh.as_str())
        .collect();
    assert!(names.len() >= 50, "{} named streets", names.len());
    // Streets named by the plan (seed:P…) and the main arterials of the three districts and
    // the new district.
    for name in [
        "锦州街",
        "福州街",
        "科技西路",
        "南阳东路",
        "松坡路",
        "南广路",
        "锦港大街",
        "解放路",
        "北京路",
        "上海路",
        "重庆路",
        "中央大街",
        "人民街",
        "士英街",
        "云飞街",
        "市府路",
        "科技路",
        "南阳路",
        "延安路",
        "洛阳路",
        "凌河街",
        "中央北街",
        "解放西路",
        "G1京哈高速",
        "G102国道",
    ] {
        assert!(
            !net.edges_named(name).is_empty(),
            "street {name} is missing"
        );
    }
    for (en, zh) in [("Jinzhou Street", "锦州街"), ("Fuzhou Street", "福州街")] {
        assert_eq!(net.edges_named(en), net.edges_named(zh));
    }
    // Plan-named streets cite the plan.
    for (name, seed) in [
        ("锦州街", "seed:P1"),
        ("福州街", "seed:P2"),
        ("科技西路", "seed:P4"),
        ("南广路", "seed:P5"),
        ("南阳东路", "seed:P6"),
        ("松坡路", "seed:P7"),
        ("锦港大街", "seed:P12"),
    ] {
        for e in net.edges_named(name) {
            assert!(
                net.edge(e).source.starts_with(seed),
                "{name}: {}",
                net.edge(e).source
            );
        }
    }
}

#[test]
fn the_planned_bridges_are_not_in_the_base_network() {
    let net = net();
    let xiaoling = dataset::river("xiaoling").unwrap();
    let nuer = dataset::river("nuer").unwrap();
    for (street, river) in [("锦州街", xiaoling), ("福州街", nuer)] {
        let edges = net.edges_named(street);
        for &e in &edges {
            assert!(
                !net.edge(e).geometry.intersects(&river.line),
                "{street} edge {e} crosses {}",
                river.name_zh
            );
            assert!(!net.edge(e).bridge);
        }
        // The street is drawn on both banks (the future bridge joins the two ends).
        let lats: Vec<(f64, f64)> = edges
            .iter()
            .flat_map(|&e| [net.edge(e).from, net.edge(e).to])
            .map(|n| (net.node(n).lon, net.node(n).lat))
            .collect();
        let north = lats
            .iter()
            .filter(|&&(x, y)| y > river_lat_at(&river.line, x).unwrap())
            .count();
        assert!(
            north > 0 && north < lats.len(),
            "{street} is on one bank only"
        );
    }
}

#[test]
fn both_banks_of_the_xiaoling_are_connected_over_existing_bridges() {
    let net = net();
    let river = dataset::river("xiaoling").unwrap();
    let north = nearest_node(&net, dataset::poi("guta-government").unwrap().point);
    let south = nearest_node(&net, dataset::poi("municipal-government").unwrap().point);
    let side = |n: NodeId| {
        let c = net.node(n);
        c.lat > river_lat_at(&river.line, c.lon).unwrap()
    };
    assert!(side(north) && !side(south));
    let g = net.graph();
    let (a, b) = (NodeIndex::new(north.index()), NodeIndex::new(south.index()));
    assert!(has_path_connecting(g, a, b, None));
    assert!(has_path_connecting(g, b, a, None));
    // Every bridge edge really crosses a river line, and the Xiaoling has several crossings.
    let rivers = dataset::rivers().unwrap();
    let mut xiaoling_bridges = BTreeSet::new();
    for e in net.edges().iter().filter(|e| e.bridge) {
        let r = rivers.iter().find(|r| e.geometry.intersects(&r.line));
        assert!(r.is_some(), "bridge edge without a river");
        if r.unwrap().id == "xiaoling" {
            xiaoling_bridges.insert(e.street);
        }
    }
    assert!(xiaoling_bridges.len() >= 3, "{xiaoling_bridges:?}");
}

#[test]
fn positions_agree_with_the_district_layout() {
    let linghe = dataset::district("linghe").unwrap();
    let guta = dataset::district("guta").unwrap();
    let taihe = dataset::district("taihe").unwrap();
    let songshan = dataset::district("songshan").unwrap();
    let memorial = dataset::poi("liaoshen-memorial").unwrap().point;
    assert!(linghe.contains(memorial) && !guta.contains(memorial));
    let gov = dataset::poi("municipal-government").unwrap().point;
    assert!(taihe.contains(gov) && songshan.contains(gov));
    assert!(taihe.contains(dataset::poi("jinling-reservoir-dam").unwrap().point));
    assert!(guta.contains(dataset::poi("guta-government").unwrap().point));
    for (poi, district) in [
        ("liaoshen-memorial", "linghe"),
        ("linghe-government", "linghe"),
        ("guta-government", "guta"),
        ("taihe-government", "taihe"),
        ("municipal-government", "taihe"),
        ("jinzhou-south-station", "taihe"),
        ("jinzhou-port", "taihe"),
        ("lnut", "guta"),
    ] {
        let p = dataset::poi(poi).unwrap().point;
        let d = dataset::district_at(p).unwrap().map(|d| d.id.as_str());
        assert_eq!(d, Some(district), "{poi}");
    }
    for d in dataset::districts().unwrap() {
        assert!(
            d.polygon.exterior().0.len() <= 21,
            "{} has too many vertices",
            d.id
        );
    }
    // The old city lies north of the Xiaoling River.
    let net = net();
    let river = dataset::river("xiaoling").unwrap();
    for name in [
        "解放路",
        "北京路",
        "上海路",
        "重庆路",
        "延安路",
        "洛阳路",
        "人民街",
        "士英街",
        "云飞街",
        "凌河街",
        "中央北街",
    ] {
        for e in net.edges_named(name) {
            for c in net.edge(e).geometry.coords() {
                let r = river_lat_at(&river.line, c.x).unwrap();
                assert!(
                    c.y > r + 0.002,
                    "{name} at {},{} is not north of the river",
                    c.x,
                    c.y
                );
            }
        }
    }
    // 松山新区 streets lie south of it.
    for name in ["市府路", "科技路", "南阳路", "南阳东路", "南广路"] {
        for e in net.edges_named(name) {
            for c in net.edge(e).geometry.coords() {
                assert!(c.y < river_lat_at(&river.line, c.x).unwrap(), "{name}");
            }
        }
    }
}

#[test]
fn every_feature_of_every_dataset_file_has_a_source() {
    for name in [
        "network.geojson",
        "rivers.geojson",
        "districts.geojson",
        "pois.geojson",
        "coastline.geojson",
    ] {
        let text = std::fs::read_to_string(data_dir().join(name)).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let feats = v["features"].as_array().unwrap();
        assert!(!feats.is_empty(), "{name}");
        for (i, f) in feats.iter().enumerate() {
            let s = f["properties"]["source"].as_str().unwrap_or("");
            assert!(valid_source(s), "{name} feature {i}: source '{s}'");
            if name == "coastline.geojson" {
                assert!(s.starts_with("osm:"));
                assert!(
                    f["properties"]["attribution"]
                        .as_str()
                        .unwrap()
                        .contains("OpenStreetMap")
                );
            } else {
                assert!(!s.starts_with("osm:"), "{name} feature {i} claims OSM data");
            }
        }
    }
}

fn write_tmp(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new()
        .suffix(".geojson")
        .tempfile()
        .unwrap();
    std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
    f
}

fn invalid_file(text: &str) -> (String, String) {
    let f = write_tmp(text);
    match read_network(f.path()) {
        Err(Error::InvalidFile {
            path,
            location,
            message,
        }) => {
            assert_eq!(path, f.path());
            (location, message)
        }
        other => panic!("expected InvalidFile, got {other:?}"),
    }
}

#[test]
fn malformed_network_files_name_the_feature_and_the_field() {
    let good = std::fs::read_to_string(data_dir().join("network.geojson")).unwrap();
    // Only the first 3 features, so that the edits below hit a known feature.
    let lines: Vec<&str> = good.lines().collect();
    let small = format!(
        "{}\n{}\n{}\n{}\n]}}\n",
        lines[0],
        lines[1],
        lines[2],
        lines[3].trim_end_matches(',')
    );
    assert!(read_network(write_tmp(&small).path()).is_ok());

    let (loc, msg) = invalid_file("");
    assert!(
        loc.starts_with("line 1") && msg.contains("JSON"),
        "{loc}: {msg}"
    );
    let (loc, msg) = invalid_file("{\"type\":\"FeatureCollection\",\"features\":[");
    assert!(
        loc.starts_with("line") && msg.contains("JSON"),
        "{loc}: {msg}"
    );
    let (_, msg) = invalid_file("{\"type\":\"FeatureCollection\",\"features\":[]}");
    assert!(msg.contains("no features"), "{msg}");

    let third = lines[3].trim_end_matches(',');
    let mut missing = small.replacen(",\"speed_kmh\":", ",\"_speed\":", 3);
    missing = missing.replacen(",\"_speed\":", ",\"speed_kmh\":", 2);
    let (loc, msg) = invalid_file(&missing);
    assert_eq!(loc, "feature 2");
    assert!(
        msg.contains("'speed_kmh'") && msg.contains("missing"),
        "{msg}"
    );

    let wrong = small.replacen(
        third,
        &third.replacen("\"oneway\":false", "\"oneway\":\"no\"", 1),
        1,
    );
    let (loc, msg) = invalid_file(&wrong);
    assert_eq!(loc, "feature 2");
    assert!(
        msg.contains("'oneway'") && msg.contains("a string"),
        "{msg}"
    );

    let no_geom = small.replacen(third, &third.replacen("\"LineString\"", "\"Point\"", 1), 1);
    let (loc, msg) = invalid_file(&no_geom);
    assert_eq!(loc, "feature 2");
    assert!(msg.contains("geometry"), "{msg}");
}

#[test]
fn data_build_check_passes_and_a_broken_source_names_line_and_field() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(crate::common::jzplan_bin())
        .current_dir(root)
        .args(["data", "build", "--check"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let dir = tempfile::tempdir().unwrap();
    for f in ["streets.csv", "rivers.csv", "districts.csv", "pois.csv"] {
        std::fs::copy(data_dir().join("source").join(f), dir.path().join(f)).unwrap();
    }
    let streets = std::fs::read_to_string(dir.path().join("streets.csv")).unwrap();
    std::fs::write(
        dir.path().join("streets.csv"),
        streets.replacen(",secondary,2,40,", ",secondary,two,40,", 1),
    )
    .unwrap();
    let out = std::process::Command::new(crate::common::jzplan_bin())
        .args(["data", "build", "--out"])
        .arg(dir.path())
        .arg("--source")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("streets.csv") && err.contains("line") && err.contains("'lanes'"),
        "{err}"
    );
    assert!(!dir.path().join("network.geojson").exists());
}

#[test]
fn embedded_layers_are_there_for_map_layers_and_demand_zones() {
    assert_eq!(dataset::rivers().unwrap().len(), 5);
    let ids: Vec<&str> = dataset::districts()
        .unwrap()
        .iter()
        .map(|d| d.id.as_str())
        .collect();
    assert_eq!(ids, ["guta", "linghe", "taihe", "songshan"]);
    assert!(dataset::pois().unwrap().len() >= 10);
    assert!(!dataset::coastline().unwrap().is_empty());
    let port = dataset::poi("jinzhou-port").unwrap().point;
    // The port lies within 2 km of a road (Jingang Avenue's port road).
    let snap = net().snap(port, 2000.0);
    assert!(snap.is_ok(), "{snap:?}");
}

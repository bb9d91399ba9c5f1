//! Layers of the works side of the engine: works, their footprints on the network, the
//! environment works, the choke points, and the network changes (closures, new links) on a
//! date. They read the store on every call, so changes made through the API show at once.

use super::{DateInterval, Feature, Layer, LayerInfo, PropKind, PropertyDef};
use crate::Result;
use crate::engine::Engine;
use crate::works::{Work, WorkFilter, WorkGeometry, WorkKind};
use chrono::NaiveDate;
use geo_types::{Coord, Geometry, LineString, MultiLineString, Point, Polygon};
use serde_json::{Map, Value};
use std::sync::Arc;

const fn prop(name: &'static str, kind: PropKind, description: &'static str) -> PropertyDef {
    PropertyDef {
        name,
        kind,
        description,
    }
}

fn work_properties() -> Vec<PropertyDef> {
    use PropKind::*;
    vec![
        prop("id", String, "work id (P1…P12, E1…E6, children like P4-01)"),
        prop("parent", String, "programme the work belongs to"),
        prop("name_zh", String, "Chinese name"),
        prop("name_en", String, "English name"),
        prop("kind", String, "bridge, new_road, widening, …, wetland"),
        prop(
            "status",
            String,
            "planned, design, under_construction, completed, …",
        ),
        prop(
            "start",
            String,
            "first day on site (actual where known), YYYY-MM-DD",
        ),
        prop(
            "end",
            String,
            "last day on site (actual where known), YYYY-MM-DD",
        ),
        prop("estimated", Boolean, "the dates are estimates"),
        prop("dates_source", String, "where the dates come from"),
        prop("hotspot", String, "choke point the work opens"),
        prop("source", String, "provenance (seed:P1 …)"),
        prop("version", Integer, "version for If-Match"),
    ]
}

fn coord(c: &[f64; 2]) -> Coord<f64> {
    Coord { x: c[0], y: c[1] }
}

fn geometry(g: &WorkGeometry) -> Option<Geometry<f64>> {
    Some(match g {
        WorkGeometry::Point(p) => Point(coord(p)).into(),
        WorkGeometry::LineString(l) => LineString(l.iter().map(coord).collect()).into(),
        WorkGeometry::MultiLineString(ls) => MultiLineString(
            ls.iter()
                .map(|l| LineString(l.iter().map(coord).collect()))
                .collect(),
        )
        .into(),
        WorkGeometry::Polygon(rings) => {
            let mut it = rings
                .iter()
                .map(|r| LineString(r.iter().map(coord).collect()));
            let ext = it.next()?;
            Polygon::new(ext, it.collect()).into()
        }
    })
}

fn work_props(w: &Work) -> Map<String, Value> {
    let win = w.window();
    let mut p = Map::new();
    p.insert("id".into(), Value::from(w.id.as_str()));
    if let Some(parent) = &w.parent {
        p.insert("parent".into(), Value::from(parent.as_str()));
    }
    p.insert("name_zh".into(), Value::from(w.name_zh.as_str()));
    p.insert("name_en".into(), Value::from(w.name_en.as_str()));
    p.insert("kind".into(), Value::from(w.kind.as_str()));
    p.insert("status".into(), Value::from(w.status.as_str()));
    p.insert("start".into(), Value::from(win.start.to_string()));
    p.insert("end".into(), Value::from(win.end.to_string()));
    p.insert(
        "estimated".into(),
        Value::from(w.dates_source.starts_with("estimate") && w.actual_start.is_none()),
    );
    p.insert("dates_source".into(), Value::from(w.dates_source.as_str()));
    if let Some(h) = &w.hotspot {
        p.insert("hotspot".into(), Value::from(h.as_str()));
    }
    p.insert("source".into(), Value::from(w.source.as_str()));
    p.insert("version".into(), Value::from(w.version));
    p
}

fn valid(w: &Work) -> DateInterval {
    let win = w.window();
    DateInterval {
        start: Some(win.start),
        end: Some(win.end),
    }
}

/// Whether a work is an environment work (pipes, greening, rivers, water, wetlands, outfalls).
pub fn is_environment(k: WorkKind) -> bool {
    matches!(
        k,
        WorkKind::PipeRenewal
            | WorkKind::Greening
            | WorkKind::RiverRestoration
            | WorkKind::WaterSourceProtection
            | WorkKind::Wetland
            | WorkKind::OutfallCleanup
    )
}

/// Which works a [`WorksLayer`] shows, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorksView {
    /// Every work, with its own geometry.
    All,
    /// Environment works only.
    Environment,
    /// Every work as the network edges its effects touch.
    Footprints,
}

/// Works from the engine's store.
pub struct WorksLayer {
    engine: Engine,
    view: WorksView,
    info: LayerInfo,
}

impl WorksLayer {
    /// A works layer of a view.
    pub fn new(engine: Engine, view: WorksView) -> Self {
        let (id, title, description, geometry_type) = match view {
            WorksView::All => (
                "works",
                "Works",
                "Road, bridge and environment works of the city plan, with status and dates \
                 (valid time = the construction window; filter with datetime).",
                "Geometry",
            ),
            WorksView::Environment => (
                "environment-works",
                "Environment works",
                "Pipe renewal, greening, river restoration, water-source protection, wetlands \
                 and outfall clean-up works.",
                "Geometry",
            ),
            WorksView::Footprints => (
                "work-footprints",
                "Work footprints",
                "The road segments each work's effects touch on the network served.",
                "MultiLineString",
            ),
        };
        WorksLayer {
            engine,
            view,
            info: LayerInfo {
                id,
                title,
                description,
                geometry_type,
                properties: work_properties(),
                dated: false,
                min_zoom: 0,
            },
        }
    }
}

impl Layer for WorksLayer {
    fn info(&self) -> &LayerInfo {
        &self.info
    }
    fn features(&self, _date: Option<NaiveDate>) -> Result<Arc<Vec<Feature>>> {
        let works = self.engine.list_works(&WorkFilter::default())?;
        let mut out = Vec::with_capacity(works.len());
        for w in &works {
            let g = match self.view {
                WorksView::All => w.geometry.as_ref().and_then(geometry),
                WorksView::Environment if is_environment(w.kind) => {
                    w.geometry.as_ref().and_then(geometry)
                }
                WorksView::Environment => None,
                WorksView::Footprints => {
                    let d = self.engine.get_work(&w.id)?;
                    let net = &self.engine.network;
                    let mut lines = Vec::new();
                    for &e in &d.edges {
                        let edge = net.try_edge(e)?;
                        if edge.twin.is_some_and(|t| t < e && d.edges.contains(&t)) {
                            continue;
                        }
                        lines.push(edge.geometry.clone());
                    }
                    (!lines.is_empty()).then(|| MultiLineString(lines).into())
                }
            };
            if let Some(g) = g {
                out.push(Feature::new(w.id.as_str(), g, work_props(w)).with_valid(valid(w)));
            }
        }
        Ok(Arc::new(out))
    }
}

/// The choke points.
pub struct HotspotsLayer {
    engine: Engine,
    info: LayerInfo,
}

impl HotspotsLayer {
    /// The layer.
    pub fn new(engine: Engine) -> Self {
        use PropKind::*;
        HotspotsLayer {
            engine,
            info: LayerInfo {
                id: "hotspots",
                title: "Choke points",
                description: "The traffic choke points: the plan's named ones (seed:P6) and \
                              model-identified ones (model:…), with status.",
                geometry_type: "Point",
                properties: vec![
                    prop("id", String, "choke point id"),
                    prop("number", Integer, "1–15, in id order"),
                    prop("name_zh", String, "Chinese name"),
                    prop("name_en", String, "English name"),
                    prop(
                        "kind",
                        String,
                        "intersection, bridge_approach, bottleneck, rail_crossing",
                    ),
                    prop("status", String, "congested, being_opened, opened"),
                    prop("opened_by", String, "work that opens it"),
                    prop("rank", Integer, "rank among model candidates (1 = worst)"),
                    prop("evidence", String, "seed:P6 or model:<method>"),
                    prop("version", Integer, "version for If-Match"),
                ],
                dated: false,
                min_zoom: 0,
            },
        }
    }
}

impl Layer for HotspotsLayer {
    fn info(&self) -> &LayerInfo {
        &self.info
    }
    fn features(&self, _date: Option<NaiveDate>) -> Result<Arc<Vec<Feature>>> {
        let mut hs = self.engine.list_hotspots()?;
        hs.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        let out = hs
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let mut p = Map::new();
                p.insert("id".into(), Value::from(h.id.as_str()));
                p.insert("number".into(), Value::from(i + 1));
                p.insert("name_zh".into(), Value::from(h.name_zh.as_str()));
                p.insert("name_en".into(), Value::from(h.name_en.as_str()));
                p.insert("kind".into(), serde_json::json!(h.kind));
                p.insert("status".into(), serde_json::json!(h.status));
                if let Some(w) = &h.opened_by {
                    p.insert("opened_by".into(), Value::from(w.as_str()));
                }
                if let Some(r) = h.rank {
                    p.insert("rank".into(), Value::from(r));
                }
                p.insert("evidence".into(), Value::from(h.evidence.as_str()));
                p.insert("version".into(), Value::from(h.version));
                Feature::new(h.id.as_str(), Point(coord(&h.at)).into(), p)
            })
            .collect();
        Ok(Arc::new(out))
    }
}

/// Network changes on a date: closed edges and opened (new) links, both directions of a road
/// merged. Without a date: today (UTC).
pub struct ClosuresLayer {
    engine: Engine,
    info: LayerInfo,
}

impl ClosuresLayer {
    /// The layer.
    pub fn new(engine: Engine) -> Self {
        use PropKind::*;
        ClosuresLayer {
            engine,
            info: LayerInfo {
                id: "closures",
                title: "Closures and new links on a date",
                description: "Road segments closed by works on the date (change=closed) and new \
                              links open on it (change=opened). Pass date=YYYY-MM-DD; default \
                              today.",
                geometry_type: "LineString",
                properties: vec![
                    prop("edge_id", Integer, "directed edge id"),
                    prop("change", String, "closed or opened"),
                    prop("name_zh", String, "Chinese street name"),
                    prop("name_en", String, "English street name"),
                    prop("date", String, "the date of the state"),
                    prop("source", String, "provenance of the road"),
                ],
                dated: true,
                min_zoom: 0,
            },
        }
    }
}

impl Layer for ClosuresLayer {
    fn info(&self) -> &LayerInfo {
        &self.info
    }
    fn features(&self, date: Option<NaiveDate>) -> Result<Arc<Vec<Feature>>> {
        let date = date.unwrap_or_else(|| chrono::Utc::now().date_naive());
        let state = self.engine.state_on(date)?;
        let net = &self.engine.network;
        let mut out = Vec::new();
        for (change, edges) in [
            ("closed", state.closed_edges()),
            ("opened", state.opened_edges()),
        ] {
            for &e in &edges {
                let edge = net.try_edge(e)?;
                if edge.twin.is_some_and(|t| t < e && edges.contains(&t)) {
                    continue;
                }
                let s = net.street(edge.street);
                let mut p = Map::new();
                p.insert("edge_id".into(), Value::from(e.0));
                p.insert("change".into(), Value::from(change));
                p.insert("name_zh".into(), Value::from(s.name_zh.as_str()));
                p.insert("name_en".into(), Value::from(s.name_en.as_str()));
                p.insert("date".into(), Value::from(date.to_string()));
                p.insert("source".into(), Value::from(&*edge.source));
                out.push(Feature::new(
                    e.0.to_string(),
                    edge.geometry.clone().into(),
                    p,
                ));
            }
        }
        Ok(Arc::new(out))
    }
}

/// Checks that the engine has a works store (the works layers need one).
pub fn has_store(engine: &Engine) -> bool {
    engine.store().is_ok()
}

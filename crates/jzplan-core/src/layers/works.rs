//! Layers of the works side of the engine: works, their footprints on the network, the
//! environment works, the choke points, the network changes (closures, new links) on a date
//! and the detours around that day's closures. They read the store on every call, so changes
//! made through the API show at once.

use super::LayerData;
use super::{DateInterval, Feature, Layer, LayerInfo, PropKind, PropertyDef, prop, round2};
use crate::Result;
use crate::analysis::detour::Detour;
use crate::network::EdgeId;
use crate::works::{Action, LonLat, Phase, Work, WorkFilter, WorkGeometry, WorkKind};
use chrono::NaiveDate;
use geo_types::{Coord, Geometry, LineString, MultiLineString, Point, Polygon};
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex};

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
            Date,
            "first day on site (actual where known), YYYY-MM-DD",
        ),
        prop(
            "end",
            Date,
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
    /// Every work, with its own geometry (points, lines and areas mixed: the `works` alias).
    All,
    /// Environment works only, own geometry, mixed (the `environment-works` alias).
    Environment,
    /// Every work as the network edges its effects touch.
    Footprints,
    /// The works of a set whose own geometry is of one family: what GIS clients open.
    Family(WorksSet, Family),
}

/// A set of works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorksSet {
    /// Every work.
    All,
    /// Environment works ([`is_environment`]).
    Environment,
}

/// A geometry family: GeoPackage, Shapefile and QGIS hold one per layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Points (a choke point, an interchange).
    Points,
    /// Lines, every one a MultiLineString (a street, a bridge, a pipe).
    Lines,
    /// Areas (a park, a wetland, a protection zone).
    Areas,
}

impl Family {
    /// The work geometry of this family, in the family's one type (a LineString becomes a
    /// MultiLineString of one line); `None` for a geometry of another family.
    pub fn geometry(self, g: &WorkGeometry) -> Option<Geometry<f64>> {
        let line = |l: &[[f64; 2]]| LineString(l.iter().map(coord).collect());
        match (self, g) {
            (Family::Points, WorkGeometry::Point(p)) => Some(Point(coord(p)).into()),
            (Family::Lines, WorkGeometry::LineString(l)) => {
                Some(MultiLineString(vec![line(l)]).into())
            }
            (Family::Lines, WorkGeometry::MultiLineString(ls)) => {
                Some(MultiLineString(ls.iter().map(|l| line(l)).collect()).into())
            }
            (Family::Areas, WorkGeometry::Polygon(_)) => geometry(g),
            _ => None,
        }
    }
}

/// Id, title, description and geometry type of each view.
fn view_info(view: WorksView) -> (&'static str, &'static str, &'static str, &'static str) {
    use Family::*;
    use WorksSet::Environment as Env;
    match view {
        WorksView::All => (
            "works",
            "Works (all geometries; alias)",
            concat!(
                "Road, bridge and environment works of the city plan, with status and dates \
                 (valid time = the construction window; filter with datetime).",
                " Alias kept for old links and the web map: points, lines and areas mixed in \
                 one collection, which GIS clients split or refuse; open works-points, \
                 works-lines and works-areas instead."
            ),
            "Geometry",
        ),
        WorksView::Environment => (
            "environment-works",
            "Environment works (all geometries; alias)",
            concat!(
                "Pipe renewal, greening, river restoration, water-source protection, wetlands \
                 and outfall clean-up works.",
                " Alias kept for old links and the web map: points, lines and areas mixed in \
                 one collection, which GIS clients split or refuse; open \
                 environment-works-points, environment-works-lines and environment-works-areas \
                 instead."
            ),
            "Geometry",
        ),
        WorksView::Footprints => (
            "work-footprints",
            "Work footprints",
            "The road segments each work's effects touch on the network served.",
            "MultiLineString",
        ),
        WorksView::Family(WorksSet::All, Points) => (
            "works-points",
            "Works drawn as points",
            "Works of the city plan whose site is a point (an interchange, a choke point), \
             with status and dates (valid time = the construction window; filter with \
             datetime).",
            "Point",
        ),
        WorksView::Family(WorksSet::All, Lines) => (
            "works-lines",
            "Works drawn as lines",
            "Works of the city plan drawn along a line (bridges, new and widened roads, the \
             ring road, pipes), with status and dates (valid time = the construction window; \
             filter with datetime).",
            "MultiLineString",
        ),
        WorksView::Family(WorksSet::All, Areas) => (
            "works-areas",
            "Works drawn as areas",
            "Works of the city plan that cover an area (parks, wetlands, protection zones), \
             with status and dates (valid time = the construction window; filter with \
             datetime).",
            "Polygon",
        ),
        WorksView::Family(Env, Points) => (
            "environment-works-points",
            "Environment works drawn as points",
            "Environment works (pipes, greening, rivers, water sources, wetlands, outfalls) \
             whose site is a point.",
            "Point",
        ),
        WorksView::Family(Env, Lines) => (
            "environment-works-lines",
            "Environment works drawn as lines",
            "Environment works drawn along a line (pipe renewals, river courses).",
            "MultiLineString",
        ),
        WorksView::Family(Env, Areas) => (
            "environment-works-areas",
            "Environment works drawn as areas",
            "Environment works that cover an area (greening, water-source protection, \
             wetlands).",
            "Polygon",
        ),
    }
}

/// Works from the engine's store.
pub struct WorksLayer {
    data: LayerData,
    view: WorksView,
    info: LayerInfo,
}

impl WorksLayer {
    /// A works layer of a view.
    pub fn new(data: LayerData, view: WorksView) -> Self {
        let (id, title, description, geometry_type) = view_info(view);
        WorksLayer {
            data,
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
        let works = self.data.list_works(&WorkFilter::default())?;
        let mut out = Vec::with_capacity(works.len());
        for w in &works {
            let g = match self.view {
                WorksView::All => w.geometry.as_ref().and_then(geometry),
                WorksView::Environment if is_environment(w.kind) => {
                    w.geometry.as_ref().and_then(geometry)
                }
                WorksView::Environment => None,
                WorksView::Family(set, family) => {
                    if set == WorksSet::Environment && !is_environment(w.kind) {
                        None
                    } else {
                        w.geometry.as_ref().and_then(|g| family.geometry(g))
                    }
                }
                WorksView::Footprints => {
                    let d = self.data.get_work(&w.id)?;
                    let net = &self.data.network;
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
    data: LayerData,
    info: LayerInfo,
}

impl HotspotsLayer {
    /// The layer.
    pub fn new(data: LayerData) -> Self {
        use PropKind::*;
        HotspotsLayer {
            data,
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
                    prop(
                        "source",
                        String,
                        "where the record comes from (as evidence)",
                    ),
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
        let mut hs = self.data.list_hotspots()?;
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
                p.insert("source".into(), Value::from(h.evidence.as_str()));
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
    data: LayerData,
    info: LayerInfo,
}

impl ClosuresLayer {
    /// The layer.
    pub fn new(data: LayerData) -> Self {
        use PropKind::*;
        ClosuresLayer {
            data,
            info: LayerInfo {
                id: "closures",
                title: "Closures and new links on a date",
                description: "Road segments closed on the date (change=closed: by a work on \
                              site, cause=construction, or for good after a completed work, \
                              cause=removed) and new links open on it (change=opened, \
                              cause=new_link), with the works that do it. Pass date=YYYY-MM-DD; \
                              default today.",
                geometry_type: "LineString",
                properties: vec![
                    prop("edge_id", Integer, "directed edge id"),
                    prop("change", String, "closed or opened"),
                    prop(
                        "cause",
                        String,
                        "construction (closed while a work is on site), removed (taken out \
                         for good by a completed work: a road replaced by a new alignment) or \
                         new_link (opened by a completed work)",
                    ),
                    prop(
                        "works",
                        String,
                        "ids of the works that make the change, comma-separated",
                    ),
                    prop("name_zh", String, "Chinese street name"),
                    prop("name_en", String, "English street name"),
                    prop("date", Date, "the date of the state"),
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
        let date = date.unwrap_or_else(super::today);
        let state = self.data.state_on(date)?;
        let effects = self.data.resolved_effects()?;
        let net = &self.data.network;
        // Which works in force change an edge, and how: closed while on site, removed for good
        // after completion (a road replaced by a new alignment), or opened as a new link.
        let mut causes: std::collections::HashMap<EdgeId, (&str, Vec<&str>)> = Default::default();
        for (id, eff) in state.active.effects_in_force(&effects) {
            let cause = match (&eff.action, eff.phase) {
                (Action::Close, _) => "construction",
                (Action::Remove, Phase::Completion) => "removed",
                (Action::OpenLink, Phase::Completion) => "new_link",
                _ => continue,
            };
            for &e in &eff.edges {
                causes
                    .entry(e)
                    .or_insert((cause, Vec::new()))
                    .1
                    .push(id.as_str());
            }
        }
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
                if let Some((cause, works)) = causes.get(&e) {
                    let mut works = works.clone();
                    works.sort_unstable();
                    works.dedup();
                    p.insert("cause".into(), Value::from(*cause));
                    p.insert("works".into(), Value::from(works.join(",")));
                }
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
pub fn has_store(data: &LayerData) -> bool {
    data.store().is_ok()
}

/// Identifies the state of the stored works (their ids and versions): a dated layer cached
/// under it changes as soon as a work is changed through the API.
pub fn works_version(data: &LayerData) -> Result<u64> {
    data.works.works_version()
}

/// How many (date, works version) keys keep their detours in memory.
const DETOUR_CACHE: usize = 16;

type DetourCache = Vec<((NaiveDate, u64), Arc<Vec<Feature>>)>;

/// Detours on a date: for every stretch of road closed that day, the fastest way around it on
/// the network as it stands that day (all closures of the day in force, new links open).
/// Cached per date and per state of the works (a change through the API shows at once).
pub struct DetoursLayer {
    data: LayerData,
    info: LayerInfo,
    cache: Mutex<DetourCache>,
}

impl DetoursLayer {
    /// The layer.
    pub fn new(data: LayerData) -> Self {
        use PropKind::*;
        DetoursLayer {
            data,
            info: LayerInfo {
                id: "detours",
                title: "Detours on a date",
                description: "For every stretch closed by works on the date, the fastest way \
                              from one end to the other on the network of that day (every \
                              closure of the day in force, new links open), drawn along the \
                              roads; a stretch with no way around (outcome cut_off) or with \
                              one way in (dead_end) is drawn itself, with detour_s empty and a \
                              reason. Free-flow times, no turn costs: a \
                              model, not observed traffic. Pass date=YYYY-MM-DD (or a one-day \
                              datetime); default today.",
                geometry_type: "LineString",
                properties: vec![
                    prop(
                        "id",
                        String,
                        "detour id: <work>.<n>, n-th closed stretch of the work",
                    ),
                    prop("work", String, "id of the work that closes the stretch"),
                    prop("name", String, "work name, Chinese / English"),
                    prop("name_zh", String, "work name, Chinese"),
                    prop("name_en", String, "work name, English"),
                    prop("closed_streets", String, "streets closed, comma-separated"),
                    prop(
                        "via_streets",
                        String,
                        "streets of the detour in driving order (→)",
                    ),
                    prop(
                        "base_s",
                        Number,
                        "free-flow seconds end to end with the stretch open",
                    ),
                    prop(
                        "detour_s",
                        Number,
                        "free-flow seconds of the detour (empty: none)",
                    ),
                    prop("extra_s", Number, "detour_s - base_s, seconds"),
                    prop("base_m", Number, "metres end to end with the stretch open"),
                    prop("detour_m", Number, "metres of the detour"),
                    prop(
                        "outcome",
                        String,
                        "detour; cut_off (no way around) or dead_end (nothing to divert): \
                         then the geometry is the closed stretch",
                    ),
                    prop("reason", String, "why there is no detour"),
                    prop("date", Date, "the date of the network state"),
                    prop("source", String, "model:<method> on the network of <date>"),
                ],
                dated: true,
                min_zoom: 0,
            },
            cache: Mutex::new(Vec::new()),
        }
    }
}

/// A detour as a map feature (what the `detours` layer and `works detours --geojson` give).
pub fn detour_feature(d: &Detour) -> Feature {
    let line = |pts: &[LonLat]| LineString(pts.iter().map(coord).collect());
    let geometry = if d.geometry.len() >= 2 {
        line(&d.geometry)
    } else if d.base_geometry.len() >= 2 {
        line(&d.base_geometry)
    } else {
        line(&[d.from, d.to])
    };
    let num = |x: Option<f64>| x.map(round2).map_or(Value::Null, Value::from);
    let mut p = Map::new();
    p.insert("id".into(), Value::from(d.id.as_str()));
    p.insert("work".into(), Value::from(d.work.as_str()));
    let name = match (d.name_zh.is_empty(), d.name_en.is_empty()) {
        (false, false) => format!("{} / {}", d.name_zh, d.name_en),
        (false, true) => d.name_zh.clone(),
        _ => d.name_en.clone(),
    };
    p.insert("name".into(), Value::from(name));
    p.insert("name_zh".into(), Value::from(d.name_zh.as_str()));
    p.insert("name_en".into(), Value::from(d.name_en.as_str()));
    p.insert("closed_streets".into(), Value::from(d.streets.join(", ")));
    p.insert("via_streets".into(), Value::from(d.via.join(" → ")));
    p.insert("base_s".into(), num(d.base_s));
    p.insert("detour_s".into(), num(d.detour_s));
    p.insert("extra_s".into(), num(d.extra_s));
    p.insert("base_m".into(), num(d.base_m));
    p.insert("detour_m".into(), num(d.detour_m));
    p.insert("outcome".into(), serde_json::json!(d.outcome));
    if let Some(r) = &d.reason {
        p.insert("reason".into(), Value::from(r.as_str()));
    }
    if let Some(day) = d.date {
        p.insert("date".into(), Value::from(day.to_string()));
    }
    p.insert("source".into(), Value::from(d.source.as_str()));
    let f = Feature::new(d.id.as_str(), geometry.into(), p);
    match d.date {
        Some(day) => f.with_valid(DateInterval::day(day)),
        None => f,
    }
}

impl Layer for DetoursLayer {
    fn info(&self) -> &LayerInfo {
        &self.info
    }
    fn features(&self, date: Option<NaiveDate>) -> Result<Arc<Vec<Feature>>> {
        let date = date.unwrap_or_else(super::today);
        let key = (date, works_version(&self.data)?);
        {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((_, f)) = cache.iter().find(|(k, _)| *k == key) {
                return Ok(f.clone());
            }
        }
        let features: Arc<Vec<Feature>> = Arc::new(
            self.data
                .detours_on(date)?
                .iter()
                .map(detour_feature)
                .collect(),
        );
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if !cache.iter().any(|(k, _)| *k == key) {
            if cache.len() >= DETOUR_CACHE {
                cache.remove(0);
            }
            cache.push((key, features.clone()));
        }
        Ok(features)
    }
}

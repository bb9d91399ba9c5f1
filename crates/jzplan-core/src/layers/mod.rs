//! Map layers: one [`Layer`] trait whose features (geometry + properties + valid time) feed both
//! the OGC API – Features collections and the vector tiles of the HTTP API, and the viewer.
//!
//! A layer answers its whole feature set (for a date, if it depends on one); [`query`] filters
//! it by bbox, time interval and property values and cuts a page. City layers hold a few
//! thousand features at most, so a linear scan over pre-computed bounding boxes is fast enough
//! and keeps every layer simple; a layer with millions of features would add its own index.

pub mod city;
pub mod flows;
pub mod moratoria;
pub mod mvt;
pub mod network;
pub mod schema;
pub mod works;

use crate::network::RoadNetwork;
use crate::works::engine::WorksBook;
use crate::{Error, Result};
use chrono::NaiveDate;
use geo::{BoundingRect, Intersects};
use geo_types::{Coord, Geometry, Rect};
use serde_json::{Map, Value};
use std::sync::Arc;

/// A time interval with open or closed ends (whole days), as in OGC `datetime`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DateInterval {
    /// First day, `None` = open start.
    pub start: Option<NaiveDate>,
    /// Last day (inclusive), `None` = open end.
    pub end: Option<NaiveDate>,
}

impl DateInterval {
    /// One day.
    pub fn day(d: NaiveDate) -> Self {
        DateInterval {
            start: Some(d),
            end: Some(d),
        }
    }

    /// Do two intervals share at least one day?
    pub fn overlaps(&self, o: &DateInterval) -> bool {
        let starts_before_other_ends = match (self.start, o.end) {
            (Some(s), Some(e)) => s <= e,
            _ => true,
        };
        let other_starts_before_end = match (o.start, self.end) {
            (Some(s), Some(e)) => s <= e,
            _ => true,
        };
        starts_before_other_ends && other_starts_before_end
    }

    /// Parses an OGC API `datetime`: an instant (`2026-05-01` or `2026-05-01T08:00:00Z`) or an
    /// interval `start/end` where either end may be `..` or empty (open). Times are cut to days.
    pub fn parse_ogc(s: &str) -> Result<DateInterval> {
        let s = s.trim();
        let end_of = |part: &str| -> Result<Option<NaiveDate>> {
            let part = part.trim();
            if part.is_empty() || part == ".." {
                return Ok(None);
            }
            parse_day(part).map(Some)
        };
        match s.split_once('/') {
            None => Ok(DateInterval::day(parse_day(s)?)),
            Some((a, b)) => {
                let iv = DateInterval {
                    start: end_of(a)?,
                    end: end_of(b)?,
                };
                if let (Some(a), Some(b)) = (iv.start, iv.end)
                    && a > b
                {
                    return Err(Error::invalid(format!(
                        "datetime '{s}': the start is after the end"
                    )));
                }
                Ok(iv)
            }
        }
    }
}

/// Parses `YYYY-MM-DD` or an RFC 3339 timestamp into its day.
pub fn parse_day(s: &str) -> Result<NaiveDate> {
    let day = s.get(..10).unwrap_or(s);
    let ok_tail = s.len() == 10
        || s.as_bytes()
            .get(10)
            .is_some_and(|c| *c == b'T' || *c == b't');
    match NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        Ok(d) if ok_tail => Ok(d),
        Err(_) if ok_tail && crate::works::looks_like_date(day) => {
            Err(Error::invalid(format!("date '{s}' is not a real date")))
        }
        _ => Err(Error::invalid(format!(
            "date '{s}' is not YYYY-MM-DD or an RFC 3339 date-time"
        ))),
    }
}

/// One feature of a layer.
#[derive(Clone, Debug)]
pub struct Feature {
    /// Id, unique within the layer (an edge id, a work id, ...).
    pub id: String,
    /// Geometry, WGS84 lon/lat.
    pub geometry: Geometry<f64>,
    /// Attribute values (always includes `source` for Jinzhou data).
    pub properties: Map<String, Value>,
    /// When the feature is valid (a work's dates); `None` = always.
    pub valid: Option<DateInterval>,
    bbox: Option<Rect<f64>>,
}

impl Feature {
    /// A feature; its bounding box is computed once here.
    pub fn new(
        id: impl Into<String>,
        geometry: Geometry<f64>,
        properties: Map<String, Value>,
    ) -> Self {
        let bbox = geometry.bounding_rect();
        Feature {
            id: id.into(),
            geometry,
            properties,
            valid: None,
            bbox,
        }
    }

    /// The same feature, valid only in `valid`.
    pub fn with_valid(mut self, valid: DateInterval) -> Self {
        self.valid = Some(valid);
        self
    }

    /// Bounding box of the geometry (`None` for an empty geometry).
    pub fn bbox(&self) -> Option<Rect<f64>> {
        self.bbox
    }

    /// The feature as a GeoJSON Feature object (`id` as a number when it is one, as GDAL
    /// prefers).
    pub fn to_geojson(&self) -> Value {
        let geometry = geojson::Geometry::new(geojson::GeometryValue::from(&self.geometry));
        let id = self
            .id
            .parse::<u64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(self.id.as_str()));
        serde_json::json!({
            "type": "Feature",
            "id": id,
            "geometry": geometry,
            "properties": self.properties,
        })
    }
}

/// Features as a GeoJSON FeatureCollection (RFC 7946, lon/lat).
pub fn feature_collection(features: &[Feature]) -> Value {
    serde_json::json!({
        "type": "FeatureCollection",
        "features": features.iter().map(Feature::to_geojson).collect::<Vec<_>>(),
    })
}

/// Type of a property, for OGC queryables/schemas and TileJSON `vector_layers`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropKind {
    /// Text.
    String,
    /// Whole number.
    Integer,
    /// Real number.
    Number,
    /// true/false.
    Boolean,
    /// A day, `YYYY-MM-DD` (text in GeoJSON; JSON Schema `format: date`).
    Date,
}

impl PropKind {
    /// JSON Schema type name.
    pub fn json_type(self) -> &'static str {
        match self {
            PropKind::String | PropKind::Date => "string",
            PropKind::Integer => "integer",
            PropKind::Number => "number",
            PropKind::Boolean => "boolean",
        }
    }

    /// JSON Schema `format`, where the type alone does not say it (`date`).
    pub fn json_format(self) -> Option<&'static str> {
        (self == PropKind::Date).then_some("date")
    }
}

/// A property every feature of a layer carries.
#[derive(Clone, Debug)]
pub struct PropertyDef {
    /// Name.
    pub name: &'static str,
    /// Type.
    pub kind: PropKind,
    /// What it means (with its unit).
    pub description: &'static str,
}

/// A [`PropertyDef`] in one line, for the property lists of the layers.
pub const fn prop(name: &'static str, kind: PropKind, description: &'static str) -> PropertyDef {
    PropertyDef {
        name,
        kind,
        description,
    }
}

/// Description of a layer.
#[derive(Clone, Debug)]
pub struct LayerInfo {
    /// Id used in URLs (`roads`, `works`, ...).
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// What the layer shows and where its data comes from.
    pub description: &'static str,
    /// GeoJSON geometry type of the features (`LineString`, `Polygon`, `Point`, ...).
    pub geometry_type: &'static str,
    /// Properties of the features.
    pub properties: Vec<PropertyDef>,
    /// The features depend on a `date` (network state on a day, e.g. closures).
    pub dated: bool,
    /// Lowest zoom at which tiles carry this layer.
    pub min_zoom: u8,
}

impl LayerInfo {
    /// The description as served: a dated layer adds which day it shows without a `date`
    /// (today, UTC) — so a client that opens it without one knows the state it sees.
    pub fn description_on(&self, today: NaiveDate) -> String {
        if self.dated {
            format!(
                "{} Without date=YYYY-MM-DD (or a one-day datetime) this collection shows the \
                 state of today, {today} (UTC); every answer names the date it used.",
                self.description
            )
        } else {
            self.description.to_string()
        }
    }
}

/// Today's date (UTC): the state a dated layer shows when no date is asked for.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// A source of features.
pub trait Layer: Send + Sync {
    /// Description.
    fn info(&self) -> &LayerInfo;
    /// All features (for `date`, if the layer is dated; `None` = today's state).
    fn features(&self, date: Option<NaiveDate>) -> Result<Arc<Vec<Feature>>>;
    /// Extent of all features (of today's state for a dated layer).
    fn extent(&self) -> Option<Rect<f64>> {
        self.features(None).ok().and_then(|f| extent_of(&f))
    }
}

/// `x` rounded to 2 decimals (property values: centimetres, hundredths of a second).
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Union of the bounding boxes of some features.
pub fn extent_of(features: &[Feature]) -> Option<Rect<f64>> {
    features.iter().filter_map(|f| f.bbox).reduce(|a, b| {
        Rect::new(
            Coord {
                x: a.min().x.min(b.min().x),
                y: a.min().y.min(b.min().y),
            },
            Coord {
                x: a.max().x.max(b.max().x),
                y: a.max().y.max(b.max().y),
            },
        )
    })
}

/// A layer whose features are computed once.
pub struct StaticLayer {
    info: LayerInfo,
    features: Arc<Vec<Feature>>,
}

impl StaticLayer {
    /// A layer holding `features`.
    pub fn new(info: LayerInfo, features: Vec<Feature>) -> Self {
        StaticLayer {
            info,
            features: Arc::new(features),
        }
    }
}

impl Layer for StaticLayer {
    fn info(&self) -> &LayerInfo {
        &self.info
    }
    fn features(&self, _date: Option<NaiveDate>) -> Result<Arc<Vec<Feature>>> {
        Ok(self.features.clone())
    }
}

/// What to select from a layer.
#[derive(Clone, Debug, Default)]
pub struct FeatureQuery {
    /// Only features whose geometry intersects this rectangle.
    pub bbox: Option<Rect<f64>>,
    /// Only features valid at some day of this interval (features without dates always match).
    pub datetime: Option<DateInterval>,
    /// Network state of a dated layer.
    pub date: Option<NaiveDate>,
    /// Property equality filters (`class=primary`), compared by the property's type (numbers
    /// as numbers: `lanes=2` and `lanes=2.0` are the same filter).
    pub properties: Vec<(String, String)>,
    /// Page size.
    pub limit: usize,
    /// Features to skip.
    pub offset: usize,
}

/// One page of a query.
#[derive(Clone, Debug)]
pub struct Page {
    /// The features of this page.
    pub features: Vec<Feature>,
    /// How many features matched in all.
    pub number_matched: usize,
    /// The day whose state a dated layer answered (today when none was asked for); `None`
    /// for a layer that does not depend on a date.
    pub date: Option<NaiveDate>,
}

/// The text form of a property value, as compared by property filters.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn rects_intersect(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}

/// Does a feature's geometry intersect `r` (OGC `bbox`: the geometry, not its bounding box,
/// must touch the rectangle)? The bounding boxes are compared first, as a quick pre-filter.
fn geometry_intersects(f: &Feature, r: &Rect<f64>) -> bool {
    f.bbox.is_some_and(|fb| rects_intersect(r, &fb)) && f.geometry.intersects(r)
}

/// The value a property filter asks for, read by the type the layer declares for it.
#[derive(Clone, Debug, PartialEq)]
enum Wanted {
    /// Text (strings and dates): compared as text.
    Text(String),
    /// Number or integer: compared numerically (`40` finds `40.0`).
    Number(f64),
    /// true/false.
    Boolean(bool),
}

impl Wanted {
    fn matches(&self, v: &Value) -> bool {
        match self {
            Wanted::Text(t) => value_text(v) == *t,
            Wanted::Number(n) => v.as_f64() == Some(*n),
            Wanted::Boolean(b) => v.as_bool() == Some(*b),
        }
    }
}

/// A query's filters, checked against the layer they run on: property filters name
/// properties of the layer and give values of their types.
pub struct Filter<'q> {
    q: &'q FeatureQuery,
    properties: Vec<(&'q str, Wanted)>,
}

impl<'q> Filter<'q> {
    /// The filters of `q` for the layer `info`, or `InvalidInput` for a property the layer
    /// does not have or a value that is not of the property's type (`lanes=abc`).
    pub fn new(info: &LayerInfo, q: &'q FeatureQuery) -> Result<Filter<'q>> {
        let mut properties = Vec::with_capacity(q.properties.len());
        for (k, v) in &q.properties {
            let Some(def) = info.properties.iter().find(|p| p.name == k) else {
                return Err(Error::invalid(format!(
                    "'{k}' is neither a parameter nor a property of collection '{}'",
                    info.id
                )));
            };
            let wanted = match def.kind {
                PropKind::String | PropKind::Date => Wanted::Text(v.clone()),
                PropKind::Number | PropKind::Integer => match v.trim().parse::<f64>() {
                    Ok(n) if n.is_finite() => Wanted::Number(n),
                    _ => {
                        let a = if def.kind == PropKind::Integer {
                            "an integer"
                        } else {
                            "a number"
                        };
                        return Err(Error::invalid(format!(
                            "{k}='{v}': '{k}' of collection '{}' is {a}",
                            info.id
                        )));
                    }
                },
                PropKind::Boolean => match v.as_str() {
                    "true" => Wanted::Boolean(true),
                    "false" => Wanted::Boolean(false),
                    _ => {
                        return Err(Error::invalid(format!(
                            "{k}='{v}': '{k}' of collection '{}' is true or false",
                            info.id
                        )));
                    }
                },
            };
            properties.push((k.as_str(), wanted));
        }
        Ok(Filter { q, properties })
    }

    /// Does a feature pass the filters (all but paging)?
    pub fn matches(&self, f: &Feature) -> bool {
        if let Some(bb) = &self.q.bbox
            && !geometry_intersects(f, bb)
        {
            return false;
        }
        if let (Some(want), Some(valid)) = (&self.q.datetime, &f.valid)
            && !want.overlaps(valid)
        {
            return false;
        }
        self.properties
            .iter()
            .all(|(k, want)| f.properties.get(*k).is_some_and(|v| want.matches(v)))
    }
}

/// The network state a dated layer answers for a query: `date`, else the day of a one-day
/// `datetime` (what GIS clients send for a time filter), else `None` (today).
pub fn state_date(info: &LayerInfo, q: &FeatureQuery) -> Option<NaiveDate> {
    if !info.dated {
        return None;
    }
    q.date.or_else(|| {
        q.datetime
            .filter(|iv| iv.start.is_some() && iv.start == iv.end)
            .and_then(|iv| iv.start)
    })
}

/// Refuses a `datetime` that is not one day on a dated layer: its features are the network
/// state of one day, so an interval has no answer (it would otherwise show today's).
fn check_one_day(info: &LayerInfo, q: &FeatureQuery) -> Result<()> {
    match q.datetime {
        Some(iv) if info.dated && !(iv.start.is_some() && iv.start == iv.end) => {
            Err(Error::invalid(format!(
                "collection '{}' shows the network of one day: give datetime=YYYY-MM-DD \
                 (or date=YYYY-MM-DD), not an interval",
                info.id
            )))
        }
        _ => Ok(()),
    }
}

/// [`state_date`] with today filled in for a dated layer: the day whose state it shows.
pub fn resolved_date(info: &LayerInfo, q: &FeatureQuery) -> Option<NaiveDate> {
    info.dated
        .then(|| state_date(info, q).unwrap_or_else(today))
}

/// Runs a query on a layer. Property filters must name properties of the layer and give
/// values of their types; a dated layer takes a one-day `datetime` only.
pub fn query(layer: &dyn Layer, q: &FeatureQuery) -> Result<Page> {
    let info = layer.info();
    let filter = Filter::new(info, q)?;
    if q.date.is_some() && !info.dated {
        return Err(Error::invalid(format!(
            "collection '{}' does not depend on a date; use datetime to filter by time",
            info.id
        )));
    }
    check_one_day(info, q)?;
    let date = resolved_date(info, q);
    let all = layer.features(date)?;
    let mut number_matched = 0;
    let mut features = Vec::with_capacity(q.limit.min(all.len()));
    for f in all.iter().filter(|f| filter.matches(f)) {
        if number_matched >= q.offset && features.len() < q.limit {
            features.push(f.clone());
        }
        number_matched += 1;
    }
    Ok(Page {
        features,
        number_matched,
        date,
    })
}

/// What the layers read: the network and the works held by the engine (the two shared parts
/// of an [`Engine`](crate::engine::Engine), which builds it). The layers sit above the works
/// and the analyses and below the engine's facade, which lists them
/// ([`Engine::layers`](crate::engine::Engine::layers)).
#[derive(Clone)]
pub struct LayerData {
    /// The network served (planned links included).
    pub network: Arc<RoadNetwork>,
    /// The works, choke points and scenarios on it.
    pub works: Arc<WorksBook>,
}

impl LayerData {
    fn store(&self) -> Result<&dyn crate::store::Store> {
        self.works.store()
    }
    fn list_works(&self, f: &crate::works::WorkFilter) -> Result<Vec<crate::works::Work>> {
        self.works.list_works(f)
    }
    fn get_work(&self, id: &crate::works::WorkId) -> Result<crate::works::engine::WorkDetail> {
        self.works.get_work(&self.network, id)
    }
    fn list_hotspots(&self) -> Result<Vec<crate::hotspot::Hotspot>> {
        self.works.list_hotspots()
    }
    fn resolved_effects(
        &self,
    ) -> Result<std::collections::HashMap<crate::works::WorkId, Vec<crate::works::ResolvedEffect>>>
    {
        self.works.resolved_effects(&self.network)
    }
    fn state_on(&self, date: NaiveDate) -> Result<crate::scenario::NetworkState<'_>> {
        self.works.state_on(&self.network, date)
    }
    fn detours_on(&self, date: NaiveDate) -> Result<Vec<crate::analysis::detour::Detour>> {
        crate::analysis::stored::detours_on(&self.network, &self.works, date)
    }
    fn impact_demand(&self, gap: f64) -> Result<crate::analysis::impact::Demand> {
        crate::analysis::impact::demand_on(&self.network, None, gap)
    }
}

/// The layers the server publishes, in display order, and the aliases kept for old links
/// (reachable by id, not listed: a GIS client listing the collections sees only layers of one
/// geometry family).
#[derive(Clone, Default)]
pub struct Catalog {
    layers: Vec<Arc<dyn Layer>>,
    aliases: Vec<Arc<dyn Layer>>,
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Catalog::default()
    }

    /// Adds a layer (replacing one with the same id).
    pub fn add(&mut self, layer: Arc<dyn Layer>) {
        let id = layer.info().id;
        self.layers.retain(|l| l.info().id != id);
        self.aliases.retain(|l| l.info().id != id);
        self.layers.push(layer);
    }

    /// Adds an alias: a layer served under an old id but not listed (see [`Catalog`]).
    pub fn add_alias(&mut self, layer: Arc<dyn Layer>) {
        let id = layer.info().id;
        self.layers.retain(|l| l.info().id != id);
        self.aliases.retain(|l| l.info().id != id);
        self.aliases.push(layer);
    }

    /// The aliases.
    pub fn aliases(&self) -> &[Arc<dyn Layer>] {
        &self.aliases
    }

    /// Every layer that can be built from what the engine holds.
    pub fn of(data: &LayerData) -> Result<Catalog> {
        let mut c = Catalog::new();
        c.add(Arc::new(network::RoadsLayer::new(data.network.clone())));
        if works::has_store(data) {
            use works::{Family, WorksLayer, WorksSet, WorksView};
            for set in [WorksSet::All, WorksSet::Environment] {
                for family in [Family::Lines, Family::Points, Family::Areas] {
                    let view = WorksView::Family(set, family);
                    c.add(Arc::new(WorksLayer::new(data.clone(), view)));
                }
            }
            c.add(Arc::new(WorksLayer::new(
                data.clone(),
                WorksView::Footprints,
            )));
            c.add_alias(Arc::new(WorksLayer::new(data.clone(), WorksView::All)));
            c.add_alias(Arc::new(WorksLayer::new(
                data.clone(),
                WorksView::Environment,
            )));
            c.add(Arc::new(works::HotspotsLayer::new(data.clone())));
            c.add(Arc::new(works::ClosuresLayer::new(data.clone())));
            c.add(Arc::new(works::DetoursLayer::new(data.clone())));
            c.add(Arc::new(moratoria::MoratoriaLayer::new(data.clone())));
        }
        Ok(c)
    }

    /// [`Catalog::of`] plus the layers of the embedded Jinzhou dataset (rivers,
    /// districts, points of interest, coastline): for a server on the Jinzhou network.
    pub fn jinzhou(data: &LayerData) -> Result<Catalog> {
        let mut c = Catalog::of(data)?;
        c.add(Arc::new(city::districts()?));
        c.add(Arc::new(city::rivers()?));
        c.add(Arc::new(city::coastline()?));
        c.add(Arc::new(city::pois()?));
        // Flows need the works store (network on a date) and the Jinzhou zones.
        if works::has_store(data) {
            c.add(Arc::new(flows::FlowsLayer::new(data.clone())));
        }
        Ok(c)
    }

    /// The layers listed (aliases not included).
    pub fn layers(&self) -> &[Arc<dyn Layer>] {
        &self.layers
    }

    /// A layer or an alias by id, or `NotFound`.
    pub fn get(&self, id: &str) -> Result<&Arc<dyn Layer>> {
        self.layers
            .iter()
            .chain(&self.aliases)
            .find(|l| l.info().id == id)
            .ok_or_else(|| Error::not_found("collection", id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{Point, point};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn layer() -> StaticLayer {
        let info = LayerInfo {
            id: "pts",
            title: "points",
            description: "test",
            geometry_type: "Point",
            properties: vec![PropertyDef {
                name: "kind",
                kind: PropKind::String,
                description: "a or b",
            }],
            dated: false,
            min_zoom: 0,
        };
        let mut fs = Vec::new();
        for i in 0..10 {
            let mut p = Map::new();
            p.insert(
                "kind".into(),
                Value::from(if i % 2 == 0 { "a" } else { "b" }),
            );
            let g: Point<f64> = point!(x: i as f64, y: 0.0);
            let mut f = Feature::new(i.to_string(), g.into(), p);
            if i == 3 {
                f = f.with_valid(DateInterval {
                    start: Some(d("2026-01-01")),
                    end: Some(d("2026-06-30")),
                });
            }
            fs.push(f);
        }
        StaticLayer::new(info, fs)
    }

    #[test]
    fn filters_by_bbox_property_time_and_pages() {
        let l = layer();
        let q = FeatureQuery {
            bbox: Some(Rect::new(
                Coord { x: 1.5, y: -1.0 },
                Coord { x: 6.5, y: 1.0 },
            )),
            limit: 2,
            offset: 1,
            ..Default::default()
        };
        let p = query(&l, &q).unwrap();
        assert_eq!(p.number_matched, 5); // 2,3,4,5,6
        let ids: Vec<_> = p.features.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["3", "4"]);

        let q = FeatureQuery {
            properties: vec![("kind".into(), "b".into())],
            datetime: Some(DateInterval::parse_ogc("2027-01-01").unwrap()),
            limit: 100,
            ..Default::default()
        };
        let p = query(&l, &q).unwrap();
        // b = 1,3,5,7,9; 3 is only valid in the first half of 2026.
        assert_eq!(p.number_matched, 4);

        let bad = FeatureQuery {
            properties: vec![("colour".into(), "red".into())],
            limit: 10,
            ..Default::default()
        };
        assert!(matches!(query(&l, &bad), Err(Error::InvalidInput(_))));
    }

    /// A layer of one feature of each geometry kind, with a number, an integer and a boolean.
    fn shapes(dated: bool) -> StaticLayer {
        use geo_types::{LineString, MultiPoint, Polygon, line_string, polygon};
        let info = LayerInfo {
            id: "shapes",
            title: "shapes",
            description: "test",
            geometry_type: "Geometry",
            properties: vec![
                prop("speed", PropKind::Number, "km/h"),
                prop("lanes", PropKind::Integer, "lanes"),
                prop("oneway", PropKind::Boolean, "one way"),
                prop("name", PropKind::String, "name"),
            ],
            dated,
            min_zoom: 0,
        };
        let props = |speed: f64, lanes: u32, oneway: bool, name: &str| {
            let mut p = Map::new();
            p.insert("speed".into(), Value::from(speed));
            p.insert("lanes".into(), Value::from(lanes));
            p.insert("oneway".into(), Value::from(oneway));
            p.insert("name".into(), Value::from(name));
            p
        };
        // The diagonal from (0,0) to (10,10): its bounding box holds (9,1), the line does not.
        let diagonal: LineString<f64> = line_string![(x: 0.0, y: 0.0), (x: 10.0, y: 10.0)];
        // A triangle with corners (20,0), (30,0), (20,10): (29,9) is in its box, not in it.
        let triangle: Polygon<f64> =
            polygon![(x: 20.0, y: 0.0), (x: 30.0, y: 0.0), (x: 20.0, y: 10.0)];
        // Two points far apart: their box holds (45,5), neither point is there.
        let pair = MultiPoint::from(vec![(40.0, 0.0), (50.0, 10.0)]);
        StaticLayer::new(
            info,
            vec![
                Feature::new("line", diagonal.into(), props(40.0, 2, true, "40")),
                Feature::new("area", triangle.into(), props(60.5, 4, false, "60.5")),
                Feature::new("pair", pair.into(), props(40.0, 1, false, "pair")),
            ],
        )
    }

    fn ids(l: &StaticLayer, q: FeatureQuery) -> Vec<String> {
        let q = FeatureQuery { limit: 100, ..q };
        let p = query(l, &q).unwrap();
        p.features.into_iter().map(|f| f.id).collect()
    }

    fn around(x: f64, y: f64) -> FeatureQuery {
        FeatureQuery {
            bbox: Some(Rect::new(
                Coord {
                    x: x - 0.1,
                    y: y - 0.1,
                },
                Coord {
                    x: x + 0.1,
                    y: y + 0.1,
                },
            )),
            ..Default::default()
        }
    }

    #[test]
    fn bbox_selects_by_the_geometry_not_its_bounding_box() {
        let l = shapes(false);
        // Inside each feature's bounding box but off the feature itself.
        assert!(ids(&l, around(9.0, 1.0)).is_empty());
        assert!(ids(&l, around(29.0, 9.0)).is_empty());
        assert!(ids(&l, around(45.0, 5.0)).is_empty());
        // On the line, inside the triangle, at one of the points.
        assert_eq!(ids(&l, around(5.0, 5.0)), ["line"]);
        assert_eq!(ids(&l, around(22.0, 2.0)), ["area"]);
        assert_eq!(ids(&l, around(50.0, 10.0)), ["pair"]);
        // A box holding a whole feature, and one spanning them all.
        assert_eq!(ids(&l, around(40.0, 0.0)), ["pair"]);
        let all = FeatureQuery {
            bbox: Some(Rect::new(
                Coord { x: -1.0, y: -1.0 },
                Coord { x: 60.0, y: 1.0 },
            )),
            ..Default::default()
        };
        assert_eq!(ids(&l, all), ["line", "area", "pair"]);
    }

    #[test]
    fn property_filters_compare_by_the_declared_type() {
        let l = shapes(false);
        let by = |k: &str, v: &str| FeatureQuery {
            properties: vec![(k.into(), v.into())],
            ..Default::default()
        };
        assert_eq!(ids(&l, by("speed", "40")), ["line", "pair"]);
        assert_eq!(ids(&l, by("speed", "40.0")), ["line", "pair"]);
        assert_eq!(ids(&l, by("speed", "60.5")), ["area"]);
        assert_eq!(ids(&l, by("lanes", "2")), ["line"]);
        assert_eq!(ids(&l, by("lanes", "2.0")), ["line"]);
        assert!(ids(&l, by("lanes", "2.5")).is_empty());
        assert_eq!(ids(&l, by("oneway", "true")), ["line"]);
        assert_eq!(ids(&l, by("oneway", "false")), ["area", "pair"]);
        // Text stays text: the name "40" is not the name "40.0".
        assert_eq!(ids(&l, by("name", "40")), ["line"]);
        assert!(ids(&l, by("name", "40.0")).is_empty());
        for (k, v) in [
            ("lanes", "abc"),
            ("speed", ""),
            ("speed", "NaN"),
            ("oneway", "yes"),
        ] {
            let q = FeatureQuery {
                limit: 10,
                ..by(k, v)
            };
            assert!(
                matches!(query(&l, &q), Err(Error::InvalidInput(_))),
                "{k}={v}"
            );
        }
    }

    #[test]
    fn a_dated_layer_takes_one_day_not_an_interval() {
        let l = shapes(true);
        let on = |dt: &str| FeatureQuery {
            datetime: Some(DateInterval::parse_ogc(dt).unwrap()),
            limit: 10,
            ..Default::default()
        };
        let p = query(&l, &on("2022-06-01")).unwrap();
        assert_eq!(p.date, Some(d("2022-06-01")));
        let p = query(&l, &on("2022-06-01/2022-06-01")).unwrap();
        assert_eq!(p.date, Some(d("2022-06-01")));
        for dt in [
            "2022-06-01/2022-06-02",
            "../2022-06-01",
            "2022-06-01/..",
            "../..",
        ] {
            match query(&l, &on(dt)) {
                Err(Error::InvalidInput(m)) => {
                    assert!(m.contains("one day") && m.contains("shapes"), "{m}")
                }
                other => panic!("{dt}: {other:?}"),
            }
        }
        // A layer that does not depend on a date filters by intervals as before.
        let p = query(&shapes(false), &on("2022-06-01/..")).unwrap();
        assert_eq!(p.number_matched, 3);
    }

    #[test]
    fn parses_ogc_datetimes() {
        let iv = DateInterval::parse_ogc("2026-03-01/..").unwrap();
        assert_eq!(iv.start, Some(d("2026-03-01")));
        assert_eq!(iv.end, None);
        let iv = DateInterval::parse_ogc("../2026-03-01T12:00:00Z").unwrap();
        assert_eq!((iv.start, iv.end), (None, Some(d("2026-03-01"))));
        assert!(DateInterval::parse_ogc("2026-13-01").is_err());
        assert!(DateInterval::parse_ogc("2026-03-02/2026-03-01").is_err());
        assert!(DateInterval::parse_ogc("2026-03-01xyz").is_err());
        assert!(DateInterval::day(d("2026-03-01")).overlaps(&DateInterval::default()));
    }
}

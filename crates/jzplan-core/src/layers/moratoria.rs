//! The moratoria (dig-bans) as a map layer: the footprint a completed (or scheduled)
//! resurfacing, reconstruction or new road protects, valid from the day after its end for the
//! period of its kind ([`crate::works::rules::moratoria`], default periods and their source in
//! docs/works.md). A feature's valid time is its protected period, so the OGC `datetime`
//! filter shows the dig-bans in force on a day.

use super::{DateInterval, Feature, Layer, LayerData, LayerInfo, PropKind, prop};
use crate::Result;
use crate::works::WorkFilter;
use crate::works::rules::{Moratorium, MoratoriumPeriods, moratoria};
use chrono::NaiveDate;
use geo_types::{Coord, LineString, MultiLineString};
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex};

/// The `moratoria` layer, recomputed when the stored works change.
pub struct MoratoriaLayer {
    data: LayerData,
    info: LayerInfo,
    cache: Mutex<Option<(u64, Arc<Vec<Feature>>)>>,
}

impl MoratoriaLayer {
    /// The layer.
    pub fn new(data: LayerData) -> Self {
        use PropKind::*;
        MoratoriaLayer {
            data,
            info: LayerInfo {
                id: "moratoria",
                title: "Moratoria (dig-bans)",
                description: "Streets protected from digging after a resurfacing (3 years), a \
                              reconstruction or a new road (5 years), from the day after the \
                              work ends (城市道路管理条例 art. 33; emergency works allowed, art. \
                              35). Scheduled works protect from their planned end (completed = \
                              false). Each feature is valid over its protected period: filter \
                              with datetime=YYYY-MM-DD for the dig-bans in force that day.",
                geometry_type: "MultiLineString",
                properties: vec![
                    prop("work", String, "id of the work that protects the street"),
                    prop("name", String, "work name, Chinese / English"),
                    prop(
                        "protection",
                        String,
                        "resurfacing, reconstruction or new_road",
                    ),
                    prop("from", Date, "first protected day (the day after the end)"),
                    prop("until", Date, "last protected day"),
                    prop(
                        "completed",
                        Boolean,
                        "the work is completed (else it is scheduled to end)",
                    ),
                    prop("streets", String, "streets protected, comma-separated"),
                    prop(
                        "source",
                        String,
                        "model:moratorium rule … (from the work's end date)",
                    ),
                    prop(
                        "basis",
                        String,
                        "where the period comes from (the regulation)",
                    ),
                ],
                dated: false,
                min_zoom: 0,
            },
            cache: Mutex::new(None),
        }
    }
}

/// A moratorium as a map feature.
pub fn moratorium_feature(m: &Moratorium) -> Feature {
    let lines = MultiLineString(
        m.lines
            .iter()
            .map(|l| LineString(l.iter().map(|p| Coord { x: p[0], y: p[1] }).collect()))
            .collect(),
    );
    let name = match (m.name_zh.is_empty(), m.name_en.is_empty()) {
        (false, false) => format!("{} / {}", m.name_zh, m.name_en),
        (false, true) => m.name_zh.clone(),
        _ => m.name_en.clone(),
    };
    let mut p = Map::new();
    p.insert("work".into(), Value::from(m.work.as_str()));
    p.insert("name".into(), Value::from(name));
    p.insert("protection".into(), Value::from(m.protection.as_str()));
    p.insert("from".into(), Value::from(m.from.to_string()));
    p.insert("until".into(), Value::from(m.until.to_string()));
    p.insert("completed".into(), Value::from(m.completed));
    p.insert("streets".into(), Value::from(m.streets.join(", ")));
    p.insert("source".into(), Value::from(m.source.as_str()));
    p.insert("basis".into(), Value::from(m.basis.as_str()));
    Feature::new(format!("moratorium:{}", m.work), lines.into(), p).with_valid(DateInterval {
        start: Some(m.from),
        end: Some(m.until),
    })
}

impl Layer for MoratoriaLayer {
    fn info(&self) -> &LayerInfo {
        &self.info
    }
    fn features(&self, _date: Option<NaiveDate>) -> Result<Arc<Vec<Feature>>> {
        let version = self.data.works.works_version()?;
        {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((v, f)) = cache.as_ref()
                && *v == version
            {
                return Ok(f.clone());
            }
        }
        let works = self.data.works.list_works(&WorkFilter::default())?;
        let effects = self.data.works.resolved_effects(&self.data.network)?;
        let features: Arc<Vec<Feature>> = Arc::new(
            moratoria(
                &self.data.network,
                &works,
                &effects,
                &MoratoriumPeriods::default(),
            )
            .iter()
            .filter(|m| m.lines.iter().any(|l| l.len() >= 2))
            .map(moratorium_feature)
            .collect(),
        );
        *self.cache.lock().unwrap_or_else(|p| p.into_inner()) = Some((version, features.clone()));
        Ok(features)
    }
}

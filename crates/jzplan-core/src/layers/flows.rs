//! Traffic flows on a date: the Jinzhou morning-peak demand (gravity model, docs/assignment.md)
//! assigned to user equilibrium (BFW, relative gap 1e-4) on the network as it stands on the
//! date. One feature per road segment with traffic, both directions of a two-way road kept
//! apart (flows differ by direction). Each date is assigned once and cached (until a work
//! changes): tiles ask for the same features many times.

use super::LayerData;
use super::{Feature, Layer, LayerInfo, PropKind, prop, round2};
use crate::Result;
use crate::analysis::impact::{Demand, run_state};
use chrono::NaiveDate;
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex};

/// How many dates keep their assigned flows in memory.
const CACHED_DATES: usize = 8;

/// Target relative gap of the layer's assignments.
const GAP: f64 = 1e-4;

/// Provenance of every flow feature.
pub const FLOWS_SOURCE: &str =
    "model:assignment-bfw-gap1e-4 (Jinzhou gravity demand, estimate zones; not counts)";

/// Flows per (date, version of the works): a work changed through the API changes the network.
type Cache = Vec<((NaiveDate, u64), Arc<Vec<Feature>>)>;

/// The `flows` layer (dated; default today).
pub struct FlowsLayer {
    data: LayerData,
    info: LayerInfo,
    demand: Mutex<Option<Arc<Demand>>>,
    cache: Mutex<Cache>,
}

impl FlowsLayer {
    /// The layer; the demand is computed on first use, not at server start.
    pub fn new(data: LayerData) -> Self {
        use PropKind::*;
        FlowsLayer {
            data,
            info: LayerInfo {
                id: "flows",
                title: "Traffic flows (model) on a date",
                description: "Morning-peak car flows from a static user-equilibrium assignment \
                              of the Jinzhou gravity demand on the network of the date (works \
                              closures and new links included). A model of estimated demand, \
                              not traffic counts. Pass date=YYYY-MM-DD; default today.",
                geometry_type: "LineString",
                properties: vec![
                    prop("edge_id", Integer, "directed edge id"),
                    prop("name_zh", String, "Chinese street name"),
                    prop("name_en", String, "English street name"),
                    prop("volume_vph", Number, "assigned volume, vehicles per hour"),
                    prop(
                        "capacity_vph",
                        Number,
                        "capacity on the date, vehicles per hour",
                    ),
                    prop("vc", Number, "volume / capacity"),
                    prop("time_s", Number, "congested travel time, seconds"),
                    prop("date", Date, "the date of the network state"),
                    prop("source", String, "provenance of the figures"),
                ],
                dated: true,
                min_zoom: 0,
            },
            demand: Mutex::new(None),
            cache: Mutex::new(Vec::new()),
        }
    }

    fn demand(&self) -> Result<Arc<Demand>> {
        let mut d = self.demand.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(d) = d.as_ref() {
            return Ok(d.clone());
        }
        let made = Arc::new(self.data.impact_demand(GAP)?);
        *d = Some(made.clone());
        Ok(made)
    }

    fn compute(&self, date: NaiveDate) -> Result<Vec<Feature>> {
        let demand = self.demand()?;
        let state = self.data.state_on(date)?;
        let run = run_state(&state, &demand)?;
        let capacities = state.capacities_vph();
        let net = &self.data.network;
        let mut out = Vec::new();
        for (i, edge) in net.edges().iter().enumerate() {
            let v = run.flows.volume_vph[i];
            if v.is_nan() || v <= 0.0 {
                continue;
            }
            let s = net.street(edge.street);
            let mut p = Map::new();
            p.insert("edge_id".into(), Value::from(i as u64));
            p.insert("name_zh".into(), Value::from(s.name_zh.as_str()));
            p.insert("name_en".into(), Value::from(s.name_en.as_str()));
            p.insert("volume_vph".into(), Value::from(round2(v)));
            p.insert("capacity_vph".into(), Value::from(round2(capacities[i])));
            p.insert("vc".into(), Value::from(round4(run.flows.vc[i])));
            p.insert("time_s".into(), Value::from(round2(run.flows.time_s[i])));
            p.insert("date".into(), Value::from(date.to_string()));
            p.insert("source".into(), Value::from(FLOWS_SOURCE));
            out.push(Feature::new(i.to_string(), edge.geometry.clone().into(), p));
        }
        Ok(out)
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

impl Layer for FlowsLayer {
    fn info(&self) -> &LayerInfo {
        &self.info
    }

    fn features(&self, date: Option<NaiveDate>) -> Result<Arc<Vec<Feature>>> {
        let date = date.unwrap_or_else(super::today);
        let key = (date, super::works::works_version(&self.data)?);
        {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((_, f)) = cache.iter().find(|(k, _)| *k == key) {
                return Ok(f.clone());
            }
        }
        // Assigned outside the lock: two first requests for one date may both compute it,
        // which is cheaper than blocking every other date behind one assignment.
        let features = Arc::new(self.compute(date)?);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if !cache.iter().any(|(k, _)| *k == key) {
            if cache.len() >= CACHED_DATES {
                cache.remove(0);
            }
            cache.push((key, features.clone()));
        }
        Ok(features)
    }
}

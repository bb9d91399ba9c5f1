//! The weights routed on most: the base network's, computed once, and the contraction
//! hierarchies of every weights vector routed on so far (base network, dated states,
//! scenarios), so that repeated queries on one state share one preparation.

use super::avoid::Avoid;
use super::ch::{Hierarchy, HierarchyCache};
use crate::Result;
use crate::network::{Metric, RoadNetwork};
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

/// Base weights of the network, computed once per server (routing takes a weight slice), and
/// the contraction hierarchies of the weights routed on so far.
pub struct BaseWeights {
    /// Seconds per edge.
    pub time: Vec<f64>,
    /// Metres per edge.
    pub distance: Vec<f64>,
    /// Hierarchies by weights vector: base network, dated states, scenarios (both metrics).
    pub hierarchies: HierarchyCache,
    /// The base network's hierarchies (time, distance), kept for the server's life and found
    /// without the cache's fingerprint and weights check, which read every weight: on a large
    /// network that would cost each undated request more than its query.
    base: [OnceLock<Arc<Hierarchy>>; 2],
}

/// Hierarchies kept per server: both metrics of the base network and of a dozen states.
pub const HIERARCHIES_KEPT: usize = 32;

/// Bytes of hierarchies kept per server beyond the most recent (Jinzhou's take 0.1 MB each, a
/// 1M-edge network's about 42 MB).
pub const HIERARCHY_BYTES_KEPT: usize = 512 << 20;

impl BaseWeights {
    /// Weights of a network for both metrics.
    pub fn of(net: &RoadNetwork) -> Self {
        BaseWeights {
            time: net.weights(Metric::Time),
            distance: net.weights(Metric::Distance),
            hierarchies: HierarchyCache::new(HIERARCHIES_KEPT, HIERARCHY_BYTES_KEPT),
            base: Default::default(),
        }
    }

    /// The slot of `w` if it is one of the base slices of this struct (by address).
    fn base_slot(&self, w: &[f64]) -> Option<&OnceLock<Arc<Hierarchy>>> {
        if std::ptr::eq(w, self.time.as_slice()) {
            Some(&self.base[0])
        } else if std::ptr::eq(w, self.distance.as_slice()) {
            Some(&self.base[1])
        } else {
            None
        }
    }

    /// The hierarchy of `w` if it is prepared already.
    pub fn cached_hierarchy(&self, net: &RoadNetwork, w: &[f64]) -> Option<Arc<Hierarchy>> {
        match self.base_slot(w).and_then(OnceLock::get) {
            Some(h) => Some(h.clone()),
            None => self.hierarchies.get(net, w),
        }
    }

    /// The hierarchy of `w`, prepared now if it is new (seconds on a large network: call it off
    /// the async workers).
    pub fn hierarchy(&self, net: &RoadNetwork, w: &[f64]) -> Result<Arc<Hierarchy>> {
        if let Some(h) = self.cached_hierarchy(net, w) {
            return Ok(h);
        }
        let h = self.hierarchies.get_or_prepare(net, w)?;
        if let Some(slot) = self.base_slot(w) {
            let _ = slot.set(h.clone());
        }
        Ok(h)
    }

    /// The slice for a metric.
    pub fn get(&self, m: Metric) -> &[f64] {
        match m {
            Metric::Time => &self.time,
            Metric::Distance => &self.distance,
        }
    }
}

impl BaseWeights {
    /// The weights of one query: `state` (the weights of a date or scenario) or the base slice
    /// of `metric`, with the edges of `avoid` closed. Borrowed when nothing changes.
    pub fn for_query<'a>(
        &'a self,
        net: &RoadNetwork,
        state: Option<Vec<f64>>,
        metric: Metric,
        avoid: &Avoid,
    ) -> Result<Cow<'a, [f64]>> {
        let mut w: Cow<'a, [f64]> = match state {
            Some(w) => Cow::Owned(w),
            None => Cow::Borrowed(self.get(metric)),
        };
        if !avoid.is_empty() {
            avoid.apply_in_place(net, w.to_mut())?;
        }
        Ok(w)
    }
}

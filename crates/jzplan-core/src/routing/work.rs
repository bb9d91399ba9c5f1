//! Instrumentation of network-wide work: every pass of the routing code over all the edges or
//! all the nodes of a network (checking or copying a weights vector, building an adjacency,
//! comparing or fingerprinting weights, preparing or customizing a hierarchy) reports itself
//! here with its network. A test watches one network and counts the passes that requests on it
//! make: once a state is kept, a request must make none, so its cost cannot grow with the
//! network. Cost when nothing is watched: one relaxed atomic load per pass.

use crate::network::RoadNetwork;
use std::sync::atomic::{AtomicUsize, Ordering};

static WATCHED: AtomicUsize = AtomicUsize::new(0);
static PASSES: AtomicUsize = AtomicUsize::new(0);

/// Reports one pass over all edges or nodes of `net`.
#[inline]
pub fn full_pass(net: &RoadNetwork) {
    let w = WATCHED.load(Ordering::Relaxed);
    if w != 0 && w == net as *const RoadNetwork as usize {
        PASSES.fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts the passes over `net` from now on (one network at a time; the count restarts at 0).
pub fn watch(net: &RoadNetwork) {
    WATCHED.store(net as *const RoadNetwork as usize, Ordering::Relaxed);
    PASSES.store(0, Ordering::Relaxed);
}

/// Passes over the watched network since [`watch`] or the last [`reset`].
pub fn passes() -> usize {
    PASSES.load(Ordering::Relaxed)
}

/// Restarts the count at 0.
pub fn reset() {
    PASSES.store(0, Ordering::Relaxed);
}

/// Stops watching.
pub fn unwatch() {
    WATCHED.store(0, Ordering::Relaxed);
}

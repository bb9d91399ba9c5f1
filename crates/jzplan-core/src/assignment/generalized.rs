//! Generalized cost weights of an assignment network.
//!
//! A link's cost is `t(v) + toll_factor · toll + distance_factor · length` (see
//! [`AssignNetwork::new`]). TNTP files may state the factors in their metadata
//! (`<TOLL FACTOR>`, `<DISTANCE FACTOR>`); some networks give them only in their documentation
//! (Chicago Sketch: 0.02 min/cent and 0.04 min/mile), so they can be set afterwards.

use super::network::AssignNetwork;
use crate::{Error, Result};

impl AssignNetwork {
    /// The same network with other generalized-cost weights (both finite and ≥ 0; the unit is
    /// the time unit per toll unit and per length unit).
    pub fn with_cost_weights(
        mut self,
        toll_factor: f64,
        distance_factor: f64,
    ) -> Result<AssignNetwork> {
        for (f, name) in [
            (toll_factor, "toll factor"),
            (distance_factor, "distance factor"),
        ] {
            if !f.is_finite() || f < 0.0 {
                return Err(Error::invalid(format!(
                    "{name} {f} must be finite and >= 0"
                )));
            }
        }
        self.toll_factor = toll_factor;
        self.distance_factor = distance_factor;
        for k in 0..self.fixed.len() {
            self.fixed[k] = toll_factor * self.toll[k] + distance_factor * self.length[k];
        }
        Ok(self)
    }
}

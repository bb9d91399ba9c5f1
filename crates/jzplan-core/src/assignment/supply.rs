//! The supply side of road assignments: the BPR volume-delay parameters of each road class and
//! the capacity of a work zone by lanes open, each with its source.
//!
//! Capacities per lane and free-flow speeds per class are [`RoadClass`] defaults
//! (`RoadClass::capacity_per_lane_vph`, `RoadClass::default_speed_kmh`); the network file stores
//! the resulting `capacity_vph` per edge.

use crate::network::RoadClass;
use serde::Serialize;

/// BPR parameters `t = t0 (1 + α (v/c)^β)` of one road class, with their source.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BprParams {
    /// α.
    pub alpha: f64,
    /// β.
    pub beta: f64,
    /// Where the values come from.
    pub source: &'static str,
}

/// Source of the freeway curve.
const HOROWITZ_FREEWAY: &str = "Horowitz (1991), Delay-Volume Relations for Travel Forecasting \
Based on the 1985 Highway Capacity Manual (FHWA), BPR fit to the HCM 1985 speed-flow curve of a \
60-mph (~100 km/h) freeway: alpha 0.83, beta 5.5, capacity = ultimate capacity";
/// Source of the multilane-highway curve.
const HOROWITZ_MULTILANE: &str = "Horowitz (1991), same report, BPR fit to the HCM 1985 curve of \
a 50-mph (~80 km/h) multilane highway: alpha 0.71, beta 2.1";
/// Source of the urban signalised-street curve.
const URBAN_SIGNALISED: &str = "alpha 1.0: travel time at capacity twice the free-flow time \
(Spiess 1990, 'Conical volume-delay functions', standard 2, quoted by Horowitz 1991 ch. 4), \
because capacity here is the signal-limited ultimate capacity, not the practical capacity \
for which the 1964 BPR manual's alpha 0.15 was set; beta 4 as in the BPR manual";
/// Source of the ramp curve.
const BPR_1964: &str = "U.S. Bureau of Public Roads (1964), Traffic Assignment Manual: alpha \
0.15, beta 4 (interchange links are short; their delay matters little)";

/// The BPR parameters of a road class.
pub fn bpr_for_class(class: RoadClass) -> BprParams {
    match class {
        RoadClass::Expressway => BprParams {
            alpha: 0.83,
            beta: 5.5,
            source: HOROWITZ_FREEWAY,
        },
        RoadClass::Trunk => BprParams {
            alpha: 0.71,
            beta: 2.1,
            source: HOROWITZ_MULTILANE,
        },
        RoadClass::Ramp => BprParams {
            alpha: 0.15,
            beta: 4.0,
            source: BPR_1964,
        },
        RoadClass::Primary
        | RoadClass::Secondary
        | RoadClass::Tertiary
        | RoadClass::Residential
        | RoadClass::Service => BprParams {
            alpha: 1.0,
            beta: 4.0,
            source: URBAN_SIGNALISED,
        },
    }
}

/// Source of [`work_zone_lane_capacity_vph`].
pub const WORK_ZONE_SOURCE: &str = "Highway Capacity Manual 2010, Exhibit 10-14 (capacity of \
freeway work zones by lanes before and lanes open, veh/h/lane: 2->1 1,400; 3->1 1,450; 3->2 \
1,450; 4->1 1,350; 4->2 1,450; 4->3 1,500), as reproduced in FHWA-HOP-13-042 Appendix D, Table \
42";

/// Capacity per open lane of a work zone (veh/h/lane) with `before` lanes normally and `open`
/// lanes open (HCM 2010 Exhibit 10-14, see [`WORK_ZONE_SOURCE`]). Outside the table (more than
/// 4 lanes, or as many open as before) the nearest row is used; `None` when no lane is cut.
pub fn work_zone_lane_capacity_vph(before: u8, open: u8) -> Option<f64> {
    if open == 0 || open >= before {
        return None;
    }
    Some(match (before.min(4), open.min(3)) {
        (2, _) => 1400.0,
        (3, _) => 1450.0,
        (4, 1) => 1350.0,
        (4, 2) => 1450.0,
        _ => 1500.0,
    })
}

/// Capacity of a road with `before` lanes and `capacity_vph` in total when only `open` lanes
/// are open in a work zone: `open` × the HCM per-lane work-zone capacity
/// ([`work_zone_lane_capacity_vph`]), but never more than the road carries normally.
///
/// On an expressway (about 2,000 veh/h/lane) the HCM figure governs: 2→1 leaves 1,400 of
/// 4,000 veh/h. On a signalised street the edge's capacity is already limited by the green
/// time (about 800–900 veh/h/lane): the work zone is taken as a midblock bottleneck in series
/// with the junctions, whose approaches keep their lanes (estimate: works on city streets are
/// staged block by block and keep junction approaches open), so 2→1 on a 2 × 800 veh/h street
/// leaves 1,400 veh/h and 3→2 on a 3 × 900 veh/h street costs no capacity at all (the
/// junctions still govern; the work zone's lower speed limit, a separate effect, still costs
/// time). This replaces the lane share (2→1 = 50 %), which treated the whole street as a
/// one-lane signalised approach.
pub fn work_zone_capacity_vph(capacity_vph: f64, before: u8, open: u8) -> f64 {
    let open = open.max(1);
    match work_zone_lane_capacity_vph(before, open) {
        Some(per_lane) => capacity_vph.min(per_lane * f64::from(open)),
        None => capacity_vph,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcm_table_rows() {
        assert_eq!(work_zone_lane_capacity_vph(2, 1), Some(1400.0));
        assert_eq!(work_zone_lane_capacity_vph(3, 1), Some(1450.0));
        assert_eq!(work_zone_lane_capacity_vph(3, 2), Some(1450.0));
        assert_eq!(work_zone_lane_capacity_vph(4, 1), Some(1350.0));
        assert_eq!(work_zone_lane_capacity_vph(4, 3), Some(1500.0));
        assert_eq!(work_zone_lane_capacity_vph(2, 2), None);
        assert_eq!(work_zone_lane_capacity_vph(1, 0), None);
    }

    #[test]
    fn work_zones_carry_the_hcm_figure_never_more_than_the_road() {
        // Expressway, 2 lanes of 2,000: one open carries 1,400, not 2,000.
        assert_eq!(work_zone_capacity_vph(4000.0, 2, 1), 1400.0);
        // Signalised street, 2 lanes of 800: the open lane carries 1,400 (the lane share would
        // give 800).
        assert_eq!(work_zone_capacity_vph(1600.0, 2, 1), 1400.0);
        // 3 -> 2 on a 2,000-per-lane road: 2 × 1,450; on a 3 × 900 street the junctions govern.
        assert_eq!(work_zone_capacity_vph(6000.0, 3, 2), 2900.0);
        assert_eq!(work_zone_capacity_vph(2700.0, 3, 2), 2700.0);
        // Nothing cut: unchanged.
        assert_eq!(work_zone_capacity_vph(1800.0, 2, 2), 1800.0);
    }

    #[test]
    fn every_class_has_a_sourced_curve() {
        for c in RoadClass::ALL {
            let p = bpr_for_class(c);
            assert!(
                p.alpha > 0.0 && p.beta >= 1.0 && !p.source.is_empty(),
                "{c}"
            );
        }
    }
}

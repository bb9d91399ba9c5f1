//! Before/after impact of works on traffic: assignments of network states compared (VHT,
//! VKT, mean speed, choke-point v/c, links gaining and losing flow, changed OD times), the
//! month-by-month picture of a year, and each work's cost while it is built and benefit once
//! it is done.
//!
//! Method (also in docs/assignment.md): every state is assigned with the same demand to the
//! same relative gap, once per period of the day ([`crate::assignment::periods`]: morning
//! peak, evening peak, off-peak, each a representative hour). VHT and VKT count road edges only
//! (centroid connectors are access, not travel on the network). A month is represented by its
//! 15th. A work's *construction cost* in a month is Σ over periods of (VHT of the period's hour
//! in the month's state − the same without that work) × the period's hours in the month's
//! weekdays and weekend days (calendar); its *benefit* is the same sum for the full build
//! without the work − the full build, over the days of the year after. A difference smaller
//! than the assignments can resolve (Σ hours × relative gap × total cost of both states) is
//! reported as noise, not as a number.
//!
//! Files: `state` (the demand, one state's assignment, a day of periods, the gap reached, the
//! noise rule), `compare` (one before/after comparison, the choke points), `year` (the month
//! by month picture of a year and each work's cost and benefit).

mod compare;
mod state;
mod year;

pub use compare::*;
pub use state::*;
pub use year::*;

//! Analyses on network states: clash detection and detours (impact and reports join here).

pub mod calibration;
pub mod clash;
pub mod detour;
pub mod impact;
pub mod probes;
pub mod stored;
pub mod study;
pub mod study_report;

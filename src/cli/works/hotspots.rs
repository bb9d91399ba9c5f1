//! `jzplan hotspots`: list the choke points, identify them on the network, set their status.

use super::*;

/// Choke-point commands.
#[derive(Subcommand, Debug)]
pub enum HotspotsCmd {
    /// The 15 choke points.
    List {
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
    /// Rank candidate choke points on the network (gravity demand proxy, all-or-nothing).
    Identify {
        /// How many candidates.
        #[arg(long, default_value_t = 14)]
        n: usize,
        /// Zone grid cell size in metres.
        #[arg(long, default_value_t = 1000.0)]
        cell_m: f64,
        /// Minimum distance between two candidates in metres.
        #[arg(long, default_value_t = 400.0)]
        min_sep_m: f64,
        /// Rank streets (worst edge score) instead of junctions.
        #[arg(long)]
        streets: bool,
        /// Score edges by `vc` (volume/capacity from a user-equilibrium assignment of the
        /// Jinzhou gravity demand on the base network, BFW to gap 1e-4) or by `proxy` (the
        /// quick all-or-nothing demand proxy on a zone grid, `--cell-m`).
        #[arg(long, value_enum, default_value_t = IdentifyMethod::Vc)]
        method: IdentifyMethod,
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
    /// Set a choke point's status (congested, being_opened, opened).
    SetStatus {
        /// Hotspot id.
        id: String,
        /// New status.
        status: String,
        /// Who, why, from which version.
        #[command(flatten)]
        change: ChangeOpts,
        /// Output.
        #[command(flatten)]
        out: FormatOpts,
    },
}

/// Runs a hotspots command.
pub fn run_hotspots(g: &GlobalOpts, c: HotspotsCmd) -> anyhow::Result<()> {
    let (engine, _) = open_engine(g)?;
    match c {
        HotspotsCmd::List { out } => {
            let hs = engine.list_hotspots()?;
            if out.table("hotspots list", &hs)? {
                return Ok(());
            }
            for h in hs {
                outln!(
                    "{:<4} {:<13} {:<16} {:<9.5},{:<9.5} {:<28} opened by {:<6} {}",
                    h.id,
                    h.status.as_str(),
                    h.kind.as_str(),
                    h.at[0],
                    h.at[1],
                    h.evidence,
                    h.opened_by.as_ref().map(|w| w.as_str()).unwrap_or("-"),
                    h.name_zh
                );
            }
        }
        HotspotsCmd::Identify {
            n,
            cell_m,
            min_sep_m,
            streets,
            method,
            out,
        } => {
            let (scores, method_name) = match method {
                IdentifyMethod::Proxy => (
                    hotspot::demand_proxy_scores(&engine.network, cell_m)?,
                    format!("model:{} (cell {cell_m} m)", hotspot::PROXY_METHOD),
                ),
                IdentifyMethod::Vc => {
                    let demand = engine.impact_demand(None, 1e-4)?;
                    let base = crate::scenario::NetworkState::base(&engine.network);
                    let run = crate::analysis::impact::run_state(&base, &demand)?;
                    (run.flows.vc, VC_METHOD.to_string())
                }
            };
            if streets {
                let ss = hotspot::street_scores(&engine.network, &scores)?;
                if out.table("hotspots identify --streets", &ss)? {
                    return Ok(());
                }
                for (i, s) in ss.iter().enumerate() {
                    outln!(
                        "{:>3}. {:.3}  {} / {}",
                        i + 1,
                        s.score,
                        s.name_zh,
                        s.name_en
                    );
                }
                return Ok(());
            }
            let cands = hotspot::identify(&engine.network, &scores, n, min_sep_m)?;
            if out.table("hotspots identify", &cands)? {
                return Ok(());
            }
            outln!("method {method_name}");
            for c in cands {
                outln!(
                    "{:>2}. {:.3}  {:.5},{:.5}  {:<16} {}",
                    c.rank,
                    c.score,
                    c.at[0],
                    c.at[1],
                    c.kind.as_str(),
                    c.streets.join(" × ")
                );
            }
        }
        HotspotsCmd::SetStatus {
            id,
            status,
            change,
            out,
        } => {
            let to: HotspotStatus = status.parse()?;
            let h = engine.set_hotspot_status(
                &crate::hotspot::HotspotId::parse(&id)?,
                to,
                change.expected_version,
                &change.actor(),
                &change.comment,
            )?;
            if out.record("hotspots set-status", &h)? {
                return Ok(());
            }
            outln!(
                "{} is now {} (version {})",
                h.id,
                h.status.as_str(),
                h.version
            );
        }
    }
    Ok(())
}

/// How `hotspots identify` scores edges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum IdentifyMethod {
    /// Volume/capacity of a user-equilibrium assignment (the default now that assignment exists).
    Vc,
    /// The all-or-nothing demand proxy (faster, no congestion feedback).
    Proxy,
}

/// The provenance of v/c-identified choke points.
pub const VC_METHOD: &str =
    "model:assignment-vc (Jinzhou gravity demand, BFW user equilibrium to gap 1e-4, base network)";

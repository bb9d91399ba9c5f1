//! `jzplan clashes`: pairs of works on site at the same time whose footprints touch.

use super::*;

/// `clashes` arguments.
#[derive(Args, Debug)]
pub struct ClashesArgs {
    /// Only clashes overlapping these dates.
    #[command(flatten)]
    pub window: WindowOpts,
    /// Footprints closer than this (metres) touch.
    #[arg(long, default_value_t = 100.0)]
    pub near_m: f64,
    /// Output.
    #[command(flatten)]
    pub out: FormatOpts,
}

/// Runs `clashes`.
pub fn run_clashes(g: &GlobalOpts, a: ClashesArgs) -> anyhow::Result<()> {
    let (engine, _) = open_engine(g)?;
    let window = a.window.range()?;
    let clashes = engine.clashes(&ClashOptions {
        window,
        near_m: a.near_m,
        ..Default::default()
    })?;
    if a.out.table("clashes", &clashes)? {
        return Ok(());
    }
    outln!(
        "{} clash(es), {} strong",
        clashes.len(),
        clashes.iter().filter(|c| c.strong).count()
    );
    for c in clashes {
        outln!(
            "{} {} × {}  {}  [{}]",
            if c.strong { "STRONG" } else { "clash " },
            c.a,
            c.b,
            c.overlap,
            c.streets.join(", ")
        );
        for r in &c.reasons {
            outln!("         {r}");
        }
    }
    Ok(())
}

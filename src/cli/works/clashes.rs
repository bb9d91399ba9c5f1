//! `jzplan clashes`: pairs of works on site at the same time whose footprints touch.

use super::*;

/// `clashes` arguments.
#[derive(Args, Debug)]
pub struct ClashesArgs {
    /// Only clashes on or after this date.
    #[arg(long)]
    pub from: Option<String>,
    /// Only clashes on or before this date.
    #[arg(long)]
    pub to: Option<String>,
    /// Footprints closer than this (metres) touch.
    #[arg(long, default_value_t = 100.0)]
    pub near_m: f64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `clashes`.
pub fn run_clashes(g: &GlobalOpts, a: ClashesArgs) -> anyhow::Result<()> {
    let (engine, _) = open_engine(g)?;
    let from = opt_date(&a.from)?;
    let to = opt_date(&a.to)?;
    let window = match (from, to) {
        (None, None) => None,
        (f, t) => Some(DateRange::new(
            f.unwrap_or(crate::works::MIN_DATE),
            t.unwrap_or(crate::works::MAX_DATE),
        )?),
    };
    let clashes = engine.clashes(&ClashOptions {
        window,
        near_m: a.near_m,
        ..Default::default()
    })?;
    if a.json {
        return print_json(&clashes);
    }
    println!(
        "{} clash(es), {} strong",
        clashes.len(),
        clashes.iter().filter(|c| c.strong).count()
    );
    for c in clashes {
        println!(
            "{} {} × {}  {}  [{}]",
            if c.strong { "STRONG" } else { "clash " },
            c.a,
            c.b,
            c.overlap,
            c.streets.join(", ")
        );
        for r in &c.reasons {
            println!("         {r}");
        }
    }
    Ok(())
}

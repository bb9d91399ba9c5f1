//! Opening the engine of a command: the store named by `--db`, the network of `--network`, the
//! catalogue's works seeded and attached. Below every command that needs stored works.

use super::GlobalOpts;
use crate::engine::Engine;
use crate::store::SeedReport;
use crate::works::catalogue::Catalogue;

/// Opens the store named by `--db`, loads the network, adds the catalogue's planned links,
/// seeds the store (idempotent) and attaches everything.
pub fn open_engine(g: &GlobalOpts) -> anyhow::Result<(Engine, SeedReport)> {
    let store = crate::store::open(&g.db_spec())?;
    let catalogue = Catalogue::jinzhou()?;
    let (net, prepared) = g.load_prepared_network()?;
    let engine = Engine::with_works(net, store, &catalogue)?;
    install(&engine, prepared);
    let report = engine.seed(&catalogue)?;
    tracing::info!(
        db = %g.db.display(),
        added = report.added.len(),
        updated = report.updated.len(),
        "works database open and seeded"
    );
    if !report.updated.is_empty() {
        eprintln!(
            "note: updated from the catalogue: {}",
            report.updated.join(", ")
        );
    }
    if !report.kept_edits.is_empty() {
        eprintln!(
            "note: {} record(s) edited in the database differ from the catalogue and were kept \
             (see `jzplan works seed`)",
            report.kept_edits.len()
        );
    }
    Ok((engine, report))
}

/// An engine on the network of `--network` alone (no store, no works): for the commands that
/// route on the base network. A prepared file's hierarchies are taken, as `serve` takes them.
pub fn open_network_engine(g: &GlobalOpts) -> crate::Result<Engine> {
    let (net, prepared) = g.load_prepared_network()?;
    let engine = Engine::new(net);
    install(&engine, prepared);
    Ok(engine)
}

/// Takes the routing data of a prepared file, saying what it could not take.
fn install(engine: &Engine, prepared: Option<crate::io::jzp::PreparedRouting>) {
    if let Some(prepared) = prepared {
        let taken = engine.install_prepared(prepared);
        tracing::info!(hierarchies = ?taken.hierarchies, cch_order = taken.cch_order, "prepared routing data loaded");
        for why in &taken.rejected {
            eprintln!("note: {why}; it will be prepared again when first needed");
        }
    }
}

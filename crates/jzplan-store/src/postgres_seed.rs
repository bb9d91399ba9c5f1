//! Seeding the PostgreSQL store from the catalogue (split from [`super::postgres`]): one
//! transaction; each added or updated work appends its record event to the change feed.

use super::postgres_feed::insert_events;
use super::postgres_rows::{WorkRow, decode, err, insert_history, write_hotspot};
use super::records::{canonical, differing_fields};
use super::{Change, SeedReport, record_event};
use ::postgres::Client;
use jzplan_core::Result;
use jzplan_core::hotspot::Hotspot;
use jzplan_core::works::Work;
use jzplan_core::works::catalogue::Catalogue;

fn seed_change(field: &str, comment: &str) -> Change {
    Change {
        actor: "seed".into(),
        field: field.into(),
        old: String::new(),
        new: String::new(),
        comment: comment.into(),
    }
}

/// Seeds in one transaction; replicas seeding at once queue on the revision row, so each
/// record is added once.
pub(crate) fn seed(c: &mut Client, target: &str, catalogue: &Catalogue) -> Result<SeedReport> {
    let e = |x: ::postgres::Error| err(target, &x);
    let mut report = SeedReport::default();
    let mut tx = c.transaction().map_err(e)?;
    tx.execute("SELECT n FROM revision WHERE id = 1 FOR UPDATE", &[])
        .map_err(e)?;
    for w in &catalogue.works {
        let cat = canonical(w, |w| w.version = 0)?;
        let row = tx
            .query_opt(
                "SELECT version, body::text, seed_body FROM works WHERE id = $1",
                &[&w.id.as_str()],
            )
            .map_err(e)?;
        match row {
            None => {
                let mut nw = w.clone();
                nw.version = 1;
                WorkRow::of(&nw)?
                    .write(&mut tx, true, Some(&cat))
                    .map_err(e)?;
                let change = seed_change("created", "seeded from the catalogue");
                insert_history(&mut tx, w.id.as_str(), 1, &change).map_err(e)?;
                insert_events(&mut tx, &[record_event(None, &nw, &change)]).map_err(e)?;
                report.added.push(w.id.to_string());
            }
            Some(r) => {
                let v: i64 = r.get(0);
                let stored: Work = decode(target, "work", w.id.as_str(), r.get(1))?;
                let seed_body: Option<String> = r.get(2);
                let current = canonical(&stored, |w| w.version = 0)?;
                let edited = seed_body.as_deref() != Some(current.as_str());
                if current == cat {
                    report.unchanged.push(w.id.to_string());
                } else if !edited {
                    let mut nw = w.clone();
                    nw.version = v as u64 + 1;
                    WorkRow::of(&nw)?
                        .write(&mut tx, false, Some(&cat))
                        .map_err(e)?;
                    let fields = differing_fields(&current, &cat).join(", ");
                    let change = seed_change("seed", &format!("catalogue changed: {fields}"));
                    insert_history(&mut tx, w.id.as_str(), nw.version, &change).map_err(e)?;
                    insert_events(&mut tx, &[record_event(Some(&stored), &nw, &change)])
                        .map_err(e)?;
                    report.updated.push(w.id.to_string());
                } else {
                    report
                        .kept_edits
                        .push((w.id.to_string(), differing_fields(&current, &cat)));
                }
            }
        }
    }
    for h in &catalogue.hotspots {
        let cat = canonical(h, |h| h.version = 0)?;
        let row = tx
            .query_opt(
                "SELECT version, body::text, seed_body FROM hotspots WHERE id = $1",
                &[&h.id.as_str()],
            )
            .map_err(e)?;
        let id = format!("hotspot {}", h.id);
        match row {
            None => {
                let mut nh = h.clone();
                nh.version = 1;
                write_hotspot(&mut tx, &nh, true, Some(&cat))?;
                insert_history(
                    &mut tx,
                    h.id.as_str(),
                    1,
                    &seed_change("created", "seeded from the catalogue"),
                )
                .map_err(e)?;
                report.added.push(id);
            }
            Some(r) => {
                let v: i64 = r.get(0);
                let stored: Hotspot = decode(target, "hotspot", h.id.as_str(), r.get(1))?;
                let seed_body: Option<String> = r.get(2);
                let current = canonical(&stored, |h| h.version = 0)?;
                let edited = seed_body.as_deref() != Some(current.as_str());
                if current == cat {
                    report.unchanged.push(id);
                } else if !edited {
                    let mut nh = h.clone();
                    nh.version = v as u64 + 1;
                    write_hotspot(&mut tx, &nh, false, Some(&cat))?;
                    let fields = differing_fields(&current, &cat).join(", ");
                    insert_history(
                        &mut tx,
                        h.id.as_str(),
                        nh.version,
                        &seed_change("seed", &format!("catalogue changed: {fields}")),
                    )
                    .map_err(e)?;
                    report.updated.push(id);
                } else {
                    report
                        .kept_edits
                        .push((id, differing_fields(&current, &cat)));
                }
            }
        }
    }
    tx.commit().map_err(e)?;
    Ok(report)
}

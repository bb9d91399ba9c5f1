//! Rows of the PostgreSQL store (split from [`super::postgres`] so that the store, its feed and
//! its seeding share them without importing each other): error messages, JSON bodies, WKT
//! geometries, the indexed columns of works and choke points, and the history entry that moves
//! the revision on.

use super::Change;
use super::records::body_of;
use ::postgres::Transaction;
use jzplan_core::hotspot::Hotspot;
use jzplan_core::works::{LonLat, Work, WorkGeometry};
use jzplan_core::{Error, Result};
use serde::de::DeserializeOwned;

/// A PostgreSQL error with the server's message (the driver's `Display` says only "db error").
pub(crate) fn describe(e: &::postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!(
            "{} ({}){}",
            db.message(),
            db.code().code(),
            db.detail().map(|d| format!(": {d}")).unwrap_or_default()
        ),
        None => match std::error::Error::source(e) {
            Some(s) => format!("{e}: {s}"),
            None => e.to_string(),
        },
    }
}

pub(crate) fn err(target: &str, e: &::postgres::Error) -> Error {
    Error::Store(format!("{target}: {}", describe(e)))
}

pub(crate) fn decode<T: DeserializeOwned>(
    target: &str,
    what: &str,
    id: &str,
    body: &str,
) -> Result<T> {
    serde_json::from_str(body)
        .map_err(|e| Error::Store(format!("{target}: stored {what} {id} is unreadable: {e}")))
}

fn wkt_coords(pts: &[LonLat], close: bool) -> String {
    let mut pts = pts.to_vec();
    if pts.len() == 1 {
        pts.push(pts[0]); // a line needs two points
    }
    if close && pts.first() != pts.last() {
        pts.push(pts[0]);
    }
    let v: Vec<String> = pts.iter().map(|p| format!("{} {}", p[0], p[1])).collect();
    format!("({})", v.join(", "))
}

/// A work's geometry as WKT (lon/lat, EPSG:4326), rings closed, for `ST_GeomFromText`.
pub fn wkt(g: &WorkGeometry) -> String {
    match g {
        WorkGeometry::Point(p) => format!("POINT({} {})", p[0], p[1]),
        WorkGeometry::LineString(l) => format!("LINESTRING{}", wkt_coords(l, false)),
        WorkGeometry::Polygon(r) => {
            let rings: Vec<String> = r.iter().map(|ring| wkt_coords(ring, true)).collect();
            format!("POLYGON({})", rings.join(", "))
        }
        WorkGeometry::MultiLineString(ls) => {
            let lines: Vec<String> = ls.iter().map(|l| wkt_coords(l, false)).collect();
            format!("MULTILINESTRING({})", lines.join(", "))
        }
    }
}

/// The indexed columns of a work, in the order of [`WORK_COLUMNS`].
pub(crate) struct WorkRow {
    pub(crate) id: String,
    pub(crate) version: i64,
    status: &'static str,
    kind: &'static str,
    parent: Option<String>,
    name_zh: String,
    name_en: String,
    start: chrono::NaiveDate,
    end: chrono::NaiveDate,
    body: String,
    geom: Option<String>,
}

impl WorkRow {
    pub(crate) fn of(w: &Work) -> Result<WorkRow> {
        Ok(WorkRow {
            id: w.id.as_str().to_string(),
            version: w.version as i64,
            status: w.status.as_str(),
            kind: w.kind.as_str(),
            parent: w.parent.as_ref().map(|p| p.0.clone()),
            name_zh: w.name_zh.clone(),
            name_en: w.name_en.clone(),
            start: w.planned.start,
            end: w.planned.end,
            body: body_of(w)?,
            geom: w.geometry.as_ref().map(wkt),
        })
    }

    /// Inserts (`seed_body` given for seeded records) or replaces the row.
    pub(crate) fn write(
        &self,
        tx: &mut Transaction<'_>,
        insert: bool,
        seed_body: Option<&str>,
    ) -> std::result::Result<u64, ::postgres::Error> {
        let sql = if insert {
            "INSERT INTO works (id, version, status, kind, parent, name_zh, name_en,
                                planned_start, planned_end, body, geom, seed_body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb,
                     ST_GeomFromText($11, 4326), $12)
             ON CONFLICT (id) DO NOTHING"
        } else if seed_body.is_some() {
            "UPDATE works SET version = $2, status = $3, kind = $4, parent = $5, name_zh = $6,
                name_en = $7, planned_start = $8, planned_end = $9, body = $10::text::jsonb,
                geom = ST_GeomFromText($11, 4326), seed_body = $12
             WHERE id = $1"
        } else {
            "UPDATE works SET version = $2, status = $3, kind = $4, parent = $5, name_zh = $6,
                name_en = $7, planned_start = $8, planned_end = $9, body = $10::text::jsonb,
                geom = ST_GeomFromText($11, 4326)
             WHERE id = $1 AND $12::text IS NULL"
        };
        tx.execute(
            sql,
            &[
                &self.id,
                &self.version,
                &self.status,
                &self.kind,
                &self.parent,
                &self.name_zh,
                &self.name_en,
                &self.start,
                &self.end,
                &self.body,
                &self.geom,
                &seed_body,
            ],
        )
    }
}

/// Inserts or replaces a choke point (with its point geometry).
pub(crate) fn write_hotspot(
    tx: &mut Transaction<'_>,
    h: &Hotspot,
    insert: bool,
    seed_body: Option<&str>,
) -> Result<u64> {
    let body = body_of(h)?;
    let sql = match (insert, seed_body.is_some()) {
        (true, _) => {
            "INSERT INTO hotspots (id, version, name_zh, name_en, status, body, geom, seed_body)
             VALUES ($1, $2, $3, $4, $5, $6::text::jsonb,
                     ST_SetSRID(ST_MakePoint($7, $8), 4326), $9)
             ON CONFLICT (id) DO NOTHING"
        }
        (false, true) => {
            "UPDATE hotspots SET version = $2, name_zh = $3, name_en = $4, status = $5,
                body = $6::text::jsonb, geom = ST_SetSRID(ST_MakePoint($7, $8), 4326),
                seed_body = $9
             WHERE id = $1"
        }
        (false, false) => {
            "UPDATE hotspots SET version = $2, name_zh = $3, name_en = $4, status = $5,
                body = $6::text::jsonb, geom = ST_SetSRID(ST_MakePoint($7, $8), 4326)
             WHERE id = $1 AND $9::text IS NULL"
        }
    };
    tx.execute(
        sql,
        &[
            &h.id.as_str(),
            &(h.version as i64),
            &h.name_zh,
            &h.name_en,
            &h.status.as_str(),
            &body,
            &h.at[0],
            &h.at[1],
            &seed_body,
        ],
    )
    .map_err(|e| Error::Store(describe(&e)))
}

/// Writes the history entry of a change and moves the revision on (locking its row until the
/// commit, which orders revisions as commits).
pub(crate) fn insert_history(
    tx: &mut Transaction<'_>,
    record: &str,
    version: u64,
    c: &Change,
) -> std::result::Result<(), ::postgres::Error> {
    tx.execute(
        "INSERT INTO history (record, version, at, actor, field, old, new, comment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &record,
            &(version as i64),
            &chrono::Utc::now(),
            &c.actor,
            &c.field,
            &c.old,
            &c.new,
            &c.comment,
        ],
    )?;
    tx.execute("UPDATE revision SET n = n + 1 WHERE id = 1", &[])?;
    Ok(())
}

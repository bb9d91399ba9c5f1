//! Works as living records: create and edit (status, dates, any field; cancelling is a status
//! change), each save checked whole before anything is written, audited in the store, and
//! answered with the coordination findings of the work ([`super::rules`]).

use super::engine::WorksBook;
use super::rules::{self, Finding, FindingFilter, Moratorium, MoratoriumPeriods, RuleOptions};
use super::validate::{
    RecordRules, changed_fields, check_known_fields, check_not_after_today, check_on_network,
    check_record, deserialize_work, fill_defaults, merge_patch, today,
};
use super::{DateRange, Status, Work, WorkFilter, WorkId, parse_date};
use crate::network::{EdgeId, RoadNetwork};
use crate::store::Change;
use crate::{Error, Result};
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A saved work with the findings of the coordination check for it.
#[derive(Clone, Debug, Serialize)]
pub struct SavedWork {
    /// The work as stored (its `version` is the new ETag).
    pub work: Work,
    /// Findings that involve this work, most severe first.
    pub check: Vec<Finding>,
}

/// Keys of an edit body that are not fields of the work.
const CONTROL_KEYS: &[&str] = &[
    "status",
    "effective",
    "planned_start",
    "planned_end",
    "comment",
];

fn links_of(net: &RoadNetwork, book: &WorksBook) -> Result<HashMap<String, Vec<EdgeId>>> {
    Ok(book
        .planned_links(net)?
        .into_iter()
        .map(|(l, e)| (l.id, e))
        .collect())
}

fn take_comment(m: &mut Map<String, Value>) -> Result<String> {
    match m.remove("comment") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Error::invalid("comment: must be a string")),
    }
}

fn str_field(m: &Map<String, Value>, k: &str) -> Result<Option<String>> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::invalid(format!("{k}: must be a string"))),
    }
}

fn day_field(m: &Map<String, Value>, k: &str) -> Result<Option<NaiveDate>> {
    str_field(m, k)?
        .map(|s| parse_date(&s).map_err(|e| Error::invalid(format!("{k}: {}", strip(e)))))
        .transpose()
}

fn strip(e: Error) -> String {
    match e {
        Error::InvalidInput(m) => m,
        e => e.to_string(),
    }
}

/// Creates a work from a submitted JSON record (the body of `POST /api/v1/works`, or the file
/// of `jzplan works create`): every field checked, the geometry near a road, every effect
/// found on the network, the id new (`Conflict` otherwise); a top-level `comment` goes to the
/// audit entry. Nothing is stored on any error.
pub fn create(
    net: &RoadNetwork,
    book: &WorksBook,
    record: &Value,
    actor: &str,
) -> Result<SavedWork> {
    let mut v = record.clone();
    let m = v
        .as_object_mut()
        .ok_or_else(|| Error::invalid("a work record must be a JSON object"))?;
    let comment = take_comment(m)?;
    if m.contains_key("version") {
        return Err(Error::invalid(
            "version: set by the server (1 on creation); leave it out",
        ));
    }
    check_known_fields(&v)?;
    let day = today();
    fill_defaults(&mut v, actor, day);
    let work = deserialize_work(v)?;
    check_record(
        &work,
        RecordRules {
            submitted: true,
            today: day,
        },
    )?;
    let store = book.store()?;
    if let Some(p) = &work.parent {
        store
            .get_work(p)
            .map_err(|_| Error::invalid(format!("parent: no work {p}")))?;
    }
    if store.get_work(&work.id).is_ok() {
        return Err(Error::Conflict(format!("work {} already exists", work.id)));
    }
    check_on_network(net, &links_of(net, book)?, &work)?;
    let saved = super::feed::save(
        book,
        net,
        &work,
        0,
        &Change {
            actor: actor.into(),
            field: "created".into(),
            old: String::new(),
            new: work.status.to_string(),
            comment,
        },
    )?;
    Ok(SavedWork {
        work: saved.work,
        check: saved.findings,
    })
}

/// Edits a work at `expected_version` with a JSON body: `status` (+ `effective`, default
/// today), `planned_start`/`planned_end`, any field of the work as a JSON merge patch
/// (RFC 7396: `null` removes an optional field), and `comment`. The whole record is checked
/// again; one audit entry; nothing changes on any error. Cancelling is `{"status": "cancelled"}`.
pub fn edit(
    net: &RoadNetwork,
    book: &WorksBook,
    id: &WorkId,
    body: &Value,
    expected_version: u64,
    actor: &str,
) -> Result<SavedWork> {
    let mut patch = body
        .as_object()
        .cloned()
        .ok_or_else(|| Error::invalid("an edit must be a JSON object"))?;
    let comment = take_comment(&mut patch)?;
    let status: Option<Status> = str_field(&patch, "status")?
        .map(|s| {
            s.parse()
                .map_err(|e| Error::invalid(format!("status: {}", strip(e))))
        })
        .transpose()?;
    let effective = day_field(&patch, "effective")?;
    let dates = match (
        day_field(&patch, "planned_start")?,
        day_field(&patch, "planned_end")?,
    ) {
        (Some(a), Some(b)) => Some(
            DateRange::new(a, b)
                .map_err(|e| Error::invalid(format!("planned_end: {}", strip(e))))?,
        ),
        (None, None) => None,
        _ => {
            return Err(Error::invalid(
                "planned_start: give both planned_start and planned_end to change the dates",
            ));
        }
    };
    for k in CONTROL_KEYS {
        patch.remove(*k);
    }
    if effective.is_some() && status.is_none() {
        return Err(Error::invalid("effective: only with a status change"));
    }
    if patch.contains_key("version") {
        return Err(Error::invalid(
            "version: send the version as If-Match (or --version), not in the body",
        ));
    }
    if let Some(dates) = dates {
        patch.insert(
            "planned".into(),
            serde_json::json!({"start": dates.start, "end": dates.end}),
        );
    }
    if status.is_none() && patch.is_empty() {
        return Err(Error::invalid(
            "nothing to change: give status, planned dates or fields of the work",
        ));
    }
    let store = book.store()?;
    let current = store.get_work(id)?;
    if current.version != expected_version {
        return Err(Error::Conflict(format!(
            "work {id} is at version {}, not {expected_version}: reload and retry",
            current.version
        )));
    }
    if let Some(new_id) = patch.get("id")
        && new_id.as_str() != Some(id.as_str())
    {
        return Err(Error::invalid("id: cannot be changed (create a new work)"));
    }
    let old_json = serde_json::to_value(&current)
        .map_err(|e| Error::Store(format!("cannot encode work {id}: {e}")))?;
    let mut merged = old_json.clone();
    let patch = Value::Object(patch);
    merge_patch(&mut merged, &patch);
    check_known_fields(&merged)?;
    let mut work = deserialize_work(merged)?;
    let day = today();
    check_record(
        &work,
        RecordRules {
            submitted: false,
            today: NaiveDate::MAX,
        },
    )?;
    for (k, d) in [
        ("actual_start", work.actual_start),
        ("actual_end", work.actual_end),
    ] {
        if patch.get(k).is_some_and(|v| !v.is_null())
            && let Some(d) = d
        {
            check_not_after_today(k, d, day)?;
        }
    }
    if let Some(d) = effective {
        check_not_after_today("effective", d, day)?;
    }
    if current.promoter.is_some() && work.promoter.is_none() {
        return Err(Error::invalid(
            "promoter: a submitted work keeps its promoter",
        ));
    }
    if current.geometry.is_some() && work.geometry.is_none() {
        return Err(Error::invalid(
            "geometry: an edit may replace the geometry but not remove it",
        ));
    }
    if work.effects != current.effects || work.geometry != current.geometry {
        check_on_network(net, &links_of(net, book)?, &work)?;
    }
    if let Some(p) = &work.parent
        && current.parent.as_ref() != Some(p)
    {
        store
            .get_work(p)
            .map_err(|_| Error::invalid(format!("parent: no work {p}")))?;
    }
    let fields_only = work.clone();
    if let Some(to) = status {
        work = work.with_status(to, effective.unwrap_or(day))?;
        if patch.get("status_source").is_some_and(|v| !v.is_null()) {
            // The edit says itself why the status changed.
            work.status_source = fields_only.status_source.clone();
        }
    }
    let new_json = serde_json::to_value(&work)
        .map_err(|e| Error::Store(format!("cannot encode work {id}: {e}")))?;
    let changed = changed_fields(&old_json, &new_json);
    if changed.is_empty() {
        return Err(Error::invalid(
            "nothing to change: the edit leaves the work as it is",
        ));
    }
    let field_edits = changed_fields(
        &old_json,
        &serde_json::to_value(&fields_only).unwrap_or_default(),
    );
    let change = match (status, field_edits.as_slice()) {
        (Some(to), []) => Change {
            actor: actor.into(),
            field: "status".into(),
            old: current.status.to_string(),
            new: format!("{to} (effective {})", effective.unwrap_or(day)),
            comment,
        },
        (None, f)
            if f.iter().any(|k| k == "planned")
                && f.iter().all(|k| k == "planned" || k == "dates_source") =>
        {
            Change {
                actor: actor.into(),
                field: "dates".into(),
                old: current.planned.to_string(),
                new: work.planned.to_string(),
                comment,
            }
        }
        _ => Change {
            actor: actor.into(),
            field: "edit".into(),
            old: clip(&pick(&old_json, &changed)),
            new: clip(&pick(&new_json, &changed)),
            comment,
        },
    };
    let saved = super::feed::save(book, net, &work, expected_version, &change)?;
    if let Some(to) = status {
        book.follow_hotspot(&saved.work, to, actor);
    }
    Ok(SavedWork {
        work: saved.work,
        check: saved.findings,
    })
}

fn pick(v: &Value, keys: &[String]) -> String {
    let m: Map<String, Value> = keys
        .iter()
        .map(|k| (k.clone(), v.get(k).cloned().unwrap_or(Value::Null)))
        .collect();
    Value::Object(m).to_string()
}

/// Audit values are kept whole up to 4000 characters.
fn clip(s: &str) -> String {
    const MAX: usize = 4000;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    }
}

/// The findings that involve work `id`.
pub fn check_work(
    net: &RoadNetwork,
    book: &WorksBook,
    id: &WorkId,
    opts: &RuleOptions,
) -> Result<Vec<Finding>> {
    let works = book.list_works(&WorkFilter::default())?;
    if !works.iter().any(|w| &w.id == id) {
        return Err(Error::not_found("work", id));
    }
    let effects = book.resolved_effects(net)?;
    rules::find(net, &works, &effects, opts, Some(id))
}

/// Every finding passing `filter`.
pub fn findings(
    net: &RoadNetwork,
    book: &WorksBook,
    opts: &RuleOptions,
    filter: &FindingFilter,
) -> Result<Vec<Finding>> {
    let works = book.list_works(&WorkFilter::default())?;
    if let Some(w) = &filter.work
        && !works.iter().any(|x| &x.id == w)
    {
        return Err(Error::not_found("work", w));
    }
    let effects = book.resolved_effects(net)?;
    let mut out = rules::find(net, &works, &effects, opts, filter.work.as_ref())?;
    // Findings name streets as the network displays them; an English name asks for the same
    // street.
    let mut filter = filter.clone();
    if let Some(s) = &filter.street {
        let s = s.trim();
        if let Some(st) = net
            .streets()
            .iter()
            .find(|st| st.name_en.eq_ignore_ascii_case(s) || st.name_zh == s)
        {
            filter.street = Some(st.display_name().to_string());
        }
    }
    out.retain(|f| filter.matches(f));
    Ok(out)
}

/// The moratoria (dig-bans) of the stored works.
pub fn moratoria(
    net: &RoadNetwork,
    book: &WorksBook,
    periods: &MoratoriumPeriods,
) -> Result<Vec<Moratorium>> {
    let works = book.list_works(&WorkFilter::default())?;
    let effects = book.resolved_effects(net)?;
    Ok(rules::moratoria(net, &works, &effects, periods))
}

//! What both back-ends do with a record's JSON body: encode it, compare a stored record with
//! the catalogue's (the seed report), independent of the database.

use jzplan_core::works::validate::changed_fields;
use jzplan_core::{Error, Result};
use serde::Serialize;

/// The JSON body a record is stored as.
pub(crate) fn body_of<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Store(format!("cannot encode record: {e}")))
}

/// Canonical seed body: the record with version 0 (`zero` clears the version), so that a
/// stored record and the catalogue's compare equal when only the version differs.
pub(crate) fn canonical<T: Serialize + Clone>(v: &T, zero: impl FnOnce(&mut T)) -> Result<String> {
    let mut v = v.clone();
    zero(&mut v);
    body_of(&v)
}

/// Top-level fields where two JSON records differ, `version` left out (for seed reports).
pub(crate) fn differing_fields(a: &str, b: &str) -> Vec<String> {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(a @ serde_json::Value::Object(_)), Ok(b @ serde_json::Value::Object(_))) => {
            changed_fields(&a, &b)
        }
        _ => vec!["(unreadable)".into()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differing_fields_ignores_the_version_and_lists_the_rest_in_order() {
        let a = r#"{"id":"P1","version":3,"name":"a","until":"2022-10-31"}"#;
        let b = r#"{"id":"P1","version":0,"name":"b","from":"2022-05-01"}"#;
        assert_eq!(differing_fields(a, b), vec!["from", "name", "until"]);
        assert_eq!(differing_fields(a, a), Vec::<String>::new());
        assert_eq!(differing_fields("not json", b), vec!["(unreadable)"]);
    }
}

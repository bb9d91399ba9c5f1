//! The CLI dialect: the options every command spells the same way (docs/cli.md).
//!
//! - Output: `--format text|json|geojson|csv` ([`FormatOpts`]); a command refuses a format it
//!   cannot print (InvalidInput, exit 3). The old `--json`/`--geojson` flags are hidden aliases
//!   that print a one-line deprecation note on stderr.
//! - A date: `--date YYYY-MM-DD` or `--date today` ([`DateOpts`]); the old `--on` is a hidden
//!   alias. Commands that need a date and get none use today's date and say so on stderr.
//! - A date range: `--window A..B` ([`WindowOpts`]; either end may be left open); the old
//!   `--from`/`--to` of `clashes` and `works timeline` are hidden aliases (`--from`/`--to` are
//!   coordinates in `route`).
//! - Printing: every line goes through [`out!`](crate::out)/[`outln!`](crate::outln) or
//!   [`print_json`], which return an error instead of panicking when stdout fails; a closed
//!   stdout (`jzplan … | head`) ends the command quietly (see `main.rs`).
//!
//! A new command flattens these structs (`#[command(flatten)] pub out: FormatOpts`) rather than
//! declaring its own `--format`/`--date`/`--window`.

use crate::works::{DateRange, MAX_DATE, MIN_DATE, parse_date};
use crate::{Error, Result};
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::io::Write;

/// Output format of every command that prints data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    #[default]
    Text,
    /// JSON.
    Json,
    /// GeoJSON (a Feature or FeatureCollection), where the data has geometry.
    Geojson,
    /// CSV with a header line, where the data is a table.
    Csv,
}

impl Format {
    /// The spelling on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Geojson => "geojson",
            Format::Csv => "csv",
        }
    }
}

/// `--format` (and the deprecated `--json`/`--geojson`).
#[derive(Args, Debug, Clone, Default)]
pub struct FormatOpts {
    /// Output format: text, json, geojson or csv (a command refuses a format its data has no
    /// form in).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Deprecated spelling of `--format json`.
    #[arg(long, hide = true, conflicts_with_all = ["format", "geojson"])]
    pub json: bool,
    /// Deprecated spelling of `--format geojson`.
    #[arg(long, hide = true, conflicts_with = "format")]
    pub geojson: bool,
}

impl FormatOpts {
    /// The format asked for (text by default), refused unless it is one of `supported`.
    pub fn get(&self, command: &str, supported: &[Format]) -> Result<Format> {
        let f = if self.json {
            deprecated("--json", "--format json");
            Format::Json
        } else if self.geojson {
            deprecated("--geojson", "--format geojson");
            Format::Geojson
        } else {
            self.format.unwrap_or_default()
        };
        if supported.contains(&f) {
            return Ok(f);
        }
        let names: Vec<&str> = supported.iter().map(|f| f.as_str()).collect();
        Err(Error::invalid(format!(
            "`{command}` has no {} form: use --format {}",
            f.as_str(),
            names.join(", ")
        )))
    }
}

/// The formats of a single record: text or JSON.
pub const RECORD: &[Format] = &[Format::Text, Format::Json];
/// Every format (a list of records with geometry).
pub const ALL: &[Format] = &[Format::Text, Format::Json, Format::Geojson, Format::Csv];
/// The formats of a list of records: text, JSON or CSV.
pub const TABLE: &[Format] = &[Format::Text, Format::Json, Format::Csv];

impl FormatOpts {
    /// For a command printing one record: prints it as JSON if asked and returns true; returns
    /// false for text (the caller prints it); refuses geojson and csv.
    pub fn record<T: Serialize + ?Sized>(&self, command: &str, v: &T) -> Result<bool> {
        match self.get(command, RECORD)? {
            Format::Json => print_json(v).map(|_| true),
            _ => Ok(false),
        }
    }

    /// For a command printing a list: prints it as JSON or CSV if asked and returns true;
    /// returns false for text (the caller prints it); refuses geojson.
    pub fn table<T: Serialize>(&self, command: &str, rows: &[T]) -> Result<bool> {
        match self.get(command, TABLE)? {
            Format::Json => print_json(rows).map(|_| true),
            Format::Csv => print_csv(rows).map(|_| true),
            _ => Ok(false),
        }
    }
}

/// Prints the one-line note for an old option spelling.
pub fn deprecated(old: &str, new: &str) {
    eprintln!("note: {old} is deprecated; use {new}");
}

/// Today's date on this machine's clock.
pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// Parses a date option: `YYYY-MM-DD` or `today`.
pub fn parse_date_arg(s: &str) -> Result<NaiveDate> {
    if s.trim().eq_ignore_ascii_case("today") {
        return Ok(today());
    }
    parse_date(s)
}

/// `--date` (and the deprecated `--on`).
#[derive(Args, Debug, Clone, Default)]
pub struct DateOpts {
    /// The date: YYYY-MM-DD or `today`.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
    /// Deprecated spelling of `--date`.
    #[arg(long, hide = true, value_name = "YYYY-MM-DD", conflicts_with = "date")]
    pub on: Option<String>,
}

impl DateOpts {
    /// The date given, if any.
    pub fn given(&self) -> Result<Option<NaiveDate>> {
        if let Some(on) = &self.on {
            deprecated("--on", "--date");
            return parse_date_arg(on).map(Some);
        }
        self.date.as_deref().map(parse_date_arg).transpose()
    }

    /// The date given, or today's date with a note on stderr naming it (`what` says what the
    /// date is for, e.g. "the network state").
    pub fn or_today(&self, what: &str) -> Result<NaiveDate> {
        match self.given()? {
            Some(d) => Ok(d),
            None => {
                let d = today();
                eprintln!("note: {what} of today, {d} (give --date YYYY-MM-DD for another day)");
                Ok(d)
            }
        }
    }
}

/// `--window A..B` (and the deprecated `--from A`/`--to B`).
#[derive(Args, Debug, Clone, Default)]
pub struct WindowOpts {
    /// A date range START..END, both days included; either end may be left open
    /// (`2022-01-01..`, `..2023-12-31`).
    #[arg(long, value_name = "START..END")]
    pub window: Option<String>,
    /// Deprecated: the start of `--window`.
    #[arg(
        long,
        hide = true,
        value_name = "YYYY-MM-DD",
        conflicts_with = "window"
    )]
    pub from: Option<String>,
    /// Deprecated: the end of `--window`.
    #[arg(
        long,
        hide = true,
        value_name = "YYYY-MM-DD",
        conflicts_with = "window"
    )]
    pub to: Option<String>,
}

impl WindowOpts {
    /// The range given (open ends as `None`), or `None` without any option.
    pub fn get(&self) -> Result<Option<(Option<NaiveDate>, Option<NaiveDate>)>> {
        if let Some(w) = &self.window {
            return parse_window(w).map(Some);
        }
        if self.from.is_none() && self.to.is_none() {
            return Ok(None);
        }
        deprecated("--from/--to", "--window START..END");
        let from = self.from.as_deref().map(parse_date_arg).transpose()?;
        let to = self.to.as_deref().map(parse_date_arg).transpose()?;
        check_order(from, to)?;
        Ok(Some((from, to)))
    }

    /// The range given as a closed [`DateRange`] (open ends at the earliest/latest date).
    pub fn range(&self) -> Result<Option<DateRange>> {
        self.get()?
            .map(|(a, b)| DateRange::new(a.unwrap_or(MIN_DATE), b.unwrap_or(MAX_DATE)))
            .transpose()
    }
}

fn check_order(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Result<()> {
    match (a, b) {
        (Some(a), Some(b)) if b < a => Err(Error::invalid(format!(
            "window end {b} is before its start {a}"
        ))),
        _ => Ok(()),
    }
}

/// Parses `START..END` (either side may be empty, not both).
pub fn parse_window(s: &str) -> Result<(Option<NaiveDate>, Option<NaiveDate>)> {
    let (a, b) = s.split_once("..").ok_or_else(|| {
        Error::invalid(format!(
            "window '{s}' must be START..END (YYYY-MM-DD..YYYY-MM-DD)"
        ))
    })?;
    let side = |x: &str| -> Result<Option<NaiveDate>> {
        let x = x.trim();
        if x.is_empty() {
            Ok(None)
        } else {
            parse_date_arg(x).map(Some)
        }
    };
    let (a, b) = (side(a)?, side(b)?);
    if a.is_none() && b.is_none() {
        return Err(Error::invalid(format!(
            "window '{s}' has neither a start nor an end"
        )));
    }
    check_order(a, b)?;
    Ok((a, b))
}

/// Maps a failed write to stdout to [`Error::Io`] on `<stdout>` (a closed pipe ends the
/// command quietly in `main`).
pub fn stdout_error(e: std::io::Error) -> Error {
    Error::io(STDOUT, e)
}

/// The path [`Error::Io`] names for standard output.
pub const STDOUT: &str = "<stdout>";

/// True if `e` is a write to a closed standard output (the reader of a pipe went away).
pub fn is_closed_stdout(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        if let Some(Error::Io { path, source }) = c.downcast_ref::<Error>() {
            return path.as_os_str() == STDOUT && source.kind() == std::io::ErrorKind::BrokenPipe;
        }
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// `print!` that returns an error instead of panicking when stdout fails.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout(), $($arg)*).map_err($crate::cli::opts::stdout_error)?
    }};
}

/// `println!` that returns an error instead of panicking when stdout fails.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*).map_err($crate::cli::opts::stdout_error)?
    }};
}

/// Prints `v` as pretty JSON and a newline.
pub fn print_json<T: Serialize + ?Sized>(v: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v).map_err(|e| stdout_error(e.into()))?;
    writeln!(out).map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}

/// Prints a list of records as CSV: one column per member (in the order first met; members of
/// a record in name order),
/// nested values as compact JSON, absent or null members as empty cells.
pub fn print_csv<T: Serialize>(rows: &[T]) -> Result<()> {
    let values: Vec<serde_json::Value> = rows
        .iter()
        .map(serde_json::to_value)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::invalid(format!("cannot tabulate: {e}")))?;
    let text = csv_text(&values)?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}

/// The CSV text of a list of JSON records (see [`print_csv`]).
pub fn csv_text(values: &[serde_json::Value]) -> Result<String> {
    let mut columns: Vec<String> = Vec::new();
    for v in values {
        match v {
            serde_json::Value::Object(m) => {
                for k in m.keys() {
                    if !columns.contains(k) {
                        columns.push(k.clone());
                    }
                }
            }
            _ => {
                if columns.is_empty() {
                    columns.push("value".into());
                }
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| Error::invalid(format!("cannot write CSV: {e}"));
    if !columns.is_empty() {
        w.write_record(&columns).map_err(err)?;
    }
    let cell = |v: Option<&serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    for v in values {
        let row: Vec<String> = match v {
            serde_json::Value::Object(m) => columns.iter().map(|c| cell(m.get(c))).collect(),
            other => vec![cell(Some(other))],
        };
        w.write_record(&row).map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::invalid(format!("cannot write CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::invalid(format!("cannot write CSV: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn windows_parse_with_open_ends_and_refuse_nonsense() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            parse_window("2022-01-01..2022-12-31").unwrap(),
            (Some(d("2022-01-01")), Some(d("2022-12-31")))
        );
        assert_eq!(
            parse_window("2022-01-01..").unwrap(),
            (Some(d("2022-01-01")), None)
        );
        assert_eq!(
            parse_window("..2022-12-31").unwrap(),
            (None, Some(d("2022-12-31")))
        );
        for bad in [
            "..",
            "2022-01-01",
            "2022-12-31..2022-01-01",
            "2022-02-30..",
            "x..y",
        ] {
            assert!(parse_window(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn csv_has_one_column_per_member_and_json_for_nested_values() {
        let rows = vec![
            json!({"id": "P1", "n": 2, "tags": ["a", "b"], "note": null}),
            json!({"id": "P2, south", "n": 3, "extra": true}),
        ];
        assert_eq!(
            csv_text(&rows).unwrap(),
            "id,n,note,tags,extra\nP1,2,,\"[\"\"a\"\",\"\"b\"\"]\",\n\"P2, south\",3,,,true\n"
        );
    }

    #[test]
    fn formats_outside_the_supported_set_are_refused_by_name() {
        let o = FormatOpts {
            format: Some(Format::Geojson),
            ..Default::default()
        };
        let e = o
            .get("works show", &[Format::Text, Format::Json])
            .unwrap_err();
        assert_eq!(e.code(), "InvalidInput");
        assert!(
            e.to_string().contains("`works show` has no geojson form"),
            "{e}"
        );
        let o = FormatOpts {
            json: true,
            ..Default::default()
        };
        assert_eq!(o.get("x", &[Format::Json]).unwrap(), Format::Json);
    }
}

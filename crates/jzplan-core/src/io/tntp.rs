//! Readers for the TNTP formats of "Transportation Networks for Research" (bstabler/
//! TransportationNetworks): network (`_net.tntp`), trips (`_trips.tntp`), node coordinates
//! (`_node.tntp`) and best-known flows (`_flow.tntp`).
//!
//! The files are whitespace-separated text: a metadata header of `<KEY> value` lines closed by
//! `<END OF METADATA>`, `~` starting a comment that runs to the end of the line, and `;` ending
//! records. Every parse error names the file, the line number and the field.
//!
//! Node numbers in the files are 1-based; the structures here keep them as written (`u32`),
//! converting to 0-based indices is the job of the assignment network builder.

use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One link of a TNTP network, as written in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct TntpLink {
    /// Tail node number (1-based).
    pub init_node: u32,
    /// Head node number (1-based).
    pub term_node: u32,
    /// Capacity (same unit as the demand, per period).
    pub capacity: f64,
    /// Length (file units; SiouxFalls sets it equal to the free-flow time).
    pub length: f64,
    /// Free-flow time (file units; SiouxFalls: 0.01 h, often read as minutes).
    pub free_flow_time: f64,
    /// BPR `b` (alpha).
    pub b: f64,
    /// BPR power (beta).
    pub power: f64,
    /// Speed limit (informative only).
    pub speed: f64,
    /// Toll (generalized cost adds `toll_factor * toll`).
    pub toll: f64,
    /// Link type (informative only).
    pub link_type: i64,
    /// Line of the file the link was read from (for error messages further down).
    pub line: usize,
}

/// A TNTP network file.
#[derive(Clone, Debug, PartialEq)]
pub struct TntpNetwork {
    /// `<NUMBER OF ZONES>`: zones are nodes `1..=zones`.
    pub zones: u32,
    /// `<NUMBER OF NODES>`.
    pub nodes: u32,
    /// `<FIRST THRU NODE>`: nodes numbered below it are centroids that paths may start or end
    /// at but never pass through.
    pub first_thru_node: u32,
    /// `<TOLL FACTOR>` (0 when absent).
    pub toll_factor: f64,
    /// `<DISTANCE FACTOR>` (0 when absent).
    pub distance_factor: f64,
    /// The links, in file order.
    pub links: Vec<TntpLink>,
    /// Every metadata entry as written (keys upper-case without brackets).
    pub metadata: BTreeMap<String, String>,
    /// The file.
    pub path: PathBuf,
}

/// A TNTP trips file: a dense zone-by-zone demand matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct TntpTrips {
    /// Number of zones.
    pub zones: u32,
    /// Row-major `zones × zones` demand, `[o * zones + d]` with 0-based zone indices.
    pub demand: Vec<f64>,
    /// `<TOTAL OD FLOW>` if the header states it.
    pub total_od_flow: Option<f64>,
    /// The file.
    pub path: PathBuf,
}

/// One row of a TNTP flow (solution) file.
#[derive(Clone, Debug, PartialEq)]
pub struct TntpFlow {
    /// Tail node number.
    pub from: u32,
    /// Head node number.
    pub to: u32,
    /// Link volume.
    pub volume: f64,
    /// Link cost at that volume.
    pub cost: f64,
}

/// One node of a TNTP node file.
#[derive(Clone, Debug, PartialEq)]
pub struct TntpNode {
    /// Node number.
    pub node: u32,
    /// X (longitude-like in SiouxFalls, but artificial).
    pub x: f64,
    /// Y.
    pub y: f64,
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// Removes the `~` comment and surrounding blanks of a line.
fn strip_comment(line: &str) -> &str {
    match line.find('~') {
        Some(i) => line[..i].trim(),
        None => line.trim(),
    }
}

/// Splits the metadata header; returns the entries and the 0-based index of the first line
/// after `<END OF METADATA>` (0 when the file has no header).
fn parse_metadata(path: &Path, text: &str) -> Result<(BTreeMap<String, String>, usize)> {
    let mut meta = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if !line.starts_with('<') {
            if meta.is_empty() {
                return Ok((meta, 0));
            }
            // A data line before <END OF METADATA>: tolerate a header that simply stops.
            return Ok((meta, i));
        }
        let close = line.find('>').ok_or_else(|| {
            Error::file(path, format!("line {}", i + 1), "metadata key without '>'")
        })?;
        let key = line[1..close].trim().to_ascii_uppercase();
        if key == "END OF METADATA" {
            return Ok((meta, i + 1));
        }
        let value = strip_comment(&line[close + 1..])
            .trim_end_matches(';')
            .trim();
        meta.insert(key, value.to_string());
    }
    Ok((meta, text.lines().count()))
}

fn meta_num<T: std::str::FromStr>(
    path: &Path,
    meta: &BTreeMap<String, String>,
    key: &str,
) -> Result<Option<T>> {
    match meta.get(key) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => v.parse::<T>().map(Some).map_err(|_| {
            Error::file(
                path,
                "metadata",
                format!("<{key}> value '{v}' is not a number"),
            )
        }),
    }
}

fn field<T: std::str::FromStr>(
    path: &Path,
    line_no: usize,
    name: &str,
    tok: Option<&str>,
) -> Result<T> {
    let tok = tok.ok_or_else(|| {
        Error::file(
            path,
            format!("line {line_no}"),
            format!("field '{name}' is missing"),
        )
    })?;
    tok.parse::<T>().map_err(|_| {
        Error::file(
            path,
            format!("line {line_no}"),
            format!("field '{name}': '{tok}' is not a valid number"),
        )
    })
}

/// Reads a `_net.tntp` file.
pub fn read_net(path: &Path) -> Result<TntpNetwork> {
    parse_net(path, &read_text(path)?)
}

/// Parses the text of a `_net.tntp` file (`path` is used in messages).
pub fn parse_net(path: &Path, text: &str) -> Result<TntpNetwork> {
    let (metadata, start) = parse_metadata(path, text)?;
    let need = |key: &str| -> Result<u32> {
        meta_num::<u32>(path, &metadata, key)?
            .ok_or_else(|| Error::file(path, "metadata", format!("<{key}> is missing")))
    };
    let zones = need("NUMBER OF ZONES")?;
    let nodes = need("NUMBER OF NODES")?;
    let n_links = need("NUMBER OF LINKS")?;
    let first_thru_node = meta_num::<u32>(path, &metadata, "FIRST THRU NODE")?.unwrap_or(1);
    let toll_factor = meta_num::<f64>(path, &metadata, "TOLL FACTOR")?.unwrap_or(0.0);
    let distance_factor = meta_num::<f64>(path, &metadata, "DISTANCE FACTOR")?.unwrap_or(0.0);
    if zones > nodes {
        return Err(Error::file(
            path,
            "metadata",
            format!("<NUMBER OF ZONES> {zones} exceeds <NUMBER OF NODES> {nodes}"),
        ));
    }
    let mut links = Vec::with_capacity(n_links as usize);
    for (i, raw) in text.lines().enumerate().skip(start) {
        let line_no = i + 1;
        let line = strip_comment(raw);
        let line = line.trim_end_matches(';').trim();
        if line.is_empty() {
            continue;
        }
        let mut t = line.split_whitespace();
        let init_node: u32 = field(path, line_no, "init_node", t.next())?;
        let term_node: u32 = field(path, line_no, "term_node", t.next())?;
        let capacity: f64 = field(path, line_no, "capacity", t.next())?;
        let length: f64 = field(path, line_no, "length", t.next())?;
        let free_flow_time: f64 = field(path, line_no, "free_flow_time", t.next())?;
        let b: f64 = field(path, line_no, "b", t.next())?;
        let power: f64 = field(path, line_no, "power", t.next())?;
        let speed: f64 = t
            .next()
            .map(|s| field(path, line_no, "speed", Some(s)))
            .transpose()?
            .unwrap_or(0.0);
        let toll: f64 = t
            .next()
            .map(|s| field(path, line_no, "toll", Some(s)))
            .transpose()?
            .unwrap_or(0.0);
        let link_type: i64 = t
            .next()
            .map(|s| field(path, line_no, "link_type", Some(s)))
            .transpose()?
            .unwrap_or(1);
        let bad = |name: &str, msg: String| {
            Error::file(
                path,
                format!("line {line_no}"),
                format!("field '{name}': {msg}"),
            )
        };
        for (name, node) in [("init_node", init_node), ("term_node", term_node)] {
            if node == 0 || node > nodes {
                return Err(bad(
                    name,
                    format!("node {node} is outside 1..={nodes} (<NUMBER OF NODES>)"),
                ));
            }
        }
        for (name, v) in [
            ("capacity", capacity),
            ("length", length),
            ("free_flow_time", free_flow_time),
            ("b", b),
            ("power", power),
            ("toll", toll),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(bad(name, format!("{v} must be finite and not negative")));
            }
        }
        if capacity == 0.0 && b > 0.0 && free_flow_time > 0.0 {
            return Err(bad(
                "capacity",
                "0 with a congestion term (b > 0): the BPR cost would be undefined".into(),
            ));
        }
        links.push(TntpLink {
            init_node,
            term_node,
            capacity,
            length,
            free_flow_time,
            b,
            power,
            speed,
            toll,
            link_type,
            line: line_no,
        });
    }
    if links.len() != n_links as usize {
        return Err(Error::file(
            path,
            "metadata",
            format!(
                "<NUMBER OF LINKS> says {n_links} but the file has {} link lines",
                links.len()
            ),
        ));
    }
    Ok(TntpNetwork {
        zones,
        nodes,
        first_thru_node,
        toll_factor,
        distance_factor,
        links,
        metadata,
        path: path.to_path_buf(),
    })
}

/// How far (relative) the demand entries may add up from `<TOTAL OD FLOW>`: headers round
/// their totals, a cut file misses whole origins.
const TOTAL_SLACK: f64 = 1e-3;

/// Reads a `_trips.tntp` file (its demand must add up to `<TOTAL OD FLOW>` if the header
/// states it, within 0.1 %).
pub fn read_trips(path: &Path) -> Result<TntpTrips> {
    parse_trips(path, &read_text(path)?)
}

/// Parses the text of a `_trips.tntp` file.
pub fn parse_trips(path: &Path, text: &str) -> Result<TntpTrips> {
    let (metadata, start) = parse_metadata(path, text)?;
    let zones = meta_num::<u32>(path, &metadata, "NUMBER OF ZONES")?
        .ok_or_else(|| Error::file(path, "metadata", "<NUMBER OF ZONES> is missing"))?;
    let total_od_flow = meta_num::<f64>(path, &metadata, "TOTAL OD FLOW")?;
    let n = zones as usize;
    let mut demand = vec![0.0; n * n];
    let mut origin: Option<usize> = None;
    for (i, raw) in text.lines().enumerate().skip(start) {
        let line_no = i + 1;
        let line = strip_comment(raw);
        if line.is_empty() {
            continue;
        }
        let loc = || format!("line {line_no}");
        if let Some(rest) = line
            .strip_prefix("Origin")
            .or_else(|| line.strip_prefix("origin"))
        {
            let o: u32 = field(
                path,
                line_no,
                "origin",
                Some(rest.trim().trim_end_matches(';').trim()),
            )?;
            if o == 0 || o > zones {
                return Err(Error::file(
                    path,
                    loc(),
                    format!("field 'origin': zone {o} is outside 1..={zones}"),
                ));
            }
            origin = Some(o as usize - 1);
            continue;
        }
        let o = origin.ok_or_else(|| {
            Error::file(path, loc(), "demand entries before the first 'Origin' line")
        })?;
        for entry in line.split(';') {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            let (d, v) = entry.split_once(':').ok_or_else(|| {
                Error::file(
                    path,
                    loc(),
                    format!("entry '{entry}' is not 'destination : demand'"),
                )
            })?;
            let d: u32 = field(path, line_no, "destination", Some(d.trim()))?;
            let v: f64 = field(path, line_no, "demand", Some(v.trim()))?;
            if d == 0 || d > zones {
                return Err(Error::file(
                    path,
                    loc(),
                    format!("field 'destination': zone {d} is outside 1..={zones}"),
                ));
            }
            if !v.is_finite() || v < 0.0 {
                return Err(Error::file(
                    path,
                    loc(),
                    format!("field 'demand': {v} must be finite and not negative"),
                ));
            }
            demand[o * n + d as usize - 1] += v;
        }
    }
    // A file cut at a line boundary parses: the stated total is what tells.
    if let Some(t) = total_od_flow {
        let sum: f64 = demand.iter().sum();
        if (sum - t).abs() > (TOTAL_SLACK * t.abs()).max(0.5) {
            return Err(Error::file(
                path,
                "metadata",
                format!(
                    "the demand entries add up to {sum}, but <TOTAL OD FLOW> says {t}: \
                     is the file cut short?"
                ),
            ));
        }
    }
    Ok(TntpTrips {
        zones,
        demand,
        total_od_flow,
        path: path.to_path_buf(),
    })
}

/// Reads a `_flow.tntp` file (header line `From To Volume Cost`, then one row per link).
pub fn read_flow(path: &Path) -> Result<Vec<TntpFlow>> {
    parse_flow(path, &read_text(path)?)
}

/// Parses the text of a `_flow.tntp` file.
pub fn parse_flow(path: &Path, text: &str) -> Result<Vec<TntpFlow>> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = strip_comment(raw).trim_end_matches(';').trim();
        if line.is_empty() || line.starts_with(|c: char| c.is_ascii_alphabetic() || c == '<') {
            continue;
        }
        let mut t = line.split_whitespace();
        out.push(TntpFlow {
            from: field(path, line_no, "from", t.next())?,
            to: field(path, line_no, "to", t.next())?,
            volume: field(path, line_no, "volume", t.next())?,
            cost: field(path, line_no, "cost", t.next())?,
        });
    }
    Ok(out)
}

/// Reads a `_node.tntp` file (header line `Node X Y ;`, then one row per node).
pub fn read_nodes(path: &Path) -> Result<Vec<TntpNode>> {
    parse_nodes(path, &read_text(path)?)
}

/// Parses the text of a `_node.tntp` file.
pub fn parse_nodes(path: &Path, text: &str) -> Result<Vec<TntpNode>> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = strip_comment(raw).trim_end_matches(';').trim();
        if line.is_empty() || line.starts_with(|c: char| c.is_ascii_alphabetic() || c == '<') {
            continue;
        }
        let mut t = line.split_whitespace();
        out.push(TntpNode {
            node: field(path, line_no, "node", t.next())?,
            x: field(path, line_no, "x", t.next())?,
            y: field(path, line_no, "y", t.next())?,
        });
    }
    Ok(out)
}

/// The text of a `_net.tntp` file for `net` (its links in order; numbers in Rust's shortest
/// round-trip form, so a reader gets the same `f64`s back). `comment` goes in a `~` line.
pub fn format_net(net: &TntpNetwork, comment: &str) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(64 * (net.links.len() + 8));
    let _ = write!(
        s,
        "<NUMBER OF ZONES> {}\n<NUMBER OF NODES> {}\n<FIRST THRU NODE> {}\n\
         <NUMBER OF LINKS> {}\n<TOLL FACTOR> {}\n<DISTANCE FACTOR> {}\n<END OF METADATA>\n\n\
         ~ {}\n~\tinit node\tterm node\tcapacity\tlength\tfree flow time\tb\tpower\t\
         speed\ttoll\ttype\t;\n",
        net.zones,
        net.nodes,
        net.first_thru_node,
        net.links.len(),
        net.toll_factor,
        net.distance_factor,
        comment.replace('\n', " "),
    );
    for l in &net.links {
        let _ = writeln!(
            s,
            "\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t;",
            l.init_node,
            l.term_node,
            l.capacity,
            l.length,
            l.free_flow_time,
            l.b,
            l.power,
            l.speed,
            l.toll,
            l.link_type
        );
    }
    s
}

/// The text of a `_trips.tntp` file for `trips` (zero entries are left out).
pub fn format_trips(trips: &TntpTrips, comment: &str) -> String {
    use std::fmt::Write as _;
    let n = trips.zones as usize;
    let total: f64 = trips.demand.iter().sum();
    let mut s = format!(
        "<NUMBER OF ZONES> {n}\n<TOTAL OD FLOW> {total}\n<END OF METADATA>\n\n~ {}\n",
        comment.replace('\n', " ")
    );
    for o in 0..n {
        let _ = write!(s, "\nOrigin {}\n", o + 1);
        let mut on_line = 0;
        for d in 0..n {
            let v = trips.demand[o * n + d];
            if v > 0.0 {
                let _ = write!(s, "{:>6} : {v};", d + 1);
                on_line += 1;
                if on_line == 5 {
                    s.push('\n');
                    on_line = 0;
                }
            }
        }
        if on_line > 0 {
            s.push('\n');
        }
    }
    s
}

/// Writes `text` (from [`format_net`] or [`format_trips`]) to `path`.
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET: &str = "<NUMBER OF ZONES> 2\n<NUMBER OF NODES> 3\n<FIRST THRU NODE> 3\n\
<NUMBER OF LINKS> 2\n<TOLL FACTOR> 0.5\n<END OF METADATA>\n\n\
~ init term cap len fft b power speed toll type ;\n\
\t1\t3\t100\t2\t1\t0.15\t4\t0\t4\t1\t;\n\
\t3\t2\t100\t2\t0\t0.15\t4\t0\t0\t1\t; ~ a connector\n";

    #[test]
    fn reads_metadata_links_and_factors() {
        let n = parse_net(Path::new("t_net.tntp"), NET).unwrap();
        assert_eq!((n.zones, n.nodes, n.first_thru_node), (2, 3, 3));
        assert_eq!(n.toll_factor, 0.5);
        assert_eq!(n.distance_factor, 0.0);
        assert_eq!(n.links.len(), 2);
        assert_eq!(n.links[0].toll, 4.0);
        assert_eq!(n.links[1].free_flow_time, 0.0);
        assert_eq!(n.links[1].line, 10);
    }

    #[test]
    fn bad_number_names_line_and_field() {
        let bad = NET.replace("\t3\t2\t100", "\t3\t2\tlots");
        let e = parse_net(Path::new("t_net.tntp"), &bad).unwrap_err();
        let msg = e.to_string();
        assert_eq!(e.code(), "InvalidFile");
        assert!(
            msg.contains("line 10") && msg.contains("'capacity'"),
            "{msg}"
        );
    }

    #[test]
    fn negative_capacity_and_unknown_node_rejected() {
        let neg = NET.replace("\t1\t3\t100", "\t1\t3\t-100");
        let msg = parse_net(Path::new("n"), &neg).unwrap_err().to_string();
        assert!(msg.contains("line 9") && msg.contains("capacity"), "{msg}");
        let far = NET.replace("\t1\t3\t100", "\t1\t7\t100");
        let msg = parse_net(Path::new("n"), &far).unwrap_err().to_string();
        assert!(msg.contains("term_node") && msg.contains("node 7"), "{msg}");
    }

    #[test]
    fn link_count_must_match_header() {
        let short = NET.replace("<NUMBER OF LINKS> 2", "<NUMBER OF LINKS> 3");
        let msg = parse_net(Path::new("n"), &short).unwrap_err().to_string();
        assert!(msg.contains("NUMBER OF LINKS"), "{msg}");
    }

    #[test]
    fn trips_read_and_validated() {
        let text = "<NUMBER OF ZONES> 2\n<TOTAL OD FLOW> 30\n<END OF METADATA>\n\nOrigin 1\n  1 : 0.0;  2 : 10.0;\nOrigin \t2\n 1 : 20;\n";
        let t = parse_trips(Path::new("t"), text).unwrap();
        assert_eq!(t.demand, vec![0.0, 10.0, 20.0, 0.0]);
        assert_eq!(t.total_od_flow, Some(30.0));
        let neg = text.replace("2 : 10.0", "2 : -10.0");
        let msg = parse_trips(Path::new("t"), &neg).unwrap_err().to_string();
        assert!(msg.contains("line 6") && msg.contains("'demand'"), "{msg}");
        let zone = text.replace("2 : 10.0", "9 : 10.0");
        let msg = parse_trips(Path::new("t"), &zone).unwrap_err().to_string();
        assert!(msg.contains("zone 9"), "{msg}");
        // Cut after origin 1: it still parses, but does not add up to the stated total.
        let cut = text.split("Origin \t2").next().unwrap();
        let e = parse_trips(Path::new("t"), cut).unwrap_err();
        assert_eq!(e.code(), "InvalidFile");
        let msg = e.to_string();
        assert!(
            msg.contains("add up to 10") && msg.contains("says 30"),
            "{msg}"
        );
        // Without a stated total, nothing to compare.
        let untold = cut.replace("<TOTAL OD FLOW> 30\n", "");
        assert_eq!(
            parse_trips(Path::new("t"), &untold).unwrap().total_od_flow,
            None
        );
    }

    #[test]
    fn flow_and_node_files() {
        let f = parse_flow(
            Path::new("f"),
            "From \tTo \tVolume \tCost \n1 \t2 \t4494.6 \t6.0 \n",
        )
        .unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].from, f[0].to), (1, 2));
        let n = parse_nodes(Path::new("n"), "Node\tX\tY\t;\n1\t-96.7\t43.6\t;\n").unwrap();
        assert_eq!(n[0].node, 1);
        assert_eq!(n[0].x, -96.7);
        let e = parse_nodes(Path::new("n"), "Node X Y\n1 abc 3\n").unwrap_err();
        assert!(e.to_string().contains("line 2"));
    }

    #[test]
    fn written_files_read_back_the_same() {
        let n = parse_net(Path::new("t_net.tntp"), NET).unwrap();
        let text = format_net(&n, "two links");
        let back = parse_net(Path::new("t_net.tntp"), &text).unwrap();
        assert_eq!(back.links.len(), n.links.len());
        for (a, b) in back.links.iter().zip(&n.links) {
            assert_eq!(
                TntpLink {
                    line: 0,
                    ..a.clone()
                },
                TntpLink {
                    line: 0,
                    ..b.clone()
                }
            );
        }
        assert_eq!(
            (
                back.zones,
                back.nodes,
                back.first_thru_node,
                back.toll_factor
            ),
            (2, 3, 3, 0.5)
        );
        let demand: Vec<f64> = (0..49)
            .map(|i| if i % 8 == 0 { 0.0 } else { 0.1 * i as f64 })
            .collect();
        let t = TntpTrips {
            zones: 7,
            demand: demand.clone(),
            total_od_flow: None,
            path: PathBuf::from("t"),
        };
        let back = parse_trips(Path::new("t"), &format_trips(&t, "seven zones")).unwrap();
        assert_eq!(back.demand, demand);
        assert_eq!(back.total_od_flow, Some(demand.iter().sum()));
    }
}

//! `.jzn`: jzplan's compact binary network format, for networks too large to load quickly
//! from GeoJSON (a 1M-edge network loads in a fraction of a second).
//!
//! Layout (little-endian): the 8-byte magic `JZPLNET\0`, a `u32` format version, the origin
//! string, five `u64` counts (nodes, streets, sources, edges, coordinates), the streets (way id,
//! Chinese and English name), the distinct `source` strings, the nodes (lon, lat as `f64`), then
//! per edge a 44-byte record (from, to, street, source, twin as `u32`; class, lanes, flags, pad
//! as `u8`; speed, capacity as `f32`; length as `f64`; coordinate count `k` as `u32`) followed
//! by its `k` coordinates (lon, lat as `f64`), then the 8-byte end marker `JZNEND\0\0`.
//! Strings are a `u32` byte length and UTF-8. Edges are interleaved with their geometry so a
//! reader streams the file through a small buffer: loading never holds the file and the
//! network in memory at once. Every value is validated again on reading (the file goes through the same
//! [`NetworkBuilder`] checks as any other source), so a corrupt file is an error, never a
//! panic or a wrong network.

use crate::network::{EdgeId, EdgeSpec, NetworkBuilder, NodeId, RoadClass, RoadNetwork, StreetId};
use crate::{Error, Result};
use geo_types::{Coord, LineString};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

/// The file magic.
pub const MAGIC: &[u8; 8] = b"JZPLNET\0";
/// The end marker.
pub const END: &[u8; 8] = b"JZNEND\0\0";
/// The format version written (and the only one read).
pub const VERSION: u32 = 1;

const NO_TWIN: u32 = u32::MAX;
const EDGE_RECORD: usize = 44;

fn class_code(c: RoadClass) -> u8 {
    RoadClass::ALL.iter().position(|&x| x == c).unwrap_or(0) as u8
}

/// Serialises a network.
pub fn to_bytes(net: &RoadNetwork) -> Vec<u8> {
    let n_coords: usize = net.edges().iter().map(|e| e.geometry.0.len()).sum();
    let mut out = Vec::with_capacity(
        64 + net.node_count() * 16 + net.edge_count() * EDGE_RECORD + n_coords * 16,
    );
    let put_str = |out: &mut Vec<u8>, s: &str| {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    };
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    put_str(&mut out, &net.origin);
    let mut sources: Vec<&str> = Vec::new();
    let mut source_ids: HashMap<&str, u32> = HashMap::new();
    let edge_sources: Vec<u32> = net
        .edges()
        .iter()
        .map(|e| {
            *source_ids.entry(&e.source).or_insert_with(|| {
                sources.push(&e.source);
                (sources.len() - 1) as u32
            })
        })
        .collect();
    for c in [
        net.node_count(),
        net.streets().len(),
        sources.len(),
        net.edge_count(),
        n_coords,
    ] {
        out.extend_from_slice(&(c as u64).to_le_bytes());
    }
    for s in net.streets() {
        put_str(&mut out, &s.way_id);
        put_str(&mut out, &s.name_zh);
        put_str(&mut out, &s.name_en);
    }
    for s in &sources {
        put_str(&mut out, s);
    }
    for n in net.nodes() {
        out.extend_from_slice(&n.lon.to_le_bytes());
        out.extend_from_slice(&n.lat.to_le_bytes());
    }
    for (e, src) in net.edges().iter().zip(&edge_sources) {
        for v in [
            e.from.0,
            e.to.0,
            e.street.0,
            *src,
            e.twin.map_or(NO_TWIN, |t| t.0),
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let flags = u8::from(e.bridge) | (u8::from(e.tunnel) << 1) | (u8::from(e.planned) << 2);
        out.extend_from_slice(&[class_code(e.class), e.lanes, flags, 0]);
        out.extend_from_slice(&e.speed_kmh.to_le_bytes());
        out.extend_from_slice(&e.capacity_vph.to_le_bytes());
        out.extend_from_slice(&e.length_m.to_le_bytes());
        out.extend_from_slice(&(e.geometry.0.len() as u32).to_le_bytes());
        for c in &e.geometry.0 {
            out.extend_from_slice(&c.x.to_le_bytes());
            out.extend_from_slice(&c.y.to_le_bytes());
        }
    }
    out.extend_from_slice(END);
    out
}

/// Writes a network to a `.jzn` file.
pub fn write_network(net: &RoadNetwork, path: &Path) -> Result<()> {
    let bytes = to_bytes(net);
    let f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = std::io::BufWriter::new(f);
    w.write_all(&bytes)
        .and_then(|_| w.flush())
        .map_err(|e| Error::io(path, e))
}

/// Reads a `.jzn` file (streamed through a buffer).
pub fn read_network(path: &Path) -> Result<RoadNetwork> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    from_reader(std::io::BufReader::with_capacity(1 << 16, f), len, path)
}

/// Parses the bytes of a `.jzn` file; `path` names it in errors.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<RoadNetwork> {
    from_reader(bytes, bytes.len() as u64, path)
}

/// Where in the file a value is, for an error: formatted only when one is reported (a label
/// per item read would cost a million allocations on a million-edge network).
trait At: Copy {
    fn label(self) -> String;
}

impl At for &str {
    fn label(self) -> String {
        self.to_string()
    }
}

/// Item `.1` of kind `.0` (`edge 12`).
#[derive(Clone, Copy)]
struct Item(&'static str, usize);

impl At for Item {
    fn label(self) -> String {
        format!("{} {}", self.0, self.1)
    }
}

struct Input<'a, R> {
    r: R,
    /// Bytes of the input not read yet.
    left: u64,
    path: &'a Path,
}

impl<R: Read> Input<'_, R> {
    fn err(&self, at: impl At, msg: impl Into<String>) -> Error {
        Error::file(self.path, at.label(), msg)
    }
    fn fill(&mut self, buf: &mut [u8], at: impl At) -> Result<()> {
        if self.left < buf.len() as u64 {
            return Err(self.err(
                at,
                format!(
                    "file is truncated (needs {} more bytes, has {})",
                    buf.len(),
                    self.left
                ),
            ));
        }
        self.r.read_exact(buf).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => self.err(at, "file is truncated"),
            _ => Error::io(self.path, e),
        })?;
        self.left -= buf.len() as u64;
        Ok(())
    }
    fn arr<const N: usize>(&mut self, at: impl At) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        self.fill(&mut a, at)?;
        Ok(a)
    }
    fn u32(&mut self, at: impl At) -> Result<u32> {
        Ok(u32::from_le_bytes(self.arr(at)?))
    }
    fn u64(&mut self, at: impl At) -> Result<u64> {
        Ok(u64::from_le_bytes(self.arr(at)?))
    }
    fn f64(&mut self, at: impl At) -> Result<f64> {
        Ok(f64::from_bits(self.u64(at)?))
    }
    fn string(&mut self, at: impl At) -> Result<String> {
        let n = self.u32(at)? as u64;
        if n > self.left {
            return Err(self.err(
                at,
                format!("string of {n} bytes runs past the end of the file"),
            ));
        }
        let mut v = vec![0u8; n as usize];
        self.fill(&mut v, at)?;
        String::from_utf8(v).map_err(|_| self.err(at, "string is not valid UTF-8"))
    }
    /// A count that must fit in what is left of the file at `min_bytes` each.
    fn count(&mut self, at: impl At, min_bytes: u64) -> Result<usize> {
        let c = self.u64(at)?;
        if c > u32::MAX as u64 || c.saturating_mul(min_bytes) > self.left {
            return Err(self.err(
                at,
                format!(
                    "count {c} does not fit in the file ({} bytes left)",
                    self.left
                ),
            ));
        }
        Ok(c as usize)
    }
}

/// Parses a `.jzn` stream of `len` bytes; `path` names it in errors.
pub fn from_reader(r: impl Read, len: u64, path: &Path) -> Result<RoadNetwork> {
    let mut c = Input { r, left: len, path };
    let magic: [u8; 8] = c.arr("header")?;
    if &magic != MAGIC {
        return Err(c.err("header", "not a jzplan .jzn network (bad magic bytes)"));
    }
    let version = c.u32("header")?;
    if version != VERSION {
        return Err(c.err(
            "header",
            format!(
                "format version {version} is not supported (this jzplan reads version {VERSION})"
            ),
        ));
    }
    let origin = c.string("header: origin")?;
    let n_nodes = c.count("header: node count", 16)?;
    let n_streets = c.count("header: street count", 12)?;
    let n_sources = c.count("header: source count", 4)?;
    let n_edges = c.count("header: edge count", EDGE_RECORD as u64)?;
    let n_coords = c.count("header: coordinate count", 16)?;
    let mut b = NetworkBuilder::new(origin);
    b.reserve(n_nodes, n_edges);
    for i in 0..n_streets {
        let at = Item("street", i);
        let (w, zh, en) = (c.string(at)?, c.string(at)?, c.string(at)?);
        if b.add_street(&w, &zh, &en) != StreetId::from_index(i) {
            return Err(c.err(at, format!("field way_id: duplicate way id '{w}'")));
        }
    }
    let mut sources = Vec::with_capacity(n_sources);
    for i in 0..n_sources {
        sources.push(c.string(Item("source", i))?);
    }
    for i in 0..n_nodes {
        let at = Item("node", i);
        let (lon, lat) = (c.f64(at)?, c.f64(at)?);
        b.add_node(lon, lat)
            .map_err(|e| c.err(at, format!("field lon/lat: {e}")))?;
    }
    let rd32 = |s: &[u8], o: usize| u32::from_le_bytes([s[o], s[o + 1], s[o + 2], s[o + 3]]);
    let rd64 = |s: &[u8], o: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&s[o..o + 8]);
        f64::from_bits(u64::from_le_bytes(a))
    };
    let mut twins: Vec<u32> = Vec::with_capacity(n_edges);
    let mut coords_seen = 0usize;
    let mut buf = Vec::new();
    for i in 0..n_edges {
        let at = Item("edge", i);
        let r: [u8; EDGE_RECORD] = c.arr(at)?;
        let bad = |field: &str, msg: String| {
            Error::file(path, at.label(), format!("field {field}: {msg}"))
        };
        let source = rd32(&r, 12) as usize;
        let class = *RoadClass::ALL
            .get(r[20] as usize)
            .ok_or_else(|| bad("class", format!("unknown class code {}", r[20])))?;
        let flags = r[22];
        let k = rd32(&r, 40) as usize;
        if k < 2 || n_coords - coords_seen < k {
            return Err(bad("geometry", format!("{k} coordinates do not fit")));
        }
        coords_seen += k;
        buf.resize(k * 16, 0);
        c.fill(&mut buf, at)?;
        let geometry: Vec<Coord<f64>> = (0..k)
            .map(|j| Coord {
                x: rd64(&buf, j * 16),
                y: rd64(&buf, j * 16 + 8),
            })
            .collect();
        let spec = EdgeSpec {
            from: NodeId(rd32(&r, 0)),
            to: NodeId(rd32(&r, 4)),
            street: StreetId(rd32(&r, 8)),
            class,
            length_m: Some(rd64(&r, 32)),
            speed_kmh: Some(f32::from_bits(rd32(&r, 24))),
            lanes: Some(r[21]),
            capacity_vph: Some(f32::from_bits(rd32(&r, 28))),
            bridge: flags & 1 != 0,
            tunnel: flags & 2 != 0,
            planned: flags & 4 != 0,
            geometry: Some(LineString(geometry)),
            source: sources
                .get(source)
                .ok_or_else(|| bad("source", format!("unknown source index {source}")))?
                .clone(),
        };
        b.add_edge(spec)
            .map_err(|e| Error::file(path, at.label(), e.to_string()))?;
        twins.push(rd32(&r, 16));
    }
    if coords_seen != n_coords {
        return Err(c.err("coordinates", "coordinate count does not match the edges"));
    }
    let end: [u8; 8] = c.arr("end marker")?;
    if &end != END || c.left != 0 {
        return Err(c.err("end marker", "file does not end where its header says"));
    }
    for (i, &t) in twins.iter().enumerate() {
        if t == NO_TWIN {
            continue;
        }
        if t as usize >= n_edges || twins[t as usize] != i as u32 || t as usize == i {
            return Err(Error::file(
                path,
                format!("edge {i}"),
                format!("field twin: edge {t} is not its twin in return"),
            ));
        }
        if (t as usize) < i {
            continue; // linked with its lower-numbered twin already
        }
        b.set_twins(EdgeId::from_index(i), EdgeId(t))
            .map_err(|e| Error::file(path, format!("edge {i}"), e.to_string()))?;
    }
    b.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::grid::{GridOptions, grid};

    #[test]
    fn round_trip_is_exact_and_bad_files_are_errors() {
        let net = grid(&GridOptions::jinzhou(3, 4)).unwrap();
        let bytes = to_bytes(&net);
        let p = Path::new("mem.jzn");
        let back = from_bytes(&bytes, p).unwrap();
        assert_eq!(back.edges(), net.edges());
        assert_eq!(back.nodes(), net.nodes());
        assert_eq!(back.streets(), net.streets());
        assert_eq!(back.origin, net.origin);
        // Every truncation is a clear InvalidFile, never a panic.
        for cut in (0..bytes.len()).step_by(7) {
            let e = from_bytes(&bytes[..cut], p).unwrap_err();
            assert!(matches!(e, Error::InvalidFile { .. }), "{cut}: {e}");
        }
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert!(
            from_bytes(&bad, p)
                .unwrap_err()
                .to_string()
                .contains("magic")
        );
        let mut bad = bytes.clone();
        bad[8] = 9;
        assert!(
            from_bytes(&bad, p)
                .unwrap_err()
                .to_string()
                .contains("version 9")
        );
        // Flip every byte of the first edge record in turn: error or a valid network.
        let first_edge =
            bytes.len() - 8 - 16 * 2 * net.edge_count() - EDGE_RECORD * net.edge_count();
        for i in first_edge..first_edge + EDGE_RECORD {
            let mut bad = bytes.clone();
            bad[i] ^= 0xff;
            let _ = from_bytes(&bad, p);
        }
    }
}

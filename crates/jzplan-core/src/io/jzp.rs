//! `.jzp`: a prepared network — the network with the routing data a server would otherwise
//! prepare at start (the base contraction hierarchies, the customizable hierarchy's node
//! order), in one versioned file with a checksum, so that a replica of a large network loads
//! it and answers its first query without preparing (`jzplan prepare`, then `jzplan serve
//! --network net.jzp`).
//!
//! Layout (little-endian):
//!
//! | bytes | what |
//! |---|---|
//! | 8 | magic `JZPLPREP` |
//! | 4 | format version (`u32`, [`VERSION`]) |
//! | 4 | section count (`u32`) |
//! | 8 | payload length in bytes (`u64`) |
//! | 8 | checksum of the payload (`u64`, [`checksum`]) |
//! | … | payload: the sections, each a 4-byte tag, a `u64` length and its bytes |
//! | 8 | end marker `JZPEND\0\0` |
//!
//! Sections: `NETW` the network (a whole [`super::jzn`] file), then any of `CHTI` / `CHDI` the
//! base hierarchy for time / distance ([`RawHierarchy`]: counts as `u64`, `u32` arrays, arcs
//! as head `u32`, weight `f64`, id `u32`) and `CCHO` the customizable hierarchy's node order
//! (`u64` count, `u32` nodes). A file is read in one streaming pass while its checksum is
//! computed; every structure is checked again on reading. A file that is not `.jzp` (wrong
//! magic), of another version, shorter or longer than its header says, or whose checksum does
//! not match is an [`Error::InvalidFile`] that says which; when a section fails to parse and
//! the checksum does not match either, the error is the checksum's (the file is damaged).
//!
//! The checksum finds damage (any changed 8-byte word changes it), not tampering: it is not a
//! cryptographic hash. A hierarchy is only used by a server if it was made for exactly the
//! network and base weights loaded (`RoutingCache::install`).

use super::jzn;
use crate::network::{Metric, RoadNetwork};
use crate::routing::Hierarchy;
use crate::routing::ch::raw::RawHierarchy;
use crate::{Error, Result};
use std::io::{Read, Write};
use std::path::Path;

/// The file magic.
pub const MAGIC: &[u8; 8] = b"JZPLPREP";
/// The end marker.
pub const END: &[u8; 8] = b"JZPEND\0\0";
/// The format version written (and the only one read).
pub const VERSION: u32 = 1;

const HEADER: u64 = 32;
const NETWORK: [u8; 4] = *b"NETW";
const CH_TIME: [u8; 4] = *b"CHTI";
const CH_DISTANCE: [u8; 4] = *b"CHDI";
const CCH_ORDER: [u8; 4] = *b"CCHO";

/// The routing data of a prepared file.
#[derive(Debug, Default)]
pub struct PreparedRouting {
    /// Base hierarchies by metric.
    pub hierarchies: Vec<(Metric, Hierarchy)>,
    /// The customizable hierarchy's node order (`order[r]` is the node of rank `r`).
    pub cch_order: Option<Vec<u32>>,
}

/// The routing data to write, borrowed.
#[derive(Debug, Default)]
pub struct PreparedRoutingRef<'a> {
    /// Base hierarchies by metric.
    pub hierarchies: Vec<(Metric, &'a Hierarchy)>,
    /// The customizable hierarchy's node order.
    pub cch_order: Option<&'a [u32]>,
}

/// A network with its routing data, as read.
#[derive(Debug)]
pub struct PreparedNetwork {
    /// The network.
    pub network: RoadNetwork,
    /// Its routing data.
    pub routing: PreparedRouting,
}

/// The 64-bit checksum of the payload: four lanes over the little-endian 8-byte words
/// (xor, multiply by an odd constant, rotate: a bijection of the lane for each word, so a
/// changed word always changes the result), the tail padded with zeros, then the lanes and the
/// length folded together.
#[derive(Clone, Debug)]
pub struct Checksum {
    lanes: [u64; 4],
    pending: [u8; 32],
    npending: usize,
    len: u64,
}

const PRIME: u64 = 0x9E37_79B9_7F4A_7C15;

impl Default for Checksum {
    fn default() -> Self {
        Checksum {
            lanes: [
                0x243F_6A88_85A3_08D3,
                0x1319_8A2E_0370_7344,
                0xA409_3822_299F_31D0,
                0x082E_FA98_EC4E_6C89,
            ],
            pending: [0; 32],
            npending: 0,
            len: 0,
        }
    }
}

impl Checksum {
    fn block(&mut self, b: &[u8]) {
        for (i, lane) in self.lanes.iter_mut().enumerate() {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i * 8..i * 8 + 8]);
            *lane = (*lane ^ u64::from_le_bytes(w))
                .wrapping_mul(PRIME)
                .rotate_left(31);
        }
    }

    /// Adds bytes.
    pub fn update(&mut self, mut data: &[u8]) {
        self.len += data.len() as u64;
        if self.npending > 0 {
            let take = (32 - self.npending).min(data.len());
            self.pending[self.npending..self.npending + take].copy_from_slice(&data[..take]);
            self.npending += take;
            data = &data[take..];
            if self.npending < 32 {
                return;
            }
            let p = self.pending;
            self.block(&p);
            self.npending = 0;
        }
        let mut chunks = data.chunks_exact(32);
        for c in &mut chunks {
            self.block(c);
        }
        let rest = chunks.remainder();
        self.pending[..rest.len()].copy_from_slice(rest);
        self.npending = rest.len();
    }

    /// The checksum of the bytes added.
    pub fn finish(mut self) -> u64 {
        if self.npending > 0 {
            let mut p = [0u8; 32];
            p[..self.npending].copy_from_slice(&self.pending[..self.npending]);
            self.block(&p);
        }
        let mut h = self.len.wrapping_mul(PRIME);
        for l in self.lanes {
            h = (h ^ l).wrapping_mul(PRIME);
            h ^= h >> 29;
        }
        h
    }
}

/// The checksum of `bytes` (see [`Checksum`]).
pub fn checksum(bytes: &[u8]) -> u64 {
    let mut c = Checksum::default();
    c.update(bytes);
    c.finish()
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u32s(out: &mut Vec<u8>, v: &[u32]) {
    put_u64(out, v.len() as u64);
    for &x in v {
        put_u32(out, x);
    }
}

fn put_arcs(out: &mut Vec<u8>, v: &[(u32, f64, u32)]) {
    put_u64(out, v.len() as u64);
    for &(head, w, id) in v {
        put_u32(out, head);
        put_u64(out, w.to_bits());
        put_u32(out, id);
    }
}

fn hierarchy_bytes(h: &Hierarchy) -> Vec<u8> {
    let r = h.to_raw();
    let mut out = Vec::with_capacity(h.memory_bytes() + 64);
    put_u64(&mut out, r.edges as u64);
    put_u32s(&mut out, &r.rank);
    put_u32s(&mut out, &r.up_off);
    put_arcs(&mut out, &r.up);
    put_u32s(&mut out, &r.down_off);
    put_arcs(&mut out, &r.down);
    put_u64(&mut out, r.shortcuts.len() as u64);
    for s in &r.shortcuts {
        put_u32(&mut out, s[0]);
        put_u32(&mut out, s[1]);
    }
    put_u64(&mut out, r.weights.len() as u64);
    for w in &r.weights {
        put_u64(&mut out, w.to_bits());
    }
    out
}

/// Serialises a network with its routing data.
pub fn to_bytes(net: &RoadNetwork, routing: &PreparedRoutingRef<'_>) -> Vec<u8> {
    let mut sections: Vec<([u8; 4], Vec<u8>)> = vec![(NETWORK, jzn::to_bytes(net))];
    for &(metric, h) in &routing.hierarchies {
        let tag = match metric {
            Metric::Time => CH_TIME,
            Metric::Distance => CH_DISTANCE,
        };
        sections.push((tag, hierarchy_bytes(h)));
    }
    if let Some(order) = routing.cch_order {
        let mut b = Vec::with_capacity(8 + order.len() * 4);
        put_u32s(&mut b, order);
        sections.push((CCH_ORDER, b));
    }
    let payload_len: u64 = sections.iter().map(|(_, b)| 12 + b.len() as u64).sum();
    let mut sum = Checksum::default();
    for (tag, b) in &sections {
        sum.update(tag);
        sum.update(&(b.len() as u64).to_le_bytes());
        sum.update(b);
    }
    let mut out = Vec::with_capacity((HEADER + payload_len) as usize + END.len());
    out.extend_from_slice(MAGIC);
    put_u32(&mut out, VERSION);
    put_u32(&mut out, sections.len() as u32);
    put_u64(&mut out, payload_len);
    put_u64(&mut out, sum.finish());
    for (tag, b) in sections {
        out.extend_from_slice(&tag);
        put_u64(&mut out, b.len() as u64);
        out.extend_from_slice(&b);
    }
    out.extend_from_slice(END);
    out
}

/// What a prepared network file holds, as written.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Written {
    /// Size of the file in bytes.
    pub bytes: u64,
    /// Nodes of the network.
    pub nodes: usize,
    /// Directed edges of the network.
    pub edges: usize,
    /// Shortcuts of each base hierarchy, by metric (`time`, `distance`).
    pub hierarchies: Vec<(String, usize)>,
    /// Whether the customizable hierarchy's node order is in the file.
    pub cch_order: bool,
    /// Seconds each part took to prepare or write (`hierarchy time`, `write`, …), in order.
    pub seconds: Vec<(String, f64)>,
}

/// Writes a prepared network file.
pub fn write_file(
    net: &RoadNetwork,
    routing: &PreparedRoutingRef<'_>,
    path: &Path,
) -> Result<Written> {
    let bytes = to_bytes(net, routing);
    let f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = std::io::BufWriter::new(f);
    w.write_all(&bytes)
        .and_then(|_| w.flush())
        .map_err(|e| Error::io(path, e))?;
    Ok(Written {
        bytes: bytes.len() as u64,
        nodes: net.node_count(),
        edges: net.edge_count(),
        hierarchies: routing
            .hierarchies
            .iter()
            .map(|(m, h)| {
                let name = match m {
                    Metric::Time => "time",
                    Metric::Distance => "distance",
                };
                (name.to_string(), h.shortcut_count())
            })
            .collect(),
        cch_order: routing.cch_order.is_some(),
        seconds: Vec::new(),
    })
}

/// Reads a prepared network file (streamed through a buffer).
pub fn read_file(path: &Path) -> Result<PreparedNetwork> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    from_reader(std::io::BufReader::with_capacity(1 << 20, f), len, path)
}

/// Parses the bytes of a prepared network file; `path` names it in errors.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<PreparedNetwork> {
    from_reader(bytes, bytes.len() as u64, path)
}

/// Whether the file at `path` starts with the `.jzp` magic.
pub fn is_jzp(path: &Path) -> Result<bool> {
    let mut head = [0u8; 8];
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let n = f.read(&mut head).map_err(|e| Error::io(path, e))?;
    Ok(n == 8 && &head == MAGIC)
}

/// A reader that sums what passes through it.
struct Summed<R> {
    r: R,
    sum: Checksum,
}

impl<R: Read> Read for Summed<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.r.read(buf)?;
        self.sum.update(&buf[..n]);
        Ok(n)
    }
}

/// Parses a prepared network stream of `len` bytes; `path` names it in errors.
pub fn from_reader(mut r: impl Read, len: u64, path: &Path) -> Result<PreparedNetwork> {
    let bad = |at: &str, msg: String| Error::file(path, at, msg);
    let mut head = [0u8; HEADER as usize];
    let got = read_up_to(&mut r, &mut head).map_err(|e| Error::io(path, e))?;
    if got >= 8 && &head[..8] != MAGIC {
        let what = if &head[..8] == jzn::MAGIC {
            "a .jzn network, not a prepared network (write one with `jzplan prepare`)"
        } else {
            "not a jzplan prepared network (.jzp): bad magic bytes"
        };
        return Err(bad("header", what.into()));
    }
    if got < HEADER as usize {
        return Err(bad(
            "header",
            format!("file is truncated: {got} bytes, a header takes {HEADER}"),
        ));
    }
    let u32_at = |o: usize| u32::from_le_bytes(head[o..o + 4].try_into().unwrap_or_default());
    let u64_at = |o: usize| u64::from_le_bytes(head[o..o + 8].try_into().unwrap_or_default());
    let version = u32_at(8);
    if version != VERSION {
        return Err(bad(
            "header",
            format!(
                "format version {version} is not supported (this jzplan reads version {VERSION})"
            ),
        ));
    }
    let (count, payload_len, want) = (u32_at(12), u64_at(16), u64_at(24));
    let expected = HEADER
        .saturating_add(payload_len)
        .saturating_add(END.len() as u64);
    if len < expected {
        return Err(bad(
            "header",
            format!("file is truncated: {len} bytes, its header says {expected}"),
        ));
    }
    if len > expected {
        return Err(bad(
            "header",
            format!("file is longer than its header says ({len} bytes, not {expected})"),
        ));
    }
    let mut input = Summed {
        r: (&mut r).take(payload_len),
        sum: Checksum::default(),
    };
    let parsed = read_sections(&mut input, count, path);
    // Whatever happened, sum the rest: a damaged file is reported as damaged.
    let drained = std::io::copy(&mut input, &mut std::io::sink());
    let sum = input.sum.clone().finish();
    if sum != want {
        return Err(bad(
            "checksum",
            format!(
                "checksum mismatch (header {want:#018x}, contents {sum:#018x}): the file is damaged"
            ),
        ));
    }
    let parsed = parsed?;
    if drained.map_err(|e| Error::io(path, e))? != 0 {
        return Err(bad("payload", "bytes after the last section".into()));
    }
    let mut end = [0u8; 8];
    r.read_exact(&mut end).map_err(|e| Error::io(path, e))?;
    if &end != END {
        return Err(bad(
            "end marker",
            "file does not end with the end marker".into(),
        ));
    }
    Ok(parsed)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn read_sections(r: &mut impl Read, count: u32, path: &Path) -> Result<PreparedNetwork> {
    let bad = |at: &str, msg: String| Error::file(path, at, msg);
    let mut network = None;
    let mut routing = PreparedRouting::default();
    for i in 0..count {
        let mut tag = [0u8; 4];
        let mut len = [0u8; 8];
        let at = format!("section {i}");
        r.read_exact(&mut tag)
            .and_then(|_| r.read_exact(&mut len))
            .map_err(|_| bad(&at, "file is truncated".into()))?;
        let len = u64::from_le_bytes(len);
        let name = String::from_utf8_lossy(&tag).into_owned();
        let at = format!("section {i} ({name})");
        if network.is_none() && tag != NETWORK {
            return Err(bad(
                &at,
                "the first section must be the network (NETW)".into(),
            ));
        }
        match tag {
            NETWORK if network.is_none() => {
                let mut take = r.take(len);
                network = Some(jzn::from_reader(&mut take, len, path)?);
            }
            CH_TIME | CH_DISTANCE | CCH_ORDER => {
                let mut b = Vec::new();
                r.take(len)
                    .read_to_end(&mut b)
                    .map_err(|e| Error::io(path, e))?;
                if (b.len() as u64) < len {
                    return Err(bad(&at, "file is truncated".into()));
                }
                let mut c = Bytes { b: &b, at: 0 };
                if tag == CCH_ORDER {
                    let order = c
                        .u32s()
                        .ok_or_else(|| bad(&at, "order does not fit".into()))?;
                    routing.cch_order = Some(order);
                } else {
                    let h = read_hierarchy(&mut c).map_err(|m| bad(&at, m))?;
                    let metric = if tag == CH_TIME {
                        Metric::Time
                    } else {
                        Metric::Distance
                    };
                    routing.hierarchies.push((metric, h));
                }
                if c.at != b.len() {
                    return Err(bad(&at, "bytes after the section's contents".into()));
                }
            }
            _ => return Err(bad(&at, format!("unknown or repeated section '{name}'"))),
        }
    }
    let network = network.ok_or_else(|| bad("payload", "no network section".into()))?;
    Ok(PreparedNetwork { network, routing })
}

/// A cursor over a section's bytes; `None` when a value runs past the end.
struct Bytes<'a> {
    b: &'a [u8],
    at: usize,
}

impl Bytes<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    /// A count of items of `size` bytes that fits in what is left.
    fn count(&mut self, size: usize) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n.checked_mul(size)? <= self.b.len() - self.at).then_some(n)
    }
    fn u32s(&mut self) -> Option<Vec<u32>> {
        let n = self.count(4)?;
        let s = self.take(n * 4)?;
        Some(
            s.chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )
    }
    fn arcs(&mut self) -> Option<Vec<(u32, f64, u32)>> {
        let n = self.count(16)?;
        let s = self.take(n * 16)?;
        Some(
            s.chunks_exact(16)
                .map(|c| {
                    let w = u64::from_le_bytes(c[4..12].try_into().unwrap_or_default());
                    (
                        u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                        f64::from_bits(w),
                        u32::from_le_bytes([c[12], c[13], c[14], c[15]]),
                    )
                })
                .collect(),
        )
    }
}

fn read_hierarchy(c: &mut Bytes<'_>) -> std::result::Result<Hierarchy, String> {
    let short = || "the hierarchy does not fit in its section".to_string();
    let edges = usize::try_from(c.u64().ok_or_else(short)?).map_err(|_| short())?;
    let rank = c.u32s().ok_or_else(short)?;
    let up_off = c.u32s().ok_or_else(short)?;
    let up = c.arcs().ok_or_else(short)?;
    let down_off = c.u32s().ok_or_else(short)?;
    let down = c.arcs().ok_or_else(short)?;
    let n = c.count(8).ok_or_else(short)?;
    let mut shortcuts = Vec::with_capacity(n);
    for _ in 0..n {
        shortcuts.push([c.u32().ok_or_else(short)?, c.u32().ok_or_else(short)?]);
    }
    let n = c.count(8).ok_or_else(short)?;
    let mut weights = Vec::with_capacity(n);
    for _ in 0..n {
        weights.push(f64::from_bits(c.u64().ok_or_else(short)?));
    }
    Hierarchy::from_raw(RawHierarchy {
        edges,
        rank,
        up_off,
        up,
        down_off,
        down,
        shortcuts,
        weights,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::grid::{GridOptions, grid};

    fn prepared() -> (RoadNetwork, Hierarchy, Hierarchy, Vec<u32>) {
        let net = grid(&GridOptions::jinzhou(4, 5)).unwrap();
        let t = Hierarchy::new(&net, &net.weights(Metric::Time)).unwrap();
        let d = Hierarchy::new(&net, &net.weights(Metric::Distance)).unwrap();
        let order = crate::routing::Cch::new(&net).unwrap().order().to_vec();
        (net, t, d, order)
    }

    fn file_of(net: &RoadNetwork, t: &Hierarchy, d: &Hierarchy, order: &[u32]) -> Vec<u8> {
        to_bytes(
            net,
            &PreparedRoutingRef {
                hierarchies: vec![(Metric::Time, t), (Metric::Distance, d)],
                cch_order: Some(order),
            },
        )
    }

    fn error_of(bytes: &[u8]) -> String {
        match from_bytes(bytes, Path::new("net.jzp")) {
            Err(e @ Error::InvalidFile { .. }) => e.to_string(),
            Err(e) => panic!("not InvalidFile: {e}"),
            Ok(_) => panic!("read a bad file"),
        }
    }

    #[test]
    fn round_trip_keeps_the_network_and_the_hierarchies_exactly() {
        let (net, t, d, order) = prepared();
        let bytes = file_of(&net, &t, &d, &order);
        let back = from_bytes(&bytes, Path::new("net.jzp")).unwrap();
        assert_eq!(jzn::to_bytes(&back.network), jzn::to_bytes(&net));
        let hs = &back.routing.hierarchies;
        assert_eq!(hs.len(), 2);
        assert_eq!((hs[0].0, hs[1].0), (Metric::Time, Metric::Distance));
        assert_eq!(hs[0].1.to_raw(), t.to_raw());
        assert_eq!(hs[1].1.to_raw(), d.to_raw());
        assert!(
            hs[0]
                .1
                .matches(&back.network, &back.network.weights(Metric::Time))
        );
        assert_eq!(back.routing.cch_order.as_deref(), Some(&order[..]));
        // Written again, the same bytes.
        assert_eq!(file_of(&back.network, &hs[0].1, &hs[1].1, &order), bytes);
    }

    #[test]
    fn a_network_alone_is_a_prepared_file_too() {
        let (net, ..) = prepared();
        let bytes = to_bytes(&net, &PreparedRoutingRef::default());
        let back = from_bytes(&bytes, Path::new("n.jzp")).unwrap();
        assert!(back.routing.hierarchies.is_empty() && back.routing.cch_order.is_none());
        assert_eq!(back.network.edge_count(), net.edge_count());
    }

    #[test]
    fn foreign_truncated_damaged_and_newer_files_are_clear_errors() {
        let (net, t, d, order) = prepared();
        let good = file_of(&net, &t, &d, &order);
        // Foreign: another format, a .jzn network, nothing at all.
        assert!(error_of(b"{\"type\": \"FeatureCollection\"}").contains("bad magic bytes"));
        assert!(error_of(&jzn::to_bytes(&net)).contains("a .jzn network"));
        assert!(error_of(b"").contains("truncated"));
        // Truncated anywhere: the header, a section, the end marker.
        for cut in [
            4,
            20,
            31,
            32,
            100,
            good.len() / 2,
            good.len() - 9,
            good.len() - 1,
        ] {
            let e = error_of(&good[..cut]);
            assert!(e.contains("truncated"), "{cut}: {e}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(error_of(&longer).contains("longer than its header"));
        // Damaged: one bit of the payload, anywhere (network, hierarchy, order).
        for at in [40, good.len() / 3, good.len() / 2, good.len() - 20] {
            let mut bad = good.clone();
            bad[at] ^= 0x10;
            let e = error_of(&bad);
            assert!(e.contains("checksum mismatch"), "{at}: {e}");
        }
        // Another version.
        let mut newer = good.clone();
        newer[8..12].copy_from_slice(&2u32.to_le_bytes());
        assert!(error_of(&newer).contains("format version 2 is not supported"));
        // A damaged end marker.
        let mut end = good.clone();
        let n = end.len();
        end[n - 1] = b'X';
        assert!(error_of(&end).contains("end marker"));
    }

    #[test]
    fn a_well_summed_file_with_a_bad_hierarchy_is_an_error_not_a_panic() {
        // A shortcut made of itself would unpack forever: rejected when read.
        let (net, t, ..) = prepared();
        let mut raw = t.to_raw();
        assert!(!raw.shortcuts.is_empty());
        let own = raw.edges as u32;
        raw.shortcuts[0] = [own, 0];
        assert!(
            Hierarchy::from_raw(raw.clone())
                .unwrap_err()
                .contains("shortcut 0")
        );
        let mut raw = t.to_raw();
        raw.rank[0] = raw.rank[1];
        assert!(
            Hierarchy::from_raw(raw)
                .unwrap_err()
                .contains("permutation")
        );
        let mut raw = t.to_raw();
        raw.up[0].0 = u32::MAX;
        assert!(
            Hierarchy::from_raw(raw)
                .unwrap_err()
                .contains("names no node")
        );
        // An arc that does not go up (here: to its own slot) would make the query loop.
        let mut raw = t.to_raw();
        let s = raw.up_off.windows(2).position(|w| w[0] < w[1]).unwrap();
        raw.up[raw.up_off[s] as usize].0 = s as u32;
        assert!(
            Hierarchy::from_raw(raw)
                .unwrap_err()
                .contains("does not go up")
        );
        let mut raw = t.to_raw();
        raw.weights.pop();
        assert!(Hierarchy::from_raw(raw).unwrap_err().contains("weights"));
        let _ = net;
    }

    #[test]
    fn the_checksum_sees_every_word_and_not_the_chunking() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let whole = checksum(&data);
        let mut c = Checksum::default();
        for part in data.chunks(13) {
            c.update(part);
        }
        assert_eq!(c.finish(), whole);
        for i in (0..data.len()).step_by(37) {
            let mut d = data.clone();
            d[i] ^= 1;
            assert_ne!(checksum(&d), whole, "{i}");
        }
        // Length counts: trailing zeros are not the same data.
        let mut z = data.clone();
        z.push(0);
        assert_ne!(checksum(&z), whole);
    }
}

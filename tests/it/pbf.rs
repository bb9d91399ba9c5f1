//! A minimal OSM PBF writer for tests and benches: protobuf encoded by hand, zlib-compressed
//! blobs, plain (not dense) nodes and ways in one data block.

use std::io::Write;

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}
fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}
fn key(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, ((field as u64) << 3) | wire as u64);
}
fn bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    key(out, field, 2);
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}
fn uint(out: &mut Vec<u8>, field: u32, v: u64) {
    key(out, field, 0);
    varint(out, v);
}
fn sint(out: &mut Vec<u8>, field: u32, v: i64) {
    uint(out, field, zigzag(v));
}
fn packed(out: &mut Vec<u8>, field: u32, vals: impl Iterator<Item = u64>) {
    let mut buf = Vec::new();
    for v in vals {
        varint(&mut buf, v);
    }
    bytes(out, field, &buf);
}

fn blob(kind: &str, payload: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(payload).unwrap();
    let mut blob = Vec::new();
    uint(&mut blob, 2, payload.len() as u64);
    bytes(&mut blob, 3, &z.finish().unwrap());
    let mut header = Vec::new();
    bytes(&mut header, 1, kind.as_bytes());
    uint(&mut header, 3, blob.len() as u64);
    let mut out = (header.len() as u32).to_be_bytes().to_vec();
    out.extend(header);
    out.extend(blob);
    out
}

/// A way: id, node refs, tags.
pub type WaySpec<'a> = (i64, Vec<i64>, Vec<(&'a str, &'a str)>);

/// Nodes `(id, lon, lat)` and ways `(id, refs, tags)`, in one data block.
pub fn write(nodes: &[(i64, f64, f64)], ways: &[WaySpec<'_>]) -> Vec<u8> {
    let mut strings: Vec<String> = vec![String::new()];
    let mut sid = |s: &str| -> u64 {
        match strings.iter().position(|x| x == s) {
            Some(i) => i as u64,
            None => {
                strings.push(s.to_string());
                (strings.len() - 1) as u64
            }
        }
    };
    let mut group = Vec::new();
    for &(id, lon, lat) in nodes {
        let mut n = Vec::new();
        sint(&mut n, 1, id);
        sint(&mut n, 8, (lat * 1e7).round() as i64);
        sint(&mut n, 9, (lon * 1e7).round() as i64);
        bytes(&mut group, 1, &n);
    }
    let mut way_group = Vec::new();
    for (id, refs, tags) in ways {
        let mut w = Vec::new();
        uint(&mut w, 1, *id as u64);
        let ks: Vec<u64> = tags.iter().map(|(k, _)| sid(k)).collect();
        let vs: Vec<u64> = tags.iter().map(|(_, v)| sid(v)).collect();
        packed(&mut w, 2, ks.into_iter());
        packed(&mut w, 3, vs.into_iter());
        let mut prev = 0;
        let deltas: Vec<u64> = refs
            .iter()
            .map(|&r| {
                let d = r - prev;
                prev = r;
                zigzag(d)
            })
            .collect();
        packed(&mut w, 8, deltas.into_iter());
        bytes(&mut way_group, 3, &w);
    }
    let mut table = Vec::new();
    for s in &strings {
        bytes(&mut table, 1, s.as_bytes());
    }
    let mut block = Vec::new();
    bytes(&mut block, 1, &table);
    bytes(&mut block, 2, &group);
    bytes(&mut block, 2, &way_group);
    let mut header = Vec::new();
    bytes(&mut header, 4, b"OsmSchema-V0.6");
    let mut out = blob("OSMHeader", &header);
    out.extend(blob("OSMData", &block));
    out
}

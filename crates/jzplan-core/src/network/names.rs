//! Streets by name: which streets carry a name, and the edges of each street, found without
//! reading every street or edge (built once per network, on first use).
//!
//! The rule of a match is that of the works' street anchors: a name (trimmed) matches a
//! street whose Chinese name is it, or is it with a section suffix (`解放路一段` → `解放路`),
//! or whose English name is it ignoring ASCII case. An anchor that matches no edge near it
//! asks how far the nearest edge of its streets is; on an OSM import or a synthetic grid every
//! way is its own street (319,200 on the 1M-edge grid), so comparing names street by street
//! for each such anchor cost more than everything else of opening a prepared network.

use super::{EdgeId, RoadNetwork, Street};
use std::collections::HashMap;

/// A Chinese street name without its section suffix (`解放路一段` → `解放路`), trimmed.
pub fn base_name(s: &str) -> &str {
    let s = s.trim();
    if let Some(stripped) = s.strip_suffix('段') {
        for num in ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"] {
            if let Some(b) = stripped.strip_suffix(num) {
                return b;
            }
        }
    }
    s
}

/// Whether `st` carries one of `names` (Chinese or English, section suffixes ignored).
pub fn street_named(st: &Street, names: &[String]) -> bool {
    names.iter().any(|n| {
        let n = n.trim();
        (!st.name_zh.is_empty() && (st.name_zh == n || base_name(&st.name_zh) == n))
            || (!st.name_en.is_empty() && st.name_en.eq_ignore_ascii_case(n))
    })
}

/// The index: streets by each form of their names, and each street's edges.
#[derive(Debug, Default)]
pub struct StreetNames {
    /// Chinese name, as stored and without its section suffix → streets.
    zh: HashMap<String, Vec<u32>>,
    /// English name in ASCII lower case → streets.
    en: HashMap<String, Vec<u32>>,
    /// Edges of street `s`: `edges[offsets[s]..offsets[s + 1]]`, by id.
    offsets: Vec<u32>,
    edges: Vec<EdgeId>,
}

impl StreetNames {
    /// Builds the index of `net` (one pass over its streets and one over its edges).
    pub fn build(net: &RoadNetwork) -> Self {
        let mut zh: HashMap<String, Vec<u32>> = HashMap::new();
        let mut en: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, st) in net.streets().iter().enumerate() {
            let i = i as u32;
            if !st.name_zh.is_empty() {
                let base = base_name(&st.name_zh);
                zh.entry(st.name_zh.clone()).or_default().push(i);
                if base != st.name_zh {
                    zh.entry(base.to_string()).or_default().push(i);
                }
            }
            if !st.name_en.is_empty() {
                en.entry(st.name_en.to_ascii_lowercase())
                    .or_default()
                    .push(i);
            }
        }
        let mut offsets = vec![0u32; net.streets().len() + 1];
        for e in net.edges() {
            offsets[e.street.index() + 1] += 1;
        }
        for s in 1..offsets.len() {
            offsets[s] += offsets[s - 1];
        }
        let mut next = offsets.clone();
        let mut edges = vec![EdgeId(0); net.edge_count()];
        for (j, e) in net.edges().iter().enumerate() {
            let slot = &mut next[e.street.index()];
            edges[*slot as usize] = EdgeId::from_index(j);
            *slot += 1;
        }
        StreetNames {
            zh,
            en,
            offsets,
            edges,
        }
    }

    /// The streets carrying one of `names` (the rule of [`street_named`]), by index, each once.
    pub fn streets_named(&self, names: &[String]) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for n in names {
            let n = n.trim();
            let hits = self
                .zh
                .get(n)
                .into_iter()
                .chain(self.en.get(&n.to_ascii_lowercase()));
            out.extend(hits.flatten().map(|&s| s as usize));
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The edges of street `s` (by index), by id.
    pub fn edges_of(&self, s: usize) -> &[EdgeId] {
        &self.edges[self.offsets[s] as usize..self.offsets[s + 1] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{EdgeSpec, NetworkBuilder, RoadClass};

    #[test]
    fn the_index_finds_exactly_the_streets_the_name_rule_matches() {
        // A row of junctions, each block a street of its own with one of these names.
        let names = [
            "解放路一段",
            "解放路",
            "Jiefang Road",
            "  中央大街 ",
            "段",
            "一段",
            "",
        ];
        let mut b = NetworkBuilder::new("test");
        let mut prev = b.add_node(121.0, 41.0).unwrap();
        for i in 0..14 {
            let next = b.add_node(121.0 + 0.001 * (i + 1) as f64, 41.0).unwrap();
            let zh = names[i % names.len()];
            let en = if i % 3 == 0 { "JIEFANG road" } else { "" };
            let st = b.add_street(&format!("w{i}"), zh, en);
            b.add_road(
                EdgeSpec::new(prev, next, st, RoadClass::Primary, "test"),
                i % 2 == 0,
            )
            .unwrap();
            prev = next;
        }
        let net = b.build().unwrap();
        let index = StreetNames::build(&net);
        for ask in [
            vec!["解放路".to_string()],
            vec!["jiefang ROAD".into()],
            vec![" 解放路一段".into(), "中央大街".into()],
            vec!["".into()],
            vec!["段".into(), "nothing".into()],
            vec![],
        ] {
            let brute: Vec<usize> = (net.streets().iter().enumerate())
                .filter(|(_, st)| street_named(st, &ask))
                .map(|(i, _)| i)
                .collect();
            assert_eq!(index.streets_named(&ask), brute, "{ask:?}");
        }
        // Every edge is listed under its street, once.
        let mut all: Vec<EdgeId> = (0..net.streets().len())
            .flat_map(|s| index.edges_of(s).iter().copied())
            .collect();
        for s in 0..net.streets().len() {
            assert!(
                index
                    .edges_of(s)
                    .iter()
                    .all(|&e| net.edge(e).street.index() == s)
            );
        }
        all.sort_unstable();
        assert_eq!(all.len(), net.edge_count());
        all.dedup();
        assert_eq!(all.len(), net.edge_count());
    }
}

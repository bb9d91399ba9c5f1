//! The model-derived part of the Jinzhou catalogue: which junctions are the 14 choke points the
//! plan does not name (P6) and which streets are the 14 streets of P4 it does not name, and the
//! child works they get.
//!
//! Everything here is deterministic and runs on the embedded network: `jzplan data build` writes
//! its result to `data/jinzhou/hotspots.json` and `data/jinzhou/works.p4.json`, and the test
//! suite regenerates both in memory and compares them with the checked-in files byte for byte.
//! The hand-maintained catalogue (`data/jinzhou/works.json`) holds everything else, including
//! the seed choke point H01 and the named children P4-01 and P6-01; [`add_model_children`] adds
//! the generated children P4-02…P4-15 and P6-02…P6-15 when the catalogue is loaded.
//!
//! The rule (`docs/works.md`, "The 15 choke points" and "P4"), method
//! `model:ue-assignment-vc-am-peak` ([`VC_METHOD`]): the calibrated morning-peak-hour
//! assignment of the base network (`analysis::calibration::base_run`), its per-edge
//! v/c as the score:
//! * **Choke points**: junctions ranked by [`crate::hotspot::identify`] (candidates at least
//!   400 m apart); the best [`MODEL_HOTSPOTS`] that are at least [`SEED_CLEARANCE_M`] from every
//!   seed choke point (H01) become H02…H15, opened by P6-02…P6-15.
//! * **P4 streets**: streets ranked by [`crate::hotspot::street_scores`]; the best
//!   [`MODEL_P4_STREETS`] that are not placeholder names of the hand-drawn source
//!   ([`is_placeholder_name`]), not highways or ramps ([`is_highway_name`]) and not streets with
//!   a work of their own ([`OWN_WORK_STREETS`]).

use super::{
    Action, DateRange, Effect, LonLat, Phase, StreetAnchor, Target, Work, WorkGeometry, WorkId,
    WorkKind,
};
use crate::hotspot::{
    Candidate, Hotspot, HotspotId, HotspotKind, HotspotStatus, Measures, StreetScore, identify,
    street_scores,
};
use crate::network::RoadNetwork;
use crate::network::geom::haversine_m;
use crate::{Error, Result};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// How many choke points the model adds to the seed one (the plan counts 15).
pub const MODEL_HOTSPOTS: usize = 14;
/// How many streets the model adds to Keji West Road (the plan counts 15).
pub const MODEL_P4_STREETS: usize = 14;
/// The method of the model choke points and P4 streets: v/c of the calibrated user-equilibrium
/// assignment of the base network's morning peak hour.
pub const VC_METHOD: &str = "ue-assignment-vc-am-peak";
/// Minimum distance between two model candidates, metres.
pub const CANDIDATE_SEPARATION_M: f64 = 400.0;
/// A model candidate closer than this to a seed choke point is the same choke point.
pub const SEED_CLEARANCE_M: f64 = 400.0;
/// Streets that have a work of their own (P1 锦州街, P2 福州街, P5 南广路, P6-01 南阳东路, P7 松坡路,
/// P12 锦港大街, and P4-01 科技西路 itself): widening them under P4 would count them twice.
pub const OWN_WORK_STREETS: [&str; 7] = [
    "锦州街",
    "福州街",
    "南广路",
    "南阳东路",
    "松坡路",
    "锦港大街",
    "科技西路",
];

/// The `model:` source of every generated record.
pub fn method_source() -> String {
    format!("model:{VC_METHOD}")
}

/// True for the invented labels of the hand-drawn source: 支路/支街 branch roads and the numbered
/// 经…街 / 纬…路 grid streets of 松山新区 (`data/jinzhou/README.md`, "Streets").
pub fn is_placeholder_name(name: &str) -> bool {
    name.contains("支路")
        || name.contains("支街")
        || numbered(name, '经', '街')
        || numbered(name, '纬', '路')
}

/// `<lead><ASCII digits><tail>` somewhere in `name` (松山经3街, 松山纬12路).
fn numbered(name: &str, lead: char, tail: char) -> bool {
    name.match_indices(lead).any(|(i, _)| {
        let rest = &name[i + lead.len_utf8()..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        digits > 0 && rest[digits..].starts_with(tail)
    })
}

/// True for national roads and expressways (`G1…`, 公路, 高速), their ramps (连接线) and the port
/// road (港区路): P4 is about urban streets.
pub fn is_highway_name(name: &str) -> bool {
    let mut c = name.chars();
    (c.next() == Some('G') && c.next().is_some_and(|d| d.is_ascii_digit()))
        || ["公路", "高速", "连接线", "港区路"]
            .iter()
            .any(|k| name.contains(k))
}

/// Whether a street may be one of P4's model-chosen streets.
pub fn p4_eligible(name_zh: &str) -> bool {
    !OWN_WORK_STREETS.contains(&name_zh)
        && !is_placeholder_name(name_zh)
        && !is_highway_name(name_zh)
}

/// The choke points: the seed ones, then the best `n` candidates (in rank order) at least
/// [`SEED_CLEARANCE_M`] from every seed. Generated ids continue after the seeds (H02…), each
/// opened by the P6 child of the same number. Fewer than `n` eligible candidates is an error.
pub fn choose_hotspots(seeds: &[Hotspot], cands: &[Candidate], n: usize) -> Result<Vec<Hotspot>> {
    let far = |c: &&Candidate| {
        seeds.iter().all(|s| {
            haversine_m(
                geo_types::Point::new(c.at[0], c.at[1]),
                geo_types::Point::new(s.at[0], s.at[1]),
            ) >= SEED_CLEARANCE_M
        })
    };
    let chosen: Vec<&Candidate> = cands.iter().filter(far).take(n).collect();
    if chosen.len() < n {
        return Err(Error::invalid(format!(
            "only {} candidate choke points lie {SEED_CLEARANCE_M} m or more from the seed ones, \
             {n} are needed",
            chosen.len()
        )));
    }
    let mut out = seeds.to_vec();
    for c in chosen {
        let num = out.len() + 1;
        let name_en: Vec<&str> = c
            .streets
            .iter()
            .zip(&c.streets_en)
            .map(|(zh, en)| {
                if en.is_empty() {
                    zh.as_str()
                } else {
                    en.as_str()
                }
            })
            .collect();
        out.push(Hotspot {
            id: HotspotId(format!("H{num:02}")),
            name_zh: c.streets.join("与") + if c.streets.len() > 1 { "交叉口" } else { "" },
            name_en: name_en.join(" × "),
            kind: c.kind,
            at: c.at,
            streets: c.streets.clone(),
            evidence: format!("{} rank {} v/c {:.3}", method_source(), c.rank, c.score),
            status: HotspotStatus::BeingOpened,
            opened_by: Some(WorkId(format!("P6-{num:02}"))),
            // A modelled v/c (no delay: the assignment has no junction model).
            measures: Measures {
                vc_ratio: Some((c.score * 1000.0).round() / 1000.0),
                delay_s: None,
                source: method_source(),
            },
            rank: Some(c.rank),
            version: 0,
        });
    }
    Ok(out)
}

/// The best `n` streets eligible for P4 ([`p4_eligible`]), in rank order. Fewer is an error.
pub fn choose_p4_streets(streets: &[StreetScore], n: usize) -> Result<Vec<StreetScore>> {
    let out: Vec<StreetScore> = streets
        .iter()
        .filter(|s| p4_eligible(&s.name_zh))
        .take(n)
        .cloned()
        .collect();
    if out.len() < n {
        return Err(Error::invalid(format!(
            "only {} streets are eligible for P4, {n} are needed",
            out.len()
        )));
    }
    Ok(out)
}

/// `data/jinzhou/works.p4.json`: P4's model-chosen streets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct P4File {
    /// What the file is.
    pub about: String,
    /// `model:<method>`.
    pub method: String,
    /// `model:<method>` (every street's provenance).
    pub source: String,
    /// The streets, best first.
    pub streets: Vec<StreetScore>,
}

const HOTSPOTS_ABOUT: &str = "The 15 traffic choke points of plan item P6 (打通南阳东路等15条城市交通堵点). \
H01 is named by the plan (seed:P6); its position is an estimate on the Nanyang East Road line of \
the Jinzhou source. H02-H15 are the 14 junctions with the highest v/c (highest v/c of the edges \
entering them, candidates at least 400 m apart) in the calibrated user-equilibrium assignment of \
the base network's morning peak hour (model:ue-assignment-vc-am-peak; calibration in \
data/jinzhou/calibration.md), at least 400 m from H01. Generated by `jzplan data build` \
(src/works/choose.rs); H01 is copied from works.json.";

const P4_ABOUT: &str = "P4 streets 02-15, chosen by `jzplan data build` (src/works/choose.rs; \
rule in docs/works.md, section P4)";

/// A hotspot as written to the file: every field but the store's `version`.
#[derive(Serialize)]
struct HotspotOut<'a> {
    id: &'a HotspotId,
    name_zh: &'a str,
    name_en: &'a str,
    kind: HotspotKind,
    at: LonLat,
    streets: &'a [String],
    evidence: &'a str,
    status: HotspotStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    opened_by: Option<&'a WorkId>,
    measures: &'a Measures,
    #[serde(skip_serializing_if = "Option::is_none")]
    rank: Option<u32>,
}

#[derive(Serialize)]
struct HotspotFileOut<'a> {
    about: &'a str,
    hotspots: Vec<HotspotOut<'a>>,
}

/// JSON as the catalogue files are written: one-space indent, UTF-8, final newline.
fn to_json<T: Serialize>(v: &T) -> Result<String> {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    v.serialize(&mut ser)
        .map_err(|e| Error::invalid(format!("catalogue JSON: {e}")))?;
    let mut s = String::from_utf8(buf)
        .map_err(|e| Error::invalid(format!("catalogue JSON is not UTF-8: {e}")))?;
    s.push('\n');
    Ok(s)
}

/// Two candidates whose worst edges lie on the same street within this distance are one queue
/// along one corridor (the junctions at both ends of a loaded bridge, say): only the better is a
/// choke point.
pub const CORRIDOR_M: f64 = 1500.0;

/// The choke-point candidates of a per-edge score, best first: [`identify`]'s junctions at
/// least [`CANDIDATE_SEPARATION_M`] apart, then one per corridor ([`CORRIDOR_M`]), ranks
/// renumbered 1, 2, …
pub fn choke_candidates(net: &RoadNetwork, scores: &[f64]) -> Result<Vec<Candidate>> {
    // Ask for every candidate: `identify` is greedy in rank order, so the list only grows at
    // its end, and the seed clearance is applied after it, as the rule says.
    let all = identify(net, scores, usize::MAX, CANDIDATE_SEPARATION_M)?;
    let mut out: Vec<Candidate> = Vec::new();
    for c in all {
        let street = net.street_of(c.edge).display_name();
        let p = geo_types::Point::new(c.at[0], c.at[1]);
        let same_corridor = out.iter().any(|k| {
            net.street_of(k.edge).display_name() == street
                && haversine_m(p, geo_types::Point::new(k.at[0], k.at[1])) < CORRIDOR_M
        });
        if !same_corridor {
            let mut c = c;
            c.rank = out.len() as u32 + 1;
            out.push(c);
        }
    }
    Ok(out)
}

/// The model-derived catalogue files, as (file name, contents) in writing order:
/// `hotspots.json` (the `seeds`, then H02…) and `works.p4.json`, from the per-edge v/c of the
/// calibrated base assignment (`analysis::calibration::model_files` runs it first).
/// Deterministic: the same network, seeds and v/c give the same bytes.
pub fn model_files_from_vc(
    net: &RoadNetwork,
    seeds: &[Hotspot],
    vc: &[f64],
) -> Result<Vec<(String, String)>> {
    let scores: Vec<f64> = vc.to_vec();
    let cands = choke_candidates(net, &scores)?;
    let hotspots = choose_hotspots(seeds, &cands, MODEL_HOTSPOTS)?;
    let streets = choose_p4_streets(&street_scores(net, &scores)?, MODEL_P4_STREETS)?;
    let hot = HotspotFileOut {
        about: HOTSPOTS_ABOUT,
        hotspots: hotspots
            .iter()
            .map(|h| HotspotOut {
                id: &h.id,
                name_zh: &h.name_zh,
                name_en: &h.name_en,
                kind: h.kind,
                at: h.at,
                streets: &h.streets,
                evidence: &h.evidence,
                status: h.status,
                opened_by: h.opened_by.as_ref(),
                measures: &h.measures,
                rank: h.rank,
            })
            .collect(),
    };
    let p4 = P4File {
        about: P4_ABOUT.to_string(),
        method: method_source(),
        source: method_source(),
        streets,
    };
    Ok(vec![
        ("hotspots.json".to_string(), to_json(&hot)?),
        ("works.p4.json".to_string(), to_json(&p4)?),
    ])
}

fn date(y: i32, m: u32, d: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
        .ok_or_else(|| Error::invalid(format!("{y}-{m:02}-{d:02} is not a date")))
}

fn street(streets: Vec<String>, from: LonLat, to: Option<LonLat>, radius_m: f64) -> Target {
    Target::Street(StreetAnchor {
        streets,
        from,
        to,
        radius_m,
    })
}

fn effect(phase: Phase, action: Action, target: &Target) -> Effect {
    Effect {
        phase,
        action,
        target: target.clone(),
        direction: None,
        schedule: None,
    }
}

/// A programme's generated child: inherits status, year and notes from the programme.
struct Child {
    id: WorkId,
    name_zh: String,
    name_en: String,
    kind: WorkKind,
    planned: DateRange,
    dates_rule: &'static str,
    geometry: WorkGeometry,
    effects: Vec<Effect>,
    source: String,
    hotspot: Option<HotspotId>,
    notes: String,
}

fn child_of(parent: &Work, c: Child) -> Work {
    Work {
        id: c.id,
        parent: Some(parent.id.clone()),
        name_zh: c.name_zh,
        name_en: c.name_en,
        kind: c.kind,
        status: parent.status,
        status_source: format!("estimate:as its programme {}", parent.id),
        planned: c.planned,
        actual_start: None,
        actual_end: None,
        dates_source: format!("{}; {}", parent.dates_source, c.dates_rule),
        geometry: Some(c.geometry),
        effects: c.effects,
        budget: None,
        hotspot: c.hotspot,
        source: c.source,
        seed_quote: String::new(),
        notes: c.notes,
        version: 0,
        promoter: None,
        emergency: false,
        start_verified: false,
        end_verified: false,
    }
}

fn programme<'a>(works: &'a [Work], id: &str) -> Result<&'a Work> {
    works
        .iter()
        .find(|w| w.id.as_str() == id)
        .ok_or_else(|| Error::invalid(format!("the catalogue has no programme {id}")))
}

/// P4's generated children, one per model-chosen street. Child `i` (0 = the hand-maintained
/// P4-01, so the first generated one is 1) starts on the 15th of month 4 + i mod 4 of the
/// programme's year (staggered April–July) and takes three months; effects: one lane less and
/// 30 km/h while on site, one lane more afterwards, along the street's extent.
fn p4_children(works: &[Work], streets: &[StreetScore]) -> Result<Vec<Work>> {
    let p4 = programme(works, "P4")?;
    let first = works
        .iter()
        .filter(|w| w.parent.as_ref() == Some(&p4.id))
        .count();
    let year = p4.planned.start.year();
    let mut out = Vec::new();
    for (k, st) in streets.iter().enumerate() {
        let i = first + k;
        let month = 4 + (i % 4) as u32;
        let [a, b] = st.extent;
        let target = street(vec![st.name_zh.clone()], a, Some(b), 400.0);
        out.push(child_of(
            p4,
            Child {
                id: WorkId(format!("P4-{:02}", i + 1)),
                name_zh: format!("{}新改扩建", st.name_zh),
                name_en: format!("{} widening", st.name_en),
                kind: WorkKind::Widening,
                planned: DateRange::new(date(year, month, 15)?, date(year, month + 3, 14)?)?,
                dates_rule: "each street assumed to take 3 months, starts staggered April-July",
                geometry: WorkGeometry::LineString(vec![a, b]),
                effects: vec![
                    effect(Phase::Construction, Action::CutLanes { lanes: 1 }, &target),
                    effect(
                        Phase::Construction,
                        Action::SetSpeed { speed_kmh: 30.0 },
                        &target,
                    ),
                    effect(Phase::Completion, Action::AddLanes { lanes: 1 }, &target),
                ],
                source: format!(
                    "{} street rank (highest v/c {:.3}); estimate:the plan does not name this street",
                    method_source(),
                    st.score
                ),
                hotspot: None,
                notes: p4.notes.clone(),
            },
        ));
    }
    Ok(out)
}

/// P6's generated children, one per model-identified choke point (evidence `model:`), with the
/// id the choke point names in `opened_by`. Child `i` (the choke point's place in the list, H01
/// = 0) starts on the 1st of month 4 + i mod 5 (staggered April–August) and takes two months;
/// effects: one lane less on the meeting streets within 200 m while on site, +30 % capacity
/// afterwards (turn lanes, signal timing: a modelling assumption).
fn p6_children(works: &[Work], hotspots: &[Hotspot]) -> Result<Vec<Work>> {
    let p6 = programme(works, "P6")?;
    let year = p6.planned.start.year();
    let mut out = Vec::new();
    for (i, h) in hotspots.iter().enumerate() {
        if !h.evidence.starts_with("model:") {
            continue;
        }
        let Some(id) = h.opened_by.clone() else {
            return Err(Error::invalid(format!(
                "model choke point {} names no work in opened_by",
                h.id
            )));
        };
        let month = 4 + (i % 5) as u32;
        let target = street(h.streets.clone(), h.at, None, 200.0);
        out.push(child_of(
            p6,
            Child {
                id,
                name_zh: format!("打通{}堵点", h.name_zh),
                name_en: format!("Open the {} choke point", h.name_en),
                kind: WorkKind::ChokePoint,
                planned: DateRange::new(date(year, month, 1)?, date(year, month + 1, 30)?)?,
                dates_rule: "two months per choke point, starts staggered April-August",
                geometry: WorkGeometry::Point(h.at),
                effects: vec![
                    effect(Phase::Construction, Action::CutLanes { lanes: 1 }, &target),
                    effect(
                        Phase::Completion,
                        Action::ScaleCapacity { factor: 1.3 },
                        &target,
                    ),
                ],
                source: h.evidence.clone(),
                hotspot: Some(h.id.clone()),
                notes: "Effects estimate: one lane per street closed while the junction is \
                        rebuilt; afterwards +30 % capacity (turn lanes, signal timing) — a \
                        modelling assumption."
                    .to_string(),
            },
        ));
    }
    Ok(out)
}

/// Adds the generated children of P4 (from `p4_streets`) and P6 (from the `model:` choke
/// points of `hotspots`) to the hand-maintained works, each group right after the last existing
/// child of its programme (or after the programme itself).
pub fn add_model_children(
    works: &mut Vec<Work>,
    hotspots: &[Hotspot],
    p4_streets: &[StreetScore],
) -> Result<()> {
    let p4 = p4_children(works, p4_streets)?;
    let p6 = p6_children(works, hotspots)?;
    for (parent, kids) in [("P4", p4), ("P6", p6)] {
        let at = works
            .iter()
            .rposition(|w| {
                w.id.as_str() == parent || w.parent.as_ref().is_some_and(|p| p.as_str() == parent)
            })
            .map_or(works.len(), |i| i + 1);
        works.splice(at..at, kids);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{EdgeId, NodeId};
    use crate::works::Status;

    fn cand(rank: u32, at: LonLat, streets: &[&str]) -> Candidate {
        Candidate {
            rank,
            node: NodeId::from_index(rank as usize),
            at,
            edge: EdgeId::from_index(0),
            score: 1.0 / rank as f64,
            streets: streets.iter().map(|s| s.to_string()).collect(),
            streets_en: streets.iter().map(|_| String::new()).collect(),
            kind: HotspotKind::Intersection,
        }
    }

    fn seed() -> Hotspot {
        Hotspot {
            id: HotspotId("H01".into()),
            name_zh: "南阳东路".into(),
            name_en: "Nanyang East Road".into(),
            kind: HotspotKind::Bottleneck,
            at: [121.13, 41.08],
            streets: vec!["南阳东路".into()],
            evidence: "seed:P6".into(),
            status: HotspotStatus::BeingOpened,
            opened_by: Some(WorkId("P6-01".into())),
            measures: Measures::default(),
            rank: None,
            version: 0,
        }
    }

    /// 0.001° of latitude is 111 m.
    fn north_of_seed(m: f64) -> LonLat {
        [121.13, 41.08 + m / 111_195.0]
    }

    #[test]
    fn candidates_near_a_seed_are_dropped_and_ids_continue_after_it() {
        let cands = [
            cand(1, north_of_seed(390.0), &["甲路", "乙街"]),
            cand(2, north_of_seed(410.0), &["丙路", "丁街"]),
            cand(3, north_of_seed(5000.0), &["戊路"]),
            cand(4, north_of_seed(9000.0), &["己路"]),
        ];
        let hs = choose_hotspots(&[seed()], &cands, 2).unwrap();
        let ids: Vec<&str> = hs.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["H01", "H02", "H03"]);
        // Rank 1 lies 390 m from H01: the same choke point. Ranks 2 and 3 are kept, 4 is not
        // needed; ranks stay the model's.
        assert_eq!(hs[1].rank, Some(2));
        assert_eq!(hs[1].name_zh, "丙路与丁街交叉口");
        assert_eq!(
            hs[1].name_en, "丙路 × 丁街",
            "no English name: the Chinese one"
        );
        assert_eq!(hs[1].opened_by, Some(WorkId("P6-02".into())));
        assert_eq!(
            hs[1].evidence,
            "model:ue-assignment-vc-am-peak rank 2 v/c 0.500"
        );
        assert_eq!(hs[2].name_zh, "戊路", "one street: no 交叉口");
        assert_eq!(hs[0], seed());
        let err = choose_hotspots(&[seed()], &cands, 4).unwrap_err();
        assert!(err.to_string().contains("only 3"), "{err}");
    }

    #[test]
    fn placeholder_names_highways_and_streets_with_a_work_are_not_p4_streets() {
        for name in [
            "城北支路3",
            "城东支街7",
            "松山经12街",
            "松山纬1路",
            "女儿河南岸支路",
        ] {
            assert!(is_placeholder_name(name), "{name}");
        }
        for name in [
            "G102国道",
            "G1京哈高速",
            "锦朝公路",
            "G1锦州南互通连接线",
            "锦州港港区路",
        ] {
            assert!(is_highway_name(name), "{name}");
        }
        for name in [
            "中央大街",
            "解放西路",
            "经济路",
            "纬路",
            "Gate Road",
            "北京路",
        ] {
            assert!(p4_eligible(name), "{name}");
        }
        let st = |name: &str, score: f64| StreetScore {
            name_zh: name.into(),
            name_en: String::new(),
            score,
            extent: [[121.0, 41.0], [121.1, 41.0]],
        };
        let ranked = [
            st("锦州街", 1.0),
            st("城北支路1", 0.9),
            st("G102国道", 0.8),
            st("中央大街", 0.7),
            st("松山经3街", 0.6),
            st("科技西路", 0.5),
            st("北京路", 0.4),
            st("上海路", 0.3),
        ];
        let chosen = choose_p4_streets(&ranked, 2).unwrap();
        let names: Vec<&str> = chosen.iter().map(|s| s.name_zh.as_str()).collect();
        assert_eq!(names, ["中央大街", "北京路"]);
        assert!(choose_p4_streets(&ranked, 4).is_err());
    }

    fn programme_work(id: &str, parent: Option<&str>) -> Work {
        Work {
            id: WorkId(id.into()),
            parent: parent.map(|p| WorkId(p.into())),
            name_zh: id.into(),
            name_en: id.into(),
            kind: WorkKind::Programme,
            status: Status::UnderConstruction,
            status_source: "estimate:test".into(),
            planned: DateRange::new(date(2022, 4, 1).unwrap(), date(2022, 10, 31).unwrap())
                .unwrap(),
            actual_start: None,
            actual_end: None,
            dates_source: "estimate:season".into(),
            geometry: None,
            effects: vec![],
            budget: None,
            hotspot: None,
            source: "seed:test".into(),
            seed_quote: String::new(),
            notes: format!("{id} rule"),
            version: 0,
            promoter: None,
            emergency: false,
            start_verified: false,
            end_verified: false,
        }
    }

    #[test]
    fn children_follow_their_programme_with_staggered_dates() {
        let mut works = vec![
            programme_work("P4", None),
            programme_work("P4-01", Some("P4")),
            programme_work("P5", None),
            programme_work("P6", None),
            programme_work("P7", None),
        ];
        let mut h2 = seed();
        h2.id = HotspotId("H02".into());
        h2.evidence = "model:ue-assignment-vc-am-peak rank 1 v/c 1.000".into();
        h2.opened_by = Some(WorkId("P6-02".into()));
        let streets: Vec<StreetScore> = (0..4)
            .map(|i| StreetScore {
                name_zh: format!("{i}路"),
                name_en: format!("Road {i}"),
                score: 0.5,
                extent: [[121.0, 41.0], [121.1, 41.0]],
            })
            .collect();
        add_model_children(&mut works, &[seed(), h2], &streets).unwrap();
        let ids: Vec<&str> = works.iter().map(|w| w.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "P4", "P4-01", "P4-02", "P4-03", "P4-04", "P4-05", "P5", "P6", "P6-02", "P7"
            ]
        );
        let w = |id: &str| works.iter().find(|w| w.id.as_str() == id).unwrap();
        // P4-02 is child 1: May 15 to August 14; P4-05 is child 4: back to April.
        assert_eq!(w("P4-02").planned.start, date(2022, 5, 15).unwrap());
        assert_eq!(w("P4-02").planned.end, date(2022, 8, 14).unwrap());
        assert_eq!(w("P4-05").planned.start, date(2022, 4, 15).unwrap());
        assert_eq!(w("P4-02").notes, "P4 rule");
        assert!(w("P4-02").source.starts_with("model:") && w("P4-02").source.contains("0.500"));
        assert_eq!(w("P4-02").effects.len(), 3);
        // P6-02 opens H02, the second choke point: May and June.
        assert_eq!(w("P6-02").hotspot, Some(HotspotId("H02".into())));
        assert_eq!(w("P6-02").planned.start, date(2022, 5, 1).unwrap());
        assert_eq!(w("P6-02").planned.end, date(2022, 6, 30).unwrap());
        assert_eq!(w("P6-02").status_source, "estimate:as its programme P6");
        assert!(
            w("P6-02")
                .dates_source
                .starts_with("estimate:season; two months")
        );
        // A catalogue without the programme cannot take children.
        let mut bare = vec![programme_work("P6", None)];
        assert!(add_model_children(&mut bare, &[], &streets).is_err());
    }
}

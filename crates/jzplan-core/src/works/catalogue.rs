//! The catalogue of the Jinzhou plan, embedded in the binary; the store is seeded from it.
//!
//! * `data/jinzhou/works.json` (hand-maintained): works P1–P12, E1–E6 with their hand-written
//!   children, the planned links they build and the seed choke point H01;
//! * `data/jinzhou/hotspots.json` and `data/jinzhou/works.p4.json` (written by `jzplan data
//!   build`, see [`super::choose`]): the 15 choke points and P4's 14 model-chosen streets, from
//!   which the model children P4-02…P4-15 and P6-02…P6-15 are added on loading.

use super::anchor::{PlannedLink, validate_links};
use super::choose::{P4File, add_model_children};
use super::{Action, Target, Work, WorkId};
use crate::hotspot::Hotspot;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

/// The embedded works catalogue (JSON).
pub const WORKS_JSON: &str = include_str!("../../../../data/jinzhou/works.json");
/// The embedded choke-point catalogue (JSON).
pub const HOTSPOTS_JSON: &str = include_str!("../../../../data/jinzhou/hotspots.json");
/// The embedded list of P4's model-chosen streets (JSON).
pub const WORKS_P4_JSON: &str = include_str!("../../../../data/jinzhou/works.p4.json");

/// The works of the plan and the new links they build.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Catalogue {
    /// What the file is, where it comes from.
    #[serde(default)]
    pub about: String,
    /// New links (bridges, roads) added to networks as planned edges.
    #[serde(default)]
    pub links: Vec<PlannedLink>,
    /// The works.
    pub works: Vec<Work>,
    /// The choke points.
    #[serde(default)]
    pub hotspots: Vec<Hotspot>,
}

/// The hotspot file's shape.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HotspotFile {
    /// What the file is and how the candidates were found.
    #[serde(default)]
    pub about: String,
    /// The choke points.
    pub hotspots: Vec<Hotspot>,
}

fn parse_json<T: serde::de::DeserializeOwned>(json: &str, name: &str) -> Result<T> {
    serde_json::from_str(json)
        .map_err(|e| Error::file(name, format!("line {}", e.line()), e.to_string()))
}

impl Catalogue {
    /// The embedded Jinzhou catalogue: the hand-maintained works, the 15 choke points and the
    /// model children of P4 and P6 (see the module doc).
    pub fn jinzhou() -> Result<Catalogue> {
        let mut c = Catalogue::parse(WORKS_JSON, "data/jinzhou/works.json")?;
        let h: HotspotFile = parse_json(HOTSPOTS_JSON, "data/jinzhou/hotspots.json")?;
        let p4: P4File = parse_json(WORKS_P4_JSON, "data/jinzhou/works.p4.json")?;
        c.hotspots = h.hotspots;
        add_model_children(&mut c.works, &c.hotspots, &p4.streets)?;
        c.validate()?;
        Ok(c)
    }

    /// The seed choke points of the hand-maintained embedded `works.json` (H01), which
    /// `jzplan data build` copies into `hotspots.json` ahead of the model-identified ones.
    pub fn jinzhou_seed_hotspots() -> Result<Vec<Hotspot>> {
        Ok(Catalogue::parse(WORKS_JSON, "data/jinzhou/works.json")?.hotspots)
    }

    /// Parses a works catalogue (hotspots may be inline) and validates it.
    pub fn parse(json: &str, name: &str) -> Result<Catalogue> {
        let c: Catalogue = serde_json::from_str(json)
            .map_err(|e| Error::file(name, format!("line {}", e.line()), e.to_string()))?;
        c.validate()?;
        Ok(c)
    }

    /// Reads a catalogue file.
    pub fn read(path: &Path) -> Result<Catalogue> {
        let s = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Catalogue::parse(&s, &path.display().to_string())
    }

    /// Checks every record and the references between them: unique ids, parents that exist,
    /// `open_link` effects naming links that exist, links built by works that exist, hotspots
    /// opened by works that exist.
    pub fn validate(&self) -> Result<()> {
        validate_links(&self.links)?;
        let mut ids = HashSet::new();
        for w in &self.works {
            w.validate()?;
            if !ids.insert(w.id.clone()) {
                return Err(Error::invalid(format!("work {} appears twice", w.id)));
            }
        }
        let links: HashSet<&str> = self.links.iter().map(|l| l.id.as_str()).collect();
        for w in &self.works {
            if let Some(p) = &w.parent
                && !ids.contains(p)
            {
                return Err(Error::invalid(format!(
                    "work {}: parent {p} is not in the catalogue",
                    w.id
                )));
            }
            for e in &w.effects {
                if let (Action::OpenLink, Target::Link { link }) = (&e.action, &e.target)
                    && !links.contains(link.as_str())
                {
                    return Err(Error::invalid(format!(
                        "work {}: link {link} is not in the catalogue",
                        w.id
                    )));
                }
            }
        }
        for l in &self.links {
            if !ids.contains(&l.work) {
                return Err(Error::invalid(format!(
                    "link {}: work {} is not in the catalogue",
                    l.id, l.work
                )));
            }
        }
        let mut hids = HashSet::new();
        for h in &self.hotspots {
            h.validate()?;
            if !hids.insert(h.id.clone()) {
                return Err(Error::invalid(format!("hotspot {} appears twice", h.id)));
            }
            if let Some(w) = &h.opened_by
                && !ids.contains(w)
            {
                return Err(Error::invalid(format!(
                    "hotspot {}: work {w} is not in the catalogue",
                    h.id
                )));
            }
        }
        Ok(())
    }

    /// One work.
    pub fn work(&self, id: &WorkId) -> Option<&Work> {
        self.works.iter().find(|w| &w.id == id)
    }
}

//! [`CatalogueStore`]: a read-only [`Store`] over a works catalogue, in memory. It lets a
//! program embed the engine with the plan's works and choke points and no database (the
//! crate docs' example does); every write is refused with a `StoreError`.

use super::{Change, SeedReport, Store, WorkWrite};
use crate::hotspot::{Hotspot, HotspotId};
use crate::scenario::Scenario;
use crate::works::catalogue::Catalogue;
use crate::works::{HistoryEntry, Work, WorkFilter, WorkId};
use crate::{Error, Result};

/// The works and choke points of a catalogue, each at version 1, read-only.
#[derive(Clone, Debug)]
pub struct CatalogueStore {
    works: Vec<Work>,
    hotspots: Vec<Hotspot>,
}

impl CatalogueStore {
    /// The catalogue's records (validated when the catalogue was parsed), by id.
    pub fn new(catalogue: &Catalogue) -> CatalogueStore {
        let mut works = catalogue.works.clone();
        works.iter_mut().for_each(|w| w.version = 1);
        works.sort_by(|a, b| super::natural_cmp(a.id.as_str(), b.id.as_str()));
        let mut hotspots = catalogue.hotspots.clone();
        hotspots.iter_mut().for_each(|h| h.version = 1);
        hotspots.sort_by(|a, b| super::natural_cmp(a.id.as_str(), b.id.as_str()));
        CatalogueStore { works, hotspots }
    }
}

fn read_only() -> Error {
    Error::Store("this store is a read-only catalogue: use a database store to make changes".into())
}

impl Store for CatalogueStore {
    /// Always 0: nothing ever changes.
    fn revision(&self) -> Result<u64> {
        Ok(0)
    }
    fn list_works(&self, filter: &WorkFilter) -> Result<Vec<Work>> {
        Ok(self
            .works
            .iter()
            .filter(|w| filter.matches(w))
            .cloned()
            .collect())
    }
    fn get_work(&self, id: &WorkId) -> Result<Work> {
        self.works
            .iter()
            .find(|w| &w.id == id)
            .cloned()
            .ok_or_else(|| Error::not_found("work", id))
    }
    fn write_work(&self, _: &WorkWrite<'_>) -> Result<Option<Work>> {
        Err(read_only())
    }
    fn history(&self, _: &str) -> Result<Vec<HistoryEntry>> {
        Ok(Vec::new())
    }
    fn list_hotspots(&self) -> Result<Vec<Hotspot>> {
        Ok(self.hotspots.clone())
    }
    fn get_hotspot(&self, id: &HotspotId) -> Result<Hotspot> {
        self.hotspots
            .iter()
            .find(|h| &h.id == id)
            .cloned()
            .ok_or_else(|| Error::not_found("hotspot", id))
    }
    fn put_hotspot(&self, _: &Hotspot, _: u64, _: &Change) -> Result<Hotspot> {
        Err(read_only())
    }
    fn list_scenarios(&self) -> Result<Vec<Scenario>> {
        Ok(Vec::new())
    }
    fn get_scenario(&self, id: &str) -> Result<Scenario> {
        Err(Error::not_found("scenario", id))
    }
    fn put_scenario(&self, _: &Scenario, _: u64, _: &Change) -> Result<Scenario> {
        Err(read_only())
    }
    fn delete_scenario(&self, _: &str, _: u64, _: &Change) -> Result<()> {
        Err(read_only())
    }
    /// Seeding from the catalogue it holds changes nothing: every record is `unchanged`.
    /// Another catalogue is refused.
    fn seed(&self, catalogue: &Catalogue) -> Result<SeedReport> {
        let same = catalogue.works.len() == self.works.len()
            && catalogue.works.iter().all(|w| self.get_work(&w.id).is_ok());
        if !same {
            return Err(read_only());
        }
        Ok(SeedReport {
            unchanged: self.works.iter().map(|w| w.id.to_string()).collect(),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::works::Status;

    #[test]
    fn serves_the_catalogue_and_refuses_writes() {
        let c = Catalogue::jinzhou().unwrap();
        let s = CatalogueStore::new(&c);
        let all = s.list_works(&WorkFilter::default()).unwrap();
        assert_eq!(all.len(), c.works.len());
        assert!(all.iter().all(|w| w.version == 1));
        let p1 = s.get_work(&WorkId("P1".into())).unwrap();
        assert_eq!(p1.id.as_str(), "P1");
        let done = s
            .list_works(&WorkFilter {
                status: Some(Status::Completed),
                ..Default::default()
            })
            .unwrap();
        assert!(done.iter().all(|w| w.status == Status::Completed));
        assert_eq!(s.list_hotspots().unwrap().len(), c.hotspots.len());
        assert_eq!(
            s.get_work(&WorkId("nope".into())).unwrap_err().code(),
            "NotFound"
        );
        let change = Change {
            actor: "a".into(),
            field: "status".into(),
            old: String::new(),
            new: String::new(),
            comment: String::new(),
        };
        assert_eq!(
            s.update_work(&p1, 1, &change).unwrap_err().code(),
            "StoreError"
        );
        assert_eq!(s.seed(&c).unwrap().unchanged.len(), c.works.len());
        assert_eq!(
            s.seed(&Catalogue::default()).unwrap_err().code(),
            "StoreError"
        );
    }
}

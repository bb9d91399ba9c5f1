//! The change feed in the store, on both back-ends: every write of a work appends its events in
//! the same transaction, cursors grow in commit order (also with two engines writing at once),
//! a write computed on an older revision is refused whole, and the subscriptions' cursors,
//! delivery log and leases.

use super::{Backend, d, engine_on, id};
use jzplan::store::events::{Delivery, EventFilter, EventKind, Subscription};
use jzplan::store::{Change, WorkWrite};
use jzplan::works::{DateRange, Status};

fn kinds_of(e: &jzplan::engine::Engine, since: u64) -> Vec<(EventKind, String, u64)> {
    let page = e.events(since, 1000, &EventFilter::default()).unwrap();
    let cursors: Vec<u64> = page.events.iter().map(|x| x.cursor).collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");
    page.events
        .into_iter()
        .filter(|x| !x.event.kind.as_str().starts_with("finding_"))
        .map(|x| (x.event.kind, x.event.work.0, x.event.version))
        .collect()
}

pub fn every_write_appends_its_events_and_a_stale_revision_writes_nothing(b: Backend) {
    let db = b.new_db();
    let (e, cat) = engine_on(&db.spec);
    let store = e.store().unwrap();
    // Seeding appended one `created` per work; seeding again appends nothing.
    let seeded = store.last_event().unwrap();
    assert_eq!(kinds_of(&e, 0).len(), cat.works.len());
    e.seed(&cat).unwrap();
    assert_eq!(store.last_event().unwrap(), seeded);

    let p10 = e.get_work(&id("P10")).unwrap().work;
    let v = p10.version;
    e.set_dates(
        &id("P10"),
        DateRange::new(d("2023-01-01"), d("2023-03-01")).unwrap(),
        None,
        v,
        "a",
        "moved",
    )
    .unwrap();
    e.set_status(
        &id("P10"),
        Status::UnderConstruction,
        d("2023-01-02"),
        v + 1,
        "a",
        "",
    )
    .unwrap();
    e.set_status(
        &id("P10"),
        Status::Cancelled,
        d("2023-01-03"),
        v + 2,
        "a",
        "",
    )
    .unwrap();
    assert_eq!(
        kinds_of(&e, seeded),
        [
            (EventKind::Edited, "P10".to_string(), v + 1),
            (EventKind::Status, "P10".to_string(), v + 2),
            (EventKind::Cancelled, "P10".to_string(), v + 3),
        ]
    );
    // Cursors beyond the last event: the store reads nothing (no wrap past i64 to the first
    // events), and the feed refuses them.
    let last = store.last_event().unwrap();
    for since in [last + 1, i64::MAX as u64 + 1, u64::MAX] {
        assert!(store.events(since, 10).unwrap().is_empty(), "{since}");
        let err = e.events(since, 10, &EventFilter::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("invalid input: since: {since} is after the last event ({last})")
        );
    }
    assert!(
        e.events(last, 10, &EventFilter::default())
            .unwrap()
            .events
            .is_empty()
    );

    // A write computed at an older revision: refused whole (no record, history or event).
    let last = store.last_event().unwrap();
    let rev = store.revision().unwrap();
    let w = e.get_work(&id("P10")).unwrap().work;
    let change = Change {
        actor: "a".into(),
        field: "edit".into(),
        old: String::new(),
        new: String::new(),
        comment: "stale".into(),
    };
    let written = store
        .write_work(&WorkWrite {
            work: &w,
            expected_version: w.version,
            change: &change,
            events: &[],
            at_revision: Some(rev - 1),
        })
        .unwrap();
    assert!(written.is_none());
    assert_eq!(store.revision().unwrap(), rev);
    assert_eq!(store.last_event().unwrap(), last);
    assert_eq!(e.get_work(&id("P10")).unwrap().work.version, w.version);
    // Refused writes (stale version, existing id) append nothing either.
    assert!(
        e.set_status(&id("P10"), Status::Design, d("2023-01-04"), v, "a", "")
            .is_err()
    );
    let mut dup = w.clone();
    dup.version = 0;
    assert!(e.create_work(&dup, "a", "").is_err());
    assert_eq!(store.last_event().unwrap(), last);
}

pub fn two_engines_writing_at_once_give_one_event_per_write_in_commit_order(b: Backend) {
    let db = b.new_db();
    let (a, _) = engine_on(&db.spec);
    let (bb, _) = engine_on(&db.spec);
    let start = a.store().unwrap().last_event().unwrap();
    let rounds = 5u32;
    std::thread::scope(|s| {
        for (e, work) in [(&a, "P10"), (&bb, "P11")] {
            s.spawn(move || {
                for i in 0..rounds {
                    let w = e.get_work(&id(work)).unwrap().work;
                    let end = d("2023-02-01") + chrono::Days::new(u64::from(i));
                    e.set_dates(
                        &id(work),
                        DateRange::new(d("2023-01-01"), end).unwrap(),
                        None,
                        w.version,
                        work,
                        &format!("{work}-{i}"),
                    )
                    .unwrap();
                }
            });
        }
    });
    // Both engines read the same feed; each write is there once, each work's versions in
    // order.
    let fa = kinds_of(&a, start);
    assert_eq!(fa, kinds_of(&bb, start));
    assert_eq!(fa.len(), 2 * rounds as usize);
    for work in ["P10", "P11"] {
        let versions: Vec<u64> = fa.iter().filter(|x| x.1 == work).map(|x| x.2).collect();
        assert_eq!(versions.len(), rounds as usize);
        assert!(
            versions.windows(2).all(|w| w[1] == w[0] + 1),
            "{versions:?}"
        );
    }
}

pub fn subscriptions_keep_their_cursor_log_and_lease(b: Backend) {
    let db = b.new_db();
    let (e, _) = engine_on(&db.spec);
    let store = e.store().unwrap();
    let sub = e
        .subscribe(
            "http://127.0.0.1:9/hook",
            EventFilter {
                works: vec![id("P1")],
                kinds: vec![EventKind::Edited],
            },
            Some(3),
            "a",
        )
        .unwrap();
    assert_eq!(sub.cursor, 3);
    let listed: Vec<Subscription> = store.list_subscriptions().unwrap();
    assert_eq!(listed, vec![sub.clone()]);
    assert!(e.subscription(&sub.id).unwrap().secret.is_empty());
    let att = |cursor, attempt, ok| Delivery {
        subscription: sub.id.clone(),
        cursor,
        attempt,
        at: chrono::Utc::now(),
        status: Some(if ok { 200 } else { 500 }),
        ok,
        error: String::new(),
    };
    e.record_delivery(Some(&att(4, 1, false)), &sub.id, None)
        .unwrap();
    e.record_delivery(Some(&att(4, 2, true)), &sub.id, Some(4))
        .unwrap();
    e.record_delivery(None, &sub.id, Some(2)).unwrap(); // never back
    assert_eq!(e.subscription(&sub.id).unwrap().cursor, 4);
    let log = e.deliveries(&sub.id, 10).unwrap();
    assert_eq!(
        log.iter().map(|x| (x.attempt, x.ok)).collect::<Vec<_>>(),
        [(2, true), (1, false)]
    );
    // One owner at a time.
    assert!(e.claim_subscription(&sub.id, "replica-a", 60).unwrap());
    assert!(!e.claim_subscription(&sub.id, "replica-b", 60).unwrap());
    assert!(e.claim_subscription(&sub.id, "replica-a", 60).unwrap());
    // Deleted with its log.
    e.unsubscribe(&sub.id).unwrap();
    assert_eq!(e.unsubscribe(&sub.id).unwrap_err().code(), "NotFound");
    assert_eq!(e.deliveries(&sub.id, 10).unwrap_err().code(), "NotFound");
    assert_eq!(
        e.record_delivery(None, &sub.id, Some(5))
            .unwrap_err()
            .code(),
        "NotFound"
    );
}

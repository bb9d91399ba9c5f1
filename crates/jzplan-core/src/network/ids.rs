//! Typed ids. A `NodeId`/`EdgeId` is the index of the node/edge in its [`RoadNetwork`]
//! (and the same index in the petgraph graph), so lookups are array accesses.
//!
//! [`RoadNetwork`]: super::RoadNetwork

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! typed_id {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl $name {
            /// The id as an array index.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
            /// The id of array index `i`.
            #[inline]
            pub fn from_index(i: usize) -> Self {
                Self(i as u32)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

typed_id!(NodeId, "A node (junction or dead end) of a road network.");
typed_id!(
    EdgeId,
    "A directed edge (one direction of a road segment between two nodes)."
);
typed_id!(
    StreetId,
    "A street (way): the named road that edges belong to."
);

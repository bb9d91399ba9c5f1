//! The one error type of the library. Every variant maps to a stable `code` that the CLI turns
//! into an exit code and the HTTP API into an RFC 9457 problem+json `code`.

use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in jzplan, in variants a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request or argument is malformed (bad coordinate, bad date, out-of-range value).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A file could not be parsed; says which file, which feature/line and which field.
    #[error("invalid file {path}: {location}: {message}")]
    InvalidFile {
        /// The file.
        path: PathBuf,
        /// Feature index, line number or layer name.
        location: String,
        /// What is wrong (names the field).
        message: String,
    },
    /// An id that does not exist (work, edge, node, hotspot, scenario, collection, ...).
    #[error("{kind} not found: {id}")]
    NotFound {
        /// What kind of thing was looked up.
        kind: &'static str,
        /// The id asked for.
        id: String,
    },
    /// A coordinate is too far from any road (OSRM's `NoSegment`).
    #[error("no road segment within {max_m} m of {lon},{lat}")]
    NoSegment {
        /// Longitude asked for.
        lon: f64,
        /// Latitude asked for.
        lat: f64,
        /// Snapping radius that was searched.
        max_m: f64,
    },
    /// The destination cannot be reached from the origin (OSRM's `NoRoute`).
    #[error("no route: {0}")]
    NoRoute(String),
    /// A stale update (optimistic concurrency) or a forbidden state transition.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request is too large (too many coordinates, too large a matrix or body).
    #[error("too big: {0}")]
    TooBig(String),
    /// The network has no edges or nodes.
    #[error("empty network: {0}")]
    EmptyNetwork(String),
    /// An iterative method stopped before reaching its target.
    #[error("not converged: {0}")]
    NotConverged(String),
    /// Storage (database) failure: corrupt or foreign file, locked, ...
    #[error("store error: {0}")]
    Store(String),
    /// GDAL failure (driver missing, unreadable dataset, ...).
    #[error("GDAL error: {0}")]
    Gdal(String),
    /// Operating-system I/O error, with the path involved.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Stable machine-readable code (used by the API's problem+json `code` and documented in
    /// docs/errors.md).
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput(_) => "InvalidInput",
            Error::InvalidFile { .. } => "InvalidFile",
            Error::NotFound { .. } => "NotFound",
            Error::NoSegment { .. } => "NoSegment",
            Error::NoRoute(_) => "NoRoute",
            Error::Conflict(_) => "Conflict",
            Error::TooBig(_) => "TooBig",
            Error::EmptyNetwork(_) => "EmptyNetwork",
            Error::NotConverged(_) => "NotConverged",
            Error::Store(_) => "StoreError",
            Error::Gdal(_) => "GdalError",
            Error::Io { .. } => "IoError",
        }
    }

    /// Process exit code for the CLI (documented in docs/errors.md). 0 is success, 1 is reserved
    /// for unexpected failures at the binary edge, 2 for command-line usage errors (clap).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::InvalidInput(_) => 3,
            Error::InvalidFile { .. } => 4,
            Error::NotFound { .. } => 5,
            Error::NoSegment { .. } => 6,
            Error::NoRoute(_) => 7,
            Error::Conflict(_) => 8,
            Error::TooBig(_) => 9,
            Error::EmptyNetwork(_) => 10,
            Error::NotConverged(_) => 11,
            Error::Store(_) => 12,
            Error::Gdal(_) => 13,
            Error::Io { .. } => 14,
        }
    }

    /// Shorthand for [`Error::InvalidInput`].
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidInput(msg.into())
    }

    /// Shorthand for [`Error::NotFound`].
    pub fn not_found(kind: &'static str, id: impl ToString) -> Self {
        Error::NotFound {
            kind,
            id: id.to_string(),
        }
    }

    /// Shorthand for [`Error::InvalidFile`].
    pub fn file(
        path: impl Into<PathBuf>,
        location: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::InvalidFile {
            path: path.into(),
            location: location.into(),
            message: message.into(),
        }
    }

    /// Wraps an [`std::io::Error`] with the path it concerns. Content that could not be
    /// decoded (`InvalidData`: e.g. a text file that is not UTF-8) is the file's fault, not
    /// the disk's: an [`Error::InvalidFile`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::InvalidData {
            return Error::file(path, "content", source.to_string());
        }
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

//! What can go wrong in storage. The HTTP edge turns these into
//! problem+json (`crate::error`); nothing here knows about HTTP.

/// Result with the store's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A form definition failed its checks.
    #[error("the form definition has {} problem(s)", .0.len())]
    InvalidForm(Vec<survey::FormProblem>),
    /// The store refuses writes after a failed commit (fail-stop).
    #[error("storage is unavailable")]
    Unavailable,
    /// sled failed.
    #[error("storage error: {0}")]
    Storage(#[from] sled::Error),
    /// A file could not be read or written.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// This store cannot do what was asked (an in-memory store has no
    /// files to back up).
    #[error("{0}")]
    Unsupported(String),
    /// A backup or restore that would overwrite data, or read something
    /// that is not a collector store.
    #[error("{0}")]
    Refused(String),
    /// Another collector has the data folder open (sled locks its file).
    #[error("{} is in use by a running collector; stop it first", .0.display())]
    InUse(std::path::PathBuf),
    /// Another response already answered this invitation.
    #[error("this invitation has already been answered")]
    InvitationUsed,
    /// Stored data could not be decoded.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}

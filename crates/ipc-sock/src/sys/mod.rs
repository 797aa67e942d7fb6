//! The system calls of this crate, each wrapped once with the flags the crate always wants.

pub(crate) mod socket;
pub(crate) mod tcp;

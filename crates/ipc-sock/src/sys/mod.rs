//! The system calls of this crate, each wrapped once with the flags the crate always wants.

pub(crate) mod ancillary;
pub(crate) mod message;
pub(crate) mod socket;
pub(crate) mod tcp;

//! The raw calls of `ipc-pipe`, wrapped once; everything above this module is safe.

pub(crate) mod rw;
pub(crate) mod sigpipe;
pub(crate) mod vmsplice;

//! The raw calls of `ipc-core`, wrapped once; everything above this module is safe.

pub(crate) mod child_fds;

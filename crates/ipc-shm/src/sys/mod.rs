//! The raw calls of `ipc-shm`, wrapped once; everything above this module is safe.

pub(crate) mod copy;
pub(crate) mod futex;
pub(crate) mod lock;
pub(crate) mod memfd;
pub(crate) mod mmap;
pub(crate) mod pthread;
pub(crate) mod shm;
pub(crate) mod sigbus;

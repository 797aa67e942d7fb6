//! The raw calls of `ipc-shm`, wrapped once; everything above this module is safe.

pub(crate) mod lock;
pub(crate) mod memfd;
pub(crate) mod mmap;
pub(crate) mod shm;

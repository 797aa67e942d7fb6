//! Cross-process tests of `ipc-shm`: real kernel objects, peers that are the test binary
//! re-executed in a named role.

mod access;
mod posix;

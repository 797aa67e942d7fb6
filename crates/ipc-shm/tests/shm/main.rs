//! Cross-process tests of `ipc-shm`: real kernel objects, peers that are the test binary
//! re-executed in a named role.

mod access;
mod anonymous;
mod asleep;
mod condvar;
mod conformance;
mod file;
mod header;
mod lock;
mod memfd;
mod mutex;
mod posix;
mod rwlock;
mod sigbus;
mod slot;

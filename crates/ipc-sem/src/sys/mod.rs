//! The raw calls of the crate, each wrapped once: the `sem_*` functions and the mapping of a
//! named semaphore's file.

pub(crate) mod map;
pub(crate) mod sem;

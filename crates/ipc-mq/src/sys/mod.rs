//! The raw calls of the crate, each wrapped once: the `mq_*` functions.

pub(crate) mod mq;

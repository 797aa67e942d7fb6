//! The raw calls of the crate, each wrapped once: the `mq_*` functions and the
//! `mq_notify` system call.

pub(crate) mod mq;
pub(crate) mod notify;

//! The mechanisms the bench measures, one module each, listed in [`registry`].
//!
//! Adding a mechanism (shm, mq, sockets, …) means one module here implementing [`Case`] (and a
//! [`Link`] whose API and raw sides implement [`crate::measure::Duplex`]), plus one line in
//! [`registry::CASES`].

mod case;
mod fifo;
mod pipe;
mod registry;
mod stream;

pub(crate) use case::{AnyLink, Case, Link, Prepared, Reference, Unstick};
pub(crate) use registry::{CASES, find};

//! The mechanisms the bench measures, one module each, listed in [`registry`].
//!
//! Adding a two-process mechanism (shm, mq, sockets, …) means one module here implementing
//! [`Case`] (and a [`Link`] whose API and raw sides implement [`crate::measure::Duplex`]); a
//! single-process one (a lock, an `msync`) implements [`Solo`] (and a [`SoloLink`] whose sides
//! implement [`crate::measure::Op`]). Either way, plus one line in [`registry::CASES`]. A case that
//! also measures another crate names it in [`Case::alternatives`] and implements [`AnyLink`]
//! itself (see [`mq`]).

mod case;
mod condvar;
mod fifo;
mod handoff;
mod lock;
mod mmap;
mod mq;
mod msync;
mod mutex;
mod pipe;
mod registry;
mod ring;
mod ring_link;
mod sem;
mod sem_pingpong;
mod shm;
mod sock;
mod sock_fd;
mod sock_link;
mod solo;
mod stream;

pub(crate) use case::{AnyLink, Case, Link, Prepared, Reference, Unstick};
pub(crate) use registry::{CASES, Entry, Kind, find};
pub(crate) use solo::{AnySoloLink, Solo, SoloLink};

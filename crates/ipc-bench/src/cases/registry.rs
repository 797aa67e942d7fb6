//! The list of cases: adding a mechanism is one line here.

use serde::Serialize;

use super::condvar::MutexCondvar;
use super::fifo::Fifo;
use super::lock::{FlockCase, OfdLockCase};
use super::mmap::Mmap;
use super::mq::Mq;
use super::msync::Msync;
use super::mutex::MutexUncontended;
use super::pipe::Pipe;
use super::sem::SemUncontended;
use super::sem_pingpong::SemPingPong;
use super::shm::Shm;
use super::sock::Sock;
use super::sock_fd::SockFd;
use super::{Case, Reference, Solo};
use crate::measure::Measure;

/// How a case runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    /// Two processes, the parent leading and a peer following ([`Case`]).
    Pair,
    /// The parent alone ([`Solo`]).
    Solo,
}

/// One case of either kind.
#[derive(Clone, Copy)]
pub(crate) enum Entry {
    /// A two-process case.
    Pair(&'static dyn Case),
    /// A single-process case.
    Solo(&'static dyn Solo),
}

impl Entry {
    /// The case's id.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Self::Pair(case) => case.id(),
            Self::Solo(case) => case.id(),
        }
    }

    /// How the case is built.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Pair(case) => case.describe(),
            Self::Solo(case) => case.describe(),
        }
    }

    /// The reference table's figures.
    pub(crate) fn reference(self) -> Option<Reference> {
        match self {
            Self::Pair(case) => case.reference(),
            Self::Solo(case) => case.reference(),
        }
    }

    /// The sizes measured.
    pub(crate) fn sizes(self) -> &'static [usize] {
        match self {
            Self::Pair(case) => case.sizes(),
            Self::Solo(case) => case.sizes(),
        }
    }

    /// The other crates measured beside the API and raw calls.
    pub(crate) fn alternatives(self) -> &'static [&'static str] {
        match self {
            Self::Pair(case) => case.alternatives(),
            Self::Solo(_) => &[],
        }
    }

    /// What is measured at each size.
    pub(crate) fn measures(self) -> &'static [Measure] {
        match self {
            Self::Pair(case) => case.measures(),
            Self::Solo(_) => &Measure::ALL,
        }
    }

    /// How the case runs.
    pub(crate) fn kind(self) -> Kind {
        match self {
            Self::Pair(_) => Kind::Pair,
            Self::Solo(_) => Kind::Solo,
        }
    }
}

/// Every case, in report order.
pub(crate) static CASES: &[Entry] = &[
    Entry::Pair(&Pipe::PLAIN),
    Entry::Pair(&Pipe::NOSIGNAL),
    Entry::Pair(&Pipe::ASSUMED),
    Entry::Pair(&Fifo),
    Entry::Pair(&Shm),
    Entry::Pair(&Mmap),
    Entry::Solo(&Msync),
    Entry::Solo(&FlockCase),
    Entry::Solo(&OfdLockCase),
    Entry::Solo(&MutexUncontended::ERRORCHECK),
    Entry::Solo(&MutexUncontended::NORMAL),
    Entry::Solo(&SemUncontended),
    Entry::Pair(&MutexCondvar),
    Entry::Pair(&SemPingPong),
    Entry::Pair(&Mq),
    Entry::Pair(&Sock::STREAM),
    Entry::Pair(&Sock::DATAGRAM),
    Entry::Pair(&Sock::SEQPACKET),
    Entry::Pair(&Sock::TCP),
    Entry::Pair(&SockFd),
];

/// The two-process case called `id` (what a peer serves).
pub(crate) fn find(id: &str) -> Option<&'static dyn Case> {
    CASES.iter().find_map(|entry| match entry {
        Entry::Pair(case) if case.id() == id => Some(*case),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_ids_are_unique_and_pair_cases_are_found_by_id() {
        for sut in CASES {
            assert_eq!(CASES.iter().filter(|c| c.id() == sut.id()).count(), 1);
            let found = find(sut.id()).map(|c| c.id());
            match sut.kind() {
                Kind::Pair => assert_eq!(found, Some(sut.id())),
                Kind::Solo => assert_eq!(found, None),
            }
        }
    }

    #[test]
    fn every_case_measures_at_least_one_size_and_one_measurement() {
        for sut in CASES {
            assert!(!sut.sizes().is_empty(), "{}", sut.id());
            assert!(!sut.measures().is_empty(), "{}", sut.id());
        }
    }
}

//! The measurement loops, written once and monomorphised for each case's API and raw transport.
//!
//! The parent *leads* a round (it holds the clock) and the peer *follows*:
//!
//! - Latency: the leader writes `size` bytes, the follower reads exactly `size` and writes them
//!   back, the leader reads exactly `size`; every round trip is timed on its own.
//! - Throughput: the leader writes `count` messages of `size` bytes, the follower reads exactly
//!   `count * size` bytes (one message at a time) and answers with a one-byte acknowledgement; the
//!   leader's clock covers the first write to the acknowledgement.
//!
//! A single-process case ([`crate::cases::Solo`]) has no peer: its round repeats one operation
//! (see [`solo`]); latency times each operation, throughput the whole round.

use std::fmt;
use std::io;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Which implementation a round goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Imp {
    /// This project's API (`Read::read_exact`/`Write::write_all` on its handles, …).
    Api,
    /// Plain `libc` calls on the same descriptors.
    Raw,
    /// Another crate doing the same job on the same kernel objects: the case's
    /// [`alternatives`](crate::cases::Case::alternatives)`[i]`.
    Alt(u8),
}

impl Imp {
    /// The implementations of a case with `alternatives` other crates, in the order the first
    /// round runs them: API, raw, then each alternative.
    pub(crate) fn all(alternatives: usize) -> Vec<Self> {
        let alts = (0..alternatives).map_while(|i| u8::try_from(i).ok().map(Self::Alt));
        [Self::Api, Self::Raw].into_iter().chain(alts).collect()
    }

    /// Parses the word [`Imp`]'s `Display` writes (`api`, `raw`, `alt0`, …).
    pub(crate) fn parse(word: &str) -> Option<Self> {
        match word {
            "api" => Some(Self::Api),
            "raw" => Some(Self::Raw),
            _ => word.strip_prefix("alt")?.parse().ok().map(Self::Alt),
        }
    }
}

/// The word used on the control channel and in messages: `api`, `raw`, `alt0`, ….
impl fmt::Display for Imp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Api => f.write_str("api"),
            Self::Raw => f.write_str("raw"),
            Self::Alt(i) => write!(f, "alt{i}"),
        }
    }
}

/// What a round measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Measure {
    /// Round-trip latency of one message (single-process cases: the time of one operation).
    Latency,
    /// Streaming throughput in one direction (single-process cases: operations per second).
    Throughput,
}

impl Measure {
    /// Both measurements, in report order.
    pub(crate) const ALL: [Self; 2] = [Self::Latency, Self::Throughput];

    /// The word used on the control channel, in filters and in reports.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Latency => "latency",
            Self::Throughput => "throughput",
        }
    }
}

/// One round: what to measure, through which implementation, with what message size and count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Job {
    /// What the round measures.
    pub(crate) measure: Measure,
    /// Which implementation carries the messages.
    pub(crate) imp: Imp,
    /// Message size in bytes.
    pub(crate) size: usize,
    /// Round trips (latency) or messages (throughput) in the round; operations for a
    /// single-process case.
    pub(crate) count: u64,
}

/// A connected pair of directions that moves whole messages: the one thing a case implements twice
/// (API and raw) for the loops below.
pub(crate) trait Duplex {
    /// Sends all of `buf` to the other side.
    fn send(&mut self, buf: &[u8]) -> io::Result<()>;
    /// Receives exactly `buf.len()` bytes from the other side.
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<()>;
}

/// One operation of a single-process case (see [`crate::cases::Solo`]): the one thing such a case
/// implements twice (API and raw) for [`solo`].
pub(crate) trait Op {
    /// Does the operation once; `data` is what it writes, when it writes (empty otherwise).
    fn run(&mut self, data: &[u8]) -> io::Result<()>;
}

/// The message buffers of one side, allocated once at the largest size.
pub(crate) struct Buffers {
    tx: Vec<u8>,
    rx: Vec<u8>,
}

impl Buffers {
    /// Buffers able to hold messages of up to `max_size` bytes, touched so no page fault lands
    /// inside a measurement.
    pub(crate) fn new(max_size: usize) -> Self {
        let tx = (0..max_size).map(|i| (i % 251) as u8).collect();
        Self {
            tx,
            rx: vec![0xA5; max_size],
        }
    }
}

/// The byte the follower acknowledges a throughput round with.
const ACK: u8 = 0xAC;

/// Runs `job` as the leader. Latency rounds append one sample (nanoseconds) per round trip to
/// `samples`; both kinds return the round's wall time.
///
/// # Errors
/// The transport's error, or `InvalidData` when an echoed message is not the one sent.
pub(crate) fn lead<D: Duplex>(
    link: &mut D,
    job: &Job,
    bufs: &mut Buffers,
    samples: &mut Vec<u64>,
) -> io::Result<Duration> {
    let Buffers { tx, rx } = bufs;
    let (tx, rx) = (&mut tx[..job.size], &mut rx[..job.size]);
    let start = Instant::now();
    match job.measure {
        Measure::Latency => {
            samples.reserve(usize::try_from(job.count).unwrap_or(usize::MAX));
            for i in 0..job.count {
                tx[0] = i as u8;
                let t = Instant::now();
                link.send(tx)?;
                link.recv(rx)?;
                let ns = t.elapsed().as_nanos();
                samples.push(u64::try_from(ns).unwrap_or(u64::MAX));
                if rx[0] != tx[0] {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the echoed message is not the one sent",
                    ));
                }
            }
        }
        Measure::Throughput => {
            for i in 0..job.count {
                tx[0] = i as u8;
                link.send(tx)?;
            }
            let mut ack = [0u8];
            link.recv(&mut ack)?;
            if ack[0] != ACK {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the acknowledgement byte is wrong",
                ));
            }
        }
    }
    Ok(start.elapsed())
}

/// Runs `job` as the follower (in the peer).
///
/// # Errors
/// The transport's error, or `InvalidData` when a message arrives out of order.
pub(crate) fn follow<D: Duplex>(link: &mut D, job: &Job, bufs: &mut Buffers) -> io::Result<()> {
    let rx = &mut bufs.rx[..job.size];
    match job.measure {
        Measure::Latency => {
            for _ in 0..job.count {
                link.recv(rx)?;
                link.send(rx)?;
            }
        }
        Measure::Throughput => {
            for i in 0..job.count {
                link.recv(rx)?;
                if rx[0] != i as u8 {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "a streamed message arrived out of order",
                    ));
                }
            }
            link.send(&[ACK])?;
        }
    }
    Ok(())
}

/// Runs `job` in this process alone. Latency rounds time each operation and append one sample
/// (nanoseconds) per operation to `samples`; throughput rounds time only the whole round. Both
/// return the round's wall time. The first byte of the data changes with every operation, so a
/// write is never a no-op.
///
/// # Errors
/// The operation's error.
pub(crate) fn solo<O: Op>(
    op: &mut O,
    job: &Job,
    bufs: &mut Buffers,
    samples: &mut Vec<u64>,
) -> io::Result<Duration> {
    let data = &mut bufs.tx[..job.size];
    let start = Instant::now();
    match job.measure {
        Measure::Latency => {
            samples.reserve(usize::try_from(job.count).unwrap_or(usize::MAX));
            for i in 0..job.count {
                if let Some(first) = data.first_mut() {
                    *first = i as u8;
                }
                let t = Instant::now();
                op.run(data)?;
                let ns = t.elapsed().as_nanos();
                samples.push(u64::try_from(ns).unwrap_or(u64::MAX));
            }
        }
        Measure::Throughput => {
            for i in 0..job.count {
                if let Some(first) = data.first_mut() {
                    *first = i as u8;
                }
                op.run(data)?;
            }
        }
    }
    Ok(start.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// An in-process loopback: what is sent is what is received next.
    struct Loopback(VecDeque<u8>);

    impl Duplex for Loopback {
        fn send(&mut self, buf: &[u8]) -> io::Result<()> {
            self.0.extend(buf);
            Ok(())
        }
        fn recv(&mut self, buf: &mut [u8]) -> io::Result<()> {
            for b in buf {
                *b = self.0.pop_front().ok_or(io::ErrorKind::UnexpectedEof)?;
            }
            Ok(())
        }
    }

    #[test]
    fn a_latency_round_records_one_sample_per_round_trip() {
        let mut sut = Loopback(VecDeque::new());
        let job = Job {
            measure: Measure::Latency,
            imp: Imp::Raw,
            size: 64,
            count: 10,
        };
        let mut samples = Vec::new();
        lead(&mut sut, &job, &mut Buffers::new(64), &mut samples).unwrap();
        assert_eq!(samples.len(), 10);
    }

    /// Counts its operations and the bytes they were given.
    struct Counter(u64, usize);

    impl Op for Counter {
        fn run(&mut self, data: &[u8]) -> io::Result<()> {
            self.0 += 1;
            self.1 += data.len();
            Ok(())
        }
    }

    #[test]
    fn a_solo_latency_round_records_one_sample_per_operation() {
        let mut sut = Counter(0, 0);
        let job = Job {
            measure: Measure::Latency,
            imp: Imp::Api,
            size: 16,
            count: 7,
        };
        let mut samples = Vec::new();
        solo(&mut sut, &job, &mut Buffers::new(16), &mut samples).unwrap();
        assert_eq!(samples.len(), 7);
        assert_eq!((sut.0, sut.1), (7, 7 * 16));
    }

    #[test]
    fn a_solo_throughput_round_records_no_samples() {
        let mut sut = Counter(0, 0);
        let job = Job {
            measure: Measure::Throughput,
            imp: Imp::Raw,
            size: 0,
            count: 5,
        };
        let mut samples = Vec::new();
        solo(&mut sut, &job, &mut Buffers::new(16), &mut samples).unwrap();
        assert!(samples.is_empty());
        assert_eq!((sut.0, sut.1), (5, 0));
    }

    #[test]
    fn every_implementation_parses_back_from_its_word() {
        for sut in Imp::all(3) {
            assert_eq!(Imp::parse(&sut.to_string()), Some(sut));
        }
        assert_eq!(Imp::all(1), [Imp::Api, Imp::Raw, Imp::Alt(0)]);
        for word in ["", "alt", "altx", "alt-1", "alt256", "API"] {
            assert_eq!(Imp::parse(word), None, "{word:?}");
        }
    }

    #[test]
    fn a_follower_reads_every_streamed_message_then_acknowledges() {
        let job = Job {
            measure: Measure::Throughput,
            imp: Imp::Api,
            size: 8,
            count: 300,
        };
        let mut sut = Loopback(VecDeque::new());
        let mut bufs = Buffers::new(8);
        for i in 0..job.count {
            bufs.tx[0] = i as u8;
            sut.send(&bufs.tx[..8]).unwrap();
        }
        follow(&mut sut, &job, &mut bufs).unwrap();
        assert_eq!(sut.0, [ACK]);
    }
}

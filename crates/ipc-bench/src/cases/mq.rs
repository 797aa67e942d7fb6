//! POSIX message queues: per message size, a `down` queue (parent to peer) and an `up` queue
//! (peer to parent), each of 10 messages (`msg_max` on a default Linux) of exactly that size.
//! A round trip is a message down and its echo up; streaming sends down, the sender blocking
//! while the queue is full, and the one-byte acknowledgement comes up.
//!
//! Three implementations take turns on the same queues, each through its own descriptors:
//!
//! - API: `ipc_mq::Queue::send` and `receive` (the blocking forms), on the queues the parent
//!   created with `Queue::builder()` and the peer opened.
//! - Raw: `mq_open(O_RDWR)`, `mq_send`, `mq_receive` as a C program calls them.
//! - `posix_mq` (crates.io, an alternative): `posix_mq::Queue::open`, `send` and `receive`.
//!   Its `send` takes its own `Message` (an owned `Vec`), so each message is copied into one
//!   reused `Message`; its `receive` allocates a `Vec` of the queue's message size per call, and
//!   the message is copied out of it. That is the least a caller of the crate can do.
//!
//! The parent creates every queue before the peer starts and removes them all when the case
//! ends, whether or not the peer survived.

use std::ffi::{CString, OsString};
use std::io;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use ipc_core::ObjectName;
use ipc_mq::Queue;

use super::case::no_alternative;
use super::{AnyLink, Case, Prepared, Reference};
use crate::error::{Context, Error, Result};
use crate::measure::{self, Buffers, Duplex, Imp, Job};
use crate::sys::RawQueue;

/// The prefix of the bench's queue names, so the leftover check recognises them.
const PREFIX: &str = "ipc-rs-test-bench-mq";

/// The message sizes measured: up to `msgsize_max` (8192 on a default Linux).
const SIZES: [usize; 3] = [64, 1024, 8192];

/// Messages each queue holds: `msg_max` on a default Linux, which an unprivileged process may
/// not exceed.
const MAX_MESSAGES: usize = 10;

/// The crates measured beside the API and raw calls; `Imp::Alt(0)` is `posix_mq`.
const ALTERNATIVES: [&str; 1] = ["posix_mq"];

/// The `mq` case.
pub(crate) struct Mq;

impl Case for Mq {
    fn id(&self) -> &'static str {
        "mq"
    }

    fn describe(&self) -> &'static str {
        "two POSIX message queues per size (down, up), 10 messages of the row's size, blocking; \
         API = ipc_mq::Queue send/receive, raw = mq_open + mq_send/mq_receive, \
         posix_mq = posix_mq::Queue send/receive (copying into its Message, allocating per \
         receive)"
    }

    fn reference(&self) -> Option<Reference> {
        Some(Reference {
            name: "Message Queues",
            msgs_per_s: 68_000.0,
            latency_us: 14.7,
        })
    }

    fn sizes(&self) -> &'static [usize] {
        &SIZES
    }

    fn alternatives(&self) -> &'static [&'static str] {
        &ALTERNATIVES
    }

    fn prepare(&self) -> Result<Prepared> {
        let mut created = Vec::with_capacity(SIZES.len());
        let mut args = Vec::with_capacity(2 * SIZES.len());
        for size in SIZES {
            let queue = || -> Result<Queue> {
                let name = ObjectName::unique(PREFIX).context("name a queue")?;
                Queue::builder()
                    .max_messages(MAX_MESSAGES)
                    .max_message_size(size)
                    .create_new(&name)
                    .with_context(|| format!("create the {size}-byte queue {name}"))
            };
            // Created queues are removed on drop, so an early return here removes them all.
            let (down, up) = (queue()?, queue()?);
            args.extend([down.name().as_str().into(), up.name().as_str().into()]);
            created.push((size, up, down));
        }
        let lanes = created
            .into_iter()
            .map(|(size, rx, tx)| Lane::new(size, rx, tx))
            .collect::<Result<Vec<_>>>()?;
        let lanes: Arc<[Lane]> = lanes.into();
        let cancel = Arc::new(AtomicBool::new(false));
        let unstick = {
            let (lanes, cancel) = (Arc::downgrade(&lanes), Arc::clone(&cancel));
            move || unstick(&lanes, &cancel)
        };
        // The queues exist before the peer starts, so connecting waits for nothing. The link
        // owns the queues: dropping it (or this closure, unconnected) removes them.
        let connect =
            move || -> Result<Box<dyn AnyLink>> { Ok(Box::new(MqLink::new(lanes, cancel))) };
        Ok(Prepared {
            give: Vec::new(),
            args,
            connect: Box::new(connect),
            unstick: Some(Box::new(unstick)),
        })
    }

    fn join(&self, args: &[OsString], _fds: Vec<OwnedFd>) -> Result<Box<dyn AnyLink>> {
        if args.len() != 2 * SIZES.len() {
            return Err(Error::msg(format!(
                "the mq peer expects {} queue names",
                2 * SIZES.len()
            )));
        }
        let open = |name: &OsString| -> Result<Queue> {
            let name = name
                .to_str()
                .ok_or_else(|| Error::msg("a queue name is not UTF-8"))?;
            let name = ObjectName::new(name).context("a queue name")?;
            Queue::open(&name).with_context(|| format!("open the queue {name}"))
        };
        let lanes = SIZES
            .iter()
            .zip(args.chunks_exact(2))
            .map(|(&size, names)| Lane::new(size, open(&names[0])?, open(&names[1])?))
            .collect::<Result<Vec<_>>>()?;
        Ok(Box::new(MqLink::new(
            lanes.into(),
            Arc::new(AtomicBool::new(false)),
        )))
    }
}

/// One side's queues of one message size, opened three ways.
struct Lane {
    /// The message size, which is the queues' `mq_msgsize`.
    size: usize,
    /// The API's handles: this side receives on `rx` and sends on `tx`.
    rx: Queue,
    tx: Queue,
    /// The raw side's descriptors of the same queues.
    raw_rx: RawQueue,
    raw_tx: RawQueue,
    /// `posix_mq`'s handles of the same queues.
    alt_rx: posix_mq::Queue,
    alt_tx: posix_mq::Queue,
}

impl Lane {
    /// Opens the raw and `posix_mq` descriptors of the queues the API handles hold.
    fn new(size: usize, rx: Queue, tx: Queue) -> Result<Self> {
        let raw = |queue: &Queue| {
            let name = CString::from(queue.name().as_c_str());
            RawQueue::open(&name).with_context(|| format!("mq_open {}", queue.name()))
        };
        let alt = |queue: &Queue| {
            posix_mq::Name::new(queue.name().as_str())
                .and_then(posix_mq::Queue::open)
                .with_context(|| format!("open {} with posix_mq", queue.name()))
        };
        Ok(Self {
            size,
            raw_rx: raw(&rx)?,
            raw_tx: raw(&tx)?,
            alt_rx: alt(&rx)?,
            alt_tx: alt(&tx)?,
            rx,
            tx,
        })
    }
}

/// One side's link: every lane, and what a round needs besides.
struct MqLink {
    lanes: Arc<[Lane]>,
    /// Set once the peer is gone (the parent's only): a send that returns with it set fails.
    cancel: Arc<AtomicBool>,
    /// Where a message shorter than the queue's size (the acknowledgement) is received.
    scratch: Vec<u8>,
    /// The one `posix_mq::Message` every `posix_mq` send goes through.
    alt_message: posix_mq::Message,
}

impl MqLink {
    fn new(lanes: Arc<[Lane]>, cancel: Arc<AtomicBool>) -> Self {
        let largest = lanes.iter().map(|lane| lane.size).max().unwrap_or(0);
        Self {
            lanes,
            cancel,
            scratch: vec![0; largest],
            alt_message: posix_mq::Message {
                data: Vec::with_capacity(largest),
                priority: 0,
            },
        }
    }

    /// The lane of `job`'s size, seen for one round, and the message `posix_mq` sends through.
    fn side(&mut self, job: &Job) -> io::Result<(Side<'_>, &mut posix_mq::Message)> {
        let lane = self
            .lanes
            .iter()
            .find(|lane| lane.size == job.size)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("the mq case has no {}-byte queues", job.size),
                )
            })?;
        let side = Side {
            lane,
            scratch: &mut self.scratch[..lane.size],
            cancel: &self.cancel,
        };
        Ok((side, &mut self.alt_message))
    }
}

impl AnyLink for MqLink {
    fn lead(
        &mut self,
        job: &Job,
        bufs: &mut Buffers,
        samples: &mut Vec<u64>,
    ) -> io::Result<Duration> {
        // One dispatch per round: each arm is `measure::lead` monomorphised for its transport.
        let (side, message) = self.side(job)?;
        match job.imp {
            Imp::Api => measure::lead(&mut Api(side), job, bufs, samples),
            Imp::Raw => measure::lead(&mut Raw(side), job, bufs, samples),
            Imp::Alt(0) => measure::lead(&mut Alt { side, message }, job, bufs, samples),
            Imp::Alt(_) => Err(no_alternative(job.imp)),
        }
    }

    fn follow(&mut self, job: &Job, bufs: &mut Buffers) -> io::Result<()> {
        let (side, message) = self.side(job)?;
        match job.imp {
            Imp::Api => measure::follow(&mut Api(side), job, bufs),
            Imp::Raw => measure::follow(&mut Raw(side), job, bufs),
            Imp::Alt(0) => measure::follow(&mut Alt { side, message }, job, bufs),
            Imp::Alt(_) => Err(no_alternative(job.imp)),
        }
    }
}

/// A lane seen through one implementation for one round.
struct Side<'a> {
    lane: &'a Lane,
    scratch: &'a mut [u8],
    cancel: &'a AtomicBool,
}

impl Side<'_> {
    /// Fails once the peer is gone; checked after every send, which may have been released
    /// only by the watchdog draining the queue.
    #[inline]
    fn check_cancel(&self) -> io::Result<()> {
        // Relaxed: the flag orders nothing; the watchdog sets it before it drains the queue or
        // wakes a receiver, and a send it released sees it no later than the next one.
        if self.cancel.load(Ordering::Relaxed) {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the peer is gone (killed by the watchdog)",
            ));
        }
        Ok(())
    }

    /// Receives one message of exactly `buf.len()` bytes with `receive`, which takes a buffer of
    /// the queue's message size and returns the length received. A message of any other length
    /// (the empty one the watchdog sends once the peer is gone) is an error.
    #[inline]
    fn recv_with(
        &mut self,
        buf: &mut [u8],
        receive: impl FnOnce(&Lane, &mut [u8]) -> io::Result<usize>,
    ) -> io::Result<()> {
        let len = if buf.len() >= self.lane.size {
            receive(self.lane, buf)?
        } else {
            // A short message (the acknowledgement): the queue demands a full-size buffer.
            let len = receive(self.lane, self.scratch)?;
            if let (Some(to), Some(from)) = (buf.get_mut(..len), self.scratch.get(..len)) {
                to.copy_from_slice(from);
            }
            len
        };
        if len != buf.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a message of {len} bytes where {} were expected", buf.len()),
            ));
        }
        Ok(())
    }
}

/// The API side: `ipc_mq::Queue::send` and `receive`.
struct Api<'a>(Side<'a>);

impl Duplex for Api<'_> {
    #[inline]
    fn send(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.lane.tx.send(buf, 0)?;
        self.0.check_cancel()
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.0.recv_with(buf, |lane, into| {
            lane.rx
                .receive(into)
                .map(|(len, _)| len)
                .map_err(Into::into)
        })
    }
}

/// The raw side: `mq_send` and `mq_receive`.
struct Raw<'a>(Side<'a>);

impl Duplex for Raw<'_> {
    #[inline]
    fn send(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.lane.raw_tx.send(buf)?;
        self.0.check_cancel()
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.0
            .recv_with(buf, |lane, into| lane.raw_rx.receive(into))
    }
}

/// The `posix_mq` side: `posix_mq::Queue::send` of a reused `Message`, and `receive`.
struct Alt<'a> {
    side: Side<'a>,
    /// The one `Message` every send goes through.
    message: &'a mut posix_mq::Message,
}

impl Duplex for Alt<'_> {
    #[inline]
    fn send(&mut self, buf: &[u8]) -> io::Result<()> {
        self.message.data.clear();
        self.message.data.extend_from_slice(buf);
        self.side
            .lane
            .alt_tx
            .send(self.message)
            .map_err(alt_error)?;
        self.side.check_cancel()
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<()> {
        let message = self.side.lane.alt_rx.receive().map_err(alt_error)?;
        if message.data.len() != buf.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a message of {} bytes where {} were expected",
                    message.data.len(),
                    buf.len()
                ),
            ));
        }
        buf.copy_from_slice(&message.data);
        Ok(())
    }
}

/// A `posix_mq` error as an `io::Error`, carrying its message.
#[cold]
fn alt_error(err: posix_mq::error::Error) -> io::Error {
    io::Error::other(format!("posix_mq: {err}"))
}

/// Releases a parent blocked on a dead peer (from the watchdog's thread, repeatedly): marks the
/// link cancelled, empties every `down` queue (so a blocked send returns) and puts an empty
/// message on every `up` queue (so a blocked receive returns, with a length it rejects).
fn unstick(lanes: &Weak<[Lane]>, cancel: &AtomicBool) {
    // Relaxed: see `Side::check_cancel`.
    cancel.store(true, Ordering::Relaxed);
    let Some(lanes) = lanes.upgrade() else {
        return;
    };
    for lane in lanes.iter() {
        let mut drained = vec![0; lane.size];
        while lane.tx.try_receive(&mut drained).is_ok() {}
        let _ = lane.rx.try_send(&[], 0);
    }
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Stdio};

    use rustix::process::Pid;

    use super::*;
    use crate::measure::Measure;
    use crate::watchdog::Watchdog;

    /// The names of the queues `prepared` made, as the peer gets them.
    fn names(prepared: &Prepared) -> Vec<ObjectName> {
        prepared
            .args
            .iter()
            .map(|name| ObjectName::new(name.to_str().unwrap()).unwrap())
            .collect()
    }

    /// Runs `job` as the parent with no peer behind the queues: a stand-in process that never
    /// opens them is killed by the watchdog after 200 ms, which must release the parent.
    fn lead_without_peer(measure: Measure, count: u64) {
        let sut = Mq.prepare().unwrap();
        let names = names(&sut);
        assert_eq!(names.len(), 2 * SIZES.len());
        let mut peer = Command::new("sleep")
            .arg("60")
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let mut watchdog = Watchdog::start(Pid::from_child(&peer), sut.unstick);
        let mut link = (sut.connect)().unwrap();
        watchdog.arm(Duration::from_millis(200));
        for imp in Imp::all(ALTERNATIVES.len()) {
            let job = Job {
                measure,
                imp,
                size: 1024,
                count,
            };
            let led = link.lead(&job, &mut Buffers::new(8192), &mut Vec::new());
            assert!(led.is_err(), "{imp} round with no peer");
        }

        assert!(watchdog.fired());
        watchdog.stop();
        assert!(peer.wait().unwrap().code().is_none(), "killed by a signal");
        drop(link);
        for name in names {
            let opened = Queue::open(&name).map(drop).map_err(|e| e.kind());
            assert_eq!(
                opened,
                Err(ipc_core::ErrorKind::NotFound),
                "{name} left behind"
            );
        }
    }

    #[test]
    fn a_parent_waiting_for_an_echo_from_a_dead_peer_is_released_and_the_queues_removed() {
        lead_without_peer(Measure::Latency, 10);
    }

    #[test]
    fn a_parent_blocked_on_a_full_queue_of_a_dead_peer_is_released() {
        lead_without_peer(Measure::Throughput, 1_000_000);
    }

    #[test]
    fn a_peer_given_the_wrong_number_of_names_is_refused() {
        let sut = Mq.join(&["/one".into()], Vec::new());
        assert!(sut.is_err());
    }
}

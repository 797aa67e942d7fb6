//! A semaphore ping-pong between two processes, the "mmap + semaphores" pattern: one unnamed
//! process-shared semaphore per direction and a message area beside each. A side sends by
//! copying its message into its direction's area and posting that direction's semaphore, and
//! receives by waiting on the other direction's semaphore and copying out. The leader posts
//! `down` and waits on `up`; the follower waits on `down` and posts `up`. Every wait blocks
//! (the value is 0 until the other process posts), so a round trip is two futex wake-ups.
//!
//! The API side is `ipc_sem::RegionSemaphore` in a `SharedMemory` with `RegionAccess` copies;
//! the raw side is `sem_init(pshared = 1)`, `sem_post`, `sem_wait` and `memcpy` in a second
//! object.
//!
//! # Layout of each object
//!
//! ```text
//! offset 0    the down semaphore (API: a slot, tag then sem_t; raw: a sem_t)
//! offset 64   the up semaphore
//! offset 128  the down message, up to 64 bytes
//! offset 192  the up message, up to 64 bytes
//! ```

use std::ffi::OsString;
use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ipc_sem::{RegionSemaphore, SEMAPHORE_SLOT};
use ipc_shm::{RegionAccess, SharedMemory};

use super::handoff::{self, MEASURES, Objects, SIZES, cancelled, check_len};
use super::{AnyLink, Case, Link, Prepared, Reference};
use crate::error::{Context, Result};
use crate::measure::{Duplex, Measure};
use crate::sys::{self, RawMap, RawSem};

/// The prefix of the bench's object names, so the leftover check recognises them.
const PREFIX: &str = "ipc-rs-test-bench-sempp";

/// Offset of the leader-to-follower semaphore.
const DOWN: usize = 0;
/// Offset of the follower-to-leader semaphore.
const UP: usize = 64;
/// Offset of the leader-to-follower message.
const DOWN_MESSAGE: usize = 128;
/// Offset of the follower-to-leader message.
const UP_MESSAGE: usize = 192;

const _: () = assert!(
    SEMAPHORE_SLOT.footprint() <= UP - DOWN
        && UP + SEMAPHORE_SLOT.footprint() <= DOWN_MESSAGE
        && size_of::<libc::sem_t>() <= UP - DOWN
        && UP_MESSAGE + handoff::MAX_MESSAGE <= handoff::LEN
);

/// The `sem-pingpong` case.
pub(crate) struct SemPingPong;

impl Case for SemPingPong {
    fn id(&self) -> &'static str {
        "sem-pingpong"
    }

    fn describe(&self) -> &'static str {
        "ping-pong over two process-shared semaphores (blocking waits) with a message area per \
         direction; API = ipc_sem::RegionSemaphore post/wait + RegionAccess in SharedMemory, \
         raw = sem_init(pshared=1) + sem_post/sem_wait + memcpy in a second shm object"
    }

    fn reference(&self) -> Option<Reference> {
        None
    }

    fn sizes(&self) -> &'static [usize] {
        &SIZES
    }

    fn measures(&self) -> &'static [Measure] {
        &MEASURES
    }

    fn prepare(&self) -> Result<Prepared> {
        handoff::prepare(PREFIX, place, wake, SemLink::new)
    }

    fn join(&self, args: &[OsString], fds: Vec<OwnedFd>) -> Result<Box<dyn AnyLink>> {
        handoff::join(args, fds, SemLink::new)
    }
}

/// Places both sides' two semaphores, of value 0.
fn place(api: &Arc<SharedMemory>, raw: &RawMap) -> Result<()> {
    for offset in [DOWN, UP] {
        RegionSemaphore::init(&**api, offset, 0).context("place an API semaphore")?;
        // SAFETY: the object was just created by this process and the peer has not started.
        #[allow(unsafe_code, reason = "initialising the raw baseline's semaphores")]
        let sem = unsafe { sys::sem_init(raw, offset, 0) };
        sem.context("initialise a raw semaphore (sem_init)")?;
    }
    Ok(())
}

/// Posts both `up` semaphores, which the parent waits on (once its peer is dead).
fn wake(api: &Arc<SharedMemory>, raw: &RawMap) {
    if let Ok(sem) = RegionSemaphore::open(&**api, UP) {
        let _ = sem.post();
    }
    // SAFETY: `place` initialised the semaphore there, and the object outlives the borrow.
    #[allow(unsafe_code, reason = "naming a raw object placed earlier")]
    let sem = unsafe { sys::sem_at(raw, UP) };
    if let Ok(sem) = sem {
        let _ = sem.post();
    }
}

/// One side of the ping-pong over both objects.
struct SemLink(Objects);

impl SemLink {
    /// The link, after checking that the API's semaphores open (so [`Link::api`] cannot fail).
    fn new(objects: Objects) -> Result<Self> {
        for offset in [DOWN, UP] {
            RegionSemaphore::open(&*objects.api, offset).context("open an API semaphore")?;
            objects
                .raw
                .object_at::<libc::sem_t>(offset)
                .context("reach a raw semaphore")?;
        }
        Ok(Self(objects))
    }

    /// This side's (sending, receiving) semaphore and message offsets.
    fn directions(&self) -> ((usize, usize), (usize, usize)) {
        let down = (DOWN, DOWN_MESSAGE);
        let up = (UP, UP_MESSAGE);
        if self.0.leader {
            (down, up)
        } else {
            (up, down)
        }
    }
}

impl Link for SemLink {
    type Api<'a> = ApiPingPong<'a>;
    type Raw<'a> = RawPingPong<'a>;

    /// The API's semaphores, opened (validated) once per round.
    fn api(&mut self) -> ApiPingPong<'_> {
        let ((tx, tx_message), (rx, rx_message)) = self.directions();
        let region = &*self.0.api;
        let open = |offset| RegionSemaphore::open(region, offset).expect("checked in SemLink::new");
        ApiPingPong {
            tx: open(tx),
            rx: open(rx),
            region,
            tx_message,
            rx_message,
            cancel: &self.0.cancel,
        }
    }

    fn raw(&mut self) -> RawPingPong<'_> {
        let ((tx, tx_message), (rx, rx_message)) = self.directions();
        let map = &*self.0.raw;
        let at = |offset| {
            // SAFETY: `place` initialised the semaphores there before the peer started, and the
            // mapping outlives the borrow.
            #[allow(unsafe_code, reason = "naming a raw object placed earlier")]
            let sem = unsafe { sys::sem_at(map, offset) };
            sem.expect("checked in SemLink::new")
        };
        RawPingPong {
            tx: at(tx),
            rx: at(rx),
            map,
            tx_message,
            rx_message,
            cancel: &self.0.cancel,
        }
    }
}

/// The API side: `RegionSemaphore::post` / `wait` and `RegionAccess` copies.
struct ApiPingPong<'a> {
    tx: RegionSemaphore<'a, SharedMemory>,
    rx: RegionSemaphore<'a, SharedMemory>,
    region: &'a SharedMemory,
    tx_message: usize,
    rx_message: usize,
    cancel: &'a AtomicBool,
}

impl Duplex for ApiPingPong<'_> {
    #[inline]
    fn send(&mut self, buf: &[u8]) -> io::Result<()> {
        check_len(buf.len())?;
        self.region.write_at(self.tx_message, buf)?;
        self.tx.post()?;
        Ok(())
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<()> {
        check_len(buf.len())?;
        self.rx.wait()?;
        if self.cancel.load(Ordering::Relaxed) {
            return Err(cancelled());
        }
        self.region.read_at(self.rx_message, buf)?;
        Ok(())
    }
}

/// The raw side: `sem_post` / `sem_wait` and `memcpy`.
struct RawPingPong<'a> {
    tx: RawSem<'a>,
    rx: RawSem<'a>,
    map: &'a RawMap,
    tx_message: usize,
    rx_message: usize,
    cancel: &'a AtomicBool,
}

impl Duplex for RawPingPong<'_> {
    #[inline]
    fn send(&mut self, buf: &[u8]) -> io::Result<()> {
        check_len(buf.len())?;
        // SAFETY: the message areas fit the mapping (asserted at compile time, `check_len`),
        // and the sender alone touches its area until its post, the receiver after its wait.
        #[allow(unsafe_code, reason = "the raw memcpy into the message area")]
        unsafe {
            self.map.write(self.tx_message, buf);
        }
        self.tx.post()
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<()> {
        check_len(buf.len())?;
        self.rx.wait()?;
        if self.cancel.load(Ordering::Relaxed) {
            return Err(cancelled());
        }
        // SAFETY: as in `send`.
        #[allow(unsafe_code, reason = "the raw memcpy out of the message area")]
        unsafe {
            self.map.read(self.rx_message, buf);
        }
        Ok(())
    }
}
